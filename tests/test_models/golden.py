"""Reference formulas in numpy (float64) for the golden-value tests, written from their
definitions, and a deterministic stand-in for random point sampling.

With ``align_corners=False`` (mmcv's ``point_sample``), the normalised point
``((j + 0.5) / w, (i + 0.5) / h)`` reads pixel (i, j) exactly, so a point-sampled loss or cost
over :func:`pixel_centres` equals the same quantity over the whole mask.
"""
from __future__ import annotations

import numpy as np
import torch


def sigmoid(x) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def softmax(x) -> np.ndarray:
    """Softmax over the last axis."""
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / e.sum(-1, keepdims=True)


def cross_entropy(logits, target: int) -> float:
    """Softmax cross-entropy of one row of logits."""
    z = np.asarray(logits, dtype=np.float64)
    return float(np.log(np.exp(z).sum()) - z[target])


def focal(x, t, alpha: float = 0.25, gamma: float = 2.0) -> float:
    """Sigmoid focal loss of one logit (RetinaNet's definition)."""
    p = float(sigmoid(x))
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    p_t = p * t + (1 - p) * (1 - t)
    alpha_t = alpha * t + (1 - alpha) * (1 - t)
    return alpha_t * (1 - p_t) ** gamma * bce


def mask_bce(logits, gt) -> float:
    """Mean binary cross-entropy over all pixels."""
    p = sigmoid(logits)
    return float(np.mean(-(gt * np.log(p) + (1 - gt) * np.log(1 - p))))


def mask_dice(logits, gt, eps: float = 1.0) -> float:
    """1 - (2 |p g| + eps) / (|p| + |g| + eps) over all pixels."""
    p = sigmoid(logits)
    return float(1 - (2 * (p * gt).sum() + eps) / (p.sum() + gt.sum() + eps))


def pixel_centres(h: int, w: int) -> torch.Tensor:
    """(h * w, 2) normalised (x, y) centres of an h x w grid, row-major."""
    ys, xs = torch.meshgrid((torch.arange(h) + 0.5) / h, (torch.arange(w) + 0.5) / w,
                            indexing='ij')
    return torch.stack([xs.flatten(), ys.flatten()], dim=-1)
