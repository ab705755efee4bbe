"""What the training pipeline feeds the model, drawn: one frame's ground truth (thing masks
with class names and instance ids, stuff regions, crowd regions, prompts) and a clip's frames
side by side under a title (``tools/analysis_tools/browse_dataset.py``)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .draw import caption, check_image, class_name, draw_masks
from .legend import class_entries, draw_legend
from .palette import class_color, track_color
from .prompts import draw_prompts

CROWD = (150, 150, 150)
_GAP = 4


@dataclass
class FrameTargets:
    """One frame's training targets as numpy arrays.

    Attributes:
        masks: (N, H, W) bool thing (or prompt-target) masks.
        labels: (N,) class labels; negative = class-agnostic (interactive, VOS).
        instance_ids: (N,) ids linking an instance across the frames of a clip.
        crowd_masks: (M, H, W) bool ignored (crowd) regions; crowd_labels (M,).
        semantic: (H, W) label map (stuff regions drawn from it) or None.
        prompt_boxes: (P, 4) xyxy; prompt_kinds (P,) 0 = box, 1 = point; prompt_ids (P,).
    """

    masks: np.ndarray
    labels: np.ndarray
    instance_ids: np.ndarray
    crowd_masks: np.ndarray | None = None
    crowd_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    semantic: np.ndarray | None = None
    prompt_boxes: np.ndarray | None = None
    prompt_kinds: np.ndarray | None = None
    prompt_ids: np.ndarray | None = None


def upscale(image: np.ndarray, targets: FrameTargets,
            factor: int) -> tuple[np.ndarray, FrameTargets]:
    """Frame and targets ``factor`` times larger (pixel repetition), so labels stay legible
    on small training crops."""
    if factor == 1:
        return image, targets

    def grow(array, axes):
        if array is None:
            return None
        for axis in axes:
            array = np.repeat(array, factor, axis=axis)
        return array
    boxes = None if targets.prompt_boxes is None else np.asarray(targets.prompt_boxes) * factor
    return grow(image, (0, 1)), replace(
        targets, masks=grow(targets.masks, (1, 2)), crowd_masks=grow(targets.crowd_masks, (1, 2)),
        semantic=grow(targets.semantic, (0, 1)), prompt_boxes=boxes)


def _name(label: int, class_names: Sequence[str]) -> str:
    return 'object' if label < 0 else class_name(label, class_names)


def draw_training_frame(image: np.ndarray, targets: FrameTargets, *,
                        class_names: Sequence[str], num_things: int) -> np.ndarray:
    """Overlay one frame's targets: stuff in class colours, things in instance colours labelled
    ``'<class> #<instance id>'``, crowd regions in grey, prompts (boxes, points) on top, and a
    legend of the classes.

    Args:
        image: (H, W, 3) uint8 RGB, the frame as the model gets it.
        targets: the frame's targets (masks of the image's size).
        class_names: the vocabulary the labels index (synonyms after the first are dropped).
        num_things: labels from this one up are stuff.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    image = check_image(image)
    masks, colors, texts = [], [], []
    if targets.semantic is not None:
        sem = np.asarray(targets.semantic)
        for label in np.unique(sem).tolist():
            if num_things <= label < len(class_names):
                masks.append(sem == label)
                colors.append(class_color(label))
                texts.append(_name(label, class_names))
    for mask, label in zip(targets.crowd_masks if targets.crowd_masks is not None else [],
                           targets.crowd_labels.tolist()):
        masks.append(mask)
        colors.append(CROWD)
        texts.append(f'crowd {_name(label, class_names)}')
    for mask, label, iid in zip(targets.masks, targets.labels.tolist(),
                                targets.instance_ids.tolist()):
        masks.append(mask)
        colors.append(track_color(iid))
        texts.append(caption(_name(label, class_names), track_id=iid))
    legend = class_entries([t.split(' #')[0] for t in texts], colors)
    out = draw_masks(image, masks, colors, texts) if masks else image.copy()
    if targets.prompt_boxes is not None and len(targets.prompt_boxes):
        boxes = np.asarray(targets.prompt_boxes, np.float64).reshape(-1, 4)
        kinds = np.asarray(targets.prompt_kinds).reshape(-1)
        ids = np.asarray(targets.prompt_ids).reshape(-1)
        points = (boxes[kinds == 1, :2] + boxes[kinds == 1, 2:]) / 2
        out = draw_prompts(out, points=points, boxes=boxes[kinds != 1],
                           prompt_ids=ids[kinds != 1].tolist())
    return draw_legend(out, legend)


def tile_frames(frames: Sequence[np.ndarray], title: str) -> np.ndarray:
    """Frames side by side (a gap between them) under a one-line ``title`` strip.

    Args:
        frames: T (H, W, 3) uint8 RGB images of one size.
        title: e.g. ``'toy_vipseg | panoptic | video 3 | frames 0, 2'``.

    Returns:
        (strip + H, T * W + (T - 1) * gap, 3) uint8 RGB.
    """
    frames = [check_image(f, f'frame {i}') for i, f in enumerate(frames)]
    if not frames or len({f.shape for f in frames}) != 1:
        raise ValueError(f'tile_frames needs frames of one size, got '
                         f'{[f.shape for f in frames]}.')
    h, w = frames[0].shape[:2]
    gap = np.full((h, _GAP, 3), 255, np.uint8)
    row = np.concatenate([part for f in frames for part in (f, gap)][:-1], axis=1)
    scale = float(np.clip(h / 300, 0.35, 0.6))  # readable on 64 px frames and on 720p
    (_, th), base = cv2.getTextSize(title, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    strip = np.full((th + base + 8, row.shape[1], 3), 30, np.uint8)
    cv2.putText(strip, title, (4, th + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                cv2.LINE_AA)
    return np.concatenate([strip, row], axis=0)


__all__ = ['FrameTargets', 'draw_training_frame', 'tile_frames', 'upscale']
