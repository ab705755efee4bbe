"""Overlay of one inferencer frame result on its input frame (every task)."""
from __future__ import annotations

import numpy as np

from omgseg.visualization import (draw_instances, draw_panoptic, draw_prompts, draw_semantic,
                                  draw_vos)

from .infer_results import FrameResult, VideoResult


def render_frame(video: VideoResult, frame: FrameResult, rgb: np.ndarray, *,
                 prompts: tuple[np.ndarray, np.ndarray] | None = None,
                 score_thr: float = 0.3) -> np.ndarray:
    """Draw ``frame``'s results on ``rgb``.

    Args:
        video: the result the frame belongs to (task, class names, tracks).
        frame: the frame's result.
        rgb: (H, W, 3) uint8 RGB input frame.
        prompts: ``(points (N, 2), boxes (M, 4))`` to mark on frame 0 (interactive).
        score_thr: instances below this score are not drawn.

    Returns:
        (H, W, 3) uint8 RGB; objects keep their colour through a video (track ids).
    """
    names = video.class_names
    if video.task == 'panoptic':
        segments = [dict(id=s.id, category_id=s.label, name=s.name, score=s.score,
                         track_id=s.track_id, isthing=s.isthing) for s in frame.segments]
        return draw_panoptic(rgb, frame.id_map, segments, names)
    if video.task == 'semantic':
        return draw_semantic(rgb, frame.semantic, names, ignore_index=-1)
    if video.task == 'instance':
        tracks = video.tracks
        return draw_instances(rgb, frame.instances, [t.label for t in tracks], names,
                              scores=[t.score for t in tracks],
                              track_ids=[t.track_id for t in tracks], score_thr=score_thr)
    out = draw_vos(rgb, frame.id_map, object_names={s.id: f'{s.name} #{s.id}'
                                                    for s in frame.segments})
    if prompts is not None and frame.index == 0:
        points, boxes = prompts
        # prompts are numbered points first, then boxes: box k is object len(points) + k + 1
        out = draw_prompts(out, points=points, boxes=boxes,
                           prompt_ids=[len(points) + k + 1 for k in range(len(boxes))])
    return out


__all__ = ['render_frame']
