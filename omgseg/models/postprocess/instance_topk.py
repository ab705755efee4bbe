"""Instance selection as the original OMG-Seg (and Mask2Former) does it.

The top ``max_per_image`` (query, class) pairs are taken over *every* class, things and stuff,
and only then are the stuff pairs dropped. A query that is confidently stuff therefore uses up
slots of the top-k, so fewer than ``max_per_image`` detections usually remain, and a thing
class that ranks below a stuff pair is never returned. :func:`select_instances` instead ranks
thing classes only and always fills ``max_per_image`` slots; COCO mask AP differs between the
two.
"""
from __future__ import annotations

import torch


def instance_topk_all_classes(cls_logits: torch.Tensor, num_things: int,
                              max_per_image: int = 100) -> dict[str, torch.Tensor]:
    """Top-scoring (query, class) pairs over all K classes, then the thing pairs among them.

    Args:
        cls_logits: (Q, K+1) class logits, last column = void.
        num_things: labels below this are things; 0 gives an empty result (the original's
            behaviour with no thing class).
        max_per_image: size of the top-k over the Q x K pairs, capped at Q x K.

    Returns:
        dict with ``scores`` (N,) class probabilities (softmax over K+1), ``labels`` (N,) and
        ``queries`` (N,) long, N <= max_per_image, sorted by decreasing score.
    """
    if cls_logits.dim() != 2 or cls_logits.shape[-1] < 2:
        raise ValueError(f'instance_topk_all_classes: cls_logits must be (Q, K+1) with K >= 1, '
                         f'got shape {tuple(cls_logits.shape)}.')
    num_classes = cls_logits.shape[-1] - 1
    if not 0 <= num_things <= num_classes:
        raise ValueError(f'instance_topk_all_classes: num_things={num_things} is outside '
                         f'[0, K={num_classes}].')
    if max_per_image < 1:
        raise ValueError(f'instance_topk_all_classes: max_per_image must be >= 1, got '
                         f'{max_per_image}.')
    probs = cls_logits.softmax(-1)[:, :-1]                                   # (Q, K)
    k = min(max_per_image, probs.numel())
    scores, flat = probs.flatten().topk(k)
    labels = flat % num_classes
    keep = labels < num_things
    return dict(scores=scores[keep], labels=labels[keep],
                queries=torch.div(flat[keep], num_classes, rounding_mode='floor'))


__all__ = ['instance_topk_all_classes']
