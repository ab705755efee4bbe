"""Generate the synthetic toy-world dataset in real COCO panoptic / instances / semantic formats.

    python tools/dataset_converters/make_toy_data.py --out data/toy
    python tools/dataset_converters/make_toy_data.py --out data/toy --num-train 300 \
        --num-val 60 --seed 0 --size 128 128 [--force]

Writes ``<out>/coco``; skips (with a log line) when that folder already holds data from the same
generator version and arguments (``<out>/coco/.toy_meta.json``), unless ``--force``.
"""
from __future__ import annotations

import argparse
import sys
import time

import omgseg.datasets.toy as toy  # numpy / Pillow only: no torch import



def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='data/toy', help='output root; files go to <out>/coco')
    p.add_argument('--num-train', type=int, default=300, help='number of train images')
    p.add_argument('--num-val', type=int, default=60, help='number of val images')
    p.add_argument('--seed', type=int, default=0, help='base seed (val uses a disjoint stream)')
    p.add_argument('--size', type=int, nargs=2, default=(128, 128), metavar=('H', 'W'),
                   help='image height and width')
    p.add_argument('--force', action='store_true', help='regenerate even if up to date')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    result = toy.generate_toy_coco(args.out, num_train=args.num_train, num_val=args.num_val,
                                   seed=args.seed, size=tuple(args.size), force=args.force)
    if not result['skipped']:
        print(f'done in {time.perf_counter() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
