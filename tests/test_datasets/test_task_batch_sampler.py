"""TaskBatchSampler: every batch holds one task group and is full; every rank yields the same
number of batches (DDP needs it) whatever its share of each group; that number is its len."""
import pytest
from mmengine.dataset import DefaultSampler

from omgseg.datasets.samplers import TaskBatchSampler, task_group


class _Tasks:
    def __init__(self, tasks):
        self.tasks = tasks

    def __len__(self):
        return len(self.tasks)

    def get_data_info(self, i):
        return dict(task=self.tasks[i])


@pytest.mark.parametrize('seed', range(5))
def test_equal_batch_counts_on_every_rank(seed):
    tasks = ['panoptic'] * 37 + ['interactive'] * 23 + ['instance'] * 11
    dataset = _Tasks(tasks)
    counts = []
    for rank in range(2):
        sampler = DefaultSampler(dataset, shuffle=True, seed=seed)
        sampler.rank, sampler.world_size = rank, 2      # what a 2-process run gives each rank
        sampler.num_samples = -(-len(dataset) // 2)
        sampler.total_size = sampler.num_samples * 2
        batch_sampler = TaskBatchSampler(sampler, batch_size=4)
        batches = list(batch_sampler)
        for batch in batches:
            assert len(batch) == 4 and len({task_group(tasks[i]) for i in batch}) == 1
        assert len(batches) == len(batch_sampler) == 36 // 4 - 1
        counts.append(len(batches))
    assert counts[0] == counts[1]


def test_missing_task_is_named():
    class NoTask(_Tasks):
        def get_data_info(self, i):
            return {}
    sampler = DefaultSampler(NoTask([1, 2]), shuffle=False)
    with pytest.raises(KeyError, match='carries no "task"'):
        list(TaskBatchSampler(sampler, batch_size=1))


class _Concat(_Tasks):
    """Three sub-datasets (sizes 20, 15, 25) as a ConcatDataset exposes them."""
    cumulative_sizes = [20, 35, 60]


def test_group_by_dataset_keeps_each_batch_in_one_sub_dataset():
    tasks = ['panoptic'] * 20 + ['panoptic'] * 15 + ['interactive'] * 25
    dataset = _Concat(tasks)
    which = [0] * 20 + [1] * 15 + [2] * 25
    counts = []
    for rank in range(2):
        sampler = DefaultSampler(dataset, shuffle=True, seed=3)
        sampler.rank, sampler.world_size = rank, 2
        sampler.num_samples, sampler.total_size = 30, 60
        batch_sampler = TaskBatchSampler(sampler, batch_size=3, group_by='dataset')
        batches = list(batch_sampler)
        assert all(len({which[i] for i in batch}) == 1 for batch in batches)
        # the two panoptic sub-datasets are separate groups (images vs videos, say)
        assert len(batches) == len(batch_sampler) == 30 // 3 - 2
        counts.append(len(batches))
    assert counts[0] == counts[1]
    # grouping by task alone mixes sub-datasets 0 and 1
    sampler = DefaultSampler(dataset, shuffle=True, seed=3)
    mixed = list(TaskBatchSampler(sampler, batch_size=3))
    assert any(len({which[i] for i in batch}) > 1 for batch in mixed)


def test_group_by_dataset_needs_a_concatenation_and_a_known_mode():
    sampler = DefaultSampler(_Tasks(['panoptic'] * 8), shuffle=False)
    with pytest.raises(TypeError, match='concatenated dataset'):
        list(TaskBatchSampler(sampler, batch_size=2, group_by='dataset'))
    with pytest.raises(ValueError, match='group_by'):
        TaskBatchSampler(sampler, batch_size=2, group_by='frames')
