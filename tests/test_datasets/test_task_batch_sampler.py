"""TaskBatchSampler: every batch holds one task group; all indices are used; its length is
exact."""
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


@pytest.mark.parametrize('drop_last', [False, True])
def test_batches_hold_one_task_group(drop_last):
    tasks = ['panoptic'] * 7 + ['interactive'] * 5 + ['instance'] * 4
    dataset = _Tasks(tasks)
    sampler = DefaultSampler(dataset, shuffle=True, seed=0)
    batches = list(TaskBatchSampler(sampler, batch_size=3, drop_last=drop_last))
    for batch in batches:
        assert len({task_group(tasks[i]) for i in batch}) == 1
    used = sorted(i for b in batches for i in b)
    if drop_last:
        # 11 object-query samples -> 3 full batches; 5 prompt samples -> 1
        assert len(batches) == 4 and all(len(b) == 3 for b in batches)
    else:
        assert used == list(range(len(tasks)))
        assert len(batches) == 4 + 2
    assert len(TaskBatchSampler(sampler, batch_size=3, drop_last=drop_last)) == len(batches)


def test_missing_task_is_named():
    class NoTask(_Tasks):
        def get_data_info(self, i):
            return {}
    sampler = DefaultSampler(NoTask([1, 2]), shuffle=False)
    with pytest.raises(KeyError, match='carries no "task"'):
        list(TaskBatchSampler(sampler, batch_size=2))
