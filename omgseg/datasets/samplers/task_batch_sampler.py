"""Batches that hold one task each (object-query tasks or prompt tasks, never both).

Prompted (interactive) samples and object-query samples run different decoder inputs, so a
batch holds one kind only; every rank then runs the same number of collective calls per step
whatever kind it drew.
"""
from __future__ import annotations

from collections.abc import Iterator

from torch.utils.data import BatchSampler, Sampler

from omgseg.registry import DATA_SAMPLERS
from omgseg.structures import TASK_INTERACTIVE


def task_group(task: str) -> str:
    """``'prompt'`` for tasks whose queries are visual prompts, else ``'object'``."""
    return 'prompt' if task == TASK_INTERACTIVE else 'object'


def _task_of(dataset, index: int) -> str:
    info = dataset.get_data_info(index)
    if 'task' not in info:
        raise KeyError(f'sample {index} of {type(dataset).__name__} carries no "task"; omgseg '
                       f'datasets stamp it on every entry.')
    return info['task']


@DATA_SAMPLERS.register_module()
class TaskBatchSampler(BatchSampler):
    """Group the indices of ``sampler`` into batches of one task group each.

    Args:
        sampler: the index sampler (e.g. mmengine's ``DefaultSampler``).
        batch_size: samples per batch.
        drop_last: drop incomplete batches (the leftovers of each group) at the epoch end.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = False) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last
        self._groups: dict[int, str] = {}

    def _group(self, index: int) -> str:
        if index not in self._groups:
            self._groups[index] = task_group(_task_of(self.sampler.dataset, index))
        return self._groups[index]

    def __iter__(self) -> Iterator[list[int]]:
        buckets: dict[str, list[int]] = {}
        for index in self.sampler:
            bucket = buckets.setdefault(self._group(index), [])
            bucket.append(index)
            if len(bucket) == self.batch_size:
                yield bucket[:]
                bucket.clear()
        if not self.drop_last:
            for bucket in buckets.values():
                if bucket:
                    yield bucket

    def __len__(self) -> int:
        # exact: each group ends with its own partial batch; counted on this epoch's indices
        key = getattr(self.sampler, 'epoch', None)
        if getattr(self, '_len_key', object()) != key or not hasattr(self, '_len'):
            counts: dict[str, int] = {}
            for index in self.sampler:
                group = self._group(index)
                counts[group] = counts.get(group, 0) + 1
            div = self.batch_size
            self._len = sum(c // div if self.drop_last else -(-c // div)
                            for c in counts.values())
            self._len_key = key
        return self._len
