"""The interior point the original OMG-Seg prompts COCO-SAM evaluation with.

The original picks the pixel of each ground-truth mask that maximises kornia's (0.7)
``distance_transform`` of the mask's complement, padded by one background pixel. That is not a
Euclidean distance transform: it is the cascaded-convolution approximation of Pham et al.
(2021, "DTLayer"), in which rings of pixels are reached one 3x3 step at a time, each ring gets
a soft-min distance ``-h log(sum_j exp(-d_j / h))`` to the rings already reached plus an offset
``(3 i) // 2`` for ring ``i`` (the offset grows by 1.5 per ring, kornia's rule). The deepest
ring wins and, inside it, the pixel with the largest soft-min term; ties go to the first pixel
in row-major order. On masks whose exact distance transform has a plateau or near-ties (most
real masks) this point differs from :func:`~omgseg.evaluation.functional.interior_point`, so
the prompts, hence the COCO-SAM mIoU, depend on which rule is used.

Computed with the same float32 operations as the original, so ties break the same way.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

H_SOFTMIN = 0.35      # kornia's default ``h``
KERNEL_SIZE = 3


def _kernel(dtype: torch.dtype, device) -> torch.Tensor:
    r = torch.arange(KERNEL_SIZE, dtype=dtype, device=device) - KERNEL_SIZE // 2
    dy, dx = torch.meshgrid(r, r, indexing='ij')
    return torch.exp(torch.hypot(dx, dy) / -H_SOFTMIN)[None, None]      # (1, 1, 3, 3)


def cascaded_distance_transform(sources: torch.Tensor) -> torch.Tensor:
    """kornia 0.7's approximate distance transform of a (H, W) image of sources.

    Args:
        sources: (H, W) bool or 0/1 tensor, True where the distance is 0 (the background).

    Returns:
        (H, W) float32: 0 on sources, the approximate distance elsewhere (0 for pixels no
        source can reach).
    """
    if sources.dim() != 2:
        raise ValueError(f'cascaded_distance_transform: sources must be (H, W), got '
                         f'{tuple(sources.shape)}.')
    boundary = sources.to(torch.float32)[None, None]
    kernel = _kernel(boundary.dtype, boundary.device)
    out = torch.zeros_like(boundary)
    ones = torch.ones_like(boundary)
    steps = math.ceil(max(sources.shape) / (KERNEL_SIZE // 2))
    for i in range(steps):
        near = F.conv2d(F.pad(boundary, [1, 1, 1, 1], mode='replicate'), kernel)
        # log(0) -> +inf distance for pixels no reached ring touches; those stay 0
        dist = torch.nan_to_num(-H_SOFTMIN * torch.log(near), posinf=0.0)
        ring = torch.where(dist > 0, 1.0, 0.0)
        if ring.sum() == 0:
            break
        out += (i * KERNEL_SIZE // 2 + dist) * ring
        boundary = torch.where(ring == 1, ones, boundary)
    return out[0, 0]


def original_interior_point(mask) -> tuple[int, int]:
    """The original's prompt point of a (H, W) mask: argmax of the cascaded distance transform
    of the mask's complement padded by one background pixel (first maximum in row-major order).

    Only the mask's bounding box (plus the one-pixel border) is transformed: pixels outside it
    are sources whatever the image size, so the values inside, and the argmax, are the same as
    on the whole image.

    Args:
        mask: (H, W) bool array or tensor with at least one foreground pixel.

    Returns:
        (x, y) integer pixel indices (column, row).
    """
    m = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask)
    if m.dim() != 2:
        raise ValueError(f'original_interior_point: mask must be (H, W), got {tuple(m.shape)}.')
    m = m.bool().cpu()
    rows, cols = m.any(1).nonzero().squeeze(1), m.any(0).nonzero().squeeze(1)
    if len(rows) == 0:
        raise ValueError('original_interior_point: the mask is empty; there is no pixel to '
                         'prompt.')
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    crop = F.pad(m[y0:y1, x0:x1], [1, 1, 1, 1], value=False)
    dist = cascaded_distance_transform(~crop)[1:-1, 1:-1]
    y, x = divmod(int(dist.flatten().argmax()), dist.shape[1])
    return x0 + x, y0 + y


__all__ = ['cascaded_distance_transform', 'original_interior_point']
