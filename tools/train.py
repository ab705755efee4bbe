"""Train a model from a config (mmdet's conventions).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp [bf16|fp16]]
                                 [--auto-scale-lr]
                                 [--tensorboard] [--wandb] [--check-data]
                                 [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
"""
import argparse
import sys

from mmengine.runner import Runner

from omgseg.utils.launch import (AMP_CHOICES, add_launch_args, load_config, parse_launch_args,
                                 prepare_cfg)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train an omgseg model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const='auto', default=None,
                        help='resume from CKPT, or from the latest checkpoint of the work dir '
                        'when no path is given')
    parser.add_argument('--amp', nargs='?', const='fp16', choices=AMP_CHOICES, default=None,
                        help='mixed-precision training: bf16 (autocast, no loss scaling; '
                        'Ampere/Hopper GPUs, also CPU) or fp16 (CUDA, dynamic loss scaling); '
                        '--amp alone = fp16. Losses, matching and the classifier stay fp32.')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by (total batch) / base_batch_size')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also write TensorBoard events (= --cfg-options '
                        'visualizer.tensorboard=True; needs the tensorboard package)')
    parser.add_argument('--wandb', action='store_true',
                        help='also log to Weights & Biases (= visualizer.wandb=True; needs wandb)')
    parser.add_argument('--check-data', action='store_true',
                        help='check every dataset of the config first and stop with the full '
                        'report if anything is wrong (tools/analysis_tools/check_dataset.py)')
    add_launch_args(parser)
    return parse_launch_args(parser)


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, launcher=args.launcher, cfg_options=args.cfg_options,
                      work_dir=args.work_dir)
    prepare_cfg(cfg, amp=args.amp, auto_scale_lr=args.auto_scale_lr)
    for switch in ('tensorboard', 'wandb'):
        if getattr(args, switch):
            cfg.setdefault('visualizer', dict(type='DashboardVisualizer'))[switch] = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.check_data:
        from omgseg.datasets.checks import check_config
        report = check_config(cfg)
        if not report.ok:
            sys.exit(f'the data check found problems; training not started.\n{report.format()}')
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
