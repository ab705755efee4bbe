"""A Gaussian window on each query's mask logits, around a centre the query predicts."""
from __future__ import annotations

import math

import torch
from torch import nn

from .spatial_prior import anchor_points, cell_centres, reset_grid_anchors

# bounds of the predicted log-scale change: a window between e^-4 and e^3 times the initial
# width (at sigma=0.5: 0.009 to 10 of the side), so no query can shrink to nothing or overflow
_LOG_SCALE_RANGE = (-4.0, 3.0)


class MaskWindow(nn.Module):
    """Adds ``-((x - c_x)^2 / s_x^2 + (y - c_y)^2 / s_y^2) / 2`` to every mask logit of a query.

    A mask is a dot product of the query with the pixel features. Where two objects of one
    class look alike, their pixels' features differ only by the little position they carry, so
    one query's mask tends to cover both (docs/results.md measured this as what costs the toy
    job its thing PQ). The window gives each query an explicit place: in every prediction set
    the query predicts, from its own state, where its object is and how far it reaches,
    relative to a reference point, and pixels far from there are pushed towards background.
    Since the masked attention of the next layer follows the mask, the query's attention
    follows the window too. Stuff and large objects keep their reach by predicting a wide
    window (up to ``e^3`` times the initial width), so the window is a choice, not a limit.

    Coordinates are normalised to the padded canvas (x / W, y / H), pixel centres. The centre
    of frame ``t`` of a ``T``-frame clip is ``c + v * (t - (T - 1) / 2)``: one velocity per
    query, so a moving object's window moves with it over a clip of any length.

    Reference points are, for the learned object queries, learned anchors (stored as logits,
    initialised on a grid over the canvas); for prompts, the prompt's point or box centre,
    given by the caller. The predicted offset is added to the reference's logit, so a query
    can move its window anywhere. The offset, scale and velocity head starts at zero: training
    starts from a window of width ``sigma`` around the reference, e^-2 at the far side of the
    canvas for 0.5, mild against trained mask logits.

    Args:
        feat_channels: decoder width C.
        num_queries: learned object queries Q.
        sigma: initial width of the window, as a fraction of the canvas side.
    """

    def __init__(self, *, feat_channels: int, num_queries: int, sigma: float = 0.5) -> None:
        super().__init__()
        if not sigma > 0:
            raise ValueError(f'panoptic_head.mask_window.sigma must be > 0, got {sigma!r}.')
        self.log_sigma = math.log(sigma)
        self.anchors = nn.Embedding(num_queries, 2)
        # per query: centre offset (2, logit space), log-scale change (2), velocity (2)
        self.head = nn.Linear(feat_channels, 6)
        self.init_weights()

    def init_weights(self) -> None:
        """Anchors on a grid over the canvas; the head at zero (windows start at the
        reference, ``sigma`` wide, still)."""
        reset_grid_anchors(self.anchors)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def anchor_points(self, batch: int) -> torch.Tensor:
        """Reference points of the object queries: (B, Q, 2) (x, y) in (0, 1)."""
        return anchor_points(self.anchors, batch)

    def forward(self, out: torch.Tensor, ref: torch.Tensor, size: tuple[int, int],
                frames: int) -> torch.Tensor:
        """The window's logits for one prediction set.

        Args:
            out: (B, Q, C) normed decoder state of the queries.
            ref: (B, Q, 2) reference points (x, y) in (0, 1).
            size: (H, W) of the mask logits.
            frames: T.

        Returns:
            (B, Q, T, H, W) logits (<= 0) in ``out``'s dtype, to add to the mask logits.
        """
        pred = self.head(out.to(self.head.weight.dtype)).float()
        ref = ref.float().clamp(1e-4, 1 - 1e-4)
        centre = (torch.logit(ref) + pred[..., :2]).sigmoid()                  # (B, Q, 2)
        inv_sigma = torch.exp(-self.log_sigma - pred[..., 2:4].clamp(*_LOG_SCALE_RANGE))
        t = torch.arange(frames, device=out.device, dtype=torch.float32) - (frames - 1) / 2
        centre_t = centre[:, :, None] + pred[:, :, None, 4:] * t[:, None]      # (B, Q, T, 2)
        h, w = size
        ys = cell_centres(h, device=out.device, dtype=torch.float32)
        xs = cell_centres(w, device=out.device, dtype=torch.float32)
        dx = (xs - centre_t[..., :1]) * inv_sigma[:, :, None, :1]              # (B, Q, T, W)
        dy = (ys - centre_t[..., 1:]) * inv_sigma[:, :, None, 1:]              # (B, Q, T, H)
        window = -0.5 * (dy[..., :, None] ** 2 + dx[..., None, :] ** 2)
        return window.to(out.dtype)
