"""Semi-supervised video object segmentation from class-agnostic tube proposals.

The model is not prompted with the first-frame masks: its linked query tubes are proposals; the
``num_proposals`` most object-like (video-averaged objectness) are matched one-to-one to the
first-frame objects by mask IoU (Hungarian), and each object then follows its tube through the
video (OMG-Seg's DAVIS protocol).
"""
from __future__ import annotations

import torch
from scipy.optimize import linear_sum_assignment


def select_proposals(obj_logits: torch.Tensor, num_proposals: int = 25) -> torch.Tensor:
    """(Q,) objectness logits -> indices of the top ``num_proposals`` queries, best first."""
    k = min(num_proposals, obj_logits.numel())
    return obj_logits.float().topk(k).indices


def match_objects(proposals: torch.Tensor, objects: torch.Tensor) -> torch.Tensor:
    """Assign each first-frame object one proposal, maximising the total mask IoU.

    Args:
        proposals: (k, H, W) bool first-frame masks of the proposals.
        objects: (N, H, W) bool first-frame ground-truth object masks.

    Returns:
        (N,) long index into ``proposals`` per object (an object may get a proposal of IoU 0,
        as in the original protocol).

    Raises:
        ValueError: more objects than proposals, or masks of different sizes.
    """
    if proposals.shape[-2:] != objects.shape[-2:]:
        raise ValueError(f'proposal masks {tuple(proposals.shape[-2:])} and first-frame object '
                         f'masks {tuple(objects.shape[-2:])} differ in size.')
    if len(objects) > len(proposals):
        raise ValueError(f'{len(objects)} first-frame objects but only {len(proposals)} '
                         f'proposals; raise test_cfg.vos.num_proposals.')
    p = proposals.flatten(1).float()
    o = objects.flatten(1).float()
    inter = o @ p.T                                                        # (N, k)
    union = o.sum(1, keepdim=True) + p.sum(1)[None] - inter
    iou = torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(inter))
    rows, cols = linear_sum_assignment(-iou.cpu().numpy())
    assignment = torch.empty(len(objects), dtype=torch.long)
    assignment[torch.as_tensor(rows)] = torch.as_tensor(cols, dtype=torch.long)
    return assignment


def paint_objects(masks: torch.Tensor, assignment: torch.Tensor,
                  object_ids: torch.Tensor) -> torch.Tensor:
    """One frame's object-id map.

    Args:
        masks: (k, H, W) bool proposal masks of this frame, best proposal first.
        assignment: (N,) proposal per object (from :func:`match_objects`).
        object_ids: (N,) ids to write (DAVIS object indices, 1..N).

    Returns:
        (H, W) int64, 0 = background; where assigned proposals overlap, the better-ranked
        proposal wins (it is painted last).
    """
    out = torch.zeros(masks.shape[-2:], dtype=torch.long, device=masks.device)
    for n in sorted(range(len(assignment)), key=lambda i: -int(assignment[i])):
        out[masks[assignment[n]]] = int(object_ids[n])
    return out
