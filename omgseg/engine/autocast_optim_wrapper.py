"""bf16 mixed-precision training without loss scaling, on any device autocast supports."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from omgseg.registry import OPTIM_WRAPPERS

#: dtypes accepted by :class:`AutocastOptimWrapper` (fp16 needs loss scaling: AmpOptimWrapper)
AUTOCAST_DTYPES = ('bfloat16',)


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward pass runs under ``torch.autocast(dtype)``.

    bf16 has float32's exponent range, so gradients neither underflow nor overflow and need no
    loss scaling; the parameters, their gradients and the optimizer state stay float32. Unlike
    mmengine's ``AmpOptimWrapper`` (which always builds a CUDA ``GradScaler`` and refuses to
    run without a GPU) this works on every device type autocast supports, CPU included, so the
    bf16 path is tested without a GPU. The autocast device type is the parameters' device.
    Losses, matching costs and the cosine classifier turn autocast off and run in float32
    (:func:`omgseg.models.layers.full_precision`).

    Args:
        dtype: autocast dtype; only ``'bfloat16'`` (use ``AmpOptimWrapper`` for float16).
        **kwargs: as ``OptimWrapper`` (optimizer, accumulative_counts, clip_grad).
    """

    def __init__(self, *, dtype: str = 'bfloat16', **kwargs) -> None:
        if dtype not in AUTOCAST_DTYPES:
            raise ValueError(f'AutocastOptimWrapper: dtype must be one of {AUTOCAST_DTYPES}, '
                             f"got {dtype!r}; float16 needs loss scaling: use "
                             f"optim_wrapper.type='AmpOptimWrapper' (tools/train.py --amp fp16).")
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype)

    def _device_type(self) -> str:
        for group in self.optimizer.param_groups:
            for param in group['params']:
                return param.device.type
        raise ValueError('AutocastOptimWrapper: the optimizer has no parameters.')

    @contextlib.contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Gradient-accumulation context of ``OptimWrapper`` plus autocast to ``dtype``."""
        with super().optim_context(model), torch.autocast(device_type=self._device_type(),
                                                          dtype=self.cast_dtype):
            yield
