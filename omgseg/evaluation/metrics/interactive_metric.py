"""Interactive ("COCO-SAM") mean IoU: one predicted mask per prompted GT segment."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from omgseg.evaluation.functional.interactive import mask_iou
from omgseg.registry import METRICS

from .gt_reader import frames_of, read_panoptic_gt


def _numpy(x) -> np.ndarray:
    return x.cpu().numpy() if hasattr(x, 'cpu') else np.asarray(x)


@METRICS.register_module()
class InteractiveIoUMetric(BaseMetric):
    """Mean IoU (x100) of each prompt's mask against the GT segment it asks for.

    Ground truth is the frame's panoptic PNG (``seg_map_path``) at original resolution; the
    prediction is ``pred_prompt_masks`` (``masks`` (P, H, W) bool at ``ori_shape`` and
    ``instances_ids`` (P,), the PNG segment id of each prompt). As OMG-Seg's
    ``InsClsIoUMetric``, the IoU is plain ``|pred & gt| / |pred | gt|`` over the whole image:
    void (unlabelled) pixels are background, so a prediction spilling into them is penalised.
    Crowd segments are never prompted (``SamplePrompts`` skips them); a prompt that names one
    is refused.

    Reports ``mIoU`` over every prompted segment, and ``mIoU_things`` / ``mIoU_stuff`` split
    by the segment's category (label < ``len(dataset_meta['thing_classes'])`` is a thing);
    a split without segments is reported as NaN.
    """

    default_prefix = 'interactive'

    def __init__(self, *, collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            # one entry per sample (mmengine truncates results to the dataset length):
            # (N,) IoUs as fractions and (N,) GT labels of the prompted segments
            ious, labels = [], []
            for frame in frames_of(sample):
                if 'pred_prompt_masks' not in frame:
                    continue
                f_ious, f_labels = self._frame_ious(frame)
                ious += f_ious
                labels += f_labels
            self.results.append((np.asarray(ious, np.float64), np.asarray(labels, np.int64)))

    @staticmethod
    def _frame_ious(frame) -> tuple[list[float], list[int]]:
        path = frame.metainfo.get('seg_map_path', '?')
        pred = frame.pred_prompt_masks
        masks = _numpy(pred.masks).astype(bool)
        ids = _numpy(pred.instances_ids).astype(np.int64).reshape(-1)
        gt_ids, segments = read_panoptic_gt(frame)
        if masks.ndim != 3 or len(masks) != len(ids):
            raise ValueError(f'InteractiveIoUMetric: {path}: pred_prompt_masks.masks must be '
                             f'(P, H, W) with one mask per instances_ids entry, got masks '
                             f'{masks.shape} and {len(ids)} ids.')
        if len(ids) and masks.shape[1:] != gt_ids.shape:
            raise ValueError(f'InteractiveIoUMetric: {path}: predicted masks are '
                             f'{masks.shape[1:]} but the GT PNG is {gt_ids.shape}; predict '
                             f'with rescale=True (masks at ori_shape).')
        by_id = {s['id']: s for s in segments}
        ious, labels = [], []
        for mask, sid in zip(masks, ids.tolist()):
            seg = by_id.get(sid)
            if seg is None:
                raise ValueError(f'InteractiveIoUMetric: {path}: a prompt asks for segment id '
                                 f'{sid}, which segments_info does not list; prompts must come '
                                 f'from LoadPanopticAnnotationsPNG(all_segments=True) ids.')
            if seg['iscrowd']:
                raise ValueError(f'InteractiveIoUMetric: {path}: segment {sid} is a crowd '
                                 f'region, which the protocol never prompts.')
            ious.append(mask_iou(mask, gt_ids == sid))
            labels.append(int(seg['category_id']))
        return ious, labels

    def compute_metrics(self, results: list) -> dict[str, float]:
        ious = np.concatenate([r[0] for r in results]) if results else np.zeros(0)
        labels = np.concatenate([r[1] for r in results]) if results else np.zeros(0, np.int64)
        if len(ious) == 0:
            raise ValueError('InteractiveIoUMetric: no prompted segment in the whole test set; '
                             'add SamplePrompts(test_mode=True) to the test pipeline.')
        things = labels < len(self.dataset_meta['thing_classes'])

        def mean(sel: np.ndarray) -> float:
            return float(ious[sel].mean() * 100) if sel.any() else float('nan')

        out = {'mIoU': mean(np.ones_like(things)), 'mIoU_things': mean(things),
               'mIoU_stuff': mean(~things)}
        print_log(f'interactive mIoU over {len(ious)} segments ({int(things.sum())} things, '
                  f'{int((~things).sum())} stuff): {out["mIoU"]:.2f} (things '
                  f'{out["mIoU_things"]:.2f}, stuff {out["mIoU_stuff"]:.2f})', logger='current')
        return out
