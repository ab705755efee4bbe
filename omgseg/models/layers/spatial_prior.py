"""A Gaussian spatial prior on the decoder's cross-attention, around a point per query."""
from __future__ import annotations

import math

import torch
from torch import nn


def grid_points(n: int) -> torch.Tensor:
    """``n`` points (x, y) in (0, 1) on a near-square grid of cell centres, row by row: (n, 2).
    ``rows = round(sqrt(n))`` rows of ``ceil(n / rows)`` columns; a last row that is not full
    is centred."""
    rows = max(1, round(math.sqrt(n)))
    cols = math.ceil(n / rows)
    pts = []
    for r in range(rows):
        in_row = min(cols, n - r * cols)
        if in_row <= 0:
            break
        offset = (cols - in_row) / 2
        pts += [((offset + c + 0.5) / cols, (r + 0.5) / rows) for c in range(in_row)]
    return torch.tensor(pts, dtype=torch.float32)


def cell_centres(n: int, *, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Centres of ``n`` cells along a side, normalised to it: (n,) ``(i + 0.5) / n``."""
    return (torch.arange(n, device=device, dtype=dtype) + 0.5) / n


def reset_grid_anchors(anchors: nn.Embedding) -> None:
    """Learned reference points ``(Q, 2)``, stored as logits, put on a grid over the canvas."""
    with torch.no_grad():
        anchors.weight.copy_(torch.logit(grid_points(anchors.num_embeddings)))


def anchor_points(anchors: nn.Embedding, batch: int) -> torch.Tensor:
    """Learned reference points stored as logits: (B, Q, 2) (x, y) in (0, 1)."""
    return anchors.weight.sigmoid()[None].expand(batch, -1, -1)


class SpatialAttentionPrior(nn.Module):
    """Adds ``-d^2 / (2 sigma^2)`` to every cross-attention logit of a query, ``d`` the
    distance between the key's cell centre and the query's reference point, in coordinates
    normalised to the padded canvas (x / W, y / H). SMCA's remedy for DETR's slow start:
    a query attends around its point from the first step instead of learning where to look.

    Reference points are, for prompts, the prompt itself (point, or box centre), given by the
    caller, and, for the learned object queries when ``anchors`` is set, learned anchors
    (``(Q, 2)``, stored as logits, initialised on a grid over the canvas). The prior is soft:
    content can still outweigh it at any distance.

    Args:
        num_queries: learned object queries (Q).
        sigma: width of the Gaussian, as a fraction of the canvas side.
        anchors: give the learned object queries anchors and the prior; ``False`` leaves them
            without (only prompts get it). Hungarian matching pairs a query with whichever
            object it fits best, wherever its anchor is, and on the toy job fixed-grid anchors
            cost object queries more than they gave (docs/results.md).
    """

    def __init__(self, *, num_queries: int, sigma: float = 0.15, anchors: bool = True) -> None:
        super().__init__()
        if not sigma > 0:
            raise ValueError(f'panoptic_head.spatial_prior.sigma must be > 0, got {sigma!r}.')
        self.sigma = float(sigma)
        self.anchors = nn.Embedding(num_queries, 2) if anchors else None
        self.init_weights()

    def init_weights(self) -> None:
        """Anchors on a grid over the canvas (logits of the grid points)."""
        if self.anchors is not None:
            reset_grid_anchors(self.anchors)

    def anchor_points(self, batch: int) -> torch.Tensor | None:
        """Reference points of the object queries: (B, Q, 2) (x, y) in (0, 1), or ``None``
        without anchors."""
        if self.anchors is None:
            return None
        return anchor_points(self.anchors, batch)

    def bias(self, ref: torch.Tensor, size: tuple[int, int], frames: int,
             num_heads: int) -> torch.Tensor:
        """The prior's logits for one memory level.

        Args:
            ref: (B, Q, 2) reference points (x, y), normalised.
            size: (h, w) of the level; keys are its cells, frame by frame.
            frames: T (the keys of a clip are its T frames' cells, in that order).
            num_heads: nH; every head gets the same prior.

        Returns:
            (B * nH, Q, T * h * w) float in ``ref``'s dtype.
        """
        h, w = size
        ys = cell_centres(h, device=ref.device, dtype=ref.dtype)
        xs = cell_centres(w, device=ref.device, dtype=ref.dtype)
        dx2 = (xs[None, None, :] - ref[..., :1]) ** 2                    # (B, Q, w)
        dy2 = (ys[None, None, :] - ref[..., 1:]) ** 2                    # (B, Q, h)
        logits = -(dy2[..., :, None] + dx2[..., None, :]) / (2 * self.sigma ** 2)
        b, q = ref.shape[:2]
        logits = logits.reshape(b, 1, q, 1, h * w).expand(b, num_heads, q, frames, h * w)
        return logits.reshape(b * num_heads, q, frames * h * w)

    @staticmethod
    def with_mask(bias: torch.Tensor, attn_mask: torch.Tensor | None,
                  dtype: torch.dtype) -> torch.Tensor:
        """``bias`` with the boolean mask's True (not attended) entries at -inf, in ``dtype``
        (the attention's float mask)."""
        out = bias.to(dtype)
        return out if attn_mask is None else out.masked_fill(attn_mask, float('-inf'))
