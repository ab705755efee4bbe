"""Draw what a config's training pipeline feeds the model, for a few samples of each dataset.

    python tools/analysis_tools/browse_dataset.py CONFIG [--out DIR] [--samples N] [--seed S]
        [--cfg-options KEY=VALUE ...]

Each PNG is one packed sample: its frames side by side (a clip, or one image), with thing
masks labelled '<class> #<instance id>', stuff regions, crowd regions in grey, prompts and a
legend, in the labels the model trains on (the merged vocabulary of a JointDataset). Written to
DIR/<dataset name>/. The work is ``omgseg/datasets/browse.py``.
"""
from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description='Draw training samples of a config.')
    parser.add_argument('config', help='mmengine config file')
    parser.add_argument('--out', default='work_dirs/browse', help='output folder')
    parser.add_argument('--samples', type=int, default=3, help='samples per dataset')
    parser.add_argument('--seed', type=int, default=0, help='seed of the augmentations')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.dataset.data_root=X')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from omgseg.datasets.browse import browse_dataset
    from omgseg.utils.launch import load_config

    browse_dataset(load_config(args.config, cfg_options=args.cfg_options), args.out,
                   samples=args.samples, seed=args.seed)
    return 0


if __name__ == '__main__':
    sys.exit(main())
