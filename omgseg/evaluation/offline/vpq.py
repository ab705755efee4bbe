"""Video panoptic quality (VPQ) of a VIPSeg submission folder, as VIPSeg's ``eval_vpq_vspw.py``.

The file layout is described in ``tools/analysis_tools/eval_vpq.py`` (its command line); the
rules are ``omgseg.evaluation.functional.vpq``. Videos are spread over ``nproc`` processes.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from omgseg.evaluation.functional.files import load_json, read_id_png
from omgseg.evaluation.functional.png_ids import load_decoder
from omgseg.evaluation.functional.panoptic import PQStat
from omgseg.evaluation.functional.vpq import DEFAULT_WINDOWS, VideoTubeAccumulator, vpq_summary
from omgseg.utils.progress import progress_bar


def _by_video(anns: list, what: str) -> dict:
    out: dict = {}
    for entry in anns:
        if 'video_id' not in entry or 'annotations' not in entry:
            raise ValueError(f'{what}: every "annotations" entry needs "video_id" and '
                             f'"annotations" (per-frame list)')
        vid = str(entry['video_id'])
        if vid in out:
            raise ValueError(f'{what}: video {vid!r} appears twice in "annotations"')
        out[vid] = entry['annotations']
    return out


def build_jobs(gt: dict, pred: dict, gt_folder: str, pred_dir: str,
               gt_json_path: str = 'GT json') -> list[tuple[str, list[tuple]]]:
    """``[(video, [(gt_png, gt_segments, pred_png, pred_segments), ...])]`` in GT order.

    Raises ValueError / FileNotFoundError naming the video, frame or path at fault.
    """
    pred_json_path = os.path.join(pred_dir, 'pred.json')
    for key in ('videos', 'annotations', 'categories'):
        if key not in gt:
            raise ValueError(f'{gt_json_path} has no "{key}" list (VIPSeg panoptic GT format)')
    if 'annotations' not in pred:
        raise ValueError(f'{pred_json_path} has no "annotations" list')
    gt_anns = _by_video(gt['annotations'], gt_json_path)
    pred_anns = _by_video(pred['annotations'], pred_json_path)
    jobs = []
    for video in gt['videos']:
        vid = str(video['video_id'])
        images = video['images']
        if vid not in gt_anns:
            raise ValueError(f'{gt_json_path}: video {vid!r} has no entry in "annotations"')
        if len(gt_anns[vid]) != len(images):
            raise ValueError(f'{gt_json_path}: video {vid!r} lists {len(images)} images but '
                             f'{len(gt_anns[vid])} annotations')
        if vid not in pred_anns:
            raise ValueError(f'video {vid!r} of the GT has no prediction in {pred_json_path}')
        preds = pred_anns[vid]
        if all('file_name' in p for p in preds):
            pred_by_name = {p['file_name']: p for p in preds}
            if len(pred_by_name) != len(preds):
                raise ValueError(f'{pred_json_path}: video {vid!r} repeats a file_name')
        elif len(preds) != len(images):
            raise ValueError(f'{pred_json_path}: video {vid!r} has {len(preds)} frames, the GT '
                             f'{len(images)} (frames without "file_name" pair by position)')
        else:
            pred_by_name = None
        frames = []
        for i, (image, gt_ann) in enumerate(zip(images, gt_anns[vid])):
            name = image['file_name']
            if gt_ann.get('file_name', name) != name:
                raise ValueError(f'{gt_json_path}: video {vid!r} frame {i} is {name} in "videos" '
                                 f'but {gt_ann["file_name"]} in "annotations"')
            if pred_by_name is None:
                pred_ann = preds[i]
            elif name in pred_by_name:
                pred_ann = pred_by_name[name]
            else:
                raise ValueError(f'{pred_json_path}: video {vid!r} has no prediction for frame '
                                 f'{name}')
            gt_png = os.path.join(gt_folder, vid, name)
            pred_png = os.path.join(pred_dir, 'pan_pred', vid, name)
            for path in (gt_png, pred_png):
                if not os.path.isfile(path):
                    raise FileNotFoundError(f'panoptic PNG not found: {path} (video {vid!r})')
            frames.append((gt_png, gt_ann['segments_info'], pred_png,
                           pred_ann.get('segments_info', [])))
        jobs.append((vid, frames))
    return jobs


def eval_video(job: tuple, categories: dict, windows: tuple) -> dict[int, PQStat]:
    """Worker: ``{k: PQStat}`` of one video; each PNG is read once."""
    vid, frames = job
    acc = VideoTubeAccumulator(categories, video=vid, gt_area='json')
    for gt_png, gt_segments, pred_png, pred_segments in frames:
        gt_ids, pred_ids = read_id_png(gt_png), read_id_png(pred_png)
        if gt_ids.shape != pred_ids.shape:
            raise ValueError(f'{pred_png} is {pred_ids.shape[1]}x{pred_ids.shape[0]} (WxH) but '
                             f'its GT {gt_png} is {gt_ids.shape[1]}x{gt_ids.shape[0]}; predict '
                             f'at GT resolution')
        acc.add_frame(gt_ids, gt_segments, pred_ids, pred_segments, frame=pred_png)
    return acc.window_stats(windows)


def _eval_star(args):
    return eval_video(*args)


def vpq_compute_files(gt_json: str, gt_folder: str, pred_dir: str, *,
                      windows=DEFAULT_WINDOWS, nproc: int | None = None,
                      progress: bool = True) -> tuple[dict, dict[int, PQStat]]:
    """Evaluate a submission folder; returns ``(vpq_summary(...), {k: PQStat})``.

    ``progress``: a bar over videos on stderr when it is a terminal.
    """
    for folder in (gt_folder, pred_dir):
        if not Path(folder).is_dir():
            raise FileNotFoundError(f'folder not found: {folder}')
    gt = load_json(gt_json)
    pred = load_json(os.path.join(pred_dir, 'pred.json'))
    jobs = build_jobs(gt, pred, gt_folder, pred_dir, str(gt_json))
    try:
        categories = {int(c['id']): dict(c, isthing=int(c['isthing']))
                      for c in gt['categories']}
    except KeyError as exc:
        raise ValueError(f'{gt_json}: every category needs "id" and "isthing" ({exc})') from exc
    windows = tuple(sorted({int(k) for k in windows}))
    if not windows or windows[0] < 1:
        raise ValueError(f'window sizes must be >= 1, got {list(windows)}')
    stats = {k: PQStat() for k in windows}
    nproc = max(1, min(nproc or min(os.cpu_count() or 1, 8), len(jobs) or 1))
    tasks = [(job, categories, windows) for job in jobs]
    if nproc == 1:
        results = map(_eval_star, tasks)
    else:
        load_decoder()  # the forked workers inherit it
        pool = multiprocessing.Pool(nproc)
        results = pool.imap_unordered(_eval_star, tasks)
    try:
        # a worker's error is re-raised here
        for video_stats in progress_bar(results, total=len(jobs), desc='VPQ', unit='video',
                                        enabled=progress):
            for k, stat in video_stats.items():
                stats[k] += stat
    finally:
        if nproc > 1:
            pool.terminate()
    return vpq_summary(stats, categories), stats
