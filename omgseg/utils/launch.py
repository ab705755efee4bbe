"""Config adjustments shared by tools/train.py and tools/test.py."""
from __future__ import annotations

import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import print_log


def add_launch_args(parser: argparse.ArgumentParser) -> None:
    """Arguments every tool that builds a Runner takes (--cfg-options, --launcher, rank)."""
    from mmengine.config import DictAction
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_epochs=1')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_launch_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse, and export LOCAL_RANK for launchers that pass it as an argument."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def missing_config(path: str) -> str | None:
    """What is wrong with a config path given on a command line (a message for
    ``parser.error``), or ``None`` when the file exists."""
    if os.path.isfile(path):
        return None
    return (f'config {path} does not exist; give the path of a config file, e.g. '
            f'configs/toy/omgseg_tiny_toy-coco-panoptic.py.')


def load_config(path: str, *, launcher: str = 'none', cfg_options: dict | None = None,
                work_dir: str | None = None) -> Config:
    """Read a config, apply ``--cfg-options`` and choose the work dir
    (``--work-dir`` > the config's ``work_dir`` > ``work_dirs/<config name>``)."""
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def _init_cpu_process_group() -> None:
    """Join the process group over gloo ourselves: mmengine's own set-up always calls
    ``torch.cuda.set_device``, which fails on machines without a GPU."""
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')


#: ``--amp`` choices: autocast dtype names (``--amp`` alone means fp16, mmdet's convention)
AMP_CHOICES = ('fp16', 'bf16')


def _check_amp_device(amp: str) -> None:
    """Refuse a precision this machine cannot train in, naming the fix."""
    if amp == 'fp16' and not torch.cuda.is_available():
        raise ValueError('--amp fp16 trains with CUDA loss scaling and needs a GPU; use '
                         '--amp bf16 (autocast also runs on CPU) or drop --amp.')
    if amp == 'bf16' and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        raise ValueError(f'--amp bf16: {torch.cuda.get_device_name()} has no bfloat16 support '
                         f'(Ampere or newer needed); use --amp fp16 instead.')


def apply_amp(cfg: Config, amp: str) -> Config:
    """Switch ``cfg.optim_wrapper`` to mixed precision: ``'bf16'`` -> ``AutocastOptimWrapper``
    (bf16 autocast, no loss scaling), ``'fp16'`` -> mmengine's ``AmpOptimWrapper`` (dynamic
    loss scaling). Raises ``ValueError`` for another dtype, a wrapper that is not a plain
    ``OptimWrapper`` or a device without that precision."""
    if amp not in AMP_CHOICES:
        raise ValueError(f'--amp must be one of {AMP_CHOICES}, got {amp!r}.')
    _check_amp_device(amp)
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    target = 'AutocastOptimWrapper' if amp == 'bf16' else 'AmpOptimWrapper'
    if wrapper == target:
        print_log(f'--amp {amp}: the config already uses {target}.', logger='current')
        return cfg
    if wrapper != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {wrapper!r}.')
    cfg.optim_wrapper.type = target
    if amp == 'bf16':
        cfg.optim_wrapper.dtype = 'bfloat16'
    else:
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    return cfg


def apply_test_amp(cfg: Config, amp: str) -> Config:
    """Run the test loop's forward passes under autocast to ``amp`` ('bf16' / 'fp16'):
    mmengine's ``TestLoop`` becomes ``AutocastTestLoop``, omgseg's multi-dataset loop gets
    ``amp``. Raises ``ValueError`` for another dtype or loop, or a device without it."""
    if amp not in AMP_CHOICES:
        raise ValueError(f'--amp must be one of {AMP_CHOICES}, got {amp!r}.')
    if amp == 'bf16':
        _check_amp_device(amp)
    elif not torch.cuda.is_available():
        raise ValueError('--amp fp16 inference needs a GPU here; use --amp bf16 (autocast also '
                         'runs on CPU) or drop --amp.')
    loop = cfg.test_cfg.get('type', 'TestLoop')
    if loop in ('TestLoop', 'mmengine.TestLoop'):
        cfg.test_cfg.type = 'AutocastTestLoop'
    elif loop not in ('AutocastTestLoop', 'MultiDatasetTestLoop'):
        raise ValueError(f'--amp needs test_cfg.type TestLoop, AutocastTestLoop or '
                         f'MultiDatasetTestLoop, got {loop!r}.')
    cfg.test_cfg.pop('fp16', None)
    cfg.test_cfg.amp = amp
    return cfg


def prepare_cfg(cfg: Config, *, amp: str | bool | None = None,
                auto_scale_lr: bool = False) -> Config:
    """Pick the distributed set-up for this machine and apply --amp / --auto-scale-lr.

    Args:
        amp: ``'bf16'``, ``'fp16'`` (``True`` = ``'fp16'``) or ``None`` / ``False`` for fp32.
    """
    if not torch.cuda.is_available():
        # nccl needs GPUs; CPU-only runs (development, CI) use gloo.
        cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
        if cfg.get('launcher', 'none') != 'none':
            _init_cpu_process_group()
            # mmengine passes device_ids=[LOCAL_RANK] to DDP, which only GPU modules accept
            if cfg.get('model_wrapper_cfg') is None:
                cfg.model_wrapper_cfg = dict(
                    type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
                    find_unused_parameters=cfg.get('find_unused_parameters', False))
    if amp:
        apply_amp(cfg, 'fp16' if amp is True else amp)
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ValueError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config.')
        cfg.auto_scale_lr.enable = True
    return cfg
