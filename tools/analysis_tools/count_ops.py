"""Operators one training step dispatches, by part of the model, views apart: a device-free
measure of a GPU step's dispatch work (each non-view operator roughly one kernel launch).

    python tools/analysis_tools/count_ops.py CONFIG [--shape 128 224] [--frames 2]
        [--random-init] [--cfg-options k=v ...]

Runs one warm-up and one counted step of ``model.train_step``'s parts (preprocessing, forward
with losses, backward, optimizer step) on the CPU on a random panoptic clip, and counts every
aten operator that reaches a backend (a ``TorchDispatchMode``), attributed to the backbone, the
pixel decoder, the query decoder's layers, the criterion, the rest of the forward (mask
predictions between the layers, task handlers, matching), the backward and the optimizer step.
The count hardly depends on ``--shape``. On CUDA the optimizer's foreach / fused updates are a
few multi-tensor kernels, so that line is left out of the per-step total.
"""
from __future__ import annotations

import argparse

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import omgseg.register  # noqa: F401  (registers modules)
from omgseg.utils.launch import missing_config
from omgseg.utils.measure import RandomClips, build_model, collate_clips, pad_training_to
from omgseg.utils.op_count import OPTIMIZER, count_step


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('config')
    p.add_argument('--shape', type=int, nargs=2, default=[128, 224], metavar=('H', 'W'))
    p.add_argument('--frames', type=int, default=2)
    p.add_argument('--random-init', action='store_true',
                   help='read no weight or class-embedding file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = p.parse_args(argv)
    if problem := missing_config(args.config):
        p.error(problem)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    h, w = args.shape
    pad_training_to(cfg, h, w)
    torch.manual_seed(0)
    model = build_model(cfg, random_init=args.random_init).train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    head = model.panoptic_head
    clips = RandomClips(length=2, frames=args.frames, height=h, width=w,
                        num_things=head.num_things_classes, num_classes=head.num_classes)
    # warm-up: lazy initialisation, optimizer state
    count_step(model, wrapper, collate_clips([clips[0]]))
    counts, views = count_step(model, wrapper, collate_clips([clips[1]]))
    print(f'{args.config}: one training step, {args.frames} frame(s) at {h} x {w}, CPU')
    print(f'{"operators":>9s} {"views":>7s} {"non-view":>8s}  part')
    for name, n in counts.most_common():
        print(f'{n:9d} {views[name]:7d} {n - views[name]:8d}  {name}')
    total = sum(v for k, v in counts.items() if k != OPTIMIZER)
    total_views = sum(v for k, v in views.items() if k != OPTIMIZER)
    print(f'{total:9d} {total_views:7d} {total - total_views:8d}  per step without the '
          f'optimizer step')


if __name__ == '__main__':
    main()
