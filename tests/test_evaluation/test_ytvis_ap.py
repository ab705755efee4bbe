"""YouTube-VIS AP (omgseg.evaluation.functional.ytvis): hand-computed cases, parity with mmdet's
vendored ytvoseval, and agreement with pycocotools COCOeval on single-frame videos."""
from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from omgseg.evaluation.functional.ytvis import STAT_NAMES, ytvis_accumulate, ytvis_evaluate


def rle(mask: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {'size': list(r['size']), 'counts': r['counts'].decode()}


def box(h, w, y0, x0, bh, bw) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[y0:y0 + bh, x0:x0 + bw] = True
    return m


def video(vid, h, w, t):
    return {'id': vid, 'height': h, 'width': w, 'length': t,
            'file_names': [f'{vid}/{i:05d}.jpg' for i in range(t)]}


def gt_ann(ann_id, vid, cat, masks, crowd=0, areas=None):
    segs = [rle(m) if m is not None else None for m in masks]
    if areas is None:
        areas = [float(m.sum()) if m is not None else None for m in masks]
    return {'id': ann_id, 'video_id': vid, 'category_id': cat, 'segmentations': segs,
            'areas': areas, 'bboxes': [None] * len(masks), 'iscrowd': crowd}


def det(vid, cat, score, masks):
    return {'video_id': vid, 'category_id': cat, 'score': score,
            'segmentations': [rle(m) if m is not None else None for m in masks]}


CATS = [{'id': 1, 'name': 'person'}, {'id': 2, 'name': 'dog'}, {'id': 5, 'name': 'cat'}]


# ---------------------------------------------------------------- hand-computed golden cases
def test_absent_frames_count_in_union():
    # GT present in frames 0, 1, 3 (absent in 2); the detection is present in all 4 frames and
    # misses one row in frame 3: inter = 100 + 100 + 90 = 290, union = 400 + 300 - 290 = 410,
    # IoU 0.7073 -> matches at 0.50..0.70 (5 of 10 thresholds). Ignoring the absent frame
    # would give 290 / 310 = 0.935 (AP 0.9).
    b, shifted = box(20, 20, 2, 2, 10, 10), box(20, 20, 3, 2, 10, 10)
    gt = {'videos': [video(1, 20, 20, 4)], 'categories': CATS,
          'annotations': [gt_ann(1, 1, 1, [b, b, None, b])]}
    stats = ytvis_evaluate(gt, [det(1, 1, 0.9, [b, b, b, shifted])])
    assert stats['AP'] == pytest.approx(0.5)
    assert stats['AP50'] == pytest.approx(1.0) and stats['AP75'] == 0.0
    assert stats['AR1'] == pytest.approx(0.5) and stats['AR10'] == pytest.approx(0.5)
    # areas 100 < 128^2: small only; other ranges hold no GT -> -1
    assert stats['APs'] == pytest.approx(0.5)
    assert stats['APm'] == -1.0 and stats['APl'] == -1.0


def test_duplicate_detection_greedy_by_score():
    # det B (score .95) covers 8x8 of the 10x10 GT (IoU .64); det A (score .9) is exact.
    # thresholds .50-.60: B is TP, A a duplicate FP -> precision 1 at recall 1.
    # thresholds .65-.95: B is FP, A TP -> precision 1/2 -> AP = (3 + 7 * .5) / 10 = .65.
    g = box(20, 20, 0, 0, 10, 10)
    gt = {'videos': [video(3, 20, 20, 1)], 'categories': CATS,
          'annotations': [gt_ann(7, 3, 2, [g])]}
    results = [det(3, 2, 0.9, [g]), det(3, 2, 0.95, [box(20, 20, 1, 1, 8, 8)])]
    stats = ytvis_evaluate(gt, results)
    assert stats['AP'] == pytest.approx(0.65)
    assert stats['AP50'] == pytest.approx(1.0) and stats['AP75'] == pytest.approx(0.5)
    assert stats['AR1'] == pytest.approx(0.3)   # only B counts: recall 1 at 3 thresholds
    assert stats['AR10'] == pytest.approx(1.0)


def test_crowd_absorbs_detections_with_plain_iou():
    # crowd region C (10x10) and a real object X. d2 (.95) and d3 (.9) lie inside C with IoU
    # .72 and .63 (plain IoU, as ytvoseval; COCOeval's crowd IoU would give 1 for both); d1
    # (.8) is exact on X. Thresholds .50-.60: d2, d3 ignored -> 1; .65-.70: d3 FP first -> 1/2;
    # .75-.95: d2, d3 FP -> 1/3. AP = (3 + 2/2 + 5/3) / 10.
    c, x = box(30, 30, 0, 0, 10, 10), box(30, 30, 15, 15, 10, 10)
    gt = {'videos': [video(4, 30, 30, 1)], 'categories': CATS,
          'annotations': [gt_ann(1, 4, 5, [c], crowd=1), gt_ann(2, 4, 5, [x])]}
    results = [det(4, 5, 0.95, [box(30, 30, 0, 0, 8, 9)]),
               det(4, 5, 0.9, [box(30, 30, 0, 0, 7, 9)]), det(4, 5, 0.8, [x])]
    stats = ytvis_evaluate(gt, results)
    assert stats['AP'] == pytest.approx((3 + 1 + 5 / 3) / 10)
    assert stats['AR10'] == pytest.approx(1.0)  # the crowd is no positive: 1 GT, found


def test_area_range_uses_mean_over_present_frames():
    # GT json areas [20000, None, 14000]: mean 17000 -> medium (counting the absent frame as 0
    # would give 11333 -> small). The detection is exact, so APm = AP = 1 and APs is undefined.
    m1, m3 = box(200, 200, 0, 0, 100, 200), box(200, 200, 0, 0, 70, 200)
    gt = {'videos': [video(9, 200, 200, 3)], 'categories': CATS,
          'annotations': [gt_ann(1, 9, 1, [m1, None, m3])]}
    stats = ytvis_evaluate(gt, [det(9, 1, 0.5, [m1, None, m3])])
    assert stats['AP'] == pytest.approx(1.0) and stats['APm'] == pytest.approx(1.0)
    assert stats['APs'] == -1.0 and stats['APl'] == -1.0


def test_missing_video_and_category_without_gt():
    # category 2 has no GT anywhere -> left out of the mean; its FP does not lower AP.
    g = box(10, 10, 0, 0, 5, 5)
    gt = {'videos': [video(1, 10, 10, 1), video(2, 10, 10, 1)], 'categories': CATS,
          'annotations': [gt_ann(1, 1, 1, [g]), gt_ann(2, 2, 1, [g])]}
    stats = ytvis_evaluate(gt, [det(1, 1, 0.9, [g]), det(1, 2, 0.99, [g])])
    # video 2's object is missed: precision 1 up to recall 1/2, i.e. at 51 of 101 points
    assert stats['AP'] == pytest.approx(51 / 101)
    assert stats['AR100'] == pytest.approx(0.5)


@pytest.mark.parametrize('mutate, message', [
    (lambda r: r.update(video_id=99), 'video_id 99 is not a video of the GT'),
    (lambda r: r.update(category_id=3), 'category_id 3 is not a GT category'),
    (lambda r: r['segmentations'].pop(), 'one entry per frame (2 for video 1), got 1'),
    (lambda r: r['segmentations'].__setitem__(0, rle(np.ones((5, 10), bool))),
     'differs from the video size [10, 10]'),
    (lambda r: r.update(score=float('nan')), 'is not finite'),
    (lambda r: r.pop('score'), 'missing key "score"'),
])
def test_bad_results_raise_clear_errors(mutate, message):
    g = box(10, 10, 0, 0, 5, 5)
    gt = {'videos': [video(1, 10, 10, 2)], 'categories': CATS,
          'annotations': [gt_ann(1, 1, 1, [g, g])]}
    res = det(1, 1, 0.5, [g, g])
    mutate(res)
    with pytest.raises(ValueError, match='my_results.json entry 0') as info:
        ytvis_evaluate(gt, [res], source='my_results.json')
    assert message in str(info.value)


# ------------------------------------------------------------ parity with mmdet's ytvoseval
def polygon(mask: np.ndarray) -> list:
    """The outline of a box mask as a one-polygon list (pixel-corner coordinates)."""
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = (float(v) for v in (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def random_dataset(seed: int, num_videos: int = 12):
    """Random videos with overlapping GT/detection tracks, crowds, gaps, ties and all sizes."""
    rng = np.random.default_rng(seed)
    videos, anns, results = [], [], []
    for vid in range(1, num_videos + 1):
        h, w = [(24, 32), (150, 160), (300, 280), (420, 400)][vid % 4]
        t = int(rng.integers(1, 5))
        videos.append(video(vid, h, w, t))
        tracks = []
        for _ in range(int(rng.integers(0, 4))):
            bh, bw = int(rng.integers(2 + h // 4, h)), int(rng.integers(2 + w // 4, w))
            y0, x0 = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
            masks = [box(h, w, y0 + int(rng.integers(-2, 3)) if y0 > 2 else y0, x0, bh, bw)
                     if rng.random() < 0.8 else None for _ in range(t)]
            if all(m is None for m in masks):
                masks[0] = box(h, w, y0, x0, bh, bw)
            cat = int(rng.choice([1, 2, 5]))
            crowd = int(rng.random() < 0.15)
            ann = gt_ann(len(anns) + 1, vid, cat, masks, crowd=crowd)
            if rng.random() < 0.2:  # polygon GT (the official json allows them)
                ann['segmentations'] = [polygon(m) if m is not None else None for m in masks]
            if rng.random() < 0.3:  # json areas need not equal mask areas: GT ranks by json
                ann['areas'] = [a * float(rng.uniform(0.3, 3)) if a else a
                                for a in ann['areas']]
            anns.append(ann)
            tracks.append((cat, masks))
        for _ in range(int(rng.integers(0, 12))):
            if tracks and rng.random() < 0.7:  # jittered copy of a GT track
                cat, masks = tracks[int(rng.integers(len(tracks)))]
                if rng.random() < 0.2:
                    cat = int(rng.choice([1, 2, 5]))
                masks = [np.roll(m, int(rng.integers(-3, 4)), axis=int(rng.integers(2)))
                         if m is not None and rng.random() < 0.9 else
                         (box(h, w, 0, 0, 3, 3) if rng.random() < 0.3 else None)
                         for m in masks]
            else:
                cat = int(rng.choice([1, 2, 5]))
                masks = [box(h, w, int(rng.integers(0, h - 1)), int(rng.integers(0, w - 1)),
                             int(rng.integers(1, h)), int(rng.integers(1, w)))
                         if rng.random() < 0.8 else None for _ in range(t)]
            if rng.random() < 0.1:  # an all-empty frame mask: present with area 0
                masks = [np.zeros((h, w), bool)] + list(masks[1:])
            if all(m is None for m in masks):
                masks = [box(h, w, 0, 0, 2, 2)] + list(masks[1:])
            score = round(float(rng.random()), 1)  # one decimal: plenty of score ties
            results.append(det(vid, cat, score, masks))
    return {'videos': videos, 'annotations': anns, 'categories': CATS}, results


def reference_eval(gt: dict, results: list, monkeypatch) -> object:
    from mmdet.evaluation.functional.ytvis import YTVIS
    from mmdet.evaluation.functional.ytviseval import YTVISeval
    monkeypatch.setattr(np, 'float', float, raising=False)  # removed in numpy 1.24
    with contextlib.redirect_stdout(io.StringIO()):
        gt_api = YTVIS(copy.deepcopy(gt))
        ev = YTVISeval(gt_api, gt_api.loadRes(copy.deepcopy(results)), 'segm')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


@pytest.mark.parametrize('seed', range(6))
def test_parity_with_mmdet_ytviseval(seed, monkeypatch):
    gt, results = random_dataset(seed)
    ev = reference_eval(gt, results, monkeypatch)
    precision, recall = ytvis_accumulate(gt, copy.deepcopy(results))
    np.testing.assert_allclose(precision, ev.eval['precision'], rtol=0, atol=1e-12)
    np.testing.assert_allclose(recall, ev.eval['recall'], rtol=0, atol=1e-12)
    ours = ytvis_evaluate(gt, results)
    np.testing.assert_allclose([ours[n] for n in STAT_NAMES], ev.stats, rtol=0, atol=1e-9)
    # the data really exercise matching and several area ranges
    assert 0 < ours['AP'] < 1 and sum(ours[n] > -1 for n in ('APs', 'APm', 'APl')) >= 2


# ------------------------------------------------------ single frame: equals COCOeval segm AP
@pytest.mark.parametrize('size_range, coco_area, key', [
    ((260, 300), 'large', 'APl'),   # > 256^2: large for YT-VIS, > 96^2: large for COCO
    ((6, 30), 'small', 'APs'),      # < 32^2: small for both
])
def test_single_frame_equals_cocoeval(size_range, coco_area, key):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(len(key) + size_range[0])
    h = w = size_range[1] + 40
    videos, anns, results, images, coco_anns, coco_dets = [], [], [], [], [], []
    for vid in range(1, 7):
        videos.append(video(vid, h, w, 1))
        images.append({'id': vid, 'height': h, 'width': w, 'file_name': f'{vid}.jpg'})
        for _ in range(int(rng.integers(1, 4))):
            bh, bw = (int(rng.integers(*size_range)) for _ in range(2))
            g = box(h, w, int(rng.integers(0, h - bh)), int(rng.integers(0, w - bw)), bh, bw)
            cat = int(rng.choice([1, 2]))
            anns.append(gt_ann(len(anns) + 1, vid, cat, [g]))
            coco_anns.append({'id': len(anns), 'image_id': vid, 'category_id': cat,
                              'segmentation': rle(g), 'area': float(g.sum()),
                              'bbox': list(mask_utils.toBbox(rle(g))), 'iscrowd': 0})
            for _ in range(int(rng.integers(1, 4))):
                d = np.roll(g, int(rng.integers(-size_range[0] // 3, size_range[0] // 3 + 1)),
                            axis=int(rng.integers(2)))
                score = float(rng.random())
                results.append(det(vid, cat, score, [d]))
                coco_dets.append({'image_id': vid, 'category_id': cat, 'score': score,
                                  'segmentation': rle(d)})
    stats = ytvis_evaluate({'videos': videos, 'annotations': anns, 'categories': CATS},
                           results)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {'images': images, 'annotations': coco_anns, 'categories': CATS}
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(coco_dets), iouType='segm')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    coco_key = {'large': 5, 'small': 3}[coco_area]
    assert 0.1 < stats['AP'] < 0.99
    assert stats['AP'] == pytest.approx(ev.stats[0], abs=1e-12)
    assert stats[key] == pytest.approx(ev.stats[coco_key], abs=1e-12)
    assert stats['AP50'] == pytest.approx(ev.stats[1], abs=1e-12)
    assert stats['AR10'] == pytest.approx(ev.stats[7], abs=1e-12)
