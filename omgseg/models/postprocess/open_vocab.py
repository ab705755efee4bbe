"""Open-vocabulary fusion of the query classifier with the frozen CLIP's own opinion.

At inference each query's mask is also pooled from the frozen CLIP stage-4 map and classified
against the same text prototypes (see ``OpenVocabMixin``). The two class distributions are
combined by a per-class geometric ensemble that trusts CLIP more for classes the decoder never
saw in training (OMG-Seg / FC-CLIP ``open_voc_inference``).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from omgseg.vocab import normalize_class_name


def seen_classes(train_classes: Sequence[str], test_classes: Sequence[str]) -> torch.Tensor:
    """Which test classes were seen in training.

    A test class is seen when any of its synonyms (:func:`normalize_class_name`: split on
    ``,``/``/``/``_or_``, ``_`` -> space, lower case, stripped) equals a synonym of any training
    class. The original compared unstripped comma pieces, so ``'wall, brick'`` never matched
    ``'wall'`` (defect 7 in the reference notes).

    Args:
        train_classes: the K_train raw class names the decoder was trained on.
        test_classes: the K_test raw class names being predicted, in label order.

    Returns:
        (K_test,) bool tensor on the CPU, True = seen.
    """
    for what, names in (('train_classes', train_classes), ('test_classes', test_classes)):
        if isinstance(names, str):
            raise TypeError(f'seen_classes: {what} must be a sequence of class names, not the '
                            f'single string {names!r}.')
    train = {syn for name in train_classes for syn in normalize_class_name(name)}
    return torch.tensor([any(syn in train for syn in normalize_class_name(name))
                         for name in test_classes], dtype=torch.bool)


def fuse_open_vocab(query_logits: torch.Tensor, clip_logits: torch.Tensor, seen: torch.Tensor,
                    has_mask: torch.Tensor, alpha: float = 0.4, beta: float = 0.8
                    ) -> torch.Tensor:
    """Geometric ensemble of query and CLIP class probabilities (reference 1.7, steps 4-6).

    ``p_q = softmax_K(query_logits[..., :K])`` and ``p_c = softmax_K(clip_logits[..., :K])``
    (void excluded from both); per class ``p = p_q^(1-a) * p_c^a`` with ``a = alpha`` for seen
    and ``a = beta`` for unseen classes, ``a = 0`` for queries without mask (``has_mask``
    False: their CLIP feature is pooled from nothing). ``p`` is renormalised over K, scaled by
    ``1 - p_void`` with ``p_void = softmax_{K+1}(query_logits)[..., K]`` and ``p_void`` is
    appended, so the void probability is the decoder's own.

    Args:
        query_logits: (..., K+1) decoder logits, last = void.
        clip_logits: (..., K+1) or (..., K) CLIP logits of the same queries (a void column is
            dropped).
        seen: (K,) bool, see :func:`seen_classes`.
        has_mask: (...,) bool, whether the query's mask has a positive pixel at the CLIP
            feature resolution.
        alpha: CLIP weight for seen classes, in [0, 1].
        beta: CLIP weight for unseen classes, in [0, 1].

    Returns:
        (..., K+1) logits ``log(p + 1e-8)`` (softmax gives back ``p`` up to the 1e-8), in the
        inputs' dtype promoted to at least float32 (1e-8 underflows in half precision).
    """
    num_classes = query_logits.shape[-1] - 1
    if num_classes < 1:
        raise ValueError(f'fuse_open_vocab: query_logits need K+1 >= 2 columns, got shape '
                         f'{tuple(query_logits.shape)}.')
    if clip_logits.shape[-1] == num_classes + 1:
        clip_logits = clip_logits[..., :-1]
    if clip_logits.shape != query_logits.shape[:-1] + (num_classes,):
        raise ValueError(f'fuse_open_vocab: clip_logits {tuple(clip_logits.shape)} do not fit '
                         f'query_logits {tuple(query_logits.shape)} (expected K={num_classes} '
                         f'or K+1 columns and the same leading shape).')
    if seen.shape != (num_classes,):
        raise ValueError(f'fuse_open_vocab: seen must have shape ({num_classes},), got '
                         f'{tuple(seen.shape)}; the classifier and the seen mask disagree on '
                         f'the vocabulary.')
    if has_mask.shape != query_logits.shape[:-1]:
        raise ValueError(f'fuse_open_vocab: has_mask must have shape '
                         f'{tuple(query_logits.shape[:-1])}, got {tuple(has_mask.shape)}.')
    for name, value in (('alpha', alpha), ('beta', beta)):
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f'fuse_open_vocab: {name} must be in [0, 1], got {value!r}.')
    dtype = torch.promote_types(query_logits.dtype, torch.float32)
    query_logits = query_logits.to(dtype)
    clip_logits = clip_logits.to(device=query_logits.device, dtype=dtype)
    log_q = query_logits[..., :-1].log_softmax(-1)
    log_c = clip_logits.log_softmax(-1)
    # per (query, class) CLIP exponent; log(p_q^(1-a) p_c^a) = (1-a) log p_q + a log p_c is
    # the original's product of powers without its underflow to log(0)
    weight = torch.where(seen.to(query_logits.device), float(alpha), float(beta)).to(dtype)
    weight = weight * has_mask.to(device=query_logits.device, dtype=dtype)[..., None]
    fused = ((1 - weight) * log_q + weight * log_c).softmax(-1)
    p_void = query_logits.softmax(-1)[..., -1:]
    return torch.log(torch.cat([fused * (1 - p_void), p_void], dim=-1) + 1e-8)


def clip_resolution_masks(mask: torch.Tensor, size: tuple[int, int]
                          ) -> tuple[torch.Tensor, torch.Tensor]:
    """Query mask logits at the CLIP map's resolution, for mask pooling.

    Args:
        mask: (B, Q, T, H, W) mask logits; size: (h, w) of the CLIP map.

    Returns:
        ``(small, has_mask)``: (B, Q, T, h, w) logits resized bilinearly, and (B, Q) bool,
        False where no pixel stays positive (such a query gets no CLIP feature).
    """
    b, q, t = mask.shape[:3]
    small = torch.nn.functional.interpolate(
        mask.flatten(0, 2)[:, None], size=size, mode='bilinear',
        align_corners=False).view(b, q, t, *size)
    return small, (small > 0).flatten(2).any(-1)


__all__ = ['seen_classes', 'fuse_open_vocab', 'clip_resolution_masks']
