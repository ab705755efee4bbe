"""Benchmark our vectorised ``pq_compute_single`` against a straightforward per-segment loop.

Synthetic COCO-like images (Voronoi segments, 80 thing + 53 stuff categories, crowd regions,
void) are generated in memory; predictions are jittered copies with some wrong labels, missed
and extra segments. Both implementations run on every image in one pass; speeds are reported
only if their per-image stats are identical.

    python tools/analysis_tools/benchmark_pq.py [--images 200] [--height 480] [--width 640]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from omgseg.evaluation.functional.panoptic import PQStat, pq_compute_single, pq_summary

NUM_THINGS, NUM_STUFF = 80, 53
CATEGORIES = {c: {'id': c, 'name': f'class{c}', 'isthing': int(c <= NUM_THINGS)}
              for c in range(1, NUM_THINGS + NUM_STUFF + 1)}


def _voronoi(seeds: np.ndarray, h: int, w: int, cell: int) -> np.ndarray:
    """Index of the nearest seed per pixel, computed on a coarse grid then upsampled."""
    ys, xs = np.mgrid[0:h // cell, 0:w // cell]
    d = (ys[..., None] - seeds[:, 0]) ** 2 + (xs[..., None] - seeds[:, 1]) ** 2
    return np.repeat(np.repeat(d.argmin(-1), cell, 0), cell, 1)


def make_pair(rng: np.random.Generator, h: int, w: int, cell: int = 4):
    """One synthetic image: ``(gt_ids, gt_segments, pred_ids, pred_segments)``."""
    n = int(rng.integers(20, 41))
    seeds = rng.uniform(0, [h // cell, w // cell], size=(n, 2))
    cats = rng.integers(1, NUM_THINGS + NUM_STUFF + 1, size=n)
    cats[rng.random(n) < 0.3] = rng.integers(1, 6)  # repeated categories -> several instances
    ids = rng.choice(256 ** 3 - 1, size=n, replace=False) + 1
    crowd = (cats <= NUM_THINGS) & (rng.random(n) < 0.1)
    gt = ids[_voronoi(seeds, h, w, cell)]
    for _ in range(int(rng.integers(1, 4))):  # void rectangles
        y, x = rng.integers(0, h - 40), rng.integers(0, w - 40)
        gt[y:y + int(rng.integers(10, 80)), x:x + int(rng.integers(10, 120))] = 0
    present = set(np.unique(gt).tolist())
    gt_segments = [{'id': int(i), 'category_id': int(c), 'iscrowd': int(k)}
                   for i, c, k in zip(ids, cats, crowd) if int(i) in present]

    # Prediction: jittered seeds (IoUs spread around 0.5), some dropped, some extra.
    keep = rng.random(n) > 0.1
    extra = int(rng.integers(0, 5))
    p_seeds = np.concatenate([seeds[keep] + rng.normal(0, rng.uniform(1, 8), (keep.sum(), 2)),
                              rng.uniform(0, [h // cell, w // cell], size=(extra, 2))])
    p_cats = np.concatenate([cats[keep], rng.integers(1, NUM_THINGS + NUM_STUFF + 1, extra)])
    wrong = rng.random(p_cats.size) < 0.1
    p_cats[wrong] = rng.integers(1, NUM_THINGS + NUM_STUFF + 1, wrong.sum())
    p_ids = rng.choice(256 ** 3 - 1, size=p_cats.size, replace=False) + 1
    pred = p_ids[_voronoi(p_seeds, h, w, cell)]
    if rng.random() < 0.5:  # a void (unpredicted) rectangle
        y, x = rng.integers(0, h - 40), rng.integers(0, w - 40)
        pred[y:y + 60, x:x + 90] = 0
    present = set(np.unique(pred).tolist())
    pred_segments = [{'id': int(i), 'category_id': int(c)}
                     for i, c in zip(p_ids, p_cats) if int(i) in present]
    return gt, gt_segments, pred, pred_segments


def pq_loop(gt, gt_segments, pred, pred_segments, categories) -> PQStat:
    """Reference: for each GT segment, for each prediction segment, boolean mask intersection."""
    stat = PQStat()
    void = gt == 0
    g_mask = {s['id']: gt == s['id'] for s in gt_segments}
    p_mask = {s['id']: pred == s['id'] for s in pred_segments}
    g_area = {i: int(m.sum()) for i, m in g_mask.items()}
    p_area = {i: int(m.sum()) for i, m in p_mask.items()}
    p_void = {i: int((m & void).sum()) for i, m in p_mask.items()}
    g_matched, p_matched = set(), set()
    # Sorted ids: IoUs are summed in the same order as the pair table of the vectorised code.
    for g in sorted(gt_segments, key=lambda s: s['id']):
        if g.get('iscrowd', 0) == 1:
            continue
        for p in sorted(pred_segments, key=lambda s: s['id']):
            if p['category_id'] != g['category_id']:
                continue
            inter = int((g_mask[g['id']] & p_mask[p['id']]).sum())
            if inter == 0:
                continue
            iou = inter / (p_area[p['id']] + g_area[g['id']] - inter - p_void[p['id']])
            if iou > 0.5:
                stat[g['category_id']].tp += 1
                stat[g['category_id']].iou += iou
                g_matched.add(g['id'])
                p_matched.add(p['id'])
    crowd_of_cat = {}
    for g in gt_segments:
        if g.get('iscrowd', 0) == 1:
            crowd_of_cat[g['category_id']] = g['id']  # last one wins, as in panopticapi
        elif g['id'] not in g_matched:
            stat[g['category_id']].fn += 1
    for p in pred_segments:
        if p['id'] in p_matched:
            continue
        ignored = p_void[p['id']]
        if p['category_id'] in crowd_of_cat:
            ignored += int((p_mask[p['id']] & g_mask[crowd_of_cat[p['category_id']]]).sum())
        if ignored / p_area[p['id']] <= 0.5:
            stat[p['category_id']].fp += 1
    return stat


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=200)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    data = [make_pair(rng, args.height, args.width) for _ in range(args.images)]
    n_seg = np.mean([len(d[1]) + len(d[3]) for d in data])
    print(f'{args.images} synthetic images {args.height}x{args.width}, {n_seg:.1f} segments '
          f'(GT + pred) per image, generated in {time.perf_counter() - t0:.1f} s')

    # One pass: time both on every image and require identical per-image stats (counts and
    # IoU sums bit for bit) before any speed is reported.
    timings = {'vectorised': 0.0, 'loop': 0.0}
    totals = {'vectorised': PQStat(), 'loop': PQStat()}
    for k, (gt, gs, pred, ps) in enumerate(data):
        stats = {}
        for name, fn in (('vectorised', pq_compute_single), ('loop', pq_loop)):
            t0 = time.perf_counter()
            stats[name] = fn(gt, gs, pred, ps, CATEGORIES)
            timings[name] += time.perf_counter() - t0
            totals[name] += stats[name]
        if stats['vectorised'] != stats['loop']:
            print(f'MISMATCH on image {k}:\n ours {stats["vectorised"]}\n loop {stats["loop"]}')
            return 1
    print(f'check: identical stats on all {args.images} images')
    for name, seconds in timings.items():
        pq = pq_summary(totals[name], CATEGORIES)['All']
        print(f'{name:10s}: {args.images / seconds:8.1f} images/s '
              f'({1000 * seconds / args.images:.2f} ms/image)  PQ {100 * pq["pq"]:.3f}')
    print(f'speed-up: {timings["loop"] / timings["vectorised"]:.1f}x')
    return 0


if __name__ == '__main__':
    sys.exit(main())
