"""Visual prompts (clicks and boxes) drawn on top of an overlay."""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .draw import check_image
from .palette import Color, track_color

POSITIVE, NEGATIVE, BOX = (40, 220, 60), (235, 50, 50), (250, 210, 40)


def _rows(array, width: int, name: str) -> np.ndarray:
    array = np.zeros((0, width)) if array is None else np.asarray(array, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != width:
        raise ValueError(f'{name} must be an (N, {width}) array, got shape {array.shape}.')
    return array


def draw_prompts(image: np.ndarray, *, points=None, positive: Sequence[bool] | None = None,
                 boxes=None, prompt_ids: Sequence[int] | None = None) -> np.ndarray:
    """Mark clicks as filled dots (green positive, red negative) and boxes as rectangles.

    Args:
        image: (H, W, 3) uint8 RGB (usually an overlay of the prompts' masks).
        points: (P, 2) xy pixel coordinates.
        positive: P flags (default: all positive).
        boxes: (B, 4) xyxy pixel coordinates.
        prompt_ids: B ids; each box then takes its object's track colour, matching
            :func:`draw_instances` called with the same ``track_ids`` (default: yellow).

    Returns:
        (H, W, 3) uint8 RGB.
    """
    out = check_image(image).copy()
    points, boxes = _rows(points, 2, 'points'), _rows(boxes, 4, 'boxes')
    positive = np.ones(len(points), bool) if positive is None else np.asarray(positive, bool)
    if positive.shape != (len(points),):
        raise ValueError(f'{len(points)} points but {positive.size} positive flags.')
    if prompt_ids is not None and len(prompt_ids) != len(boxes):
        raise ValueError(f'{len(boxes)} boxes but {len(prompt_ids)} prompt_ids.')
    radius = max(3, int(round(min(out.shape[:2]) / 120)))
    for i, box in enumerate(np.round(boxes).astype(int)):
        color: Color = BOX if prompt_ids is None else track_color(int(prompt_ids[i]))
        cv2.rectangle(out, (int(box[0]), int(box[1])), (int(box[2]), int(box[3])), color,
                      max(1, radius // 2), cv2.LINE_8)
    for (x, y), pos in zip(np.round(points).astype(int), positive):
        cv2.circle(out, (int(x), int(y)), radius + 1, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(out, (int(x), int(y)), radius, POSITIVE if pos else NEGATIVE, -1,
                   cv2.LINE_AA)
    return out


__all__ = ['draw_prompts']
