"""Give the tiny test CLIP a "web pre-training" on the toy world, then report zero-shot accuracy.

Real CLIP knows every class from web pre-training, which is what open-vocabulary fusion relies
on. The tiny CLIP (``TINY_CLIP_CFG``) is random, so this tool trains it contrastively on
segments of toy scenes rendered on the fly, each paired with a caption of its class::

    python tools/misc/pretrain_tiny_clip.py --out data/toy/tiny_clip_pretrained.pth \
        [--init data/toy/tiny_clip.pth] [--steps 120] [--seed 0] [--force]

The method (image side, loss, what is trained and why, scene seeds) is described in
``omgseg/toy_clip/pretrain.py`` and ``omgseg/toy_clip/scenes.py``, which do the work.

The output has the same format as ``make_tiny_clip.py`` (a plain open_clip state dict), so
``pretrained=<path>`` loads it. Deterministic given ``--seed`` (and ``--init``) on a given
machine and thread count.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/toy/tiny_clip_pretrained.pth',
                        help='output .pth (open_clip state dict)')
    parser.add_argument('--init', help='start from this CLIP checkpoint (e.g. '
                        'data/toy/tiny_clip.pth); default: the random init of --seed')
    parser.add_argument('--steps', type=int, default=120, help='optimisation steps')
    parser.add_argument('--pool-scenes', type=int, default=256,
                        help='training scenes rendered (their segments are the image side)')
    parser.add_argument('--batch-segments', type=int, default=256, help='segments per step')
    parser.add_argument('--lr', type=float, default=3e-3, help='peak AdamW learning rate')
    parser.add_argument('--seed', type=int, default=0, help='torch seed of the init (without '
                        '--init; as make_tiny_clip.py) and seed of minibatches and captions')
    parser.add_argument('--eval-scenes', type=int, default=80,
                        help='held-out scenes of the zero-shot report')
    parser.add_argument('--size', type=int, default=128,
                        help='scene side in pixels (the toy datasets use 128)')
    parser.add_argument('--no-init-eval', action='store_true',
                        help='skip the zero-shot accuracy of the init (saves a few seconds)')
    parser.add_argument('--force', action='store_true', help='overwrite an existing file')
    args = parser.parse_args(argv)
    for key in ('steps', 'pool_scenes', 'batch_segments', 'eval_scenes'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")} must be >= 1, got {getattr(args, key)}')
    if args.size < 32 or args.size % 32:
        parser.error(f'--size must be a multiple of 32 (the stage-4 stride), got {args.size}')
    if args.init is not None and not os.path.isfile(args.init):
        parser.error(f'--init {args.init} does not exist; make it with '
                     f'tools/misc/make_tiny_clip.py or leave --init out.')
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the tool and return its report: ``out``, ``skipped`` (True when ``out`` existed and
    --force was not given; nothing else is then reported) and, otherwise, the report of
    ``omgseg.toy_clip.pretrain.pretrain_tiny_clip``."""
    args = parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        print(f'{args.out} exists; skipping (use --force to overwrite).')
        return dict(out=args.out, skipped=True)
    from omgseg.toy_clip.pretrain import pretrain_tiny_clip

    report = pretrain_tiny_clip(args.out, init=args.init, steps=args.steps,
                                pool_scenes=args.pool_scenes,
                                batch_segments=args.batch_segments, lr=args.lr, seed=args.seed,
                                eval_scenes=args.eval_scenes, size=args.size,
                                init_eval=not args.no_init_eval)
    return dict(report, skipped=False)


if __name__ == '__main__':
    main()
    sys.exit(0)
