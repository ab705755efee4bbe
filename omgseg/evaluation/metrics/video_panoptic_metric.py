"""VIPSeg video panoptic quality (VPQ) and video semantic mIoU of whole-video samples."""
from __future__ import annotations

import json
import os
import os.path as osp
from collections.abc import Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from PIL import Image

from omgseg.datasets.vipseg_cache import read_panomask
from omgseg.datasets.vipseg_format import decode_panomask, label_lookup
from omgseg.evaluation.functional import (
    PQStat,
    VideoTubeAccumulator,
    confusion_matrix,
    format_vpq_table,
    id2rgb,
    miou_from_confusion,
    vpq_summary,
    window_mean,
)
from omgseg.registry import METRICS
from omgseg.structures import IGNORE_INDEX

from .gt_reader import frames_of, sample_field, semantic_from_panoptic, video_name_of
from .panoptic_metric import label_categories


def _to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


def _pred_panoptic(frame) -> tuple[np.ndarray, list[dict]]:
    pred = sample_field(frame, 'pred_panoptic_seg')
    if pred is None:
        raise ValueError('VideoPanopticMetric: a frame has no pred_panoptic_seg; enable the '
                         "model's panoptic output")
    ids = _to_numpy(sample_field(pred, 'sem_seg'))[0].astype(np.int64)
    segments = sample_field(pred, 'segments_info') or []
    return ids, segments


@METRICS.register_module()
class VideoPanopticMetric(BaseMetric):
    """VPQ over windows of k consecutive frames (VIPSeg's ``eval_vpq_vspw.py`` rules) and mIoU.

    Each sample is one whole video: a ``TrackDataSample`` whose frames (time order) carry
    ``seg_map_path`` (the VIPSeg 16-bit panomask), ``pred_panoptic_seg`` (ids ``(1, H, W)``,
    0 = void, ``segments_info`` with contiguous ``category_id``; an id is one object in every
    frame) and ``pred_sem_seg`` (``(1, H, W)`` labels). Window sums are computed in ``process``,
    so only small per-class sums travel between ranks.

    Args:
        windows: window sizes k of VPQ (VIPSeg: 1, 2, 4, 6, 8).
        omg_windows: window sizes of ``VPQ_omg`` (OMG-Seg reports VPQ@1/2/4/6).
        vss: also report video semantic mIoU of ``pred_sem_seg`` (void ignored).
        outfile_prefix: folder for the official submission layout (``pred.json`` +
            ``pan_pred/<video>/<frame>.png``, category ids = raw VIPSeg classes), which
            ``tools/analysis_tools/eval_vpq.py`` scores.
        format_only: only write ``outfile_prefix`` (no ground truth read, no metrics).
    """

    default_prefix = 'vipseg'

    def __init__(self, *, windows: Sequence[int] = (1, 2, 4, 6, 8),
                 omg_windows: Sequence[int] = (1, 2, 4, 6), vss: bool = True,
                 outfile_prefix: str | None = None, format_only: bool = False,
                 collect_device: str = 'cpu', prefix: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.windows = tuple(sorted({int(k) for k in windows}))
        if not self.windows or self.windows[0] < 1:
            raise ValueError(f'VideoPanopticMetric: window sizes must be >= 1, got {windows}')
        self.omg_windows = tuple(int(k) for k in omg_windows)
        self.vss = vss
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only
        if format_only and not outfile_prefix:
            raise ValueError('VideoPanopticMetric: format_only=True needs outfile_prefix (the '
                             'folder to write the submission to)')

    def _raw_ids(self) -> list[int]:
        meta = self.dataset_meta
        if 'raw_class_ids' not in meta:
            raise ValueError('VideoPanopticMetric needs dataset_meta["raw_class_ids"] (label -> '
                             'raw VIPSeg class); use a vocabulary that defines it')
        return list(meta['raw_class_ids'])

    def process(self, data_batch, data_samples: Sequence) -> None:
        meta = self.dataset_meta
        categories = label_categories(meta)
        num_things, k = len(meta['thing_classes']), len(meta['classes'])
        raw_ids = self._raw_ids()
        lookup = label_lookup(raw_ids)
        for sample in data_samples:
            video = video_name_of(sample)
            acc = VideoTubeAccumulator(categories, video=video, gt_area='png')
            conf = np.zeros((k, k), dtype=np.int64) if self.vss else None
            frames_json = []
            for frame in frames_of(sample):
                pred_ids, segments = _pred_panoptic(frame)
                # a tube's segment may be absent from some frames; the reference JSON lists
                # only the segments present in the PNG
                present = set(np.unique(pred_ids).tolist())
                pred_segments = [{'id': int(s['id']), 'category_id': int(s['category_id'])}
                                 for s in segments if int(s['id']) in present]
                seg_path = sample_field(frame, 'seg_map_path')
                name = osp.splitext(osp.basename(seg_path or sample_field(frame, 'img_path')))[0]
                if self.outfile_prefix:
                    frames_json.append(self._write_frame(video, name + '.png', pred_ids,
                                                         pred_segments, raw_ids))
                if self.format_only:
                    continue
                if not seg_path:
                    raise ValueError(f'VideoPanopticMetric: frame {name} of video {video!r} has '
                                     f'no seg_map_path; use format_only=True without GT')
                gt_ids, gt_segments = self._read_gt(seg_path, lookup, num_things)
                if gt_ids.shape != pred_ids.shape:
                    raise ValueError(f'prediction of {seg_path} is {pred_ids.shape[1]}x'
                                     f'{pred_ids.shape[0]} (WxH) but the GT is {gt_ids.shape[1]}'
                                     f'x{gt_ids.shape[0]}; predict at the original size')
                acc.add_frame(gt_ids, gt_segments, pred_ids, pred_segments, frame=seg_path)
                if self.vss:
                    sem = sample_field(frame, 'pred_sem_seg')
                    if sem is None:
                        raise ValueError('VideoPanopticMetric(vss=True): a frame has no '
                                         'pred_sem_seg; enable it or set vss=False')
                    pred_sem = _to_numpy(sample_field(sem, 'sem_seg'))[0].astype(np.int64)
                    if pred_sem.shape != gt_ids.shape:
                        raise ValueError(f'pred_sem_seg of {seg_path} has shape {pred_sem.shape}'
                                         f', the GT {gt_ids.shape}')
                    conf += confusion_matrix(pred_sem, semantic_from_panoptic(
                        gt_ids, gt_segments), k, IGNORE_INDEX)
            # one entry per sample (mmengine truncates results to the dataset length)
            self.results.append({
                'video': video, 'frames': frames_json, 'conf': conf,
                'stats': None if self.format_only else acc.window_stats(self.windows)})

    @staticmethod
    def _read_gt(path: str, lookup: dict, num_things: int) -> tuple[np.ndarray, list[dict]]:
        return decode_panomask(read_panomask(path), lookup, num_things, source=path)

    def _write_frame(self, video: str, file_name: str, pred_ids: np.ndarray,
                     segments: list[dict], raw_ids: list[int]) -> dict:
        bad = [s['category_id'] for s in segments if not 0 <= s['category_id'] < len(raw_ids)]
        if bad:
            raise ValueError(f'VideoPanopticMetric: video {video!r} frame {file_name} has '
                             f'category_id {bad} outside the {len(raw_ids)} dataset labels')
        folder = osp.join(self.outfile_prefix, 'pan_pred', video)
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(id2rgb(pred_ids)).save(osp.join(folder, file_name))
        return {'file_name': file_name,
                    'segments_info': [{'id': s['id'], 'category_id': int(raw_ids[s['category_id']])}
                                   for s in segments]}

    def compute_metrics(self, results: list[dict]) -> dict[str, float]:
        videos = [r['video'] for r in results]
        if len(set(videos)) != len(videos):
            dup = sorted({v for v in videos if videos.count(v) > 1})
            raise ValueError(f'VideoPanopticMetric needs each video in one sample (windows span '
                             f'its frames), but videos {dup} arrive in several samples')
        if self.outfile_prefix:
            os.makedirs(self.outfile_prefix, exist_ok=True)
            path = osp.join(self.outfile_prefix, 'pred.json')
            with open(path, 'w') as f:
                json.dump({'annotations': [{'video_id': r['video'], 'annotations': r['frames']}
                                           for r in results]}, f)
            print_log(f'VIPSeg submission written to {self.outfile_prefix} (pred.json, '
                      f'pan_pred/)', logger='current')
        if self.format_only:
            return {}
        categories = label_categories(self.dataset_meta)
        stats = {k: PQStat.sum(r['stats'][k] for r in results) for k in self.windows}
        summary = vpq_summary(stats, categories, omg_windows=self.omg_windows)
        print_log('Video panoptic quality:\n' + format_vpq_table(summary), logger='current')
        out = {'VPQ': summary['VPQ'] * 100,
               'VPQ_th': window_mean(summary, 'Things') * 100,
               'VPQ_st': window_mean(summary, 'Stuff') * 100}
        for k in self.windows:
            out[f'VPQ@{k}'] = summary['windows'][str(k)]['All']['pq'] * 100
        if 'VPQ_omg' in summary:
            out['VPQ_omg'] = summary['VPQ_omg'] * 100
        if self.vss:
            sem = miou_from_confusion(np.sum([r['conf'] for r in results], axis=0),
                                      self.dataset_meta['classes'])
            print_log(f'video semantic: mIoU {sem["mIoU"] * 100:.2f}', logger='current')
            out['mIoU'] = sem['mIoU'] * 100
        return out
