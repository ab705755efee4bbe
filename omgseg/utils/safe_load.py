"""Let ``torch.load(weights_only=True)`` read mmengine's own training checkpoints.

torch >= 2.6 loads with ``weights_only=True`` by default, which refuses the few non-tensor
objects that mmengine stores (its ``HistoryBuffer`` log buffers, numpy scalars and arrays in
``message_hub`` and ``meta``, a ``Counter`` of scheduler milestones). Rather than turning the
safety off (``weights_only=False`` would execute arbitrary pickles from any file), we allow-list
exactly those types. A ``HistoryBuffer`` pickles its statistics methods as
``getattr(HistoryBuffer, 'mean')``; instead of allowing ``getattr`` (which would reach any
attribute of any allowed object), that name maps to a function that only returns those methods.
"""
from __future__ import annotations

import collections
import pickle

import numpy as np
import torch


def _numpy_globals() -> list:
    items: list = [np.ndarray, np.dtype]
    # numpy moved its private modules (numpy.core -> numpy._core); pickles name either.
    try:
        from numpy._core.multiarray import _reconstruct, scalar
        items += [_reconstruct, scalar]
    except ImportError:  # numpy < 2
        pass
    try:
        from numpy.core.multiarray import _reconstruct as legacy_reconstruct
        from numpy.core.multiarray import scalar as legacy_scalar
        items += [legacy_reconstruct, legacy_scalar]
    except ImportError:
        pass
    # dtype classes (numpy.dtypes.Float64DType, ...) appear in pickles made with numpy >= 1.25
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        items += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return items


def _history_buffer_method(obj, name: str):
    """``getattr`` restricted to the statistics methods of mmengine's ``HistoryBuffer``."""
    from mmengine.logging.history_buffer import HistoryBuffer
    # the four built-in statistics, plus any registered with register_statistics
    allowed = {'min', 'max', 'current', 'mean'} | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint with '
        f'weights_only=True; only HistoryBuffer statistics methods are allowed.')


def register_safe_globals() -> None:
    """Allow-list mmengine's checkpoint contents for ``torch.load(weights_only=True)``."""
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    torch.serialization.add_safe_globals([
        HistoryBuffer, collections.Counter, *_numpy_globals(),
        # pickle protocol 2 names builtins "__builtin__", later protocols "builtins"
        (_history_buffer_method, '__builtin__.getattr'),
        (_history_buffer_method, 'builtins.getattr'),
    ])
