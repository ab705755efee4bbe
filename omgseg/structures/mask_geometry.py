"""Geometry of binary masks that data pipelines, metrics and tools share (numpy only).

scipy is imported on first use, so command-line tools that import this module start fast.
"""
from __future__ import annotations

import numpy as np


def interior_point(mask) -> tuple[int, int]:
    """The pixel of ``mask`` farthest from its boundary (the image border counts as boundary).

    Euclidean distance to the nearest background pixel, computed on the mask padded with one
    background pixel on every side; ties go to the first pixel in row-major order. This is
    where OMG-Seg's COCO-SAM evaluation prompts a segment, and where simulated clicks land.

    Args:
        mask: (H, W) bool (or 0/1) array with at least one foreground pixel.

    Returns:
        (x, y) integer pixel indices (column, row).
    """
    from scipy.ndimage import distance_transform_edt
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f'interior_point: mask must be a 2-D (H, W) mask, got shape {m.shape}.')
    m = m.astype(bool, copy=False)
    if not m.any():
        raise ValueError('interior_point: the mask is empty; there is no pixel to prompt.')
    dist = distance_transform_edt(np.pad(m, 1, constant_values=False))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)  # argmax: first maximum
    return int(x), int(y)
