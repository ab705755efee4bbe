"""DAVIS 2017 semi-supervised J&F of the model's ``pred_vos_seg`` (davis2017-evaluation rules)."""
from __future__ import annotations

import os
import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from omgseg.datasets.davis_format import read_davis_mask, save_davis_png
from omgseg.evaluation.functional.davis import (MEASURES, davis_summary,
                                                evaluate_semisupervised, format_davis_table)
from omgseg.registry import METRICS

from .gt_reader import frames_of, sample_field, video_name_of


@METRICS.register_module()
class DAVISMetric(BaseMetric):
    """J&F-Mean, J / F mean, recall and decay (x100) over every object of every sequence.

    Each sample is one whole sequence: frames in time order, each with ``seg_map_path`` (the
    DAVIS palette PNG) and ``pred_vos_seg`` (``(1, H, W)`` object indices at the annotation's
    size). The first and last frames are not scored, as in the official protocol.

    Args:
        outfile_prefix: also write the predictions as DAVIS result PNGs
            (``<prefix>/<sequence>/<frame>.png``), the input of
            ``tools/analysis_tools/eval_davis.py``.
        exclude_void: leave GT void (255) out of J and F (the official tool does not).
    """

    default_prefix = 'davis'

    def __init__(self, *, outfile_prefix: str | None = None, exclude_void: bool = False,
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.outfile_prefix = outfile_prefix
        self.exclude_void = exclude_void

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            name = video_name_of(sample)
            gts, preds = [], []
            for frame in frames_of(sample):
                path = sample_field(frame, 'seg_map_path')
                if not path:
                    raise ValueError(f'DAVISMetric: a frame of {name!r} has no annotation '
                                     f'(seg_map_path); every scored frame needs one.')
                pred = sample_field(frame, 'pred_vos_seg')
                if pred is None:
                    raise ValueError("DAVISMetric: a frame has no pred_vos_seg; the sample's "
                                     "task must be 'vos'.")
                pred = np.asarray(sample_field(pred, 'sem_seg').cpu())[0].astype(np.int64)
                gt = read_davis_mask(path)
                if gt.shape != pred.shape:
                    raise ValueError(f'DAVISMetric: prediction of {path} is {pred.shape}, the '
                                     f'annotation {gt.shape}; predict at the original size.')
                gts.append(gt)
                preds.append(pred)
                if self.outfile_prefix:
                    folder = osp.join(self.outfile_prefix, name)
                    os.makedirs(folder, exist_ok=True)
                    save_davis_png(pred.astype(np.uint8), osp.join(
                        folder, osp.splitext(osp.basename(path))[0] + '.png'))
            per_object = evaluate_semisupervised(np.stack(gts), np.stack(preds)[1:-1],
                                                 name=name, exclude_void=self.exclude_void)
            self.results.append(per_object)

    def compute_metrics(self, results: list[dict]) -> dict[str, float]:
        merged = {}
        for per_object in results:
            merged.update(per_object)
        summary = davis_summary(merged)
        print_log('DAVIS 2017 semi-supervised:\n' + format_davis_table(summary,
                                                                        per_sequence=False),
                  logger='current')
        return {k: summary[k] * 100 for k in MEASURES}
