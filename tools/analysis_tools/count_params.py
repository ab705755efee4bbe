"""Build a model from a config (no weights, no network) and print its parameter counts.

    python tools/analysis_tools/count_params.py CONFIG [--by-module]
"""
import argparse

from mmengine.config import Config

import omgseg.register  # noqa: F401  (registers modules)
from omgseg.registry import MODELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config')
    parser.add_argument('--by-module', action='store_true', help='also list top-level modules')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    model = MODELS.build(cfg.model)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if args.by_module:
        for name, child in model.named_children():
            n = sum(p.numel() for p in child.parameters())
            t = sum(p.numel() for p in child.parameters() if p.requires_grad)
            print(f'{name:24s} total {n / 1e6:9.2f} M   trainable {t / 1e6:9.2f} M')
    print(f'total parameters:     {total / 1e6:.2f} M ({total})')
    print(f'trainable parameters: {trainable / 1e6:.2f} M ({trainable})')


if __name__ == '__main__':
    main()
