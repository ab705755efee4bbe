"""Compute the CLIP text class embeddings of a config's vocabulary.

    python tools/gen_class_embeddings.py CONFIG [--out PATH] [--split train|val|test]
        [--device cpu] [--batch-size 256] [--cfg-options KEY=VALUE ...]

The vocabulary is the config's top-level ``vocabulary`` (a dict with ``classes``, optional
``thing_classes``/``stuff_classes``, or a name in ``omgseg.vocab``) or, without
one, the metainfo of ``cfg.<split>_dataloader.dataset`` (built with ``lazy_init=True``: no
annotation is read).
The CLIP model is ``cfg.model.backbone`` (``model_name``/``model_cfg``/``pretrained``). Writes
``PATH`` (a ``(K, P, D)`` tensor) and its ``.json`` sidecar; ``PATH`` defaults to
``cfg.model.panoptic_head.class_embed_path``. The work is
``omgseg/apis/gen_class_embeddings.py``.
"""
from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description='Generate CLIP text class embeddings.')
    parser.add_argument('config', help='mmengine config file')
    parser.add_argument('--out', help='output .pth (default: '
                        'cfg.model.panoptic_head.class_embed_path)')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'],
                        help='whose dataloader gives the classes when the config has no '
                        '`vocabulary`')
    parser.add_argument('--entry', help='use the vocabulary (and, without --out, the '
                        'class_embed_path) of this evaluation entry of val_cfg / test_cfg '
                        '(MultiDatasetValLoop); `--entry main` is the loop\'s own entry')
    parser.add_argument('--device', default='cpu', help='device of the text encoder')
    parser.add_argument('--batch-size', type=int, default=256, help='prompts per forward')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.backbone.pretrained=PATH')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from mmengine.config import Config

    from omgseg.apis.gen_class_embeddings import generate_class_embeddings

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    generate_class_embeddings(cfg, out=args.out, split=args.split, entry=args.entry,
                              device=args.device, batch_size=args.batch_size)
    return 0


if __name__ == '__main__':
    sys.exit(main())
