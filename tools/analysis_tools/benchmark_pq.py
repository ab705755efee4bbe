"""Offline PQ of omgseg against the official panopticapi per-image loop, and the online metric.

Writes synthetic COCO-format panoptic data (Voronoi segments, 80 thing + 53 stuff categories,
crowd regions, void; predictions are jittered copies with wrong labels, missed and extra
segments) as PNG + JSON to a temporary folder, then in one run and on the same files:

* checks that every image's statistics are identical bit for bit (TP / FP / FN per class and the
  IoU sums) between omgseg's ``pq_compute_single`` and panopticapi's ``pq_compute_single_core``;
* times the whole offline evaluation (JSON, PNG decoding, matching, summary) of both at equal
  process counts (official: panopticapi's own worker function on a pool of that size), in
  alternating rounds, and checks PQ / SQ / RQ per class and the TP / FP / FN totals agree;
* times omgseg's online ``PanopticQualityMetric.process`` per image (GT PNG read from disk,
  prediction given as the model's id tensor) and checks its result against the offline one.

The baseline needs the ``panopticapi-lite`` package (the project's dev dependency group).

    python tools/analysis_tools/benchmark_pq.py [--images 150] [--segments 40] [--procs 1 2]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData
from PIL import Image

from omgseg.evaluation.functional import id2rgb, pq_compute_single
from omgseg.evaluation.functional.files import read_id_png
from omgseg.evaluation.offline.panoptic import pq_compute_files
from omgseg.evaluation.metrics import PanopticQualityMetric
from omgseg.structures.clip_sample import ClipDataSample

NUM_THINGS, NUM_STUFF = 80, 53
CATEGORIES = [{'id': c, 'name': f'class{c}', 'isthing': int(c <= NUM_THINGS),
               'supercategory': 'x'} for c in range(1, NUM_THINGS + NUM_STUFF + 1)]
NUM_CATS = NUM_THINGS + NUM_STUFF


def _voronoi(seeds: np.ndarray, h: int, w: int, cell: int) -> np.ndarray:
    """Index of the nearest seed per pixel ``(h, w)``, on a coarse grid then upsampled."""
    ys, xs = np.mgrid[0:h // cell, 0:w // cell]
    d = (ys[..., None] - seeds[:, 0]) ** 2 + (xs[..., None] - seeds[:, 1]) ** 2
    return np.repeat(np.repeat(d.argmin(-1), cell, 0), cell, 1)


def make_pair(rng: np.random.Generator, h: int, w: int, n: int, cell: int = 4):
    """One synthetic image: ``(gt_ids, gt_segments, pred_ids, pred_segments)``."""
    grid = [h // cell, w // cell]
    seeds = rng.uniform(0, grid, size=(n, 2))
    cats = rng.integers(1, NUM_CATS + 1, size=n)
    cats[rng.random(n) < 0.3] = rng.integers(1, 6)  # repeated categories -> several instances
    ids = rng.choice(256 ** 3 - 1, size=n, replace=False) + 1
    crowd = (cats <= NUM_THINGS) & (rng.random(n) < 0.1)
    gt = ids[_voronoi(seeds, h, w, cell)]
    for _ in range(int(rng.integers(1, 4))):  # void rectangles
        y, x = rng.integers(0, h - 40), rng.integers(0, w - 40)
        gt[y:y + int(rng.integers(10, 50)), x:x + int(rng.integers(10, 60))] = 0
    present = set(np.unique(gt).tolist())
    gt_segments = [{'id': int(i), 'category_id': int(c), 'iscrowd': int(k),
                    'area': int((gt == i).sum())}
                   for i, c, k in zip(ids, cats, crowd) if int(i) in present]

    # Prediction: jittered seeds (IoUs spread around 0.5), some dropped, some extra.
    keep = rng.random(n) > 0.1
    extra = int(rng.integers(0, 5))
    p_seeds = np.concatenate([seeds[keep] + rng.normal(0, rng.uniform(1, 8), (keep.sum(), 2)),
                              rng.uniform(0, grid, size=(extra, 2))])
    p_cats = np.concatenate([cats[keep], rng.integers(1, NUM_CATS + 1, extra)])
    wrong = rng.random(p_cats.size) < 0.1
    p_cats[wrong] = rng.integers(1, NUM_CATS + 1, wrong.sum())
    p_ids = rng.choice(256 ** 3 - 1, size=p_cats.size, replace=False) + 1
    pred = p_ids[_voronoi(p_seeds, h, w, cell)]
    if rng.random() < 0.5:  # a void (unpredicted) rectangle
        y, x = rng.integers(0, h - 40), rng.integers(0, w - 40)
        pred[y:y + 60, x:x + 90] = 0
    present = set(np.unique(pred).tolist())
    pred_segments = [{'id': int(i), 'category_id': int(c)}
                     for i, c in zip(p_ids, p_cats) if int(i) in present]
    return gt, gt_segments, pred, pred_segments


def write_dataset(root: Path, images: int, h: int, w: int, n: int, seed: int) -> dict:
    """COCO panoptic layout under ``root``; returns the four paths pq_compute takes."""
    rng = np.random.default_rng(seed)
    paths = dict(gt_json=root / 'gt.json', pred_json=root / 'pred.json',
                 gt_folder=root / 'gt', pred_folder=root / 'pred')
    paths['gt_folder'].mkdir()
    paths['pred_folder'].mkdir()
    gt_anns, pred_anns = [], []
    for k in range(images):
        gt, gt_segs, pred, pred_segs = make_pair(rng, h, w, n)
        name = f'{k:012d}.png'
        Image.fromarray(id2rgb(gt)).save(paths['gt_folder'] / name)
        Image.fromarray(id2rgb(pred)).save(paths['pred_folder'] / name)
        gt_anns.append(dict(image_id=k, file_name=name, segments_info=gt_segs))
        pred_anns.append(dict(image_id=k, file_name=name, segments_info=pred_segs))
    images_info = [dict(id=k, file_name=f'{k:012d}.jpg', height=h, width=w)
                   for k in range(images)]
    paths['gt_json'].write_text(json.dumps(dict(images=images_info, annotations=gt_anns,
                                                 categories=CATEGORIES)))
    paths['pred_json'].write_text(json.dumps(dict(annotations=pred_anns)))
    return {key: str(value) for key, value in paths.items()}


def official_pq(official, gt_json: str, pred_json: str, gt_folder: str, pred_folder: str,
                nproc: int):
    """panopticapi's ``pq_compute`` with ``nproc`` processes instead of cpu_count, quietly."""
    with open(gt_json) as f:
        gt_data = json.load(f)
    with open(pred_json) as f:
        pred_data = json.load(f)
    categories = {c['id']: c for c in gt_data['categories']}
    by_id = {a['image_id']: a for a in pred_data['annotations']}
    pairs = [(a, by_id[a['image_id']]) for a in gt_data['annotations']]
    with contextlib.redirect_stdout(io.StringIO()):  # its workers print progress
        if nproc == 1:
            stat = official.pq_compute_single_core(0, pairs, gt_folder, pred_folder, categories)
        else:
            stat = official.PQStat()
            with multiprocessing.Pool(nproc) as pool:
                jobs = [pool.apply_async(official.pq_compute_single_core,
                                         (i, chunk, gt_folder, pred_folder, categories))
                        for i, chunk in enumerate(np.array_split(pairs, nproc))]
                for job in jobs:
                    stat += job.get()
    results = {}
    for name, isthing in (('All', None), ('Things', True), ('Stuff', False)):
        results[name], per_class = stat.pq_average(categories, isthing)
        if name == 'All':
            results['per_class'] = per_class
    return results, stat


def counts_of(stat) -> dict:
    """``{cat: (tp, fp, fn, iou)}`` of an omgseg or panopticapi PQStat (non-empty classes)."""
    return {int(c): (int(s.tp), int(s.fp), int(s.fn), float(s.iou))
            for c, s in stat.pq_per_cat.items() if s.tp or s.fp or s.fn}


def check_per_image(official, paths: dict) -> int:
    """Bit-exact comparison of every image's statistics; returns the number of images."""
    gt_data = json.loads(Path(paths['gt_json']).read_text())
    pred_data = json.loads(Path(paths['pred_json']).read_text())
    categories = {c['id']: c for c in gt_data['categories']}
    for gt_ann, pred_ann in zip(gt_data['annotations'], pred_data['annotations']):
        gt_png = Path(paths['gt_folder'], gt_ann['file_name'])
        pred_png = Path(paths['pred_folder'], pred_ann['file_name'])
        ours = pq_compute_single(read_id_png(gt_png), gt_ann['segments_info'],
                                 read_id_png(pred_png), pred_ann['segments_info'], categories)
        with contextlib.redirect_stdout(io.StringIO()):
            ref = official.pq_compute_single_core(
                0, [(gt_ann, json.loads(json.dumps(pred_ann)))], paths['gt_folder'],
                paths['pred_folder'], categories)
        if counts_of(ours) != counts_of(ref):
            raise AssertionError(f'image {gt_ann["image_id"]}: omgseg {counts_of(ours)} != '
                                 f'panopticapi {counts_of(ref)}')
    return len(gt_data['annotations'])


def check_totals(ours: tuple, ref: tuple, what: str) -> None:
    """Same TP / FP / FN per class; IoU sums and PQ / SQ / RQ equal up to summation order."""
    (summary, stat), (ref_summary, ref_stat) = ours, ref
    a, b = counts_of(stat), counts_of(ref_stat)
    if a.keys() != b.keys() or any(a[c][:3] != b[c][:3] for c in a):
        raise AssertionError(f'{what}: TP/FP/FN differ from panopticapi')
    # images are summed in another grouping (chunks), so the last bits of IoU sums may differ
    if any(abs(a[c][3] - b[c][3]) > 1e-9 for c in a):
        raise AssertionError(f'{what}: IoU sums differ from panopticapi')
    for part in ('All', 'Things', 'Stuff'):
        for m in ('pq', 'sq', 'rq'):
            if abs(summary[part][m] - ref_summary[part][m]) > 1e-12:
                raise AssertionError(f'{what}: {part} {m} differs from panopticapi')
    for c, v in ref_summary['per_class'].items():
        if any(abs(summary['per_class'][c][m] - v[m]) > 1e-12 for m in ('pq', 'sq', 'rq')):
            raise AssertionError(f'{what}: class {c} differs from panopticapi')


def online_per_image(paths: dict, rounds: int) -> tuple[list[float], float]:
    """ms per image of ``PanopticQualityMetric.process`` in each round, and its PQ (x100).

    A sample holds what the model gives the metric: the GT PNG's path and segments, and the
    prediction as an id tensor; building the samples is not timed.
    """
    gt_data = json.loads(Path(paths['gt_json']).read_text())
    pred_data = json.loads(Path(paths['pred_json']).read_text())
    names = tuple(c['name'] for c in CATEGORIES)  # label = category id - 1, things first
    metric = PanopticQualityMetric()
    metric.dataset_meta = dict(classes=names, thing_classes=names[:NUM_THINGS])
    per_round = []
    for _ in range(rounds):
        metric.results.clear()
        total = 0.0
        for gt_ann, pred_ann in zip(gt_data['annotations'], pred_data['annotations']):
            frame = DetDataSample(metainfo=dict(
                seg_map_path=str(Path(paths['gt_folder'], gt_ann['file_name'])),
                segments_info=[dict(id=s['id'], category=s['category_id'] - 1,
                                    iscrowd=s['iscrowd']) for s in gt_ann['segments_info']]))
            pred_ids = read_id_png(Path(paths['pred_folder'], pred_ann['file_name']))
            frame.pred_panoptic_seg = PixelData(
                sem_seg=torch.from_numpy(pred_ids.astype(np.int64))[None],
                metainfo=dict(segments_info=[dict(id=s['id'], category_id=s['category_id'] - 1)
                                             for s in pred_ann['segments_info']]))
            sample = ClipDataSample()
            sample.video_data_samples = [frame]
            total += timed(metric.process, None, [sample])[0]
        per_round.append(1000 * total / len(gt_data['annotations']))
    return per_round, metric.compute_metrics(metric.results)['PQ']


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def spread(values: list[float]) -> str:
    return (f'median {statistics.median(values):.3f}, min {min(values):.3f}, '
            f'max {max(values):.3f}')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=150)
    parser.add_argument('--segments', type=int, default=40, help='GT segments per image')
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--procs', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--rounds', type=int, default=3, help='alternating timing rounds')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-online', action='store_true', help='skip the online metric')
    args = parser.parse_args(argv)
    try:
        from panopticapi import evaluation as official
    except ImportError:
        print('error: the baseline needs panopticapi: install the dev dependency group '
              '(uv sync) or `pip install panopticapi-lite`', file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix='benchmark_pq_') as tmp:
        start = time.perf_counter()
        paths = write_dataset(Path(tmp), args.images, args.height, args.width, args.segments,
                              args.seed)
        n_gt = np.mean([len(a['segments_info']) for a in
                        json.loads(Path(paths['gt_json']).read_text())['annotations']])
        print(f'{args.images} synthetic images {args.height}x{args.width}, {n_gt:.1f} GT '
              f'segments per image, written in {time.perf_counter() - start:.1f} s')
        n = check_per_image(official, paths)
        print(f'check: per-image TP/FP/FN and IoU sums identical (bit for bit) on all {n} '
              f'images')

        times: dict[str, list[float]] = {}
        ours_results = {}
        for _ in range(args.rounds):
            for nproc in args.procs:
                t_ref, ref = timed(official_pq, official, **paths, nproc=nproc)
                t_ours, ours = timed(pq_compute_files, **paths, nproc=nproc)
                check_totals(ours, ref, f'{nproc} process(es)')
                times.setdefault(f'official {nproc}', []).append(t_ref)
                times.setdefault(f'omgseg {nproc}', []).append(t_ours)
                times.setdefault(f'ratio {nproc}', []).append(t_ref / t_ours)
                ours_results[nproc] = ours
        print('check: PQ/SQ/RQ per class and TP/FP/FN totals equal panopticapi in every run')
        for nproc in args.procs:
            ref_t, ours_t = times[f'official {nproc}'], times[f'omgseg {nproc}']
            print(f'{nproc} process(es): official {1000 * statistics.median(ref_t) / n:.2f} '
                  f'ms/image, omgseg {1000 * statistics.median(ours_t) / n:.2f} ms/image; '
                  f'speed-up per round: {spread(times[f"ratio {nproc}"])}')
        pq = ours_results[args.procs[0]][0]['All']['pq']
        print(f'PQ {100 * pq:.3f}')

        if not args.no_online:
            offline = 1000 * statistics.median(times[f'omgseg {min(args.procs)}']) / n
            online, online_pq = online_per_image(paths, args.rounds)
            if abs(online_pq - 100 * pq) > 1e-9:
                raise AssertionError(f'online PQ {online_pq} != offline {100 * pq}')
            print(f'online metric: {spread(online)} ms/image (PQ identical), offline omgseg '
                  f'{offline:.3f} ms/image at {min(args.procs)} process: online/offline '
                  f'{statistics.median(online) / offline:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
