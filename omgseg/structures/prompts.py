"""Interactive prompts as the data pipeline, the model, the API and tools exchange them.

A prompt is an xyxy box in pixels of the network input plus a *kind*: :data:`BOX` or
:data:`POINT` (the rows of ``PromptEncoder.pb_embedding``). A point is either a zero-size box
of kind ``POINT`` or, as OMG-Seg trains and evaluates, a +-3 px box around it of kind ``BOX``
(:func:`point_boxes`).
"""
from __future__ import annotations

import numpy as np
import torch

BOX, POINT = 0, 1          # prompt kinds, rows of PromptEncoder.pb_embedding
POINT_BOX_RADIUS = 3       # the original's half-size of a point box, in pixels


def point_boxes(points, radius: float = POINT_BOX_RADIUS):
    """Boxes ``[x - r, y - r, x + r, y + r]`` around points.

    Args:
        points: (..., 2) xy, a torch tensor or numpy array.
        radius: half the box side in pixels (the original uses 3).

    Returns:
        (..., 4) xyxy of the same library, floating point.
    """
    if points.shape[-1] != 2:
        raise ValueError(f'point_boxes: points must have a last dimension of 2 (x, y), got '
                         f'shape {tuple(points.shape)}.')
    if isinstance(points, torch.Tensor):
        p = points.float() if not points.is_floating_point() else points
        return torch.cat([p - radius, p + radius], dim=-1)
    p = np.asarray(points, dtype=np.float64)
    return np.concatenate([p - radius, p + radius], axis=-1)
