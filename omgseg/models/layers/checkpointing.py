"""Activation checkpointing of whole layers, keeping their parameter names."""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

_CHECKPOINTED: dict[type, type] = {}


def _checkpointed_class(base: type) -> type:
    """``base`` with a forward that recomputes its activations in the backward pass while the
    module trains with autograd on (inference and ``no_grad`` run the plain forward)."""
    if base not in _CHECKPOINTED:
        def forward(self, *args, **kwargs):
            if self.training and torch.is_grad_enabled():
                # non-reentrant: keyword arguments, autocast and RNG state (dropout) are
                # replayed exactly, so gradients equal the plain forward's
                return checkpoint(base.forward, self, *args, use_reentrant=False, **kwargs)
            return base.forward(self, *args, **kwargs)
        _CHECKPOINTED[base] = type(f'Checkpointed{base.__name__}', (base,),
                                   {'forward': forward})
    return _CHECKPOINTED[base]


def check_with_cp(with_cp, owner: str) -> bool:
    """``with_cp`` if it is a bool, else a ``ValueError`` naming ``owner``'s setting."""
    if not isinstance(with_cp, bool):
        raise ValueError(f'{owner}.with_cp must be True or False, got {with_cp!r}.')
    return with_cp


def checkpoint_layers(layers: nn.ModuleList) -> None:
    """Turn on activation checkpointing for every module of ``layers``, in place.

    Each module's class is swapped for a subclass whose forward is wrapped in
    ``torch.utils.checkpoint``: parameter names (and so checkpoints) stay the same, and the
    layer's activations are dropped after its forward and recomputed in the backward pass
    (memory of one layer instead of all, for about one extra forward of those layers).
    """
    for layer in layers:
        if type(layer) not in _CHECKPOINTED.values():
            layer.__class__ = _checkpointed_class(type(layer))
