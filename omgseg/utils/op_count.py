"""Operators one training step dispatches, by part of the model: a device-free measure of how
many kernels a GPU step launches (command line: ``tools/analysis_tools/count_ops.py``)."""
from __future__ import annotations

import collections

from torch.utils._python_dispatch import TorchDispatchMode

OPTIMIZER = 'optimizer step'


class _Counter(TorchDispatchMode):
    """Counts dispatched operators under the label on top of ``labels``, and separately those
    that are views (``view``, ``permute``, ``select``, ...: no kernel, only dispatch time)."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__()
        self.labels = labels
        self.counts: collections.Counter = collections.Counter()
        self.views: collections.Counter = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counts[self.labels[-1]] += 1
        if getattr(func, 'is_view', False):
            self.views[self.labels[-1]] += 1
        return func(*args, **(kwargs or {}))


def count_step(model, wrapper, batch: dict
               ) -> tuple[collections.Counter, collections.Counter]:
    """Operators of one training step (``model.train_step``'s parts: preprocessing, forward with
    losses, backward, optimizer step) that reach a backend, by the part that ran them: the
    backbone, the pixel decoder, the query decoder's layers, the criterion, the rest of the
    forward, the backward and the optimizer step. Every part is counted on any device; on CUDA
    the optimizer's foreach / fused updates are a few multi-tensor kernels.

    Returns:
        (operators, views): counts by part of all operators and of the views among them.
    """
    labels = ['forward (rest)']
    handles = []
    head = model.panoptic_head
    layers = getattr(getattr(head, 'transformer_decoder', None), 'layers', [])
    parts = [('backbone', getattr(model, 'backbone', None)),
             ('pixel decoder', getattr(head, 'pixel_decoder', None)),
             ('criterion', getattr(model, 'criterion', None))] + \
        [('query decoder layers', layer) for layer in layers]

    def enter(name):
        def hook(module, args) -> None:  # None: the inputs stay as they are
            labels.append(name)
        return hook

    def leave(module, args, output) -> None:  # None: the output stays as it is
        labels.pop()

    for name, module in parts:
        if module is not None:
            handles += [module.register_forward_pre_hook(enter(name)),
                        module.register_forward_hook(leave)]
    counter = _Counter(labels)
    try:
        with counter:
            with wrapper.optim_context(model):
                data = model.data_preprocessor(batch, True)
                losses = model._run_forward(data, mode='loss')
            loss, _ = model.parse_losses(losses)
            labels.append('backward')
            wrapper.backward(loss)
            labels[-1] = OPTIMIZER
            wrapper.step()
            wrapper.zero_grad()
    finally:
        for h in handles:
            h.remove()
    return counter.counts, counter.views
