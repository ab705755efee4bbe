"""Drawing primitives shared by every overlay: mask blending, contours and text labels.

Images are ``(H, W, 3)`` uint8 RGB numpy arrays; nothing here modifies its input.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .palette import Color

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def check_image(image: np.ndarray, name: str = 'image') -> np.ndarray:
    """``image`` as a contiguous ``(H, W, 3)`` uint8 array; raises ValueError otherwise."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'{name} must be an (H, W, 3) uint8 RGB array, got shape '
                         f'{image.shape} dtype {image.dtype}.')
    return np.ascontiguousarray(image)


def check_map(array: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray:
    """A 2-D map of the image's ``(H, W)`` size; raises ValueError naming ``name`` otherwise."""
    array = np.asarray(array)
    if array.shape != tuple(shape):
        raise ValueError(f'{name} has shape {array.shape} but the image is {tuple(shape)} '
                         f'(H, W); draw on the image the prediction was made at.')
    return array


def font_scale(shape: tuple[int, ...]) -> float:
    """Text size that stays legible from thumbnails to full-HD frames."""
    return float(np.clip(min(shape[:2]) / 700, 0.35, 1.2))


def label_anchor(mask: np.ndarray) -> tuple[int, int] | None:
    """``(x, y)`` of the mask pixel farthest from its border (inside even non-convex shapes).

    Args:
        mask: (H, W) bool.

    Returns:
        The point, or ``None`` for an empty mask.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = np.pad(mask[y0:y1, x0:x1], 1).astype(np.uint8)  # pad: the crop edge is a border
    dist = cv2.distanceTransform(crop, cv2.DIST_L2, 3)
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(x0 + x - 1), int(y0 + y - 1)


def put_label(image: np.ndarray, text: str, anchor: tuple[int, int], color: Color,
              scale: float) -> None:
    """Draw ``text`` centred on ``anchor`` over a dark box edged in ``color``, in place.

    The box is shifted to stay inside the image.
    """
    thickness = max(1, int(round(scale * 1.5)))
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thickness)
    h, w = image.shape[:2]
    pad = 2
    x = int(np.clip(anchor[0] - tw // 2, pad, max(pad, w - tw - pad)))
    y = int(np.clip(anchor[1] + th // 2, th + pad, max(th + pad, h - base - pad)))
    top_left, bottom_right = (x - pad, y - th - pad), (x + tw + pad, y + base + pad)
    cv2.rectangle(image, top_left, bottom_right, (20, 20, 20), -1)
    cv2.rectangle(image, top_left, bottom_right, color, 1)
    cv2.putText(image, text, (x, y), _FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA)


def draw_masks(image: np.ndarray, masks: Sequence[np.ndarray], colors: Sequence[Color],
               texts: Sequence[str | None] | None = None, *, alpha: float = 0.5,
               contours: bool = True) -> np.ndarray:
    """Blend masks over ``image``, outline them and label each at its interior point.

    Masks are painted in order, so a later mask covers an earlier one where they overlap.

    Args:
        image: (H, W, 3) uint8 RGB.
        masks: N (H, W) bool masks.
        colors: N RGB colours.
        texts: N labels (``None`` or '' draws no label); ``None`` for no labels at all.
        alpha: mask opacity in [0, 1].
        contours: draw each mask's outline in its colour.

    Returns:
        (H, W, 3) uint8 RGB, a new array.
    """
    image = check_image(image)
    if not 0 <= alpha <= 1:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}.')
    if len(colors) != len(masks) or (texts is not None and len(texts) != len(masks)):
        raise ValueError(f'draw_masks got {len(masks)} masks, {len(colors)} colours and '
                         f'{"no" if texts is None else len(texts)} texts; pass one per mask.')
    masks = [check_map(m, image.shape[:2], f'mask {i}').astype(bool)
             for i, m in enumerate(masks)]
    out = image.astype(np.float32)
    for mask, color in zip(masks, colors):
        out[mask] = out[mask] * (1 - alpha) + np.asarray(color, np.float32) * alpha
    out = np.ascontiguousarray(np.round(out).astype(np.uint8))
    if contours:
        for mask, color in zip(masks, colors):
            found, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                        cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(out, found, -1, tuple(int(c) for c in color), 1, cv2.LINE_8)
    if texts is not None:
        scale = font_scale(out.shape)
        for mask, color, text in zip(masks, colors, texts):
            anchor = label_anchor(mask) if text else None
            if anchor is not None:
                put_label(out, text, anchor, color, scale)
    return out


def class_name(label: int | None, class_names: Sequence[str] | None) -> str:
    """The display name of ``label``: its first synonym in ``class_names``, else the number."""
    if label is None:
        return '?'
    if class_names is not None and 0 <= int(label) < len(class_names):
        return str(class_names[int(label)]).split(',')[0]
    return str(int(label))


def caption(name: str, *, score: float | None = None, track_id: int | None = None) -> str:
    """``'person #3 0.91'``: class name, then track id and score where given."""
    text = name
    if track_id is not None:
        text += f' #{int(track_id)}'
    if score is not None:
        text += f' {float(score):.2f}'
    return text


__all__ = ['caption', 'check_image', 'check_map', 'class_name', 'draw_masks', 'font_scale',
           'label_anchor', 'put_label']
