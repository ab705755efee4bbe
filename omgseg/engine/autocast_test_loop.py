"""Mixed-precision inference: ``tools/test.py --amp bf16|fp16``.

The model's forward pass runs under ``torch.autocast`` (the parts that keep fp32 inside, such as
the cosine classifier, turn it off themselves); the evaluator and the hooks run outside it, so
metrics are computed at full precision from the model's outputs.
"""
from __future__ import annotations

import contextlib

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop
from mmengine.runner.loops import _update_losses

from omgseg.registry import LOOPS

AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


def inference_autocast(model: torch.nn.Module, amp: str | None):
    """``torch.autocast`` to ``amp`` ('bf16' / 'fp16') on the model's device; a no-op for None."""
    if amp is None:
        return contextlib.nullcontext()
    if amp not in AMP_DTYPES:
        raise ValueError(f'test_cfg.amp must be one of {sorted(AMP_DTYPES)} or None, got '
                         f'{amp!r}.')
    module = model.module if is_model_wrapper(model) else model
    device = next(module.parameters()).device.type
    return torch.autocast(device_type=device, dtype=AMP_DTYPES[amp])


@LOOPS.register_module()
class AutocastTestLoop(TestLoop):
    """mmengine's ``TestLoop`` with the model's ``test_step`` under autocast to ``amp``."""

    def __init__(self, runner, dataloader, evaluator, *, amp: str = 'bf16') -> None:
        super().__init__(runner, dataloader, evaluator)
        inference_autocast(torch.nn.Linear(1, 1), amp)  # an unknown dtype fails at build
        self.amp = amp
        print_log(f'test loop: the forward passes run under {amp} autocast', logger='current')

    @torch.no_grad()
    def run_iter(self, idx, data_batch) -> None:
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        with inference_autocast(self.runner.model, self.amp):
            outputs = self.runner.model.test_step(data_batch)
        outputs, self.test_loss = _update_losses(outputs, self.test_loss)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)
