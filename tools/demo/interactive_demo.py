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


def draw_overlay(image: np.ndarray, results: list[dict], alpha: float = 0.5) -> np.ndarray:
    """Blend each mask in its own colour over ``image`` and draw its prompt and label.

    Args:
        image: (H, W, 3) uint8 BGR.
        results: :func:`omgseg.apis.segment_prompts` output.

    Returns:
        (H, W, 3) uint8 BGR.
    """
    from omgseg.visualization import draw_instances, draw_prompts

    rgb = np.ascontiguousarray(image[..., ::-1])
    masks = np.stack([r['mask'] for r in results]) if results else \
        np.zeros((0, *image.shape[:2]), bool)
    ids = list(range(1, len(results) + 1))  # one colour per prompt, shared by mask and box
    out = draw_instances(rgb, masks, list(range(len(results))), [r['label'] for r in results],
                         scores=[r['score'] for r in results], track_ids=ids, score_thr=0.0,
                         alpha=alpha)
    points = [r['prompt'][1:3] for r in results if r['prompt'][0] == 'point']
    boxes = [(i, r['prompt'][1:]) for i, r in zip(ids, results) if r['prompt'][0] == 'box']
    out = draw_prompts(out, points=points or None, boxes=[b for _, b in boxes] or None,
                       prompt_ids=[i for i, _ in boxes] or None)
    return np.ascontiguousarray(out[..., ::-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import cv2

    from omgseg.apis import init_model, segment_prompts
    from omgseg.datasets.transforms.loading import read_image

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
        kind, *coords = res['prompt']
        where = ' '.join(f'{v:g}' for v in coords)
        print(f'prompt {i} {kind} ({where}): {res["label"]} score={res["score"]:.3f} '
              f'area={int(res["mask"].sum())} px')
    print(f'overlay written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
