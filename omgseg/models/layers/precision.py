"""Full-precision islands inside mixed-precision (bf16 / fp16 autocast) training."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def at_least_fp32(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32 if it is a reduced-precision float (bf16, fp16); float64 and integer
    tensors are returned unchanged."""
    if x.is_floating_point() and x.dtype in (torch.bfloat16, torch.float16):
        return x.float()
    return x


@contextlib.contextmanager
def full_precision(device: torch.device) -> Iterator[None]:
    """Turn autocast off for ``device``'s type inside the block (it is left as it was
    outside); the caller casts its inputs with :func:`at_least_fp32`."""
    with torch.autocast(device_type=device.type, enabled=False):
        yield
