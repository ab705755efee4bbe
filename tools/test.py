"""Evaluate a checkpoint on a config's test set.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--show-dir DIR] [--out F.pkl]
                         [--amp bf16|fp16] [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
"""
import argparse
import json
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.runner import Runner

from omgseg.utils.launch import (AMP_CHOICES, add_launch_args, apply_test_amp, load_config,
                                 parse_launch_args, prepare_cfg)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test an omgseg checkpoint')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs and metrics go')
    parser.add_argument('--show-dir', help='write an overlay of every test frame here '
                        '(<video>/<frame>.jpg for videos, <image stem>.jpg for images)')
    parser.add_argument('--out', help='dump raw predictions to this .pkl file')
    parser.add_argument('--amp', choices=AMP_CHOICES, default=None,
                        help='mixed-precision inference: the forward passes run under autocast '
                        '(bf16 on any device, fp16 on GPUs); metrics are computed in fp32')
    add_launch_args(parser)
    return parse_launch_args(parser)


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist.')
    cfg = load_config(args.config, launcher=args.launcher, cfg_options=args.cfg_options,
                      work_dir=args.work_dir)
    prepare_cfg(cfg)
    if args.amp:
        apply_test_amp(cfg, args.amp)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='SegVisualizationHook', show_dir=args.show_dir)]
    runner = Runner.from_cfg(cfg)
    if args.out:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    metrics = runner.test()
    if is_main_process():
        out = osp.join(cfg.work_dir, 'test_metrics.json')
        with open(out, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
        print(f'metrics written to {out}')


if __name__ == '__main__':
    main()
