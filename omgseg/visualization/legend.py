"""A legend box in the image corner listing the classes present, with their colours."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from .draw import check_image, font_scale
from .palette import Color

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_MAX_SWATCHES = 4


@dataclass
class LegendEntry:
    """One legend row: a name and the colours it appears in (one per tracked object for
    things, one class colour for stuff).

    Args:
        name: row text, e.g. ``'person (3)'``.
        colors: swatch colours; at most four are drawn.
    """

    name: str
    colors: list[Color] = field(default_factory=list)


def class_entries(names: Sequence[str], colors: Sequence[Color]) -> list[LegendEntry]:
    """Rows for a sequence of (possibly repeated) class names, in first-seen order; a class
    seen several times gets its count and the colours of its first occurrences."""
    rows: dict[str, LegendEntry] = {}
    counts: dict[str, int] = {}
    for name, color in zip(names, colors):
        entry = rows.setdefault(name, LegendEntry(name))
        counts[name] = counts.get(name, 0) + 1
        if color not in entry.colors:
            entry.colors.append(color)
    return [LegendEntry(f'{n} ({counts[n]})' if counts[n] > 1 else n, e.colors)
            for n, e in rows.items()]


def draw_legend(image: np.ndarray, entries: Sequence[LegendEntry], *,
                corner: str = 'top-right', alpha: float = 0.7) -> np.ndarray:
    """Draw ``entries`` as rows of swatches and names on a translucent dark box.

    Rows that do not fit the image height are summarised as ``'+N more'``.

    Args:
        image: (H, W, 3) uint8 RGB.
        entries: legend rows, drawn top to bottom.
        corner: ``'top-right'`` or ``'top-left'``.
        alpha: opacity of the box.

    Returns:
        (H, W, 3) uint8 RGB, a new array (a copy when ``entries`` is empty).
    """
    image = check_image(image).copy()
    if corner not in ('top-right', 'top-left'):
        raise ValueError(f"corner must be 'top-right' or 'top-left', got {corner!r}.")
    if not entries:
        return image
    h, w = image.shape[:2]
    scale = font_scale(image.shape) * 0.9
    (_, th), base = cv2.getTextSize('Ag', _FONT, scale, 1)
    row_h, sw, pad = th + base + 4, th + 2, 4
    fit = max(1, (h - 2 * pad) // row_h)
    rows = list(entries)
    if len(rows) > fit:
        rows = rows[:fit - 1] + [LegendEntry(f'+{len(entries) - fit + 1} more')]
    swatch_w = [len(e.colors[:_MAX_SWATCHES]) * (sw + 2) for e in rows]
    text_w = [cv2.getTextSize(e.name, _FONT, scale, 1)[0][0] for e in rows]
    box_w = min(w, max(s + t for s, t in zip(swatch_w, text_w)) + 3 * pad)
    box_h = min(h, len(rows) * row_h + 2 * pad)
    x0 = w - box_w if corner == 'top-right' else 0
    region = image[:box_h, x0:x0 + box_w].astype(np.float32)
    image[:box_h, x0:x0 + box_w] = np.round(region * (1 - alpha) + 20 * alpha).astype(np.uint8)
    for i, (entry, s_w) in enumerate(zip(rows, swatch_w)):
        y = pad + i * row_h
        for k, color in enumerate(entry.colors[:_MAX_SWATCHES]):
            sx = x0 + pad + k * (sw + 2)
            cv2.rectangle(image, (sx, y + 2), (sx + sw - 1, y + 1 + sw),
                          tuple(int(c) for c in color), -1)
        cv2.putText(image, entry.name, (x0 + pad + s_w + pad, y + th + 2), _FONT, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return image


__all__ = ['LegendEntry', 'class_entries', 'draw_legend']
