"""Convert the official Cityscapes gtFine release to COCO panoptic format (19 classes, things
first), the layout ``OMGCocoPanopticDataset`` reads with the ``cityscapes_panoptic`` vocabulary.

    python tools/dataset_converters/cityscapes.py data/cityscapes
    python tools/dataset_converters/cityscapes.py data/cityscapes --splits val --nproc 16

The work is ``omgseg/datasets/converters/cityscapes.py``; its description of the input and
output layouts follows.
"""
from __future__ import annotations

import argparse
import sys

from omgseg.datasets.converters import cityscapes as converter
from omgseg.datasets.converters.common import run_cli


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=f'{__doc__}\n{converter.__doc__}',
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('root', help='Cityscapes root holding leftImg8bit/ and gtFine/')
    p.add_argument('--splits', nargs='+', default=['train', 'val'], help='splits to convert')
    p.add_argument('--nproc', type=int, default=8, help='worker processes')
    p.add_argument('--out-dir', default=None, help='output folder (default <root>/annotations)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: converter.convert(args.root, args.splits, nproc=args.nproc,
                                             out_dir=args.out_dir))


if __name__ == '__main__':
    sys.exit(main())
