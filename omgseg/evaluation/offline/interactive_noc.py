"""Multi-click interactive evaluation (NoC@85 / NoC@90) of a model on a config's test set.

The config's test dataset must be interactive (``task='interactive'``, with
``LoadPanopticAnnotationsPNG(all_segments=True)`` and ``SamplePrompts(test_mode=True)``): the
objects are the segments its pipeline prompts (non-crowd, non-empty after resizing), scored
against the panoptic PNG at original resolution.

Protocol per object (``omgseg.evaluation.functional.interactive``): click 1 is positive, at
the interior-most pixel of the GT mask; every later click goes to the centre of the largest
error region (``next_click``), positive in a missed region, negative in a spurious one. Every
click is a point prompt (a +-3 px box of the box kind, as OMG-Seg's point prompts) in
resized-image pixels. OMG-Seg has one query per prompt and no multi-click mode, so after k
clicks the object's mask is :func:`combine_click_masks` of its clicks' masks. Prompts attend
only to themselves, so all clicks of all still-active objects of an image go through the model
in one forward per click round (:func:`simulate_objects`). An object stops once its IoU reaches
the highest NoC threshold (later clicks cannot change NoC@85/90).
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

from omgseg.evaluation.functional.interactive import (Click, combine_click_masks,
                                                      interactive_summary, simulate_objects)
from omgseg.evaluation.metrics.gt_reader import read_panoptic_gt
from omgseg.structures.prompts import BOX, point_boxes


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
        """One (H, W) bool mask (original resolution) per object's click list."""
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


def build_interactive_eval(config: str, checkpoint: str, *, device: str,
                           cfg_options: dict | None = None):
    """``(model, dataset)``: the config's model with ``checkpoint`` loaded (eval mode, on
    ``device``) and its interactive test dataset.

    Raises:
        ValueError: the test set is not interactive or the model has no prompt encoder.
    """
    import omgseg.register  # noqa: F401  (registers every module, as configs do)
    from omgseg.registry import DATASETS, MODELS
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    ds_cfg = cfg.test_dataloader.dataset
    if ds_cfg.get('task') != 'interactive':
        raise ValueError(f'{config}: test_dataloader.dataset.task is {ds_cfg.get("task")!r}; '
                         f'NoC needs an interactive test set '
                         f'(e.g. configs/toy/omgseg_tiny_toy-interactive.py).')
    if cfg.model.panoptic_head.get('prompt_encoder') is None:
        raise ValueError(f'{config}: model.panoptic_head.prompt_encoder is not set; add '
                         "dict(type='PromptEncoder') (or --cfg-options "
                         'model.panoptic_head.prompt_encoder.type=PromptEncoder).')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=False)
    model.to(device).eval()
    return model, DATASETS.build(ds_cfg)


def evaluate_noc(model, dataset, *, max_images: int | None = None, max_clicks: int = 20,
                 criterion: str = 'area', source: str = 'the test set',
                 log: Callable[[str], object] = print) -> dict[str, float]:
    """Simulated-click NoC of ``model`` on the first ``max_images`` samples of ``dataset``.

    Returns:
        ``mIoU@1`` (mean IoU after the first click, x100), ``NoC@85``, ``NoC@90`` (mean
        clicks to reach the IoU, ``max_clicks`` when never reached) and ``num_objects``. The
        first click lies on the original-size mask, so ``mIoU@1`` can differ slightly from
        InteractiveIoUMetric's mIoU, whose prompt is placed on the resized mask.

    Raises:
        ValueError: samples without prompts, or no prompted object at all.
    """
    num = len(dataset) if max_images is None else min(max_images, len(dataset))
    start, per_object = time.time(), []
    for i in range(num):
        data = dataset[i]
        frame = data['data_samples'].video_data_samples[0]
        if 'prompts' not in frame:
            raise ValueError(f'{source}: test samples carry no prompts; add '
                             'SamplePrompts(test_mode=True) to the test pipeline.')
        gt_ids, _ = read_panoptic_gt(frame)
        gts = [gt_ids == sid for sid in frame.prompts.instances_ids.tolist()]
        if not gts:
            continue
        per_object += simulate_objects(ModelClicker(model=model, data=data), gts,
                                       max_clicks=max_clicks, criterion=criterion)
        log(f'[{i + 1}/{num}] {len(per_object)} objects, {time.time() - start:.1f} s')
    if not per_object:
        raise ValueError(f'{source}: no prompted object in the first {num} test images.')
    summary = interactive_summary(per_object, max_clicks=max_clicks)
    return {'mIoU@1': summary['mIoU'] * 100, 'NoC@85': summary['NoC@85'],
            'NoC@90': summary['NoC@90'], 'num_objects': summary['num_objects']}
