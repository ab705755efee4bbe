"""Post-processing rules of one frame, given the video-level class logits of the queries.

Selection (which queries become panoptic segments or instance results) is decided once per
video from the clip-averaged class logits; the per-frame functions then turn the selected
queries' mask probabilities into outputs. Segment ids are stable through a video (one query =
one object): thing segment ``id = query + 1``, stuff ``id = num_queries + 1 + label`` (stuff of
one class is one segment, as in COCO panoptic). An image is a video of one frame.
"""
from __future__ import annotations

import torch


def select_panoptic(cls_logits: torch.Tensor, object_mask_thr: float = 0.0
                    ) -> dict[str, torch.Tensor]:
    """Queries whose best class is not void and scores above ``object_mask_thr``.

    Args:
        cls_logits: (Q, K+1) logits, last = void.

    Returns:
        dict with ``queries`` (q,), ``scores`` (q,), ``labels`` (q,).
    """
    num_classes = cls_logits.shape[-1] - 1
    scores, labels = cls_logits.softmax(-1).max(-1)
    keep = (labels != num_classes) & (scores > object_mask_thr)
    queries = keep.nonzero().squeeze(1)
    return dict(queries=queries, scores=scores[queries], labels=labels[queries])


def panoptic_frame(probs: torch.Tensor, selected: dict[str, torch.Tensor], num_things: int,
                   num_queries: int, *, overlap_thr: float = 0.8,
                   filter_low_score: bool = True) -> tuple[torch.Tensor, list[dict]]:
    """Mask2Former-style merging of one frame.

    Args:
        probs: (q, H, W) mask probabilities of the selected queries (in ``selected`` order).
        selected: output of :func:`select_panoptic`.
        num_things: labels below are things.
        num_queries: Q, to place stuff ids after every thing id.
        overlap_thr: drop a query whose visible area is below this fraction of its own mask.
        filter_low_score: a pixel only belongs to a query whose probability there is >= 0.5.

    Returns:
        ids (H, W) int32 (0 = void) and ``segments_info`` of the segments present: dicts with
        ``id``, ``category_id`` (contiguous label), ``isthing``, ``score``, ``query``.
    """
    ids = torch.zeros(probs.shape[-2:], dtype=torch.int32, device=probs.device)
    segments: dict[int, dict] = {}
    if len(probs) == 0:
        return ids, []
    owner = (selected['scores'].view(-1, 1, 1) * probs).argmax(0)        # (H, W)
    for k in range(len(probs)):
        query, label = int(selected['queries'][k]), int(selected['labels'][k])
        mine = owner == k
        own = probs[k] >= 0.5
        own_area = own.sum()
        region = mine & own if filter_low_score else mine
        if own_area == 0 or not region.any() or mine.sum() / own_area < overlap_thr:
            continue
        isthing = label < num_things
        seg_id = query + 1 if isthing else num_queries + 1 + label
        ids[region] = seg_id
        if seg_id not in segments:
            segments[seg_id] = dict(id=seg_id, category_id=label, isthing=bool(isthing),
                                    score=float(selected['scores'][k]), query=query)
    present = set(torch.unique(ids).tolist())
    return ids, [s for i, s in segments.items() if i in present]


def select_instances(cls_logits: torch.Tensor, num_things: int, max_per_image: int = 100
                     ) -> dict[str, torch.Tensor]:
    """Top-scoring (query, thing class) pairs of a video.

    Args:
        cls_logits: (Q, K+1).

    Returns:
        dict with ``scores`` (N,) class probabilities, ``labels`` (N,), ``queries`` (N,).
    """
    probs = cls_logits.softmax(-1)[:, :num_things]                        # (Q, K_th)
    k = min(max_per_image, probs.numel())
    scores, flat = probs.flatten().topk(k)
    return dict(scores=scores, labels=flat % num_things,
                queries=torch.div(flat, num_things, rounding_mode='floor'))


def semantic_scores(cls_logits: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """Class scores ``sum_q p(class | q) * sigmoid(mask_q)``.

    Args: cls_logits (Q, K+1); mask_logits (Q, ...). Returns (K, ...).
    """
    probs = cls_logits.softmax(-1)[:, :-1].to(mask_logits.dtype)
    return torch.einsum('qk,q...->k...', probs, mask_logits.sigmoid())
