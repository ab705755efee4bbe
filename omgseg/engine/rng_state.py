"""Capture and restore every random stream a training step draws from, in a checkpoint-safe form.

Python's ``random``, numpy's global generator and torch's CPU/CUDA generators drive the data
augmentations, the criterion's point sampling and the data loader's per-epoch worker seed.
Checkpoints must stay loadable with ``torch.load(weights_only=True)``, so a state is stored as
tensors, lists, ints and floats only (numpy's ``(str, uint32 array, int, int, float)`` tuple
becomes a dict with an int64 tensor).
"""
from __future__ import annotations

import random

import numpy as np
import torch


def capture_rng_state() -> dict:
    """The current states of Python, numpy, torch (CPU) and, when present, every CUDA device.

    Returns:
        dict with ``python`` (version, 625 ints, gauss_next), ``numpy`` (``keys`` (624,) int64
        tensor, ``pos``, ``has_gauss``, ``cached_gaussian``), ``torch`` (uint8 tensor) and
        ``cuda`` (one uint8 tensor per device; empty without CUDA).
    """
    version, internal, gauss_next = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    if kind != 'MT19937':
        raise ValueError(f'numpy global generator is {kind!r}; only MT19937 is supported.')
    cuda = ([s.clone() for s in torch.cuda.get_rng_state_all()]
            if torch.cuda.is_available() and torch.cuda.is_initialized() else [])
    return dict(
        python=dict(version=int(version), internal=[int(x) for x in internal],
                    gauss_next=None if gauss_next is None else float(gauss_next)),
        numpy=dict(keys=torch.from_numpy(np.asarray(keys, dtype=np.int64)), pos=int(pos),
                   has_gauss=int(has_gauss), cached_gaussian=float(cached)),
        torch=torch.get_rng_state().clone(),
        cuda=cuda)


def restore_rng_state(state: dict) -> None:
    """Set every generator to ``state`` (from :func:`capture_rng_state`).

    CUDA states are restored when both the checkpoint and this process have CUDA devices and
    their numbers agree; otherwise they are left as seeded (a CPU checkpoint on a GPU, say).
    """
    py = state['python']
    random.setstate((py['version'], tuple(py['internal']), py['gauss_next']))
    npy = state['numpy']
    np.random.set_state(('MT19937', npy['keys'].numpy().astype(np.uint32), npy['pos'],
                         npy['has_gauss'], npy['cached_gaussian']))
    torch.set_rng_state(state['torch'].cpu())
    cuda = state.get('cuda') or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])
