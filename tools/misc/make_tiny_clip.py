"""Write a deterministic random checkpoint of the tiny test CLIP (``TINY_CLIP_CFG``).

It stands in for real CLIP weights offline and exercises the local-checkpoint path of the
loader (``pretrained=<path>``)::

    python tools/misc/make_tiny_clip.py --out data/toy/tiny_clip.pth [--seed 0] [--force]
"""
from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/toy/tiny_clip.pth', help='output .pth file')
    parser.add_argument('--seed', type=int, default=0, help='torch seed for the random init')
    parser.add_argument('--force', action='store_true', help='overwrite an existing file')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        print(f'{args.out} exists; skipping (use --force to overwrite).')
        return 0
    from omgseg.toy_clip.checkpoint import make_tiny_clip

    num = make_tiny_clip(args.out, seed=args.seed)
    print(f'wrote tiny CLIP ({num} values, seed {args.seed}) to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
