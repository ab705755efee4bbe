"""Check every dataset of a config against it before training; report all problems at once.

    python tools/analysis_tools/check_dataset.py CONFIG [--splits train val test]
        [--max-examples 3] [--cfg-options KEY=VALUE ...]

Missing or unreadable files, segment ids absent from the PNGs, classes absent from the
vocabulary, empty images, videos shorter than the training clip: each kind with its count, its
fix and a few examples. Exit code 1 when anything is found. The work is
``omgseg/datasets/checks/``.
"""
from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description='Check the datasets of a config.')
    parser.add_argument('config', help='mmengine config file')
    parser.add_argument('--splits', nargs='+', default=['train', 'val', 'test'],
                        choices=['train', 'val', 'test'], help='which dataloaders to check')
    parser.add_argument('--max-examples', type=int, default=3,
                        help='examples printed per kind of problem')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.data_root=X')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from omgseg.datasets.checks import check_config
    from omgseg.utils.launch import load_config

    report = check_config(load_config(args.config, cfg_options=args.cfg_options),
                          splits=tuple(args.splits))
    print(report.format(args.max_examples), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
