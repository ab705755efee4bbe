"""Sampler state and skipping the batches a checkpoint already trained on (no data loaded)."""
import functools

from mmengine.dataset import DefaultSampler, worker_init_fn
from torch.utils.data import BatchSampler, ConcatDataset, DataLoader

from omgseg.datasets.samplers import DatasetRatioSampler, TaskBatchSampler
from omgseg.engine.resume_batches import load_loader_state, loader_state, skip_batches


class _Tasks(list):
    """A dataset whose entries carry a task, as omgseg's do."""

    def get_data_info(self, index):
        return dict(task='interactive' if index % 3 == 0 else 'panoptic')


def test_skip_drops_batches_once_and_calls_back_before_the_first_kept_one():
    loader = DataLoader(list(range(10)), batch_size=3)
    calls = []

    def on_resume():
        calls.append('resumed')

    skip_batches(loader, 2, on_resume)
    seen = []
    for batch in loader:
        seen.append((list(calls), batch.tolist()))
    assert seen == [(['resumed'], [6, 7, 8]), (['resumed'], [9])]
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert len(loader) == 4 and calls == ['resumed']


def test_skipping_every_batch_still_resumes():
    loader = DataLoader(list(range(4)), batch_size=2)
    calls = []
    skip_batches(loader, 2, lambda: calls.append(1))
    assert list(loader) == [] and calls == [1]


def test_task_batches_skip_whole_batches_of_the_same_stream():
    data = _Tasks(range(12))
    full = list(TaskBatchSampler(DefaultSampler(data, seed=1), batch_size=2))
    loader = DataLoader(data, batch_sampler=TaskBatchSampler(DefaultSampler(data, seed=1),
                                                             batch_size=2))
    skip_batches(loader, 2, lambda: None)
    assert len(full) == 5
    assert [b.tolist() for b in loader] == [list(b) for b in full[2:]]


def test_ratio_sampler_state_restores_a_random_seed():
    data = ConcatDataset([list(range(5)), list(range(3))])
    run = DatasetRatioSampler(dataset=data, ratios=[1, 1], seed=None)
    run.set_epoch(3)
    resumed = DatasetRatioSampler(dataset=data, ratios=[1, 1], seed=run.seed + 1)
    resumed.load_state_dict(run.state_dict())
    assert run.state_dict() == dict(seed=run.seed, epoch=3)
    assert list(resumed) == list(run)
    batches = TaskBatchSampler(run, batch_size=2)
    assert batches.state_dict() == dict(sampler=dict(seed=run.seed, epoch=3))


def test_loader_state_sets_default_sampler_and_worker_seed():
    data = list(range(8))

    def loader(seed):
        return DataLoader(data, batch_size=2, sampler=DefaultSampler(data, seed=seed),
                          worker_init_fn=functools.partial(worker_init_fn, num_workers=2,
                                                           rank=0, seed=seed))

    run, resumed = loader(7), loader(8)
    run.sampler.set_epoch(2)
    load_loader_state(resumed, loader_state(run))
    assert resumed.sampler.seed == 7 and resumed.sampler.epoch == 2
    assert resumed.worker_init_fn.keywords['seed'] == 7
    assert [b.tolist() for b in resumed] == [b.tolist() for b in run]
    assert isinstance(resumed.batch_sampler, BatchSampler)
