"""Multi-click interactive evaluation (NoC@85 / NoC@90) of a checkpoint on a config's test set.

Example::

    python tools/analysis_tools/eval_interactive_noc.py \
        configs/toy/omgseg_tiny_toy-interactive.py work_dirs/x/epoch_8.pth \
        --max-images 100 --max-clicks 20 --out work_dirs/x/noc.json

The config's test dataset must be interactive (``task='interactive'``, with
``LoadPanopticAnnotationsPNG(all_segments=True)`` and ``SamplePrompts(test_mode=True)``): the
objects are the segments its pipeline prompts (non-crowd, non-empty after resizing), scored
against the panoptic PNG at original resolution.

Protocol per object (``omgseg.evaluation.functional.interactive``): click 1 is positive, at
the interior-most pixel of the GT mask; every later click goes to the centre of the largest
error region (:func:`next_click`), positive in a missed region, negative in a spurious one.
Every click is a point prompt (a +-3 px box of the box kind, as OMG-Seg's point prompts) in
resized-image pixels. OMG-Seg has one query per prompt and no multi-click mode, so after k
clicks the object's mask is the union of the masks of its positive clicks minus the union of
the masks of its negative clicks. Prompts attend only to themselves, so all clicks of all
still-active objects of an image go through the model in one forward per click round; this is
exactly :func:`simulate_clicks` run per object. An object stops once its IoU reaches the
highest NoC threshold (later clicks cannot change NoC@85/90).

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
import time
from collections.abc import Callable, Sequence

import numpy as np

from omgseg.evaluation.functional.interactive import (
    DEFAULT_NOC_THRESHOLDS,
    interactive_summary,
    mask_iou,
    next_click,
)
from omgseg.structures.mask_geometry import interior_point

Click = tuple[int, int, bool]


def combine_click_masks(masks: Sequence[np.ndarray], clicks: Sequence[Click]) -> np.ndarray:
    """(H, W) bool: union of the positive clicks' masks minus the negative clicks' masks."""
    pos = np.zeros(masks[0].shape, bool)
    neg = np.zeros(masks[0].shape, bool)
    for mask, (_, _, positive) in zip(masks, clicks):
        if positive:
            pos |= mask
        else:
            neg |= mask
    return pos & ~neg


def simulate_objects(predict: Callable[[list[list[Click]]], list[np.ndarray]],
                     gts: Sequence[np.ndarray], max_clicks: int = 20,
                     stop_iou: float | None = max(DEFAULT_NOC_THRESHOLDS),
                     criterion: str = 'area') -> list[list[float]]:
    """:func:`simulate_clicks` for several objects of one image, in lock-step rounds.

    Args:
        predict: maps the click lists of the objects still active (one list of (x, y,
            positive) per object) to one (H, W) bool mask per object.
        gts: (H, W) bool GT masks, non-empty.
        max_clicks, stop_iou, criterion: as :func:`simulate_clicks`.

    Returns:
        per object, its IoU after each click.
    """
    clicks = [[(*interior_point(g), True)] for g in gts]
    ious: list[list[float]] = [[] for _ in gts]
    active = list(range(len(gts)))
    while active:
        preds = predict([list(clicks[i]) for i in active])
        if len(preds) != len(active):
            raise ValueError(f'predict returned {len(preds)} masks for {len(active)} objects.')
        still = []
        for i, pred in zip(active, preds):
            ious[i].append(mask_iou(pred, gts[i]))
            if len(clicks[i]) >= max_clicks or (stop_iou is not None and ious[i][-1] >= stop_iou):
                continue
            click = next_click(pred, gts[i], criterion=criterion)
            if click is not None:
                clicks[i].append(click)
                still.append(i)
        active = still
    return ious


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


class ModelClicker:
    """Runs point prompts through an OMGSeg model for one test image (``dataset[i]``)."""

    def __init__(self, *, model, data: dict) -> None:
        self.model = model
        self.data = data
        frame = data['data_samples'].video_data_samples[0]
        h, w = frame.metainfo['img_shape'][:2]
        oh, ow = frame.metainfo['ori_shape'][:2]
        self.in_size = (h, w)
        self.scale = (w / ow, h / oh)

    def _to_input(self, x: int, y: int) -> tuple[float, float]:
        # pixel centres map between the original and the resized image
        sx, sy = self.scale
        h, w = self.in_size
        return (min(max((x + 0.5) * sx - 0.5, 0.0), w - 1.0),
                min(max((y + 0.5) * sy - 0.5, 0.0), h - 1.0))

    def __call__(self, objects: list[list[Click]]) -> list[np.ndarray]:
        import torch
        from mmengine.dataset import pseudo_collate
        from mmengine.structures import InstanceData

        from omgseg.structures.prompts import BOX, point_boxes
        flat = [c for clicks in objects for c in clicks]
        points = torch.tensor([self._to_input(x, y) for x, y, _ in flat], dtype=torch.float32)
        frame = self.data['data_samples'].video_data_samples[0]
        frame.prompts = InstanceData(
            boxes=point_boxes(points).view(-1, 4),
            kinds=torch.full((len(flat),), BOX, dtype=torch.long),
            instances_ids=torch.arange(len(flat)))
        batch = self.model.data_preprocessor(pseudo_collate([self.data]), False)
        out = self.model.predict(batch['inputs'], batch['data_samples'])
        masks = out[0].video_data_samples[0].pred_prompt_masks.masks.cpu().numpy().astype(bool)
        result, start = [], 0
        for clicks in objects:
            result.append(combine_click_masks(masks[start:start + len(clicks)], clicks))
            start += len(clicks)
        return result


def _build(args: argparse.Namespace):
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import omgseg.register  # noqa: F401  (registers every module)
    from omgseg.registry import DATASETS, MODELS
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    ds_cfg = cfg.test_dataloader.dataset
    if ds_cfg.get('task') != 'interactive':
        raise SystemExit(f'{args.config}: test_dataloader.dataset.task is '
                         f'{ds_cfg.get("task")!r}; this tool needs an interactive test set '
                         f'(e.g. configs/toy/omgseg_tiny_toy-interactive.py).')
    if cfg.model.panoptic_head.get('prompt_encoder') is None:
        raise SystemExit(f'{args.config}: model.panoptic_head.prompt_encoder is not set; add '
                         "dict(type='PromptEncoder') (or --cfg-options "
                         'model.panoptic_head.prompt_encoder.type=PromptEncoder).')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=False)
    model.to(device).eval()
    return model, DATASETS.build(ds_cfg)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist.')
    from omgseg.evaluation.metrics.gt_reader import read_panoptic_gt
    model, dataset = _build(args)
    num = len(dataset) if args.max_images is None else min(args.max_images, len(dataset))
    start, per_object = time.time(), []
    for i in range(num):
        data = dataset[i]
        frame = data['data_samples'].video_data_samples[0]
        if 'prompts' not in frame:
            raise SystemExit(f'{args.config}: test samples carry no prompts; add '
                             'SamplePrompts(test_mode=True) to the test pipeline.')
        gt_ids, _ = read_panoptic_gt(frame)
        gts = [gt_ids == sid for sid in frame.prompts.instances_ids.tolist()]
        if not gts:
            continue
        per_object += simulate_objects(ModelClicker(model=model, data=data), gts,
                                       max_clicks=args.max_clicks, criterion=args.criterion)
        print(f'[{i + 1}/{num}] {len(per_object)} objects, {time.time() - start:.1f} s',
              flush=True)
    if not per_object:
        raise SystemExit(f'no prompted object in the first {num} test images.')
    summary = interactive_summary(per_object, max_clicks=args.max_clicks)
    out = {'mIoU@1': summary['mIoU'] * 100, 'NoC@85': summary['NoC@85'],
           'NoC@90': summary['NoC@90'], 'num_objects': summary['num_objects']}
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out))
    print(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
