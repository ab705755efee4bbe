"""Panoptic quality (our panopticapi-exact implementation) over images and clip frames."""
from __future__ import annotations

from collections.abc import Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from omgseg.evaluation.functional import PQStat, format_pq_table, pq_compute_single, pq_summary
from omgseg.registry import METRICS

from .gt_reader import frames_of, read_panoptic_gt


def label_categories(meta: dict) -> dict[int, dict]:
    """PQ categories keyed by contiguous label, from a dataset's metainfo."""
    num_things = len(meta['thing_classes'])
    return {i: dict(name=name, isthing=int(i < num_things))
            for i, name in enumerate(meta['classes'])}


@METRICS.register_module()
class PanopticQualityMetric(BaseMetric):
    """PQ / SQ / RQ for All, Things and Stuff (x100), plus per-class PQ in the log.

    Ground truth is the dataset's panoptic PNG at original resolution; predictions are the
    model's ``pred_panoptic_seg`` (segment ids + ``segments_info``). Per-image statistics are
    computed in ``process`` so only small sums travel between processes.
    """

    default_prefix = 'panoptic'

    def __init__(self, *, collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence) -> None:
        categories = label_categories(self.dataset_meta)
        for sample in data_samples:
            # one entry per sample (mmengine truncates results to the dataset length)
            stat = PQStat()
            for frame in frames_of(sample):
                gt_ids, gt_segments = read_panoptic_gt(frame)
                pred = frame.pred_panoptic_seg
                pred_ids = pred.sem_seg[0].cpu().numpy()
                pred_segments = [dict(id=s['id'], category_id=s['category_id'])
                                 for s in pred.metainfo['segments_info']]
                stat += pq_compute_single(
                    gt_ids, gt_segments, pred_ids, pred_segments, categories,
                    source=frame.metainfo['seg_map_path'], gt_area='png')
            self.results.append(stat)

    def compute_metrics(self, results: list[PQStat]) -> dict[str, float]:
        categories = label_categories(self.dataset_meta)
        summary = pq_summary(PQStat.sum(results), categories)
        print_log('Panoptic quality:\n' + format_pq_table(summary), logger='current')
        per_class = ', '.join(f'{categories[c]["name"]}: {v["pq"] * 100:.1f}'
                              for c, v in summary['per_class'].items())
        print_log(f'per-class PQ: {per_class}', logger='current')
        out = {}
        for key, part in (('', 'All'), ('_th', 'Things'), ('_st', 'Stuff')):
            for m in ('pq', 'sq', 'rq'):
                out[m.upper() + key] = summary[part][m] * 100
        return out
