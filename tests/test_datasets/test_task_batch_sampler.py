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
