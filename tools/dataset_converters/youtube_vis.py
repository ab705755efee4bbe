"""Convert official YouTube-VIS annotations to the COCO-video layout the video datasets read.

    python tools/dataset_converters/youtube_vis.py --root data/youtube_vis_2019 --version 2019
    python tools/dataset_converters/youtube_vis.py --root data/youtube_vis_2021 --version 2021 \
        --holdout 100 --seed 0
    python tools/dataset_converters/youtube_vis.py --root data/youtube_vis_2019 --version 2019 \
        --ann-file train=/path/to/train.json valid=/path/to/valid.json

The work is ``omgseg/datasets/converters/youtube_vis.py``; its description of the input and
output layouts follows.
"""
from __future__ import annotations

import argparse
import sys

from omgseg.datasets.converters import youtube_vis as converter
from omgseg.datasets.converters.common import run_cli


def _parse_ann_file(text: str):
    split, sep, path = text.partition('=')
    if not sep or not path:
        raise argparse.ArgumentTypeError(f'--ann-file {text!r}: expected <split>=<path>')
    return split, path


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=f'{__doc__}\n{converter.__doc__}',
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True, help='dataset root, e.g. data/youtube_vis_2019')
    p.add_argument('--version', required=True, help='2019, 2021 (names the output files)')
    p.add_argument('--holdout', type=int, default=0, help='train videos moved to "holdout"')
    p.add_argument('--seed', type=int, default=0, help='seed of the holdout selection')
    p.add_argument('--ann-file', type=_parse_ann_file, nargs='+', default=[],
                   metavar='SPLIT=PATH', help='explicit official annotation files')
    p.add_argument('--no-check-frames', action='store_true',
                   help='do not require <root>/<split>/JPEGImages/<video>/ to exist')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: converter.convert(
        args.root, args.version, holdout=args.holdout, seed=args.seed,
        ann_files=dict(args.ann_file), check_frames=not args.no_check_frames))


if __name__ == '__main__':
    sys.exit(main())
