"""Panoptic quality of a prediction folder against COCO-format panoptic GT (panopticapi inputs).

Example::

    python tools/analysis_tools/eval_panoptic.py \
        --gt-json data/coco/annotations/panoptic_val2017.json \
        --gt-folder data/coco/annotations/panoptic_val2017 \
        --pred-json work_dirs/x/panoptic.json --pred-folder work_dirs/x/panoptic \
        --out work_dirs/x/pq_metrics.json

Same rules and output structure as panopticapi's ``pq_compute`` (see
``omgseg/evaluation/functional/panoptic.py``); the per-image work is vectorised, and images are
spread over ``--nproc`` processes.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np


from omgseg.evaluation.functional.files import load_json, read_id_png, write_metrics
from omgseg.evaluation.functional.panoptic import (PQStat, format_pq_table,
                                                   pq_compute_single, pq_summary)
from omgseg.utils.progress import progress_counter


def match_annotations(gt_json: dict, pred_json: dict, pred_json_path: str = '') -> list:
    """``[(gt_ann, pred_ann)]`` paired by ``image_id``, in GT order.

    Raises ValueError for a GT image without prediction (panopticapi raises too) and for
    duplicate image ids; predictions of images absent from the GT are ignored (panopticapi).
    """
    for name, data in (('GT', gt_json), ('prediction', pred_json)):
        if 'annotations' not in data:
            raise ValueError(f'{name} JSON has no "annotations" list')
    pred_by_id: dict = {}
    for ann in pred_json['annotations']:
        if ann['image_id'] in pred_by_id:
            raise ValueError(f'image_id {ann["image_id"]} appears twice in {pred_json_path}')
        pred_by_id[ann['image_id']] = ann
    pairs, seen = [], set()
    for gt_ann in gt_json['annotations']:
        image_id = gt_ann['image_id']
        if image_id in seen:
            raise ValueError(f'image_id {image_id} appears twice in the GT JSON')
        seen.add(image_id)
        if image_id not in pred_by_id:
            raise ValueError(f'no prediction for the image with id {image_id} '
                             f'({gt_ann.get("file_name")}) in {pred_json_path}')
        pairs.append((gt_ann, pred_by_id[image_id]))
    return pairs


def _eval_chunk(pairs: list, gt_folder: str, pred_folder: str, categories: dict) -> PQStat:
    """Worker: PQ sums of a chunk of image pairs."""
    stat = PQStat()
    for gt_ann, pred_ann in pairs:
        gt_path = os.path.join(gt_folder, gt_ann['file_name'])
        pred_path = os.path.join(pred_folder, pred_ann['file_name'])
        gt_ids, pred_ids = read_id_png(gt_path), read_id_png(pred_path)
        source = f'{pred_path} (image_id {gt_ann["image_id"]}, GT {gt_path})'
        stat += pq_compute_single(gt_ids, gt_ann['segments_info'], pred_ids,
                                  pred_ann['segments_info'], categories, source=source)
    return stat


def pq_compute_files(gt_json: str, pred_json: str, gt_folder: str, pred_folder: str,
                     nproc: int | None = None, progress: bool = True) -> tuple[dict, PQStat]:
    """Evaluate a prediction folder; returns ``(panopticapi-style summary, PQStat)``.

    ``progress``: a bar over images on stderr when it is a terminal.
    """
    gt_data, pred_data = load_json(gt_json), load_json(pred_json)
    for folder in (gt_folder, pred_folder):
        if not Path(folder).is_dir():
            raise FileNotFoundError(f'segmentation folder not found: {folder}')
    if 'categories' not in gt_data:
        raise ValueError(f'GT JSON {gt_json} has no "categories" list')
    categories = {c['id']: c for c in gt_data['categories']}
    pairs = match_annotations(gt_data, pred_data, str(pred_json))
    # Fail before spawning workers if any file is missing, naming the first one.
    for gt_ann, pred_ann in pairs:
        for folder, ann in ((gt_folder, gt_ann), (pred_folder, pred_ann)):
            path = os.path.join(folder, ann['file_name'])
            if not os.path.isfile(path):
                raise FileNotFoundError(f'panoptic PNG not found: {path} '
                                        f'(image_id {ann["image_id"]})')
    nproc = max(1, min(nproc or min(os.cpu_count() or 1, 8), len(pairs) or 1))
    # ~4 chunks per process balance the load while keeping pickling overhead negligible.
    n_chunks = min(len(pairs), nproc * 4) or 1
    chunks = [list(c) for c in np.array_split(np.arange(len(pairs)), n_chunks)]
    chunks = [[pairs[i] for i in idx] for idx in chunks if len(idx)]
    stat = PQStat()
    bar = progress_counter(total=len(pairs), desc='PQ', unit='image', enabled=progress)
    if nproc == 1:
        with bar:
            for chunk in chunks:
                stat += _eval_chunk(chunk, gt_folder, pred_folder, categories)
                bar.update(len(chunk))
    else:
        with multiprocessing.Pool(nproc) as pool, bar:
            jobs = [pool.apply_async(_eval_chunk, (chunk, gt_folder, pred_folder, categories))
                    for chunk in chunks]
            for job, chunk in zip(jobs, chunks):
                stat += job.get()  # re-raises a worker's ValueError/FileNotFoundError here
                bar.update(len(chunk))
    return pq_summary(stat, categories), stat


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt-json', required=True, help='panoptic GT JSON (COCO format)')
    parser.add_argument('--gt-folder', required=True, help='folder of GT panoptic PNGs')
    parser.add_argument('--pred-json', required=True, help='prediction JSON (same format)')
    parser.add_argument('--pred-folder', required=True, help='folder of predicted PNGs')
    parser.add_argument('--out', required=True, help='where to write metrics JSON')
    parser.add_argument('--nproc', type=int, default=None,
                        help='worker processes (default: min(cpu_count, 8))')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    try:
        summary, _ = pq_compute_files(args.gt_json, args.pred_json, args.gt_folder,
                                      args.pred_folder, args.nproc)
    except (FileNotFoundError, ValueError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    print(format_pq_table(summary))
    print(f'Time elapsed: {time.time() - start:.2f} s')
    write_metrics(summary, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
