"""Semantic overlay: an (H, W) class map."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .draw import check_image, check_map, class_name, draw_masks
from .legend import LegendEntry, draw_legend
from .palette import class_color


def draw_semantic(image: np.ndarray, sem_seg: np.ndarray,
                  class_names: Sequence[str] | None = None, *, ignore_index: int = 255,
                  alpha: float = 0.5, show_legend: bool = True,
                  contours: bool = True) -> np.ndarray:
    """Colour every class region by its class, label it once and list the classes.

    Args:
        image: (H, W, 3) uint8 RGB.
        sem_seg: (H, W) int class indices; ``ignore_index`` (and negatives) stay uncoloured.
        class_names: label -> name.
        ignore_index: the void value.
        alpha: mask opacity.
        show_legend: list the classes present, largest area first.
        contours: outline each class region.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    image = check_image(image)
    sem_seg = check_map(sem_seg, image.shape[:2], 'semantic map').astype(np.int64)
    labels, areas = np.unique(sem_seg[(sem_seg != ignore_index) & (sem_seg >= 0)],
                              return_counts=True)
    labels = labels[np.argsort(-areas, kind='stable')].tolist()
    masks = [sem_seg == label for label in labels]
    colors = [class_color(label) for label in labels]
    names = [class_name(label, class_names) for label in labels]
    out = draw_masks(image, masks, colors, names, alpha=alpha, contours=contours)
    if show_legend:
        out = draw_legend(out, [LegendEntry(n, [c]) for n, c in zip(names, colors)])
    return out


__all__ = ['draw_semantic']
