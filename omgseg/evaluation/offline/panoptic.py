"""Panoptic quality of a prediction folder against COCO-format panoptic GT (panopticapi inputs).

Same rules and output structure as panopticapi's ``pq_compute`` (see
``omgseg.evaluation.functional.panoptic``); the per-image work is vectorised, and images are
spread over ``nproc`` processes. ``tools/analysis_tools/eval_panoptic.py`` is its command line.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np

from omgseg.evaluation.functional.files import load_json, read_id_png
from omgseg.evaluation.functional.panoptic import PQStat, pq_compute_single, pq_summary
from omgseg.evaluation.functional.png_ids import load_decoder
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
        load_decoder()  # the forked workers inherit it
        with multiprocessing.Pool(nproc) as pool, bar:
            jobs = [pool.apply_async(_eval_chunk, (chunk, gt_folder, pred_folder, categories))
                    for chunk in chunks]
            for job, chunk in zip(jobs, chunks):
                stat += job.get()  # re-raises a worker's ValueError/FileNotFoundError here
                bar.update(len(chunk))
    return pq_summary(stat, categories), stat
