"""YouTube-VIS video instance segmentation: submission zip and, with GT, local mask AP."""
from __future__ import annotations

import json
import os.path as osp
import tempfile
from collections.abc import Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from omgseg.registry import METRICS

from ..functional.ytvis import (
    REPORTED_STATS,
    format_ytvis_table,
    load_ytvis_json,
    write_ytvis_results,
    write_ytvis_submission,
    ytvis_evaluate,
)


def _get(obj, key: str):
    """``obj.key`` for data elements, ``obj[key]`` for their ``to_dict()`` form."""
    if isinstance(obj, dict):
        if key not in obj:
            raise KeyError(f'YouTubeVISAPMetric: the data sample has no "{key}" '
                           f'(has {sorted(obj)})')
        return obj[key]
    if key in obj:  # data fields and metainfo are both attributes
        return getattr(obj, key)
    raise KeyError(f'YouTubeVISAPMetric: the data sample has no "{key}" '
                   f'(keys {sorted(obj.keys())}, metainfo {sorted(obj.metainfo_keys())})')


def _as_list(values) -> list:
    """Python list of a tensor / array / sequence of numbers."""
    return values.tolist() if hasattr(values, 'tolist') else list(values)


@METRICS.register_module()
class YouTubeVISAPMetric(BaseMetric):
    """YouTube-VIS AP, AP50, AP75, APs, APm, APl, AR1, AR10 (x100) and the CodaLab zip.

    Input per sample: a ``TrackDataSample`` (or its dict) with metainfo ``video_id`` and
    ``pred_track_instances`` holding ``scores`` (N,), ``labels`` (N,) contiguous labels,
    ``instances_id`` (N,) and ``masks_rle``: N lists of T RLE dicts (``None`` where the object
    is absent) at the original resolution. Labels map to category ids via
    ``dataset_meta['cat_ids']``.

    Args:
        ann_file: official-format YouTube-VIS json of the split. When it holds annotations,
            AP is computed locally with the rules of ytvoseval
            (:mod:`omgseg.evaluation.functional.ytvis`); val/test GT of the official splits
            is private, so their json has videos only and only the zip is written.
        outfile_prefix: folder receiving ``results.json`` and ``submission.zip``. Needed when
            there is no GT to score against; otherwise a temporary folder is used.
        format_only: only write the files, even when ``ann_file`` has annotations.
    """

    default_prefix = 'ytvis'

    def __init__(self, *, ann_file: str | None = None, outfile_prefix: str | None = None,
                 format_only: bool = False, collect_device: str = 'cpu',
                 prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if (format_only or ann_file is None) and outfile_prefix is None:
            raise ValueError('YouTubeVISAPMetric: set outfile_prefix (where results.json and '
                             'submission.zip go) when format_only=True or ann_file is None; '
                             'otherwise the predictions would be lost')
        self.ann_file = ann_file
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only

    def _category_ids(self) -> list:
        meta = self.dataset_meta or {}
        if 'cat_ids' not in meta:
            raise KeyError("YouTubeVISAPMetric needs dataset_meta['cat_ids'] (label i -> "
                           'YouTube-VIS category id); the dataset must provide it')
        return list(meta['cat_ids'])

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Store one list of result dicts (official format) per sample."""
        cat_ids = self._category_ids()
        for sample in data_samples:
            video_id = int(_get(sample, 'video_id'))
            pred = _get(sample, 'pred_track_instances')
            scores = [float(s) for s in _as_list(_get(pred, 'scores'))]
            labels = [int(x) for x in _as_list(_get(pred, 'labels'))]
            masks = list(_get(pred, 'masks_rle'))
            if not len(scores) == len(labels) == len(masks):
                raise ValueError(f'YouTubeVISAPMetric: video {video_id} has {len(scores)} scores, '
                                 f'{len(labels)} labels and {len(masks)} mask tracks')
            dets = []
            for score, label, track in zip(scores, labels, masks):
                if not 0 <= label < len(cat_ids):
                    raise ValueError(f'YouTubeVISAPMetric: video {video_id}: label {label} is '
                                     f'outside dataset_meta["cat_ids"] ({len(cat_ids)} classes)')
                dets.append({'video_id': video_id, 'score': score,
                             'category_id': cat_ids[label], 'segmentations': list(track)})
            # one entry per sample: mmengine truncates results to the dataset length
            self.results.append(dets)

    def compute_metrics(self, results: list[list[dict]]) -> dict[str, float]:
        dets = [d for per_video in results for d in per_video]
        gt = None
        if self.ann_file is not None:
            gt = load_ytvis_json(self.ann_file)
            if not isinstance(gt, dict):
                raise ValueError(f'{self.ann_file} is not a YouTube-VIS annotation json')
        has_gt = bool(gt and gt.get('annotations'))
        out_dir = self.outfile_prefix
        if out_dir is None:  # only reached when scoring against GT
            out_dir = tempfile.mkdtemp(prefix='ytvis_results_')
        json_path = write_ytvis_results(dets, osp.join(out_dir, 'results.json'))
        zip_path = write_ytvis_submission(dets, osp.join(out_dir, 'submission.zip'))
        print_log(f'YouTube-VIS: {len(dets)} predictions of {len(results)} videos written to '
                  f'{json_path}; CodaLab submission zip: {zip_path}', logger='current')
        if self.format_only or not has_gt:
            if not self.format_only:
                print_log(f'YouTube-VIS: {self.ann_file} holds no annotations; submit '
                          f'{zip_path} to the evaluation server', logger='current', level=30)
            return {}
        # score the files just written, so the numbers are those of the submission
        stats = ytvis_evaluate(gt, json.loads(json_path.read_text()), source=str(json_path))
        print_log('YouTube-VIS mask AP (%):\n' + format_ytvis_table(stats), logger='current')
        return {n: stats[n] * 100 if stats[n] >= 0 else -1.0 for n in REPORTED_STATS}
