"""Checkpoints that resume exactly: random states, sampler state and position in the epoch.

mmengine's checkpoint holds weights, optimizer, schedulers and the seed, but not the random
streams: a resumed run re-seeds from the start and then draws different augmentations and
point samples than the run it continues, and a checkpoint written inside an epoch replays that
epoch from its first batch. This hook adds ``checkpoint['resume_state']``::

    dict(rng=[state of rank 0, rank 1, ...],   # omgseg.engine.rng_state, tensors and ints
         loader=dict(sampler=dict(seed=0, epoch=1)),
         batches_done=3)                        # batches of the checkpoint's epoch trained

and on ``--resume`` restores them at the point where the interrupted run would have gone on:

* a checkpoint from the end of an epoch: the states are set at the start of the next epoch,
  before the loader draws its per-epoch worker seed, as in the uninterrupted run;
* a checkpoint from inside an epoch (``CheckpointHook(by_epoch=False)``): the batches already
  trained on are skipped by index and the states are set when the next batch is requested.

Evaluation during training runs between the saved state and the next epoch; its draws (the val
loader's seed, for one) are undone after it so that training does not depend on whether, or
how often, it evaluated. Bit-exact results need the same hardware, deterministic kernels and
``num_workers=0``, or workers that are re-created every epoch (``persistent_workers=False``)
for checkpoints at epoch ends; docs/resume.md lists the cases.
"""
from __future__ import annotations

import logging

from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop

from omgseg.engine.resume_batches import load_loader_state, loader_state, skip_batches
from omgseg.engine.rng_state import capture_rng_state, restore_rng_state
from omgseg.registry import HOOKS


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Store the random and sampler states in checkpoints; restore them on resume."""

    # after most hooks of a stage (their draws come before the saved point), before
    # CheckpointHook (VERY_LOW), which saves
    priority = 'LOW'

    def __init__(self) -> None:
        self._epoch_start_iter = 0
        self._rank_states: list[dict] | None = None
        self._pending: dict | None = None
        self._val_state: dict | None = None

    # saving ----------------------------------------------------------------------------

    def before_train_epoch(self, runner) -> None:
        pending, self._pending = self._pending, None
        skip = pending['batches_done'] if pending else 0
        self._epoch_start_iter = runner.iter - skip
        if pending is None:
            return
        state = self._own_rng(pending)
        if skip == 0 or not isinstance(runner.train_loop, EpochBasedTrainLoop):
            # IterBasedTrainLoop advances its loader past the trained batches itself
            restore_rng_state(state)
        else:
            skip_batches(runner.train_loop.dataloader, skip,
                         on_resume=lambda: restore_rng_state(state))
            print_log(f'ExactResumeHook: skipping the {skip} batches of epoch '
                      f'{runner.epoch + 1} trained before the checkpoint', logger='current')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if any(isinstance(h, CheckpointHook) and not h.by_epoch for h in runner.hooks):
            self._gather_rank_states()

    def after_train_epoch(self, runner) -> None:
        self._gather_rank_states()

    def _gather_rank_states(self) -> None:
        """Collect every rank's states where a checkpoint may be written next (rank 0 alone
        saves it, so the collective call cannot happen while saving)."""
        _, world_size = get_dist_info()
        if world_size > 1:
            self._rank_states = all_gather_object(capture_rng_state())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint['meta']
        # mmengine stores epoch + 1 for a checkpoint at the end of an epoch
        inside_epoch = meta['epoch'] == runner.epoch
        batches_done = meta['iter'] - self._epoch_start_iter if inside_epoch else 0
        _, world_size = get_dist_info()
        if self._val_state is not None:
            # a checkpoint written during evaluation (the best one): training goes on from
            # the state evaluation will restore
            rng = [self._val_state]
        else:
            rng = (self._rank_states if world_size > 1 and self._rank_states
                   else [capture_rng_state()])
        checkpoint['resume_state'] = dict(
            rng=rng, loader=loader_state(runner.train_loop.dataloader),
            batches_done=int(batches_done))

    # resuming ----------------------------------------------------------------------------

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # the same call loads weights for `load_from` and for testing: only a resume continues
        if not runner._resume:
            return
        state = checkpoint.get('resume_state')
        if state is None:
            print_log('ExactResumeHook: the checkpoint holds no random states (written without '
                      'this hook); the resumed run will not repeat the interrupted one.',
                      logger='current', level=logging.WARNING)
            return
        load_loader_state(runner.train_loop.dataloader, state['loader'])
        self._pending = state

    def _own_rng(self, state: dict) -> dict:
        rank, world_size = get_dist_info()
        if len(state['rng']) != world_size:
            print_log(f'ExactResumeHook: the checkpoint has random states of '
                      f'{len(state["rng"])} processes, this run has {world_size}; each rank '
                      f'takes the state of rank (rank mod {len(state["rng"])}).',
                      logger='current', level=logging.WARNING)
        return state['rng'][rank % len(state['rng'])]

    # evaluation must not move the training streams ---------------------------------------

    def before_val(self, runner) -> None:
        self._val_state = capture_rng_state()

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            restore_rng_state(self._val_state)
            self._val_state = None
