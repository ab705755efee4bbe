"""Interactive segmentation of one image: click points and/or draw boxes, get one mask each.

    python tools/demo/interactive_demo.py IMAGE CONFIG CHECKPOINT \
        [--points X Y [X Y ...]] [--boxes X1 Y1 X2 Y2 [...]] [--out overlay.png] \
        [--vocabulary cat dog ...] [--device cpu] [--cfg-options KEY=VALUE ...]

Coordinates are pixels of IMAGE. Writes an overlay (each mask in its own colour, the prompts
drawn, label and score beside them) and prints one line per prompt, points first. The model
must have a prompt encoder (model.panoptic_head.prompt_encoder).
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

import numpy as np

# runnable as a plain script from any directory
sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description='OMG-Seg interactive (point / box) demo')
    parser.add_argument('image', help='image file')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint (.pth)')
    parser.add_argument('--points', nargs='+', type=float, default=[], metavar='X Y',
                        help='point prompts as x y pairs')
    parser.add_argument('--boxes', nargs='+', type=float, default=[], metavar='X1 Y1 X2 Y2',
                        help='box prompts as x1 y1 x2 y2 quadruples')
    parser.add_argument('--out', default='overlay.png', help='overlay image to write')
    parser.add_argument('--vocabulary', nargs='+', help='class names to label masks with '
                        '(open vocabulary); default: the model\'s own classes')
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.backbone.pretrained=PATH')
    args = parser.parse_args(argv)
    if len(args.points) % 2:
        parser.error(f'--points takes x y pairs, got {len(args.points)} numbers.')
    if len(args.boxes) % 4:
        parser.error(f'--boxes takes x1 y1 x2 y2 quadruples, got {len(args.boxes)} numbers.')
    if not args.points and not args.boxes:
        parser.error('give at least one prompt with --points and/or --boxes.')
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import cv2

    from omgseg.apis import init_model, segment_prompts
    from omgseg.datasets.transforms.loading import read_image
    from omgseg.visualization.prompt_overlay import describe_prompt_result, draw_overlay

    try:
        image = read_image(args.image, 'image', 'bgr')
        model = init_model(args.config, args.checkpoint, device=args.device,
                           cfg_options=args.cfg_options)
        results = segment_prompts(model, image,
                                  points=np.asarray(args.points).reshape(-1, 2),
                                  boxes=np.asarray(args.boxes).reshape(-1, 4),
                                  vocabulary=args.vocabulary)
    except (FileNotFoundError, ValueError) as err:
        # bad input from the command line: the message says what to fix, no stack trace
        raise SystemExit(f'error: {err}') from None
    out_dir = osp.dirname(osp.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    if not cv2.imwrite(args.out, draw_overlay(image, results)):
        raise SystemExit(f'could not write {args.out} (unknown image extension?).')
    for i, res in enumerate(results):
        print(describe_prompt_result(i, res))
    print(f'overlay written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
