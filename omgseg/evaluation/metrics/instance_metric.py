"""COCO mask AP (pycocotools) of the model's ``pred_instances`` on image datasets."""
from __future__ import annotations

import contextlib
import io
import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from pycocotools import mask as mask_utils

from omgseg.registry import METRICS

from .gt_reader import frames_of


@METRICS.register_module()
class CocoMaskAPMetric(BaseMetric):
    """COCO ``segm`` AP, AP50, AP75, APs, APm, APl (x100) against an instances json.

    Args:
        ann_file: COCO instances json of the evaluated split (``instances_val2017.json``).
            Labels are mapped to its category ids through the dataset's ``label2cat``.
    """

    default_prefix = 'segm'

    def __init__(self, *, ann_file: str, collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file

    def process(self, data_batch, data_samples: Sequence) -> None:
        label2cat = self.dataset_meta['label2cat']
        for sample in data_samples:
            # one entry per sample: mmengine truncates results to the dataset length
            dets: list[dict] = []
            self.results.append(dets)
            for frame in frames_of(sample):
                pred = frame.pred_instances
                masks = pred.masks.cpu().numpy().astype(np.uint8)
                for mask, score, label in zip(masks, pred.scores.tolist(), pred.labels.tolist()):
                    rle = mask_utils.encode(np.asfortranarray(mask))
                    rle['counts'] = rle['counts'].decode()
                    dets.append(dict(image_id=frame.metainfo['img_id'],
                                             category_id=label2cat[label],
                                             segmentation=rle, score=score))

    def compute_metrics(self, results: list[list[dict]]) -> dict[str, float]:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'instances json {self.ann_file} does not exist; see '
                                    f'data/README.md.')
        names = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl')
        results = [det for dets in results for det in dets]
        if not results:
            print_log('segm: no instance predictions; AP is 0.', logger='current', level=30)
            return {n: 0.0 for n in names}
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO(self.ann_file)
            dt = gt.loadRes(results)
            ev = COCOeval(gt, dt, iouType='segm')
            ev.evaluate()
            ev.accumulate()
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            ev.summarize()
        print_log('COCO mask AP:\n' + buf.getvalue(), logger='current')
        return {n: float(ev.stats[i]) * 100 for i, n in enumerate(names)}
