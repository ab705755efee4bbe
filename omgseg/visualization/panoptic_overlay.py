"""Draw panoptic results over an image so a person can judge them."""
from __future__ import annotations

import cv2
import numpy as np


def segment_color(category: int, segment_id: int) -> tuple[int, int, int]:
    """A stable colour per class, varied per instance so neighbours stay distinguishable."""
    rng = np.random.default_rng(category * 7919 + 17)
    base = rng.integers(40, 256, size=3)
    jitter = np.random.default_rng(segment_id).integers(-35, 36, size=3)
    return tuple(int(c) for c in np.clip(base + jitter, 0, 255))


def draw_panoptic(image: np.ndarray, ids: np.ndarray, segments: list[dict],
                  class_names: list[str], alpha: float = 0.55) -> np.ndarray:
    """Blend segment colours over ``image``, outline segments and print their labels.

    Args:
        image: (H, W, 3) uint8 RGB.
        ids: (H, W) segment ids, 0 = void (left uncoloured).
        segments: ``segments_info`` (``id``, ``category_id``, optional ``score``).
        class_names: label -> name.
        alpha: colour opacity.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    if image.shape[:2] != ids.shape:
        raise ValueError(f'image {image.shape[:2]} and panoptic map {ids.shape} differ in size.')
    out = image.astype(np.float32).copy()
    color_map = np.zeros_like(out)
    labelled = ids > 0
    for seg in segments:
        color_map[ids == seg['id']] = segment_color(seg['category_id'], seg['id'])
    out[labelled] = out[labelled] * (1 - alpha) + color_map[labelled] * alpha
    out = out.astype(np.uint8)
    edges = cv2.morphologyEx(ids.astype(np.float32), cv2.MORPH_GRADIENT,
                             np.ones((3, 3), np.uint8)) > 0
    out[edges] = 255
    scale = max(0.3, min(ids.shape) / 600)
    for seg in segments:
        ys, xs = np.nonzero(ids == seg['id'])
        if len(xs) == 0:
            continue
        name = class_names[seg['category_id']].split(',')[0]
        if 'score' in seg:
            name += f' {seg["score"]:.2f}'
        org = (int(np.median(xs)), int(np.median(ys)))
        cv2.putText(out, name, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2, cv2.LINE_AA)
        cv2.putText(out, name, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return out
