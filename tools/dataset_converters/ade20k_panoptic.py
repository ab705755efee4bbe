"""Convert ADEChallengeData2016 (SceneParsing semantic maps + the instance-challenge instance
maps) to COCO panoptic format with 150 classes, things first, the layout
``OMGCocoPanopticDataset`` reads with the ``ade20k_panoptic`` vocabulary.

    python tools/dataset_converters/ade20k_panoptic.py data/ade/ADEChallengeData2016
    python tools/dataset_converters/ade20k_panoptic.py data/ade/ADEChallengeData2016 \
        --splits val --nproc 16

The work is ``omgseg/datasets/converters/ade20k_panoptic.py``; its description of the input and
output layouts follows.
"""
from __future__ import annotations

import argparse
import sys

from omgseg.datasets.converters import ade20k_panoptic as converter
from omgseg.datasets.converters.common import run_cli


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=f'{__doc__}\n{converter.__doc__}',
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('root', help='the ADEChallengeData2016 folder')
    p.add_argument('--splits', nargs='+', default=['train', 'val'],
                   choices=sorted(converter.SPLITS),
                   help='splits to convert')
    p.add_argument('--nproc', type=int, default=8, help='worker processes')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: converter.convert(args.root, args.splits, nproc=args.nproc))


if __name__ == '__main__':
    sys.exit(main())
