"""A hook that checks a run's loops before they start: the shared schedule of the config checks
(vocabularies, protocol settings) and the entries a loop evaluates."""
from __future__ import annotations

from mmengine.hooks import Hook


def loop_entries(runner, loop_name: str) -> list[dict]:
    """What a loop runs: a :class:`MultiDatasetValLoop`'s entries, or one entry (``name``,
    ``dataloader``) for a plain loop; empty when the run has no such loop."""
    loop = getattr(runner, f'{loop_name}_loop', None)
    if loop is None:
        return []
    return getattr(loop, 'entries', None) or [dict(name=loop_name, dataloader=loop.dataloader)]


class LoopCheckHook(Hook):
    """Calls :meth:`check` for the validation and test loops before they run, and for the
    evaluation at the end of a training run before training starts (and for the training loop
    itself when ``check_train_loop``)."""

    priority = 'VERY_HIGH'
    check_train_loop = False

    def check(self, runner, loop_name: str) -> None:
        """Raise with the fix when the loop ``'train' | 'val' | 'test'`` is misconfigured."""
        raise NotImplementedError

    def before_train(self, runner) -> None:
        if self.check_train_loop:
            self.check(runner, 'train')
        # A co-training run evaluates only at its end: check that evaluation now, before hours
        # of training, not when the first validation starts.
        if getattr(runner, '_val_loop', None) is not None and runner.train_loop is not None:
            self.check(runner, 'val')

    def before_val(self, runner) -> None:
        self.check(runner, 'val')

    def before_test(self, runner) -> None:
        self.check(runner, 'test')


__all__ = ['LoopCheckHook', 'loop_entries']
