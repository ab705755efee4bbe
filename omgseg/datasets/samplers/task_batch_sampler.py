"""Batches that hold one task each (object-query tasks or prompt tasks, never both).

Prompted (interactive) samples and object-query samples run different decoder inputs, so a
batch holds one kind only; every rank then runs the same number of collective calls per step
whatever kind it drew.
"""
from __future__ import annotations

import bisect
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
    """Group the indices of ``sampler`` into full batches of one task group each.

    Every rank must run the same number of iterations (DDP synchronises each step), but how a
    rank's indices split between the groups varies. So each epoch yields exactly
    ``len(sampler) // batch_size - (groups - 1)`` full batches on every rank (``groups`` = task
    groups present in the dataset): a rank always fills at least that many, and the few
    samples left over (fewer than ``groups * batch_size``) wait for another epoch's shuffle.

    Args:
        sampler: the index sampler (e.g. mmengine's ``DefaultSampler``); its ``dataset`` must
            stamp a ``task`` on every entry.
        batch_size: samples per batch.
        drop_last: accepted for mmengine's interface; incomplete batches are always dropped.
        group_by: ``'task'`` (prompt vs object batches) or ``'dataset'``: one sub-dataset of a
            concatenated dataset per batch as well, so images (1-frame clips) and videos
            (T-frame clips) of a co-training mix never share a batch.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = True,
                 group_by: str = 'task') -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
        if group_by not in ('task', 'dataset'):
            raise ValueError(f"TaskBatchSampler.group_by must be 'task' or 'dataset', got "
                             f"{group_by!r}.")
        self.group_by = group_by
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = True
        self._groups: dict[int, str] = {}
        self._num_groups: int | None = None

    def _group(self, index: int) -> str:
        if index not in self._groups:
            group = task_group(_task_of(self.sampler.dataset, index))
            if self.group_by == 'dataset':
                group = f'{group}:{self._dataset_of(index)}'
            self._groups[index] = group
        return self._groups[index]

    def _dataset_of(self, index: int) -> int:
        dataset = self.sampler.dataset
        sizes = getattr(dataset, 'cumulative_sizes', None)
        if sizes is None:
            raise TypeError(f"TaskBatchSampler(group_by='dataset') needs a concatenated dataset "
                            f"(JointDataset / ConcatDataset), got {type(dataset).__name__}.")
        return bisect.bisect_right(sizes, index)

    def _count_groups(self) -> int:
        if self._num_groups is None:
            dataset = self.sampler.dataset
            self._num_groups = len({self._group(i) for i in range(len(dataset))})
        return self._num_groups

    def state_dict(self) -> dict:
        """The index sampler's state (its order fixes the batches); empty if it has none."""
        inner = getattr(self.sampler, 'state_dict', None)
        return dict(sampler=inner()) if callable(inner) else {}

    def load_state_dict(self, state: dict) -> None:
        """Restore the index sampler's state saved by :meth:`state_dict`."""
        if 'sampler' in state:
            self.sampler.load_state_dict(state['sampler'])

    def __len__(self) -> int:
        return max(len(self.sampler) // self.batch_size - (self._count_groups() - 1), 0)

    def __iter__(self) -> Iterator[list[int]]:
        remaining = len(self)
        buckets: dict[str, list[int]] = {}
        for index in self.sampler:
            if remaining == 0:
                return
            bucket = buckets.setdefault(self._group(index), [])
            bucket.append(index)
            if len(bucket) == self.batch_size:
                yield bucket[:]
                bucket.clear()
                remaining -= 1
