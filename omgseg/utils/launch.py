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


def prepare_cfg(cfg: Config, *, amp: bool = False, auto_scale_lr: bool = False) -> Config:
    """Pick the distributed set-up for this machine and apply --amp / --auto-scale-lr."""
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
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.', logger='current')
        elif wrapper != 'OptimWrapper':
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {wrapper!r}.')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise ValueError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config.')
        cfg.auto_scale_lr.enable = True
    return cfg
