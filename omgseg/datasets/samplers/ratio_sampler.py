"""Sample a concatenation of datasets in configured proportions, the same way on every rank.

Joint training mixes sets of very different sizes (COCO ~118k images, VIPSeg ~3k videos), so a
plain shuffle would show the small sets almost never. The original OMG-Seg balances them with
``RepeatDataset.times`` (e.g. COCO x1, YT-VIS-19 x30, VIPSeg x15, Cityscapes x15); this sampler
reaches the same balance without copying datasets, from either

* ``ratios``: one non-negative weight per sub-dataset (need not sum to 1); the share of
  sub-dataset ``i`` is ``ratios[i] / sum(ratios)``; or
* ``repeat_factors``: the paper's ``times``; the share of ``i`` is
  ``len_i * factor_i / sum_j(len_j * factor_j)``, what ``RepeatDataset`` would give.

One epoch is ``num_samples_per_epoch`` global positions (default ``sum(len_i * factor_i)`` for
repeat factors, ``sum(len_i)`` for ratios). For epoch ``e`` a ``torch.Generator`` seeded with
``seed + e``:

1. draws the sub-dataset of every position (multinomial over the shares, with replacement);
2. then, sub-dataset by sub-dataset in order, walks fresh random permutations of its samples
   and hands them to that sub-dataset's positions in stream order. A sub-dataset drawn ``c``
   times with ``n`` samples uses every sample once before any repeats, repeats are spread over
   the epoch, and no sample is drawn more than ``ceil(c / n)`` times.

The global stream (concatenated-dataset indices) is identical on every rank because every rank
uses the same seed (``seed=None`` takes mmengine's ``sync_random_seed``, which broadcasts rank
0's). As in mmengine's
``DefaultSampler(round_up=True)`` the stream is padded to a multiple of the world size ``W`` by
wrapping round to its start, and rank ``r`` takes positions ``r, r + W, r + 2W, ...``: ranks see
disjoint positions, each yields ``ceil(N / W)`` indices (that is ``len(sampler)``), and the
stream depends only on ``seed``, epoch and ``W``. ``set_epoch`` (called by mmengine's
``DistSamplerSeedHook``, also through a batch sampler such as ``TaskBatchSampler``) changes it.

Config::

    train_dataloader = dict(
        sampler=dict(type='DatasetRatioSampler', repeat_factors=[1, 30, 15, 15, 1]),
        batch_sampler=dict(type='TaskBatchSampler', batch_size=1),
        dataset=dict(type='ConcatDataset', datasets=[...]))

mmengine's runner builds it as ``DATA_SAMPLERS.build(cfg, default_args=dict(dataset=...,
seed=...))``, so ``dataset`` and ``seed`` come from the runner unless the config sets them.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from numbers import Integral, Real

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from omgseg.registry import DATA_SAMPLERS

_WHERE = 'train_dataloader.sampler (DatasetRatioSampler)'


def _sub_dataset_sizes(dataset) -> list[int]:
    """Sizes of the sub-datasets of a ConcatDataset-like ``dataset``, from ``cumulative_sizes``."""
    if not hasattr(dataset, 'datasets'):
        raise TypeError(
            f'{_WHERE}: the dataset must be a concatenation (with .datasets and '
            f'.cumulative_sizes), got {type(dataset).__name__}; wrap the sub-datasets in '
            f"dict(type='ConcatDataset', datasets=[...]) or use a single-dataset sampler.")
    if not hasattr(dataset, 'cumulative_sizes') and hasattr(dataset, 'full_init'):
        # mmengine's ConcatDataset(lazy_init=True) sets cumulative_sizes only in full_init
        dataset.full_init()
    if not hasattr(dataset, 'cumulative_sizes'):
        raise TypeError(f'{_WHERE}: {type(dataset).__name__} has .datasets but no '
                        f'.cumulative_sizes; derive it from torch.utils.data.ConcatDataset.')
    cumulative = [int(c) for c in dataset.cumulative_sizes]
    if len(cumulative) != len(dataset.datasets):
        raise ValueError(f'{_WHERE}: {type(dataset).__name__} has {len(dataset.datasets)} '
                         f'datasets but {len(cumulative)} cumulative sizes.')
    return [c - p for c, p in zip(cumulative, [0] + cumulative[:-1])]


def _weights(key: str, values, num_datasets: int) -> list[float]:
    """Validate ``values`` (the config list under ``key``): one finite number >= 0 per dataset."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f'{_WHERE}: `{key}` must be a list with one number per sub-dataset, '
                        f'got {values!r}.')
    if len(values) != num_datasets:
        raise ValueError(
            f'{_WHERE}: `{key}` has {len(values)} entries but the concatenated dataset has '
            f'{num_datasets} sub-datasets; give exactly one entry per sub-dataset, in the order '
            f'of dataset.datasets.')
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v) or v < 0:
            raise ValueError(f'{_WHERE}: `{key}`[{i}] = {v!r}; every entry must be a finite '
                             f'number >= 0 (0 leaves that sub-dataset out).')
        out.append(float(v))
    if not any(out):
        raise ValueError(f'{_WHERE}: every entry of `{key}` is 0, so no sub-dataset would be '
                         f'sampled; give at least one a positive value.')
    return out


@DATA_SAMPLERS.register_module()
class DatasetRatioSampler(Sampler):
    """Distributed sampler over a ConcatDataset-like dataset with per-sub-dataset proportions.

    See the module docstring for the sampling scheme. Exactly one of ``ratios`` and
    ``repeat_factors`` is given.

    Args:
        dataset: has ``.datasets`` (K sub-datasets) and ``.cumulative_sizes`` (K ints), as
            ``torch.utils.data.ConcatDataset`` and its subclasses do.
        ratios: K weights >= 0; shares are ``ratios / sum(ratios)``.
        repeat_factors: K factors >= 0 (``RepeatDataset.times``); shares are
            ``len_i * factor_i`` normalised.
        num_samples_per_epoch: global positions per epoch (N); default
            ``round(sum(len_i * factor_i))`` or ``sum(len_i)``.
        seed: base seed shared by all ranks; None draws one with ``sync_random_seed``.
        rank, world_size: override ``mmengine.dist.get_dist_info()`` (tests, custom groups).

    Attributes:
        shares: K floats summing to 1, the probability of each sub-dataset per position.
        sizes: K ints, the sub-dataset lengths.
        num_samples: indices per rank and epoch, ``ceil(N / world_size)``.
    """

    def __init__(self, *, dataset, ratios: Sequence[float] | None = None,
                 repeat_factors: Sequence[float] | None = None,
                 num_samples_per_epoch: int | None = None, seed: int | None = None,
                 rank: int | None = None, world_size: int | None = None) -> None:
        if (ratios is None) == (repeat_factors is None):
            raise ValueError(
                f'{_WHERE}: give exactly one of `ratios` (weights per sub-dataset) and '
                f'`repeat_factors` (RepeatDataset-style times per sub-dataset), got '
                f'{"both" if ratios is not None else "neither"}.')
        self.dataset = dataset
        self.sizes = _sub_dataset_sizes(dataset)
        key = 'ratios' if ratios is not None else 'repeat_factors'
        given = _weights(key, ratios if ratios is not None else repeat_factors, len(self.sizes))
        for i, (size, w) in enumerate(zip(self.sizes, given)):
            if size == 0 and w > 0:
                raise ValueError(
                    f'{_WHERE}: sub-dataset {i} ({type(dataset.datasets[i]).__name__}) is '
                    f'empty but `{key}`[{i}] = {w:g}; check its data_root / ann_file, or set '
                    f'`{key}`[{i}] to 0.')
        weights = given if ratios is not None else [n * f for n, f in zip(self.sizes, given)]
        total = sum(weights)
        self.shares = [w / total for w in weights]

        if num_samples_per_epoch is None:
            num_samples_per_epoch = (sum(self.sizes) if ratios is not None
                                     else round(total))
        count = num_samples_per_epoch
        if isinstance(count, bool) or not isinstance(count, Integral) or count < 1:
            raise ValueError(f'{_WHERE}: `num_samples_per_epoch` must be an int >= 1, got '
                             f'{num_samples_per_epoch!r}.')
        self.num_samples_per_epoch = int(count)

        dist_rank, dist_world = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.world_size = dist_world if world_size is None else world_size
        if not (self.world_size >= 1 and 0 <= self.rank < self.world_size):
            raise ValueError(f'{_WHERE}: need 0 <= rank < world_size, got rank={self.rank}, '
                             f'world_size={self.world_size}.')
        # every rank must draw the same stream: a missing seed is rank 0's, broadcast
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        self.num_samples = math.ceil(self.num_samples_per_epoch / self.world_size)
        self.total_size = self.num_samples * self.world_size
        print_log(f'DatasetRatioSampler: {self.num_samples_per_epoch} samples per epoch, shares '
                  + ', '.join(f'{s:.3f} (of {n})' for s, n in zip(self.shares, self.sizes)),
                  logger='current')

    def global_indices(self) -> torch.Tensor:
        """The epoch's global stream, before padding and rank slicing.

        Returns:
            (N,) int64 tensor of concatenated-dataset indices.
        """
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        n = self.num_samples_per_epoch
        which = torch.multinomial(torch.tensor(self.shares, dtype=torch.float64), n,
                                  replacement=True, generator=g)
        out = torch.empty(n, dtype=torch.long)
        offset = 0
        for i, size in enumerate(self.sizes):
            positions = (which == i).nonzero(as_tuple=True)[0]
            count = positions.numel()
            if count:
                # whole permutations back to back: all samples once before any repeat
                perms = [torch.randperm(size, generator=g) for _ in range(-(-count // size))]
                out[positions] = torch.cat(perms)[:count] + offset
            offset += size
        return out

    def __iter__(self) -> Iterator[int]:
        indices = self.global_indices().tolist()
        # pad by wrapping so every rank gets ceil(N / W) indices, as DefaultSampler does
        indices = (indices * (self.total_size // len(indices) + 1))[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        """Indices this rank yields per epoch: ``ceil(num_samples_per_epoch / world_size)``."""
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the stream of ``epoch`` (seeded ``seed + epoch``) from the next iteration on."""
        self.epoch = epoch

    def state_dict(self) -> dict:
        """What fixes the stream (checkpointed by ``ExactResumeHook``): ``seed`` and ``epoch``."""
        return dict(seed=self.seed, epoch=self.epoch)

    def load_state_dict(self, state: dict) -> None:
        """Continue the stream of a checkpointed run (its seed may have been drawn at random)."""
        self.seed, self.epoch = int(state['seed']), int(state['epoch'])
