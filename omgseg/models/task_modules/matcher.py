"""Hungarian matching of query predictions to ground-truth tubes on sampled points."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmcv.ops import point_sample
from scipy.optimize import linear_sum_assignment

from omgseg.models.layers.precision import at_least_fp32, full_precision
from omgseg.registry import TASK_UTILS


def class_probabilities(cls_logits: torch.Tensor, obj_logits: torch.Tensor) -> torch.Tensor:
    """(Q, K+1) class logits and (Q,) objectness -> (Q, K+2) probabilities whose last column is
    the objectness probability, so that a class-agnostic label (-1) reads objectness."""
    return torch.cat([cls_logits.softmax(-1), obj_logits.sigmoid()[:, None]], dim=-1)


def pairwise_bce(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Mean BCE of every prediction against every target: (Q, P), (N, P) -> (Q, N)."""
    pos = F.binary_cross_entropy_with_logits(pred, torch.ones_like(pred), reduction='none')
    neg = F.binary_cross_entropy_with_logits(pred, torch.zeros_like(pred), reduction='none')
    return (pos @ gt.T + neg @ (1 - gt).T) / pred.shape[1]


def pairwise_dice(pred: torch.Tensor, gt: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Dice cost 1 - (2|p g| + eps) / (|p| + |g| + eps): (Q, P), (N, P) -> (Q, N)."""
    prob = pred.sigmoid()
    inter = prob @ gt.T
    return 1 - (2 * inter + eps) / (prob.sum(-1)[:, None] + gt.sum(-1)[None] + eps)


@TASK_UTILS.register_module()
class HungarianMatcher:
    """One-to-one assignment minimising cls * w_cls + bce * w_mask + dice * w_dice.

    Masks are compared on ``num_points`` uniform random points of the clip volume (the T frames
    stacked along height), shared by all predictions and targets of a clip.

    Args:
        cls_weight / mask_weight / dice_weight: cost weights (2, 5, 5 in OMG-Seg).
        num_points: sampled points (12544 = 112 * 112).
    """

    def __init__(self, *, cls_weight: float = 2.0, mask_weight: float = 5.0,
                 dice_weight: float = 5.0, num_points: int = 12544) -> None:
        self.cls_weight = cls_weight
        self.mask_weight = mask_weight
        self.dice_weight = dice_weight
        self.num_points = num_points

    @torch.no_grad()
    def __call__(self, cls_logits: torch.Tensor, obj_logits: torch.Tensor,
                 mask_logits: torch.Tensor, gt_labels: torch.Tensor,
                 gt_masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Match one clip.

        Args:
            cls_logits: (Q, K+1); obj_logits: (Q,); mask_logits: (Q, T, h, w).
            gt_labels: (N,) in [0, K) or -1 (class-agnostic); gt_masks: (N, T, H, W) bool, or
                already in the logits' dtype (the criterion converts them once per step).

        Returns:
            (query_idx, gt_idx) long tensors of equal length min(Q, N).
        """
        device = cls_logits.device
        if gt_labels.numel() == 0:
            empty = torch.empty(0, dtype=torch.long, device=device)
            return empty, empty
        # Costs in float32 even under bf16 / fp16 autocast: softmax probabilities and mean BCE
        # over 12544 points lose the small differences the assignment is decided on.
        with full_precision(device):
            cost = self._cost(at_least_fp32(cls_logits), at_least_fp32(obj_logits),
                              at_least_fp32(mask_logits), gt_labels, gt_masks)
        rows, cols = linear_sum_assignment(cost.float().cpu().numpy())
        return (torch.as_tensor(rows, dtype=torch.long, device=device),
                torch.as_tensor(cols, dtype=torch.long, device=device))

    def _cost(self, cls_logits: torch.Tensor, obj_logits: torch.Tensor,
              mask_logits: torch.Tensor, gt_labels: torch.Tensor,
              gt_masks: torch.Tensor) -> torch.Tensor:
        """The (Q, N) matching cost of one clip (arguments as :meth:`__call__`)."""
        device = cls_logits.device
        probs = class_probabilities(cls_logits, obj_logits)
        cost_cls = -probs[:, gt_labels]  # label -1 indexes the objectness column
        q, t, h, w = mask_logits.shape
        n = gt_masks.shape[0]
        points = torch.rand((1, self.num_points, 2), device=device)
        # One single-channel map per mask (as mmdet does): grid_sample then reads one small
        # plane at a time instead of gathering from every plane for each point (a (1, Q, ...)
        # layout is ~1.7x slower on CPU); the sampled values are the same.
        pred = point_sample(mask_logits.reshape(q, 1, t * h, w),
                            points.expand(q, -1, -1)).view(q, -1)
        gt = point_sample(gt_masks.reshape(n, 1, -1, gt_masks.shape[-1]).to(pred.dtype),
                          points.expand(n, -1, -1)).view(n, -1)
        return (self.cls_weight * cost_cls + self.mask_weight * pairwise_bce(pred, gt)
                + self.dice_weight * pairwise_dice(pred, gt))
