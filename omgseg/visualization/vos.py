"""Video object segmentation overlay: an (H, W) object-id map."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .draw import check_image, check_map, draw_masks
from .legend import LegendEntry, draw_legend
from .palette import track_color


def draw_vos(image: np.ndarray, object_ids: np.ndarray, *,
             object_names: Mapping[int, str] | None = None, background: int = 0,
             ignore_index: int | None = 255, alpha: float = 0.5, show_legend: bool = True,
             contours: bool = True) -> np.ndarray:
    """Colour each object by its id, so it keeps its colour in every frame.

    Args:
        image: (H, W, 3) uint8 RGB.
        object_ids: (H, W) int object ids.
        object_names: id -> label text (default ``'obj <id>'``).
        background: the id left uncoloured.
        ignore_index: a void id also left uncoloured (``None``: none).
        alpha: mask opacity.
        show_legend: list the objects present.
        contours: outline each object.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    image = check_image(image)
    object_ids = check_map(object_ids, image.shape[:2], 'VOS object-id map')
    ids = [int(i) for i in np.unique(object_ids) if i != background and i != ignore_index]
    names = [(object_names or {}).get(i, f'obj {i}') for i in ids]
    colors = [track_color(i) for i in ids]
    out = draw_masks(image, [object_ids == i for i in ids], colors, names, alpha=alpha,
                     contours=contours)
    if show_legend:
        out = draw_legend(out, [LegendEntry(n, [c]) for n, c in zip(names, colors)])
    return out


__all__ = ['draw_vos']
