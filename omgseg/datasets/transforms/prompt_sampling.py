"""Prompts from ground-truth masks: OMG-Seg's COCO-SAM training and evaluation sampling.

Coordinates are pixel indices of the image the masks live on: a point (x, y) is column x,
row y. Training (the original's ``OVSAMDataPreprocessor`` with ``use_point_pseudo_box``): the
GT instances are repeated until there are at least ``max_prompts`` (20), truncated to
``max_prompts``, and each gets one uniformly random pixel inside its mask, used as a +-3 px
"point box" with the *box* kind (0), as the released checkpoints were trained. Evaluation:
every instance, prompted at its interior-most pixel (:func:`interior_point`), same box.
Prompt kinds and point boxes are :mod:`omgseg.structures.prompts`'s.

Only numpy, torch and scipy (lazily) are used; nothing from mmdet.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from omgseg.structures.cascaded_distance import original_interior_point
from omgseg.structures.mask_geometry import interior_point
from omgseg.structures.prompts import BOX, POINT, point_boxes

MODES = ('point_box', 'box', 'point')
POINT_RULES = {'exact': interior_point, 'original': original_interior_point}

__all__ = ['MODES', 'POINT_RULES', 'mask_boxes', 'original_interior_point', 'random_points',
           'sam_eval_prompts', 'sam_training_prompts']


def _as_masks(masks, name: str = 'masks') -> torch.Tensor:
    m = torch.as_tensor(np.asarray(masks) if not isinstance(masks, torch.Tensor) else masks)
    if m.dim() != 3:
        raise ValueError(f'{name} must be (N, H, W), got shape {tuple(m.shape)}.')
    return m.bool()


def random_points(masks, generator: torch.Generator | None = None) -> torch.Tensor:
    """One pixel drawn uniformly inside each mask.

    Args:
        masks: (N, H, W) bool tensor or array; every mask must be non-empty.
        generator: optional CPU ``torch.Generator`` for reproducible draws.

    Returns:
        (N, 2) long xy on the masks' device.
    """
    m = _as_masks(masks, 'random_points: masks')
    n, h, w = m.shape
    flat = m.reshape(n, h * w)
    counts = flat.sum(1)
    empty = (counts == 0).nonzero().flatten()
    if len(empty):
        raise ValueError(f'random_points: mask {int(empty[0])} is empty; drop empty instances '
                         f'before sampling prompts.')
    u = torch.rand(n, generator=generator, dtype=torch.float64).to(m.device)
    rank = (u * counts).long().clamp(max=counts - 1)           # 0-based rank among the pixels
    cum = flat.long().cumsum(1)                                 # (N, H*W)
    idx = torch.searchsorted(cum, (rank + 1)[:, None]).squeeze(1)  # first pixel with that rank
    return torch.stack([idx % w, idx // w], dim=1)


def mask_boxes(masks) -> torch.Tensor:
    """Tight boxes ``[x1, y1, x2 + 1, y2 + 1]`` (pixel edges, so one pixel is 1 x 1).

    Args: masks (N, H, W), each non-empty. Returns: (N, 4) float xyxy.
    """
    m = _as_masks(masks, 'mask_boxes: masks')
    if m.shape[0] == 0:
        return torch.zeros((0, 4), device=m.device)
    cols, rows = m.any(1), m.any(2)                              # (N, W), (N, H)
    empty = (~cols.any(1)).nonzero().flatten()
    if len(empty):
        raise ValueError(f'mask_boxes: mask {int(empty[0])} is empty; drop empty instances '
                         f'before sampling prompts.')
    xs = torch.arange(m.shape[2], device=m.device)
    ys = torch.arange(m.shape[1], device=m.device)
    x1 = torch.where(cols, xs, m.shape[2]).amin(1)
    x2 = torch.where(cols, xs, -1).amax(1) + 1
    y1 = torch.where(rows, ys, m.shape[1]).amin(1)
    y2 = torch.where(rows, ys, -1).amax(1) + 1
    return torch.stack([x1, y1, x2, y2], dim=1).float()


def _prompts(masks: torch.Tensor, points: torch.Tensor | None,
             mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    if mode == 'point_box':
        boxes, kind = point_boxes(points), BOX
    elif mode == 'point':
        boxes, kind = torch.cat([points, points], dim=1).float(), POINT
    elif mode == 'box':
        boxes, kind = mask_boxes(masks), BOX
    else:
        raise ValueError(f'prompt mode must be one of {MODES}, got {mode!r}.')
    kinds = torch.full((boxes.shape[0],), kind, dtype=torch.long, device=boxes.device)
    return boxes, kinds


def sam_training_prompts(masks, max_prompts: int = 20, generator: torch.Generator | None = None,
                         mode: str = 'point_box'
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training prompts for one image, the original's COCO-SAM recipe.

    Args:
        masks: (N, H, W) GT masks, each non-empty.
        max_prompts: prompts per image; instances repeat (0, 1, ..., N-1, 0, 1, ...) until
            there are at least this many, then the list is cut to exactly this many (so with
            N > max_prompts only the first ``max_prompts`` instances are used).
        generator: optional CPU generator for the random points.
        mode: ``'point_box'`` (+-3 px box at a random interior pixel, kind box: the released
            recipe), ``'point'`` (zero-size box at the pixel, kind point) or ``'box'`` (the
            mask's tight box, kind box).

    Returns:
        boxes (P, 4) float xyxy pixels, kinds (P,) long, targets (P,) long index into ``masks``;
        P = max_prompts, or 0 when N = 0 (the caller skips prompting such an image).
    """
    if mode not in MODES:
        raise ValueError(f'sam_training_prompts: mode must be one of {MODES}, got {mode!r}.')
    if max_prompts < 1:
        raise ValueError(f'sam_training_prompts: max_prompts must be >= 1, got {max_prompts}.')
    m = _as_masks(masks, 'sam_training_prompts: masks')
    n = m.shape[0]
    if n == 0:
        return (torch.zeros((0, 4), device=m.device),
                torch.zeros((0,), dtype=torch.long, device=m.device),
                torch.zeros((0,), dtype=torch.long, device=m.device))
    targets = torch.arange(n, device=m.device).repeat(math.ceil(max_prompts / n))[:max_prompts]
    chosen = m[targets]
    # every repeat of an instance gets its own random pixel
    points = random_points(chosen, generator) if mode != 'box' else None
    boxes, kinds = _prompts(chosen, points, mode)
    return boxes, kinds, targets


def sam_eval_prompts(masks, mode: str = 'point_box', point_rule: str = 'exact'
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Evaluation prompts: one per instance, at its interior-most pixel (or its tight box).

    Args:
        masks: (N, H, W) GT masks at the size of the network input (``img_shape``).
        mode: as in :func:`sam_training_prompts`; ``'point_box'`` is the COCO-SAM protocol.
        point_rule: how the interior-most pixel is found: ``'exact'`` (argmax of the Euclidean
            distance transform, :func:`interior_point`) or ``'original'`` (the original's
            kornia cascaded approximation, :func:`original_interior_point`: its prompts
            exactly, but slow on large masks).

    Returns:
        boxes (N, 4) float xyxy pixels and kinds (N,) long.
    """
    m = _as_masks(masks, 'sam_eval_prompts: masks')
    if mode not in MODES:
        raise ValueError(f'sam_eval_prompts: mode must be one of {MODES}, got {mode!r}.')
    if point_rule not in POINT_RULES:
        raise ValueError(f'sam_eval_prompts: point_rule must be one of {tuple(POINT_RULES)}, '
                         f'got {point_rule!r}.')
    points = None
    if mode != 'box':
        host = m.cpu().numpy()
        pts = []
        for i, mask in enumerate(host):
            if not mask.any():
                raise ValueError(f'sam_eval_prompts: mask {i} is empty; drop empty instances '
                                 f'before prompting.')
            pts.append(POINT_RULES[point_rule](mask))
        points = torch.tensor(pts, dtype=torch.long, device=m.device).reshape(-1, 2)
    return _prompts(m, points, mode)
