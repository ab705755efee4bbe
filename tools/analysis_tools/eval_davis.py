"""DAVIS 2017 semi-supervised J&F of a results folder, as davisvideochallenge/davis2017-evaluation.

Example::

    python tools/analysis_tools/eval_davis.py --davis-root data/DAVIS \
        --results work_dirs/x/davis_results --set val --out work_dirs/x/davis_jf.json

Inputs (the official layout): ``<davis-root>/ImageSets/2017/<set>.txt`` (one sequence per line),
GT ``<davis-root>/Annotations/480p/<seq>/<frame>.png`` indexed (palette) PNGs with 0 background,
1..N objects and 255 void, and results ``<results>/<seq>/<frame>.png`` with the same frame names
and sizes. Only frames 1..T-2 are scored, so only their result PNGs are required (as the
reference reads). Result PNGs are indexed (mode P or L); RGB PNGs are accepted when every colour
is an entry of the DAVIS (PASCAL VOC) palette, which maps it back to its index. Rules:
``omgseg/evaluation/functional/davis.py``. Sequences are spread over ``--nproc`` processes.

Writes ``--out`` as JSON: the seven measures ``J&F-Mean, J-Mean, J-Recall, J-Decay, F-Mean,
F-Recall, F-Decay`` (fractions, not percent) and ``per_sequence`` (``<seq>_<i>`` -> J-Mean,
F-Mean, J&F-Mean, one entry per object as the reference's per-sequence table).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from omgseg.datasets.davis_format import DAVIS_PALETTE
from omgseg.evaluation.functional.files import write_metrics
from omgseg.evaluation.functional.davis import (
    BOUND_TH,
    davis_summary,
    evaluate_semisupervised,
    format_davis_table,
)
from omgseg.utils.progress import progress_bar


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
        pal = DAVIS_PALETTE.astype(np.int64)
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
    """Evaluate a results folder; returns ``davis_summary(...)``.

    ``progress``: a bar over sequences on stderr when it is a terminal.
    """
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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--davis-root', required=True,
                        help='DAVIS folder with ImageSets/2017 and Annotations/<resolution>')
    parser.add_argument('--results', required=True, help='results folder (<seq>/<frame>.png)')
    parser.add_argument('--set', default='val', help='ImageSets/2017/<set>.txt (default: val)')
    parser.add_argument('--out', required=True, help='where to write the metrics JSON')
    parser.add_argument('--nproc', type=int, default=None,
                        help='worker processes (default: min(cpu_count, 8))')
    parser.add_argument('--resolution', default='480p', help='Annotations subfolder (480p)')
    parser.add_argument('--exclude-void', action='store_true',
                        help='leave GT void (255) pixels out of J and F; the official tool '
                             'counts them as background (default)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    try:
        summary = davis_evaluate_folder(args.davis_root, args.results, subset=args.set,
                                        resolution=args.resolution, nproc=args.nproc,
                                        exclude_void=args.exclude_void)
    except (FileNotFoundError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(format_davis_table(summary))
    print(f'Time elapsed: {time.time() - start:.2f} s')
    write_metrics(summary, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
