"""DatasetRatioSampler: per-sub-dataset frequencies follow the configured ratios / repeat
factors; every sample of a sub-dataset is used before any repeats; the stream depends only on
seed, epoch and world size; ranks take disjoint positions of one shared stream (also across
two real gloo processes with seed=None); it runs under TaskBatchSampler and mmengine's runner
build call; bad configs fail at construction with the key named."""
import os
import socket
from datetime import timedelta
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.dataset import BaseDataset
from mmengine.dataset import ConcatDataset as MMConcatDataset
from mmengine.hooks import DistSamplerSeedHook
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from omgseg.datasets.samplers import DatasetRatioSampler, TaskBatchSampler, task_group

REPEAT_SIZES = (1000, 50, 60, 70, 1000)
REPEAT_FACTORS = (1, 30, 15, 15, 1)


class _Part(Dataset):
    def __init__(self, n, task='panoptic'):
        self.n, self.task = n, task

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


class _TaskConcat(ConcatDataset):
    """torch ConcatDataset whose entries carry their sub-dataset's task (TaskBatchSampler)."""

    def get_data_info(self, idx):
        part = int(np.searchsorted(self.cumulative_sizes, idx, side='right'))
        return dict(task=self.datasets[part].task)


def _concat(*sizes):
    return _TaskConcat([_Part(n) for n in sizes])


def _part_of(indices, dataset):
    """Sub-dataset id of every concatenated index."""
    return np.searchsorted(dataset.cumulative_sizes, np.asarray(indices), side='right')


def _frequencies(indices, dataset):
    return np.bincount(_part_of(indices, dataset), minlength=len(dataset.datasets)) / len(indices)


def _stream(dataset, **kw):
    kw.setdefault('rank', 0)
    kw.setdefault('world_size', 1)
    return list(DatasetRatioSampler(dataset=dataset, **kw))


@pytest.mark.parametrize('seed', [0, 1])
def test_frequencies_follow_ratios(seed):
    ds = _concat(500, 40, 300)
    stream = _stream(ds, ratios=[2, 1, 1], num_samples_per_epoch=10_000, seed=seed)
    assert len(stream) == 10_000
    assert np.abs(_frequencies(stream, ds) - [0.5, 0.25, 0.25]).max() < 0.02


def test_repeat_factors_give_repeat_dataset_proportions():
    ds = _concat(*REPEAT_SIZES)
    weights = np.array(REPEAT_SIZES) * np.array(REPEAT_FACTORS)   # 1000, 1500, 900, 1050, 1000
    default = DatasetRatioSampler(dataset=ds, repeat_factors=REPEAT_FACTORS, seed=0, rank=0,
                                  world_size=1)
    assert len(default) == weights.sum() == 5450                  # what RepeatDataset would hold
    np.testing.assert_allclose(default.shares, weights / weights.sum())
    stream = _stream(ds, repeat_factors=REPEAT_FACTORS, num_samples_per_epoch=10_000, seed=0)
    assert np.abs(_frequencies(stream, ds) - weights / weights.sum()).max() < 0.02


def test_ratios_default_epoch_is_the_concatenated_length():
    ds = _concat(30, 12)
    assert len(DatasetRatioSampler(dataset=ds, ratios=[1, 5], seed=0, rank=0, world_size=1)) == 42


def test_every_sample_used_before_repeats():
    ds = _concat(7, 1000)
    stream = np.array(_stream(ds, ratios=[1, 1], num_samples_per_epoch=400, seed=3))
    parts = _part_of(stream, ds)
    small, big = stream[parts == 0], stream[parts == 1]
    assert len(small) > 21 and len(big) < 1000
    # the small set walks whole permutations: each window of 7 draws holds all 7 samples
    for start in range(0, len(small) - 6, 7):
        assert sorted(small[start:start + 7]) == list(range(7))
    assert len(set(big.tolist())) == len(big)                    # drawn < its size: no repeats
    assert set(big.tolist()) <= set(range(7, 1007))


def test_zero_ratio_and_empty_zero_ratio_sets_are_never_drawn():
    ds = _concat(20, 0, 20)
    stream = _stream(ds, ratios=[1, 0, 0], num_samples_per_epoch=500, seed=0)
    assert set(_part_of(stream, ds).tolist()) == {0}
    assert set(stream) == set(range(20))


def test_deterministic_in_seed_and_epoch():
    ds = _concat(*REPEAT_SIZES)
    kw = dict(repeat_factors=REPEAT_FACTORS, num_samples_per_epoch=2000)
    assert _stream(ds, seed=5, **kw) == _stream(ds, seed=5, **kw)
    assert _stream(ds, seed=5, **kw) != _stream(ds, seed=6, **kw)
    sampler = DatasetRatioSampler(dataset=ds, seed=5, rank=0, world_size=1, **kw)
    epoch0 = list(sampler)
    sampler.set_epoch(1)
    epoch1 = list(sampler)
    assert epoch1 != epoch0
    assert np.abs(_frequencies(epoch1, ds) - _frequencies(epoch0, ds)).max() < 0.05
    sampler.set_epoch(0)
    assert list(sampler) == epoch0


@pytest.mark.parametrize('world_size', [2, 4])
def test_ranks_take_disjoint_positions_of_one_stream(world_size):
    ds = _concat(*REPEAT_SIZES)
    kw = dict(repeat_factors=REPEAT_FACTORS, num_samples_per_epoch=1001, seed=11)
    full = _stream(ds, **kw)
    per_rank = [DatasetRatioSampler(dataset=ds, rank=r, world_size=world_size, **kw)
                for r in range(world_size)]
    streams = [list(s) for s in per_rank]
    per = -(-1001 // world_size)
    assert all(len(s) == len(r) == per for s, r in zip(per_rank, streams))
    # rank r holds positions r, r + W, ...; interleaving the ranks rebuilds the padded stream
    interleaved = [streams[p % world_size][p // world_size] for p in range(per * world_size)]
    assert interleaved[:1001] == full
    assert interleaved[1001:] == full[:per * world_size - 1001]  # padding wraps round


def test_under_task_batch_sampler():
    ds = _TaskConcat([_Part(40, 'panoptic'), _Part(25, 'interactive'), _Part(30, 'instance')])
    counts = []
    for rank in range(2):
        sampler = DatasetRatioSampler(dataset=ds, ratios=[1, 1, 1], num_samples_per_epoch=90,
                                      seed=2, rank=rank, world_size=2)
        batch_sampler = TaskBatchSampler(sampler, batch_size=4)
        batches = list(batch_sampler)
        groups = [{task_group(ds.get_data_info(i)['task']) for i in b} for b in batches]
        assert all(len(b) == 4 for b in batches) and all(len(g) == 1 for g in groups)
        assert len(batches) == len(batch_sampler) == 45 // 4 - 1
        counts.append(len(batches))
        # mmengine's DistSamplerSeedHook reaches the sampler through the batch sampler
        loader = DataLoader(ds, batch_sampler=batch_sampler)
        runner = SimpleNamespace(train_loop=SimpleNamespace(dataloader=loader), epoch=3)
        DistSamplerSeedHook().before_train_epoch(runner)
        assert sampler.epoch == 3 and list(batch_sampler) != batches
    assert counts[0] == counts[1]


class _Listed(BaseDataset):
    def __init__(self, n):
        self._n = n
        super().__init__(lazy_init=True, serialize_data=False)

    def load_data_list(self):
        return [dict(task='panoptic') for _ in range(self._n)]


def test_runner_build_call_and_lazy_mmengine_concat():
    from mmengine.registry import DATA_SAMPLERS
    ds = MMConcatDataset([_Listed(10), _Listed(30)], lazy_init=True)
    # the call mmengine's Runner.build_dataloader makes
    sampler = DATA_SAMPLERS.build(dict(type='DatasetRatioSampler', repeat_factors=[3, 1]),
                                  default_args=dict(dataset=ds, seed=7))
    assert isinstance(sampler, DatasetRatioSampler) and sampler.seed == 7
    assert sampler.sizes == [10, 30] and len(sampler) == 60
    assert set(sampler) == set(range(40))


@pytest.mark.parametrize('kw, error, match', [
    (dict(ratios=[1, 1]), ValueError,
     r'`ratios` has 2 entries .* 3 sub-datasets; give exactly one entry'),
    (dict(repeat_factors=[1, 2, 3, 4]), ValueError,
     r'`repeat_factors` has 4 entries .* 3 sub-datasets'),
    (dict(ratios=[1, -1, 1]), ValueError, r'`ratios`\[1\] = -1; .* >= 0'),
    (dict(ratios=[1, float('nan'), 1]), ValueError, r'`ratios`\[1\] = nan'),
    (dict(repeat_factors=[0, 0, 0]), ValueError, r'every entry of `repeat_factors` is 0'),
    (dict(ratios=[1, 1, 1], repeat_factors=[1, 1, 1]), ValueError, r'exactly one of .* got both'),
    (dict(), ValueError, r'exactly one of .* got neither'),
    (dict(ratios='1,1,1'), TypeError, r'`ratios` must be a list'),
    (dict(ratios=[1, 1, 1], num_samples_per_epoch=0), ValueError,
     r'`num_samples_per_epoch` must be an int'),
    (dict(ratios=[1, 1, 1], rank=2, world_size=2), ValueError, r'0 <= rank < world_size'),
])
def test_bad_config_is_named(kw, error, match):
    with pytest.raises(error, match=match):
        DatasetRatioSampler(dataset=_concat(5, 6, 7), seed=0, **kw)


def test_empty_sub_dataset_with_positive_ratio_is_named():
    with pytest.raises(ValueError, match=r'sub-dataset 1 \(_Part\) is empty but `ratios`\[1\] '
                                         r'= 2; check its data_root'):
        DatasetRatioSampler(dataset=_concat(5, 0), ratios=[1, 2], seed=0)


def test_not_a_concatenation_is_named():
    with pytest.raises(TypeError, match=r"must be a concatenation .* dict\(type='ConcatDataset'"):
        DatasetRatioSampler(dataset=_Part(10), ratios=[1], seed=0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out_dir: str) -> None:
    # forked from the test process: imports come for free (a spawned child re-imports torch,
    # ~10 s of CPU each); one thread, as DataLoader workers do, keeps OpenMP fork-safe
    torch.set_num_threads(1)
    # the fork copied the parent's numpy state: give each rank its own, as separate launches
    # have, so only sync_random_seed can make the seeds agree
    np.random.seed(1000 + rank)
    own_seed = int(np.random.randint(2**31))
    np.random.seed(1000 + rank)
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2, timeout=timedelta(seconds=60))
    try:
        sampler = DatasetRatioSampler(dataset=_concat(*REPEAT_SIZES),
                                      repeat_factors=REPEAT_FACTORS, num_samples_per_epoch=999)
        assert (sampler.rank, sampler.world_size) == (rank, 2)
        torch.save(dict(own_seed=own_seed, seed=sampler.seed, indices=list(sampler)),
                   os.path.join(out_dir, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_share_the_stream(tmp_path):
    mp.start_processes(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True,
                       start_method='fork')
    r0, r1 = (torch.load(tmp_path / f'rank{r}.pt') for r in range(2))
    # seed=None: the ranks drew different seeds of their own and took rank 0's
    assert r0['own_seed'] != r1['own_seed']
    assert r0['seed'] == r1['seed'] == r0['own_seed']
    assert len(r0['indices']) == len(r1['indices']) == 500
    full = _stream(_concat(*REPEAT_SIZES), repeat_factors=REPEAT_FACTORS,
                   num_samples_per_epoch=999, seed=r0['seed'])
    padded = full + full[:1]
    assert r0['indices'] == padded[0::2] and r1['indices'] == padded[1::2]
