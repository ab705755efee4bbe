"""Semantic mIoU of the model's ``pred_sem_seg`` against GT derived from panoptic PNGs."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from omgseg.evaluation.functional import confusion_matrix, miou_from_confusion
from omgseg.registry import METRICS
from omgseg.structures import IGNORE_INDEX

from .gt_reader import frames_of, read_panoptic_gt, semantic_from_panoptic


@METRICS.register_module()
class SemanticIoUMetric(BaseMetric):
    """mIoU / aAcc / mAcc (x100) over every frame; void pixels are ignored."""

    default_prefix = 'semantic'

    def __init__(self, *, collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence) -> None:
        k = len(self.dataset_meta['classes'])
        for sample in data_samples:
            # one entry per sample (mmengine truncates results to the dataset length)
            conf = np.zeros((k, k), dtype=np.int64)
            for frame in frames_of(sample):
                gt = semantic_from_panoptic(*read_panoptic_gt(frame))
                pred = frame.pred_sem_seg.sem_seg[0].cpu().numpy()
                conf += confusion_matrix(pred, gt, k, IGNORE_INDEX)
            self.results.append(conf)

    def compute_metrics(self, results: list[np.ndarray]) -> dict[str, float]:
        summary = miou_from_confusion(np.sum(results, axis=0), self.dataset_meta['classes'])
        print_log(f'semantic: mIoU {summary["mIoU"] * 100:.2f}, aAcc {summary["aAcc"] * 100:.2f}',
                  logger='current')
        return dict(mIoU=summary['mIoU'] * 100, aAcc=summary['aAcc'] * 100,
                    mAcc=summary['mAcc'] * 100)
