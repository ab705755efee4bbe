"""Multi-click interactive evaluation (NoC@85 / NoC@90) of a checkpoint on a config's test set.

Example::

    python tools/analysis_tools/eval_interactive_noc.py \
        configs/toy/omgseg_tiny_toy-interactive.py work_dirs/x/epoch_8.pth \
        --max-images 100 --max-clicks 20 --out work_dirs/x/noc.json

The config's test dataset must be interactive (``task='interactive'``, with
``LoadPanopticAnnotationsPNG(all_segments=True)`` and ``SamplePrompts(test_mode=True)``): the
objects are the segments its pipeline prompts (non-crowd, non-empty after resizing), scored
against the panoptic PNG at original resolution. The click protocol (interior-most first click,
then the centre of the largest error region; one point prompt per click, an object's mask the
union of its positive clicks' masks minus its negative ones) is described and implemented in
``omgseg/evaluation/offline/interactive_noc.py``.

Writes ``--out`` as JSON: ``mIoU@1`` (mean IoU after the first click, x100), ``NoC@85``,
``NoC@90`` (mean clicks to reach the IoU, ``--max-clicks`` when never reached) and
``num_objects``. The first click lies on the original-size mask, so ``mIoU@1`` can differ
slightly from InteractiveIoUMetric's mIoU, whose prompt is placed on the resized mask.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys
from collections.abc import Sequence


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Interactive NoC@85 / NoC@90 by simulated '
                                                 'corrective clicks')
    parser.add_argument('config', help='config whose test dataset is interactive')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--max-images', type=int, default=None,
                        help='evaluate only the first N test images')
    parser.add_argument('--max-clicks', type=int, default=20, help='clicks per object at most')
    parser.add_argument('--criterion', choices=['area', 'distance'], default='area',
                        help='next click: centre of the largest error region (area) or the '
                             'RITM farthest-from-boundary error pixel (distance)')
    parser.add_argument('--out', default='noc.json', help='JSON file to write')
    parser.add_argument('--device', default=None,
                        help="torch device (default: 'cuda' when available, else 'cpu')")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    args = parser.parse_args(argv)
    if args.max_clicks < 1:
        parser.error(f'--max-clicks must be >= 1, got {args.max_clicks}.')
    if args.max_images is not None and args.max_images < 1:
        parser.error(f'--max-images must be >= 1, got {args.max_images}.')
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist.')
    import torch

    from omgseg.evaluation.offline.interactive_noc import build_interactive_eval, evaluate_noc
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        model, dataset = build_interactive_eval(args.config, args.checkpoint, device=device,
                                                cfg_options=args.cfg_options)
        out = evaluate_noc(model, dataset, max_images=args.max_images,
                           max_clicks=args.max_clicks, criterion=args.criterion,
                           source=args.config, log=lambda msg: print(msg, flush=True))
    except ValueError as err:
        raise SystemExit(f'error: {err}') from None
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out))
    print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
