"""Turn one clip's query predictions into panoptic, instance and semantic results.

All functions take predictions of a single clip with masks already at output resolution and
return per-frame results; an image is a clip of one frame. Segment ids and instance ranks are
shared by all frames of the clip (one query = one object through time).
"""
from __future__ import annotations

import torch


def panoptic_postprocess(cls_logits: torch.Tensor, mask_logits: torch.Tensor,
                         num_things: int, *, object_mask_thr: float = 0.0,
                         overlap_thr: float = 0.8, filter_low_score: bool = True
                         ) -> tuple[torch.Tensor, list[dict]]:
    """Mask2Former-style panoptic merging.

    Args:
        cls_logits: (Q, K+1) logits, last = void.
        mask_logits: (Q, T, H, W) logits at output resolution.
        num_things: labels below are things.
        object_mask_thr: keep queries whose best non-void class score exceeds this (0.0 = argmax
            is not void, the OMG-Seg setting).
        overlap_thr: drop a query whose visible area is below this fraction of its own mask.
        filter_low_score: a pixel only belongs to a query whose sigmoid there is >= 0.5.

    Returns:
        ids (T, H, W) int32 (0 = void) and ``segments_info``: dicts with ``id``,
        ``category_id`` (contiguous label), ``isthing``, ``score``, ``query``.
    """
    num_classes = cls_logits.shape[-1] - 1
    scores, labels = cls_logits.softmax(-1).max(-1)
    keep = (labels != num_classes) & (scores > object_mask_thr)
    t, h, w = mask_logits.shape[1:]
    ids = torch.zeros((t, h, w), dtype=torch.int32, device=mask_logits.device)
    segments: list[dict] = []
    if not keep.any():
        return ids, segments
    q_idx = keep.nonzero().squeeze(1)
    probs = mask_logits[q_idx].sigmoid()                              # (q, T, H, W)
    weighted = scores[q_idx].view(-1, 1, 1, 1) * probs
    owner = weighted.argmax(0)                                         # (T, H, W)
    stuff_ids: dict[int, int] = {}
    next_id = 1
    for k in range(len(q_idx)):
        label = int(labels[q_idx[k]])
        region = owner == k
        own_area = (probs[k] >= 0.5).sum()
        if filter_low_score:
            region = region & (probs[k] >= 0.5)
        area = region.sum()
        if area == 0 or own_area == 0 or (owner == k).sum() / own_area < overlap_thr:
            continue
        isthing = label < num_things
        if not isthing and label in stuff_ids:
            ids[region] = stuff_ids[label]  # stuff of one class is one segment
            continue
        ids[region] = next_id
        if not isthing:
            stuff_ids[label] = next_id
        segments.append(dict(id=next_id, category_id=label, isthing=bool(isthing),
                             score=float(scores[q_idx[k]]), query=int(q_idx[k])))
        next_id += 1
    return ids, segments


def instance_postprocess(cls_logits: torch.Tensor, mask_logits: torch.Tensor,
                         num_things: int, *, max_per_image: int = 100
                         ) -> dict[str, torch.Tensor]:
    """Top-scoring (query, thing class) pairs.

    Args:
        cls_logits: (Q, K+1); mask_logits: (Q, T, H, W).

    Returns:
        dict with ``scores`` (N,), ``labels`` (N,), ``masks`` (N, T, H, W) bool, ``queries``
        (N,). Score = class probability x mean mask probability inside the binary mask.
    """
    probs = cls_logits.softmax(-1)[:, :num_things]                    # (Q, K_th)
    k = min(max_per_image, probs.numel())
    top_scores, flat = probs.flatten().topk(k)
    queries = torch.div(flat, num_things, rounding_mode='floor')
    labels = flat % num_things
    masks = mask_logits[queries]
    binary = masks > 0
    mask_score = (masks.sigmoid() * binary).flatten(1).sum(1) / binary.flatten(1).sum(1).clamp(
        min=1)
    return dict(scores=top_scores * mask_score, labels=labels, masks=binary, queries=queries)


def semantic_postprocess(cls_logits: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """Per-pixel argmax of sum_q p(class | q) * sigmoid(mask_q).

    Args: cls_logits (Q, K+1); mask_logits (Q, T, H, W). Returns labels (T, H, W) long.
    """
    probs = cls_logits.softmax(-1)[:, :-1]
    return torch.einsum('qk,qthw->kthw', probs, mask_logits.sigmoid()).argmax(0)
