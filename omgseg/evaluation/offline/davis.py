"""DAVIS 2017 semi-supervised J&F of a results folder, as davisvideochallenge/davis2017-evaluation.

The folder layout is described in ``tools/analysis_tools/eval_davis.py`` (its command line);
the rules are ``omgseg.evaluation.functional.davis``. Result PNGs are indexed (mode P or L);
RGB PNGs are accepted when every colour is an entry of the DAVIS (PASCAL VOC) palette.
Sequences are spread over ``nproc`` processes.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np
from PIL import Image

from omgseg.evaluation.functional.davis import BOUND_TH, davis_summary, evaluate_semisupervised
from omgseg.utils.progress import progress_bar


def voc_palette() -> np.ndarray:
    """``(256, 3)`` uint8 DAVIS / PASCAL VOC palette: bits of the index spread over R, G, B."""
    index = np.arange(256)
    palette = np.zeros((256, 3), dtype=np.int64)
    for bit in range(8):
        for channel in range(3):
            palette[:, channel] |= ((index >> (3 * bit + channel)) & 1) << (7 - bit)
    return palette.astype(np.uint8)


def read_index_png(path: str, what: str) -> np.ndarray:
    """Index map ``(H, W)`` int64 of an indexed PNG (RGB only via the DAVIS palette)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{what} PNG not found: {path}')
    with Image.open(path) as img:
        mode = img.mode
        arr = np.asarray(img)
    if arr.ndim == 2:
        return arr.astype(np.int64)
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        rgb = arr[..., :3].astype(np.int64)
        codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
        pal = voc_palette().astype(np.int64)
        pal_codes = (pal[:, 0] << 16) | (pal[:, 1] << 8) | pal[:, 2]
        lookup = dict(zip(pal_codes.tolist(), range(256)))
        uniq, inverse = np.unique(codes, return_inverse=True)
        unknown = [c for c in uniq.tolist() if c not in lookup]
        if unknown:
            c = unknown[0]
            raise ValueError(f'{path}: RGB colour {(c >> 16, (c >> 8) & 255, c & 255)} is not in '
                             f'the DAVIS palette; save {what} masks as indexed PNGs (mode P, '
                             f'pixel value = object id)')
        return np.array([lookup[c] for c in uniq.tolist()], dtype=np.int64)[inverse].reshape(
            codes.shape)
    raise ValueError(f'{path}: expected an indexed PNG (mode P or L), got mode {mode} '
                     f'(array shape {arr.shape})')


def read_sequence_list(davis_root: str, subset: str) -> list[str]:
    path = Path(davis_root) / 'ImageSets' / '2017' / f'{subset}.txt'
    if not path.is_file():
        raise FileNotFoundError(f'sequence list not found: {path} (DAVIS 2017 layout: '
                                f'ImageSets/2017/<set>.txt)')
    names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not names:
        raise ValueError(f'{path} lists no sequences')
    return names


def build_jobs(davis_root: str, results: str, subset: str,
               resolution: str = '480p') -> list[tuple[str, list[str], list[str]]]:
    """``[(seq, gt_pngs (T), result_pngs (T - 2, frames 1..T-2))]`` in set-file order.

    Raises FileNotFoundError / ValueError naming the sequence or path at fault.
    """
    ann_root = Path(davis_root) / 'Annotations' / resolution
    if not ann_root.is_dir():
        raise FileNotFoundError(f'annotation folder not found: {ann_root}')
    if not Path(results).is_dir():
        raise FileNotFoundError(f'results folder not found: {results}')
    jobs = []
    for seq in read_sequence_list(davis_root, subset):
        gt_dir = ann_root / seq
        gt_pngs = sorted(gt_dir.glob('*.png')) if gt_dir.is_dir() else []
        if not gt_pngs:
            raise FileNotFoundError(f'sequence {seq!r}: no GT annotations in {gt_dir}')
        images = sorted((Path(davis_root) / 'JPEGImages' / resolution / seq).glob('*.jpg'))
        # the first frame's annotation is the prompt; a GT folder that starts later is broken
        if images and gt_pngs[0].stem != images[0].stem:
            raise FileNotFoundError(f'sequence {seq!r}: first-frame annotation '
                                    f'{gt_dir / (images[0].stem + ".png")} is missing')
        res_dir = Path(results) / seq
        if not res_dir.is_dir():
            raise FileNotFoundError(f'sequence {seq!r} of {subset}.txt has no results folder '
                                    f'{res_dir}')
        res_pngs = [str(res_dir / p.name) for p in gt_pngs[1:-1]]
        for path in res_pngs:
            if not os.path.isfile(path):
                raise FileNotFoundError(f'result frame missing: {path} (sequence {seq!r})')
        jobs.append((seq, [str(p) for p in gt_pngs], res_pngs))
    return jobs


def eval_sequence(job: tuple, exclude_void: bool, bound_th: float) -> dict:
    """Worker: per-object statistics of one sequence; each PNG is read once."""
    seq, gt_pngs, res_pngs = job
    gt = [read_index_png(p, 'GT') for p in gt_pngs]
    for path, arr in zip(gt_pngs[1:], gt[1:]):
        if arr.shape != gt[0].shape:
            raise ValueError(f'{path} is {arr.shape[1]}x{arr.shape[0]} (WxH) but the first '
                             f'frame of {seq!r} is {gt[0].shape[1]}x{gt[0].shape[0]}')
    pred = []
    for path, gt_arr in zip(res_pngs, gt[1:-1]):
        arr = read_index_png(path, 'result')
        if arr.shape != gt_arr.shape:
            raise ValueError(f'{path} is {arr.shape[1]}x{arr.shape[0]} (WxH) but its GT is '
                             f'{gt_arr.shape[1]}x{gt_arr.shape[0]}; write results at the GT '
                             f'resolution')
        pred.append(arr)
    if not pred:  # fewer than 3 frames: let the metric raise its message
        pred_arr = np.zeros((0, *gt[0].shape), dtype=np.int64)
    else:
        pred_arr = np.stack(pred)
    return evaluate_semisupervised(np.stack(gt), pred_arr, name=seq,
                                   exclude_void=exclude_void, bound_th=bound_th)


def _eval_star(args):
    return eval_sequence(*args)


def davis_evaluate_folder(davis_root: str, results: str, *, subset: str = 'val',
                          resolution: str = '480p', nproc: int | None = None,
                          exclude_void: bool = False, bound_th: float = BOUND_TH,
                          progress: bool = True) -> dict:
    """Evaluate a results folder; returns ``davis_summary(...)``."""
    jobs = build_jobs(davis_root, results, subset, resolution)
    nproc = max(1, min(nproc or min(os.cpu_count() or 1, 8), len(jobs)))
    tasks = [(job, exclude_void, bound_th) for job in jobs]
    per_object: dict = {}
    if nproc == 1:
        outputs = map(_eval_star, tasks)
    else:
        pool = multiprocessing.Pool(nproc)
        outputs = pool.imap(_eval_star, tasks)  # ordered, so tables follow the set file
    try:
        # a worker's error is re-raised here
        for objects in progress_bar(outputs, total=len(jobs), desc='J&F', unit='sequence',
                                    enabled=progress):
            per_object.update(objects)
    finally:
        if nproc > 1:
            pool.terminate()
    return davis_summary(per_object)
