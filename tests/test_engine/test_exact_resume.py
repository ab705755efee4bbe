"""Resume that continues exactly: a toy run killed with SIGKILL after its first checkpoint and
resumed with --resume ends with the same weights, bit for bit, as an uninterrupted run (CPU,
one process), from a checkpoint at an epoch's end or inside an epoch."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from omgseg.utils.safe_load import register_safe_globals
from tests.conftest import ROOT, run_tool, toy_cfg

EPOCHS, ITERS_PER_EPOCH = 3, 2
# Loader workers of the epoch-end case (the workers' seeds are part of what a checkpoint
# restores). Inside an epoch only num_workers=0 is exact (docs/resume.md says why).
WORKERS = 2


def _shrink(pipeline: list, size: int) -> None:
    for step in pipeline:
        for key in ('scale', 'crop_size'):
            if key in step:
                step[key] = (size, size)


def _write_cfg(toy_root: Path, path: Path, *, workers: int = 0, **checkpoint) -> Path:
    """3 epochs of 2 one-image iterations at 64 x 64 (frozen backbone, for speed), evaluated
    on one image after every epoch, so that evaluation runs between the saved point and the
    next epoch."""
    cfg = toy_cfg(toy_root, **{'train_cfg.max_epochs': EPOCHS, 'train_cfg.val_interval': 1,
                               'default_hooks.logger.interval': 1,
                               'model.backbone.frozen': True})
    cfg.train_dataloader.batch_size = 1
    cfg.train_dataloader.dataset.indices = ITERS_PER_EPOCH
    cfg.train_dataloader.num_workers = workers
    _shrink(cfg.train_dataloader.dataset.pipeline, 64)
    cfg.val_dataloader.batch_size = 1
    cfg.val_dataloader.dataset.indices = 1
    _shrink(cfg.val_dataloader.dataset.pipeline, 64)
    cfg.val_evaluator = [dict(type='PanopticQualityMetric')]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', max_keep_ckpts=-1,
                                        **(checkpoint or dict(interval=1)))
    cfg.dump(str(path))
    return path


def _weights(path: Path) -> dict:
    register_safe_globals()
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def _kill_after_first_checkpoint(cfg: Path, work: Path) -> str:
    """Start training, SIGKILL it once its first checkpoint is complete; the checkpoint name."""
    proc = subprocess.Popen([sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    marker = work / 'last_checkpoint'      # written by CheckpointHook after the file is saved
    deadline = time.monotonic() + 600
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if proc.poll() is not None:
        raise AssertionError(f'training ended before it was killed:\n{proc.stderr.read()[-3000:]}')
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    proc.stderr.close()
    return Path(marker.read_text().strip()).name


def _uninterrupted(toy_root, tmp_path_factory, workers):
    tmp = tmp_path_factory.mktemp(f'full{workers}')
    cfg = _write_cfg(toy_root, tmp / 'cfg.py', workers=workers)
    run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp / 'work'))
    return _weights(tmp / 'work' / f'epoch_{EPOCHS}.pth')


@pytest.fixture(scope='module')
def full_run(toy_root, tmp_path_factory):
    """The uninterrupted run with two loader workers."""
    return _uninterrupted(toy_root, tmp_path_factory, WORKERS)


@pytest.fixture(scope='module')
def full_run_no_workers(toy_root, tmp_path_factory):
    return _uninterrupted(toy_root, tmp_path_factory, 0)


def _assert_same(resumed: dict, full: dict) -> None:
    assert resumed.keys() == full.keys()
    differ = [k for k in full if not torch.equal(resumed[k], full[k])]
    assert not differ, f'{len(differ)} tensors differ, e.g. {differ[:3]}'


def test_killed_after_epoch_checkpoint_resumes_bit_exact(toy_root, tmp_path, full_run):
    cfg = _write_cfg(toy_root, tmp_path / 'cfg.py', workers=WORKERS)
    work = tmp_path / 'work'
    assert _kill_after_first_checkpoint(cfg, work) == 'epoch_1.pth'
    assert not (work / f'epoch_{EPOCHS}.pth').exists()
    register_safe_globals()
    ckpt = torch.load(work / 'epoch_1.pth', weights_only=True)      # still loads safely
    assert ckpt['resume_state']['batches_done'] == 0
    run_tool('tools/train.py', str(cfg), '--work-dir', str(work), '--resume')
    _assert_same(_weights(work / f'epoch_{EPOCHS}.pth'), full_run)


def test_killed_inside_an_epoch_skips_seen_batches(toy_root, tmp_path, full_run_no_workers):
    # a checkpoint every 3 iterations: the first is taken after batch 1 of 2 of epoch 2
    cfg = _write_cfg(toy_root, tmp_path / 'cfg.py', by_epoch=False, interval=3)
    work = tmp_path / 'work'
    assert _kill_after_first_checkpoint(cfg, work) == 'iter_3.pth'
    register_safe_globals()
    assert torch.load(work / 'iter_3.pth', weights_only=True)['resume_state'][
        'batches_done'] == 1
    proc = run_tool('tools/train.py', str(cfg), '--work-dir', str(work), '--resume')
    assert 'skipping the 1 batches of epoch 2' in proc.stdout + proc.stderr
    final = work / f'iter_{EPOCHS * ITERS_PER_EPOCH}.pth'
    _assert_same(_weights(final), full_run_no_workers)
