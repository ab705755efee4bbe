"""Count the FLOPs of one inference forward pass (backbone + pixel decoder + query decoder) of a
config's model with torch's own counter (``torch.utils.flop_counter.FlopCounterMode``).

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W] [--frames T] [--random-init]
        [--cfg-options k=v ...]

The counter sees matrix products and convolutions (matmul, linear, conv, attention), which are
nearly all of the work; element-wise ops, normalisation, ``grid_sample`` (deformable attention
sampling) and post-processing are not counted. One multiply-add counts as 2 FLOPs (torch's
convention; fvcore-based tools such as mmdet's report multiply-adds, half this number).
OMG-Seg's paper gives 868 GFLOPs for the ConvNeXt-L model at 1280 x 736 (figure quoted from
issue 14; the counting convention behind it is not stated there).
"""
from __future__ import annotations

import argparse

import torch
from mmengine.config import Config, DictAction

import omgseg.register  # noqa: F401  (registers modules)
from omgseg.utils.flops import count_flops
from omgseg.utils.launch import missing_config
from omgseg.utils.measure import build_model


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, default=[736, 1280], metavar=('H', 'W'),
                        help='input height and width (default: 736 1280, the paper\'s size)')
    parser.add_argument('--frames', type=int, default=1, help='frames per clip (default 1)')
    parser.add_argument('--random-init', action='store_true',
                        help='read no weight or class-embedding file (FLOPs do not depend on '
                        'them): for configs whose CLIP weights or embeddings are absent')
    parser.add_argument('--device', default='cpu',
                        help='where to run the counted forward pass (cpu, cuda; same count)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    args = parser.parse_args()
    if problem := missing_config(args.config):
        parser.error(problem)
    if min(args.shape) < 32 or args.frames < 1:
        parser.error(f'--shape needs H, W >= 32 and --frames >= 1, got {args.shape} '
                     f'and {args.frames}.')
    return args


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        model = build_model(cfg, random_init=args.random_init)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        raise SystemExit(f'{args.config}: building the model with its weights failed ({err}). '
                         f'FLOPs do not depend on weights: add --random-init.') from None
    h, w = args.shape
    device = torch.device(args.device)
    total, parts = count_flops(model.to(device), height=h, width=w, frames=args.frames,
                               device=device)
    print(f'config: {args.config}')
    print(f'input: {args.frames} frame(s) of {h} x {w} (H x W)'
          f'{", random weights" if args.random_init else ""}')
    for part, flops in parts.items():
        print(f'  {part:36s} {flops / 1e9:10.2f} GFLOPs')
    print(f'total: {total / 1e9:.2f} GFLOPs ({total / 2e9:.2f} G multiply-adds) '
          f'for the forward pass ({total / args.frames / 1e9:.2f} GFLOPs per frame)')


if __name__ == '__main__':
    main()
