"""The train loader's resumable parts: the index sampler's state, and skipping seen batches.

mmengine's ``EpochBasedTrainLoop`` restarts an epoch from its first batch, so a checkpoint
written in the middle of an epoch would replay the batches it already trained on. The
:class:`SkippingBatchSampler` drops them by index (no image is read) for one epoch.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from torch.utils.data import DataLoader


def _index_sampler(loader: DataLoader):
    """The sampler that orders the indices (inside the batch sampler), or None."""
    return getattr(getattr(loader, 'batch_sampler', None), 'sampler', None)


def loader_state(loader: DataLoader) -> dict:
    """Seed and epoch of the loader's index sampler, as plain ints.

    Uses the sampler's ``state_dict`` when it has one (omgseg's samplers), else its ``seed`` /
    ``epoch`` attributes (mmengine's ``DefaultSampler``).
    """
    sampler = _index_sampler(loader)
    if callable(getattr(sampler, 'state_dict', None)):
        return dict(sampler=sampler.state_dict())
    return dict(sampler={k: int(getattr(sampler, k)) for k in ('seed', 'epoch')
                         if isinstance(getattr(sampler, k, None), int)})


def load_loader_state(loader: DataLoader, state: dict) -> None:
    """Give the index sampler, and the workers' seeding function, the checkpointed seed.

    The loader is built before the checkpoint is read, with the config's seed; a run whose
    seed was drawn at random would otherwise shuffle (and seed its workers) differently.
    """
    sampler, saved = _index_sampler(loader), state.get('sampler', {})
    if callable(getattr(sampler, 'load_state_dict', None)):
        sampler.load_state_dict(saved)
    else:
        for key, value in saved.items():
            setattr(sampler, key, value)
    init_fn = loader.worker_init_fn
    if 'seed' in saved and isinstance(init_fn, functools.partial) and 'seed' in init_fn.keywords:
        loader.worker_init_fn = functools.partial(
            init_fn.func, *init_fn.args, **dict(init_fn.keywords, seed=saved['seed']))


class SkippingBatchSampler:
    """Yields the batches of ``batch_sampler``, leaving out the first ``skip`` of its next pass.

    Args:
        batch_sampler: the loader's batch sampler (torch ``BatchSampler``,
            ``TaskBatchSampler``, ...); its batches and length are kept.
        skip: batches to drop from the next pass only; later passes are complete.
        on_resume: called once, when the loader first asks for a batch: after it drew its
            per-epoch seed, before the first batch after the skipped ones is loaded.
    """

    def __init__(self, batch_sampler, *, skip: int,
                 on_resume: Callable[[], None] | None = None) -> None:
        self.batch_sampler = batch_sampler
        self.skip = skip
        self.on_resume = on_resume

    @property
    def sampler(self):
        """The index sampler (mmengine's DistSamplerSeedHook calls its ``set_epoch``)."""
        return self.batch_sampler.sampler

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator[list[int]]:
        skip, self.skip = self.skip, 0
        batches = iter(self.batch_sampler)
        for _ in range(skip):
            next(batches, None)
        # also when every batch was skipped (a checkpoint after an epoch's last iteration)
        if self.on_resume is not None:
            callback, self.on_resume = self.on_resume, None
            callback()
        yield from batches


def skip_batches(loader: DataLoader, skip: int, on_resume: Callable[[], None]) -> None:
    """Make the loader's next pass start at batch ``skip``; ``on_resume`` runs before it.

    ``DataLoader`` refuses a new ``batch_sampler`` once built (its ``__setattr__`` guards the
    attribute against changes during iteration); no iterator exists yet when this runs, and the
    wrapper keeps every later pass identical, so it is set directly.
    """
    if getattr(loader, 'batch_sampler', None) is None:
        raise TypeError('resuming inside an epoch needs a loader with a batch sampler '
                        '(train_dataloader.batch_size or batch_sampler).')
    wrapper = SkippingBatchSampler(loader.batch_sampler, skip=skip, on_resume=on_resume)
    object.__setattr__(loader, 'batch_sampler', wrapper)
