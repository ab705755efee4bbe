"""The web demo's request handlers, free of any UI library (testable without a browser).

One :class:`OMGSegInferencer` serves every request. Images arrive as arrays and videos as files
the upload server wrote into ``upload_dir``; a video path outside that folder is refused, so a
request can never make the server read a file it names. Uploads are capped in size, images in
side length and videos in frames (:class:`DemoLimits`).
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .infer_inputs import count_video_frames
from .infer_render import render_frame

DEMO_TASKS = ('panoptic', 'instance', 'semantic', 'interactive')


@dataclass(frozen=True)
class DemoLimits:
    """Caps on what one request may ask for.

    Args:
        max_upload_mb: largest upload (the server refuses bigger files before any handler).
        max_frames: longest video, in frames.
        max_side: largest image / frame side, in pixels.
    """
    max_upload_mb: float = 20.0
    max_frames: int = 150
    max_side: int = 2048


def parse_rows(text: str | None, width: int, what: str) -> list[list[float]]:
    """``'x,y; x,y'`` -> rows of ``width`` numbers (blank -> none)."""
    rows = []
    for part in (text or '').replace('\n', ';').split(';'):
        if not part.strip():
            continue
        try:
            row = [float(v) for v in part.split(',')]
        except ValueError:
            row = []
        if len(row) != width:
            raise ValueError(f'{what}: {part.strip()!r} is not {width} comma-separated numbers '
                             f'(write {"x,y" if width == 2 else "x1,y1,x2,y2"}; separate '
                             f'several with ";").')
        rows.append(row)
    return rows


def add_click(points: str, boxes: str, corner: list | None, x: float, y: float,
              mode: str) -> tuple[str, str, list | None]:
    """A click on the image: a point, or a box corner (two clicks make a box).

    Returns the new ``(points text, boxes text, pending corner)``.
    """
    xy = f'{int(x)},{int(y)}'
    if mode == 'point':
        return (f'{points}; {xy}' if points.strip() else xy), boxes, None
    if corner is None:
        return points, boxes, [x, y]
    x1, x2 = sorted((corner[0], x))
    y1, y2 = sorted((corner[1], y))
    box = f'{int(x1)},{int(y1)},{int(x2)},{int(y2)}'
    return points, (f'{boxes}; {box}' if boxes.strip() else box), None


def describe(video, first, limit: int = 12) -> str:
    """One line per object of the ``first`` frame result (or per track): name, id, score."""
    if video.tracks:
        items = [f'{t.name} #{t.track_id}: {t.score:.2f}' for t in
                 sorted(video.tracks, key=lambda t: -t.score)[:limit]]
    else:
        segments = first.segments if first is not None else []
        items = [f'{s.name}' + (f' #{s.track_id}' if s.track_id is not None else '')
                 + f': {s.score:.2f}' for s in segments[:limit]]
    head = f'{video.task}, {video.num_frames} frame(s)'
    return '\n'.join([head, *items]) if items else f'{head}: nothing found'


class DemoHandlers:
    """What the demo's buttons do.

    Args:
        inferencer: the one model of the server.
        limits: request caps.
        upload_dir: the only folder videos may be read from.
        output_dir: where rendered videos go.
    """

    def __init__(self, *, inferencer, limits: DemoLimits, upload_dir: str | os.PathLike,
                 output_dir: str | os.PathLike) -> None:
        self.inferencer, self.limits = inferencer, limits
        self.upload_dir, self.output_dir = Path(upload_dir), Path(output_dir)

    def _options(self, task: str, vocabulary: str | None, points: str | None,
                 boxes: str | None) -> dict:
        if task not in DEMO_TASKS:
            raise ValueError(f'task {task!r} is not offered here; choose one of '
                             f'{", ".join(DEMO_TASKS)}.')
        opts: dict = dict(task=task)
        if vocabulary and vocabulary.strip():
            opts['vocabulary'] = vocabulary
        if task == 'interactive':
            opts['prompts'] = dict(points=parse_rows(points, 2, 'points'),
                                   boxes=parse_rows(boxes, 4, 'boxes'))
        return opts

    def _check_side(self, height: int, width: int) -> None:
        if max(height, width) > self.limits.max_side:
            raise ValueError(f'the input is {width}x{height}; this demo takes sides up to '
                             f'{self.limits.max_side} px. Downscale it first.')

    def segment_image(self, image: np.ndarray | None, task: str, vocabulary: str | None = None,
                      points: str | None = None, boxes: str | None = None
                      ) -> tuple[np.ndarray, str]:
        """Overlay (H, W, 3) uint8 RGB of ``image`` (RGB array) and a text summary."""
        if image is None or not isinstance(image, np.ndarray) or image.ndim != 3:
            raise ValueError('upload an image first.')
        self._check_side(*image.shape[:2])
        opts = self._options(task, vocabulary, points, boxes)
        rgb = np.ascontiguousarray(image[..., :3].astype(np.uint8))
        drawn: list = []
        marks = self._marks(opts)

        def on_frame(video, frame, frame_rgb):
            drawn.append(render_frame(video, frame, frame_rgb, prompts=marks))
        (video,) = self.inferencer(np.ascontiguousarray(rgb[..., ::-1]), on_frame=on_frame,
                                   **opts)
        return drawn[0], describe(video, video.frames[0])

    @staticmethod
    def _marks(opts: dict):
        if 'prompts' not in opts:
            return None
        from .inferencer import parse_prompts
        return parse_prompts(opts['prompts'])

    def check_video(self, path: str | os.PathLike | None) -> str:
        """The uploaded video's path, refused unless it lies in ``upload_dir`` and fits the
        caps."""
        if not path:
            raise ValueError('upload a video first.')
        real = os.path.realpath(os.fspath(path))
        root = os.path.realpath(self.upload_dir)
        if os.path.commonpath([real, root]) != root or not os.path.isfile(real):
            raise ValueError('only videos uploaded to this demo can be segmented.')
        size_mb = os.path.getsize(real) / 2 ** 20
        if size_mb > self.limits.max_upload_mb:
            raise ValueError(f'the video is {size_mb:.1f} MB; the cap is '
                             f'{self.limits.max_upload_mb:g} MB.')
        frames = count_video_frames(real)
        if frames > self.limits.max_frames:
            raise ValueError(f'the video has {frames} frames; this demo takes up to '
                             f'{self.limits.max_frames}. Trim it first.')
        return real

    def segment_video(self, path: str | None, task: str, vocabulary: str | None = None,
                      points: str | None = None, boxes: str | None = None
                      ) -> tuple[str, str]:
        """Render the overlay video (WebM, plays in browsers); returns its path and a
        summary. Interactive prompts apply to the first frame."""
        from omgseg.visualization import VideoWriter, open_video

        real = self.check_video(path)
        probe = open_video(real)
        self._check_side(probe.height, probe.width)
        opts = self._options(task, vocabulary, points, boxes)
        marks = self._marks(opts)
        out = self.output_dir / f'{uuid.uuid4().hex}.webm'
        first: list = []
        with VideoWriter(out, fps=probe.fps or 30.0) as writer:
            def on_frame(video, frame, frame_rgb):
                first[:] = first or [frame]
                writer.write(render_frame(video, frame, frame_rgb, prompts=marks))
            (video,) = self.inferencer(real, keep_frames=False, on_frame=on_frame, **opts)
        return str(out), describe(video, first[0] if first else None)


__all__ = ['DEMO_TASKS', 'DemoHandlers', 'DemoLimits', 'add_click', 'describe', 'parse_rows']
