"""OMG-Seg's training objective with deep supervision over every prediction set."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmcv.ops import point_sample
from mmdet.utils import reduce_mean
from torchvision.ops import sigmoid_focal_loss

from omgseg.models.layers.precision import at_least_fp32, full_precision
from omgseg.registry import MODELS, TASK_UTILS

from .uncertain_points import uncertain_point_coords


@MODELS.register_module()
class OMGCriterion(torch.nn.Module):
    """Hungarian-matched set loss: class CE, objectness focal, mask BCE and dice.

    Per prediction set: ``loss_cls`` = CE over K+1 classes (no-object weight 0.1) x 2,
    ``loss_obj`` = sigmoid focal loss on objectness (matched = foreground) x 2 (the original
    adds it into ``loss_cls``; the sum is the same), ``loss_mask`` = BCE x 5 and ``loss_dice``
    = dice x 5 on importance-sampled points of matched masks. Sets before the last are
    prefixed ``d0.``, ``d1.``, ... Class-agnostic targets (label -1) get no class loss.

    Args:
        num_classes: K.
        matcher: :class:`HungarianMatcher` config.
        cls_weight, obj_weight, mask_weight, dice_weight: loss weights.
        no_object_weight: CE weight of the void class.
        num_points, oversample_ratio, importance_sample_ratio: point sampling of mask losses.
    """

    def __init__(self, *, num_classes: int, matcher: dict | None = None,
                 cls_weight: float = 2.0, obj_weight: float = 2.0, mask_weight: float = 5.0,
                 dice_weight: float = 5.0, no_object_weight: float = 0.1,
                 num_points: int = 12544, oversample_ratio: float = 3.0,
                 importance_sample_ratio: float = 0.75) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.matcher = TASK_UTILS.build(matcher or dict(type='HungarianMatcher'))
        self.cls_weight, self.obj_weight = cls_weight, obj_weight
        self.mask_weight, self.dice_weight = mask_weight, dice_weight
        self.num_points = num_points
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio
        class_weight = torch.ones(num_classes + 1)
        class_weight[-1] = no_object_weight
        self.register_buffer('class_weight', class_weight, persistent=False)

    def forward(self, preds: list[dict[str, torch.Tensor]],
                targets: list[tuple[torch.Tensor, torch.Tensor]],
                matched: list[tuple[torch.Tensor, torch.Tensor]] | None = None
                ) -> dict[str, torch.Tensor]:
        """Args:
            preds: prediction sets from the head (``cls`` (B,Q,K+1), ``obj`` (B,Q), ``mask``
                (B,Q,T,h,w)).
            targets: per clip (labels (N,), masks (N,T,H,W) bool).
            matched: fixed (query_idx, gt_idx) per clip (prompted queries), else Hungarian.
        """
        losses = {}
        last = len(preds) - 1
        # Masks in the losses' dtype once for all prediction sets (matching and mask losses
        # sample them on every set), not once per set and use.
        dtype = at_least_fp32(preds[0]['mask']).dtype
        targets = [(labels, masks.to(dtype)) for labels, masks in targets]
        # Losses in float32 under bf16 / fp16 autocast: softmax CE over hundreds of classes,
        # focal weights and dice sums over 12544 points lose too much in 8 mantissa bits.
        with full_precision(preds[0]['mask'].device):
            for i, pred in enumerate(preds):
                prefix = '' if i == last else f'd{i}.'
                for k, v in self._single(pred, targets, matched).items():
                    losses[prefix + k] = v
        return losses

    def _single(self, pred: dict[str, torch.Tensor], targets, matched) -> dict:
        # class and objectness logits are small (B, Q, ...): cast whole; masks are cast only
        # once matched (below), not all Q full-resolution maps of every set
        cls, obj, mask = at_least_fp32(pred['cls']), at_least_fp32(pred['obj']), pred['mask']
        b, q = cls.shape[:2]
        cls_target = cls.new_full((b, q), self.num_classes, dtype=torch.long)
        cls_valid = torch.ones((b, q), dtype=torch.bool, device=cls.device)
        obj_target = torch.zeros_like(obj)
        pred_masks, gt_masks = [], []
        for j, (labels, masks) in enumerate(targets):
            if matched is None:
                qi, gi = self.matcher(cls[j], obj[j], mask[j], labels, masks)
            else:
                qi, gi = matched[j]
            cls_target[j, qi] = labels[gi]
            cls_valid[j, qi] = labels[gi] >= 0
            obj_target[j, qi] = 1.0
            pred_masks.append(mask[j, qi])
            gt_masks.append(masks[gi])
        cls_target = cls_target.clamp(min=0)
        weights = self.class_weight[cls_target] * cls_valid
        cls_avg = reduce_mean(weights.sum()).clamp(min=1.0)
        loss_cls = (F.cross_entropy(cls.flatten(0, 1), cls_target.flatten(), reduction='none')
                    * weights.flatten()).sum() / cls_avg
        loss_obj = sigmoid_focal_loss(obj, obj_target, alpha=0.25, gamma=2.0,
                                      reduction='sum') / cls_avg
        pm = at_least_fp32(torch.cat(pred_masks))  # (M, T, h, w)
        gm = torch.cat(gt_masks)    # (M, T, H, W)
        num_masks = reduce_mean(cls.new_tensor(float(pm.shape[0]))).clamp(min=1.0)
        if pm.shape[0] == 0:
            # keep every mask parameter in the graph so DDP sees gradients everywhere (one
            # element reaches them all; a fp16 sum of every logit could overflow to inf * 0)
            zero = at_least_fp32(mask.flatten()[:1]).sum() * 0.0
            loss_mask, loss_dice = zero, zero
        else:
            loss_mask, loss_dice = self._mask_losses(pm, gm, num_masks)
        return dict(loss_cls=loss_cls * self.cls_weight, loss_obj=loss_obj * self.obj_weight,
                    loss_mask=loss_mask * self.mask_weight,
                    loss_dice=loss_dice * self.dice_weight)

    def _mask_losses(self, pred: torch.Tensor, gt: torch.Tensor,
                     num_masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """BCE and dice on points picked where the prediction is uncertain.

        Args: pred (M, T, h, w) logits; gt (M, T, H, W) 0/1 in pred's dtype (or bool); frames
            stacked along height.
        """
        m, t, h, w = pred.shape
        film = pred.reshape(m, 1, t * h, w)
        gt_film = gt.reshape(m, 1, -1, gt.shape[-1]).to(pred.dtype)
        with torch.no_grad():
            points = uncertain_point_coords(film, self.num_points, self.oversample_ratio,
                                            self.importance_sample_ratio)
            gt_points = point_sample(gt_film, points).squeeze(1)   # (M, P)
        pred_points = point_sample(film, points).squeeze(1)       # (M, P)
        loss_mask = F.binary_cross_entropy_with_logits(
            pred_points, gt_points, reduction='none').mean(1).sum() / num_masks
        prob = pred_points.sigmoid()
        dice = 1 - (2 * (prob * gt_points).sum(1) + 1) / (prob.sum(1) + gt_points.sum(1) + 1)
        return loss_mask, dice.sum() / num_masks
