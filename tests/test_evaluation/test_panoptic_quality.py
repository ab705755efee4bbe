"""Golden, randomized and error tests of our panopticapi-exact PQ (omgseg.evaluation.functional).

Maps are mostly single rows: PQ only depends on pixel counts, so position does not matter.
Ids: GT person 1, sky 2, crowd 3; predictions 10, 20, ...; 0 is VOID.
"""
import pickle

import numpy as np
import pytest

from omgseg.evaluation.functional import (PQStat, format_pq_table, id2rgb, pq_compute_single,
                                          pq_summary, rgb2id)

CATS = {
    1: {'id': 1, 'name': 'person', 'isthing': 1},
    2: {'id': 2, 'name': 'car', 'isthing': 1},
    3: {'id': 3, 'name': 'sky', 'isthing': 0},
    4: {'id': 4, 'name': 'grass', 'isthing': 0},
    5: {'id': 5, 'name': 'dog', 'isthing': 1},  # never present: must be excluded from means
}
PERSON, CAR, SKY = 1, 2, 3


def row(*runs):
    """``row((id, n), ...)`` -> (1, sum n) int map made of consecutive runs."""
    return np.concatenate([np.full(n, i, dtype=np.int64) for i, n in runs])[None]


def seg(seg_id, cat, crowd=0):
    return {'id': seg_id, 'category_id': cat, 'iscrowd': crowd}


def stat_of(stat, cat):
    s = stat.pq_per_cat.get(cat)
    return None if s is None else (s.tp, s.fp, s.fn, s.iou)


def check(summary, name, pq, sq, rq, n):
    got = summary[name]
    assert got['n'] == n
    assert got['pq'] == pytest.approx(pq, abs=1e-9)
    assert got['sq'] == pytest.approx(sq, abs=1e-9)
    assert got['rq'] == pytest.approx(rq, abs=1e-9)


def test_rgb_id_roundtrip():
    ids = np.array([[0, 1, 255, 256], [65535, 65536, 256 ** 3 - 1, 123456]])
    rgb = id2rgb(ids)
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 4, 3)
    assert rgb[0, 3].tolist() == [0, 1, 0]  # 256 = G 1
    assert np.array_equal(rgb2id(rgb), ids)
    with pytest.raises(ValueError):
        id2rgb(np.array([256 ** 3]))


def test_perfect_match():
    gt = row((1, 4), (2, 4))
    pred = row((10, 4), (20, 4))
    stat = pq_compute_single(gt, [seg(1, PERSON), seg(2, SKY)], pred,
                             [seg(10, PERSON), seg(20, SKY)], CATS)
    assert stat_of(stat, PERSON) == (1, 0, 0, 1.0) and stat_of(stat, SKY) == (1, 0, 0, 1.0)
    s = pq_summary(stat, CATS)
    check(s, 'All', 1, 1, 1, n=2)      # car, grass, dog: TP+FP+FN = 0 -> not counted
    check(s, 'Things', 1, 1, 1, n=1)
    check(s, 'Stuff', 1, 1, 1, n=1)
    assert s['per_class'][5] == {'pq': 0.0, 'sq': 0.0, 'rq': 0.0}
    assert set(s['per_class']) == set(CATS)


def exact_half_image():
    # GT person 200 px, GT sky 200 px. Pred person = first 100 px of the GT person:
    # IoU = 100 / (100 + 200 - 100) = 0.5 -> NOT a match (strict >) -> person FN 1 and FP 1
    # (the pred has no void/crowd). Pred sky 300 px covers the rest: 200 / (300 + 200 - 200) = 2/3.
    gt = row((1, 200), (2, 200))
    pred = row((10, 100), (20, 300))
    return gt, [seg(1, PERSON), seg(2, SKY)], pred, [seg(10, PERSON), seg(20, SKY)]


def test_iou_exactly_half_is_not_a_match():
    stat = pq_compute_single(*exact_half_image(), CATS)
    assert stat_of(stat, PERSON) == (0, 1, 1, 0.0)
    assert stat_of(stat, SKY)[:3] == (1, 0, 0)
    s = pq_summary(stat, CATS)
    # person PQ = SQ = RQ = 0 (counted); sky PQ = SQ = 2/3, RQ = 1.
    check(s, 'All', (0 + 2 / 3) / 2, (0 + 2 / 3) / 2, (0 + 1) / 2, n=2)
    check(s, 'Things', 0, 0, 0, n=1)


def test_iou_just_above_half_is_a_match():
    # Pred person 101 px inside the 200 px GT person: IoU = 101/200 = 0.505 > 0.5.
    # Pred sky 299 px: 200 / (299 + 200 - 200) = 200/299.
    gt = row((1, 200), (2, 200))
    pred = row((10, 101), (20, 299))
    stat = pq_compute_single(gt, [seg(1, PERSON), seg(2, SKY)], pred,
                             [seg(10, PERSON), seg(20, SKY)], CATS)
    assert stat_of(stat, PERSON) == (1, 0, 0, pytest.approx(0.505, abs=1e-12))
    s = pq_summary(stat, CATS)
    check(s, 'All', (0.505 + 200 / 299) / 2, (0.505 + 200 / 299) / 2, 1, n=2)


def void_image():
    # GT: 2 void, person 4, sky 4. Pred person 5 px = 2 on void + 3 on GT person;
    # pred sky 5 px = 1 on GT person + 4 on GT sky.
    # person: union = 5 + 4 - 3 - 2 (void) = 4 -> IoU 3/4 (without removing void: 3/6, no match)
    # sky:    union = 5 + 4 - 4 - 0        = 5 -> IoU 4/5
    gt = row((0, 2), (1, 4), (2, 4))
    pred = row((10, 5), (20, 5))
    return gt, [seg(1, PERSON), seg(2, SKY)], pred, [seg(10, PERSON), seg(20, SKY)]


def test_void_pixels_leave_the_union():
    stat = pq_compute_single(*void_image(), CATS)
    assert stat_of(stat, PERSON) == (1, 0, 0, pytest.approx(0.75, abs=1e-12))
    assert stat_of(stat, SKY) == (1, 0, 0, pytest.approx(0.8, abs=1e-12))
    check(pq_summary(stat, CATS), 'All', 0.775, 0.775, 1, n=2)


CROWD_GT = (row((3, 6), (2, 6)), [seg(3, PERSON, crowd=1), seg(2, SKY)])


def test_crowd_is_never_matched_and_same_category_pred_is_ignored():
    # Pred person exactly on the crowd person (IoU would be 1): crowd never matches -> no TP,
    # no FN; ignored share = (0 void + 6 crowd) / 6 = 1 > 0.5 -> no FP. Person not counted.
    stat = pq_compute_single(*CROWD_GT, row((10, 6), (20, 6)),
                             [seg(10, PERSON), seg(20, SKY)], CATS)
    assert stat_of(stat, PERSON) is None and stat_of(stat, SKY) == (1, 0, 0, 1.0)
    check(pq_summary(stat, CATS), 'All', 1, 1, 1, n=1)


def test_pred_mostly_on_crowd_of_same_category_is_not_fp():
    # Pred person 8 px = 6 on crowd person + 2 on sky: ignored 6/8 = 0.75 > 0.5 -> no FP.
    # Pred sky 4 px inside GT sky (6 px): IoU 4 / (4 + 6 - 4) = 2/3.
    stat = pq_compute_single(*CROWD_GT, row((10, 8), (20, 4)),
                             [seg(10, PERSON), seg(20, SKY)], CATS)
    assert stat_of(stat, PERSON) is None
    check(pq_summary(stat, CATS), 'All', 2 / 3, 2 / 3, 1, n=1)


def test_pred_on_crowd_of_other_category_is_fp():
    # Pred car exactly on the crowd *person*: the crowd rule is per category -> car FP.
    # All = mean(car 0, sky 1) = 0.5; Things = car only = 0; Stuff = sky = 1.
    stat = pq_compute_single(*CROWD_GT, row((10, 6), (20, 6)),
                             [seg(10, CAR), seg(20, SKY)], CATS)
    assert stat_of(stat, CAR) == (0, 1, 0, 0.0)
    s = pq_summary(stat, CATS)
    check(s, 'All', 0.5, 0.5, 0.5, n=2)
    check(s, 'Things', 0, 0, 0, n=1)
    check(s, 'Stuff', 1, 1, 1, n=1)


def test_void_and_crowd_add_up():
    # GT: void 1, crowd person 3, sky 6. Pred person on {void, crowd, sky} pixels 0, 1, 4:
    # ignored (1 + 1) / 3 = 2/3 > 0.5 -> no FP. Pred car on the same pixels: crowd is of another
    # category, ignored 1/3 -> FP. Pred sky on the other 7 px: 5 / (7 + 6 - 5) = 5/8.
    gt = row((0, 1), (3, 3), (2, 6))
    gt_segs = [seg(3, PERSON, crowd=1), seg(2, SKY)]
    pred = np.array([[10, 10, 20, 20, 10, 20, 20, 20, 20, 20]])
    stat = pq_compute_single(gt, gt_segs, pred, [seg(10, PERSON), seg(20, SKY)], CATS)
    assert stat_of(stat, PERSON) is None
    assert stat_of(stat, SKY) == (1, 0, 0, pytest.approx(5 / 8, abs=1e-12))
    stat = pq_compute_single(gt, gt_segs, pred, [seg(10, CAR), seg(20, SKY)], CATS)
    assert stat_of(stat, CAR) == (0, 1, 0, 0.0)


@pytest.mark.parametrize('void_px, is_fp', [(2, True), (3, False)])
def test_pred_half_on_void(void_px, is_fp):
    # GT: void `void_px`, sky 6. Pred car on all void + 2 sky px -> void share 2/4 = 0.5 (not
    # > 0.5 -> FP) or 3/5 = 0.6 (ignored). Pred sky on the remaining 4 sky px: IoU 4/6 = 2/3.
    gt = row((0, void_px), (2, 6))
    pred = row((10, void_px + 2), (20, 4))
    stat = pq_compute_single(gt, [seg(2, SKY)], pred, [seg(10, CAR), seg(20, SKY)], CATS)
    s = pq_summary(stat, CATS)
    if is_fp:
        assert stat_of(stat, CAR) == (0, 1, 0, 0.0)
        check(s, 'All', (0 + 2 / 3) / 2, (0 + 2 / 3) / 2, 0.5, n=2)
    else:
        assert stat_of(stat, CAR) is None
        check(s, 'All', 2 / 3, 2 / 3, 1, n=1)


@pytest.mark.parametrize('a_last', [False, True])
def test_only_last_crowd_segment_of_a_category_counts(a_last):
    # panopticapi quirk: crowd A (3 px) and crowd B (3 px) are both person; only the one listed
    # last is the person crowd region. Pred person covers A + 1 px of B: ignored 3/4 if A is
    # last (no FP), 1/4 if B is last (FP).
    gt = row((30, 3), (31, 3), (2, 6))
    crowd = [seg(30, PERSON, crowd=1), seg(31, PERSON, crowd=1)]
    gt_segs = (crowd[::-1] if a_last else crowd) + [seg(2, SKY)]
    pred = row((10, 4), (20, 8))
    stat = pq_compute_single(gt, gt_segs, pred, [seg(10, PERSON), seg(20, SKY)], CATS)
    assert stat_of(stat, PERSON) == (None if a_last else (0, 1, 0, 0.0))


def test_gt_area_from_json():
    # panopticapi takes GT areas from the JSON: person "area" 6 (PNG has 4) -> 4 / (4 + 6 - 4).
    gt, pred = row((1, 4), (2, 4)), row((10, 4), (20, 4))
    gt_segs = [dict(seg(1, PERSON), area=6), seg(2, SKY)]
    preds = [seg(10, PERSON), seg(20, SKY)]
    assert stat_of(pq_compute_single(gt, gt_segs, pred, preds, CATS), PERSON)[3] == 4 / 6
    assert stat_of(pq_compute_single(gt, gt_segs, pred, preds, CATS, gt_area='png'),
                   PERSON)[3] == 1.0


def test_several_images_accumulate():
    # Image 1 (exact half): person FP 1 FN 1; sky TP 1 IoU 2/3.
    # Image 2 (void):       person TP 1 IoU 3/4; sky TP 1 IoU 4/5.
    # person: PQ = 0.75 / (1 + 0.5 + 0.5) = 0.375, SQ = 0.75, RQ = 1 / 2 = 0.5
    # sky:    IoU sum 2/3 + 4/5 = 22/15, TP 2 -> PQ = SQ = 11/15, RQ = 1
    stat = PQStat()
    stat += pq_compute_single(*exact_half_image(), CATS)
    stat += pq_compute_single(*void_image(), CATS)
    assert stat_of(stat, PERSON) == (1, 1, 1, pytest.approx(0.75, abs=1e-12))
    s = pq_summary(stat, CATS)
    check(s, 'All', (0.375 + 11 / 15) / 2, (0.75 + 11 / 15) / 2, (0.5 + 1) / 2, n=2)
    check(s, 'Things', 0.375, 0.75, 0.5, n=1)
    check(s, 'Stuff', 11 / 15, 11 / 15, 1, n=1)
    assert s['per_class'][PERSON]['pq'] == pytest.approx(0.375, abs=1e-9)
    table = format_pq_table(s)
    assert 'Things' in table and f'{100 * 0.375:.3f}' in table


def test_stat_merge_and_pickle():
    a = pq_compute_single(*exact_half_image(), CATS)
    b = pq_compute_single(*void_image(), CATS)
    merged = PQStat.sum([a, b])
    assert merged == a + b and merged != a
    assert pickle.loads(pickle.dumps(merged)) == merged
    assert PQStat.from_dict(merged.to_dict()) == merged
    empty = pq_summary(PQStat(), CATS)  # nothing counted: means are 0 with n = 0
    assert empty['All'] == {'pq': 0.0, 'sq': 0.0, 'rq': 0.0, 'n': 0}


# ----------------------------------------------------------------------- randomized vs loop
def loop_reference(gt, gt_segs, pred, pred_segs):
    """Straightforward per-segment loop (boolean masks) of panopticapi's rules."""
    out = {}

    def add(cat, k, v):
        out.setdefault(cat, [0, 0, 0, 0.0])[k] += v

    void = gt == 0
    area_g = {g['id']: int((gt == g['id']).sum()) for g in gt_segs}
    area_p = {p['id']: int((pred == p['id']).sum()) for p in pred_segs}
    void_p = {p['id']: int(((pred == p['id']) & void).sum()) for p in pred_segs}
    mg, mp = set(), set()
    for g in gt_segs:
        for p in pred_segs:
            if g['iscrowd'] or g['category_id'] != p['category_id']:
                continue
            inter = int(((gt == g['id']) & (pred == p['id'])).sum())
            union = area_p[p['id']] + area_g[g['id']] - inter - void_p[p['id']]
            if inter and inter / union > 0.5:
                add(g['category_id'], 0, 1)
                add(g['category_id'], 3, inter / union)
                mg.add(g['id'])
                mp.add(p['id'])
    crowd = {g['category_id']: g['id'] for g in gt_segs if g['iscrowd']}
    for g in gt_segs:
        if not g['iscrowd'] and g['id'] not in mg:
            add(g['category_id'], 2, 1)
    for p in pred_segs:
        if p['id'] in mp:
            continue
        ign = void_p[p['id']]
        if p['category_id'] in crowd:
            ign += int(((pred == p['id']) & (gt == crowd[p['category_id']])).sum())
        if ign / area_p[p['id']] <= 0.5:
            add(p['category_id'], 1, 1)
    return out


def random_case(rng):
    """Blocky 24x32 maps: GT blocks, prediction = GT with some blocks relabelled/merged."""
    blocks = rng.integers(0, 12, size=(6, 8))
    blocks[rng.random((6, 8)) < 0.1] = 0  # void
    gt = np.kron(blocks, np.ones((4, 4), dtype=np.int64))
    pred_blocks = np.where(rng.random((6, 8)) < 0.25, rng.integers(0, 12, (6, 8)), blocks)
    pred = np.kron(pred_blocks, np.ones((4, 4), dtype=np.int64))
    pred[rng.random(pred.shape) < 0.05] = rng.integers(0, 12)  # pixel noise
    cats = rng.integers(1, 5, size=12)  # few categories: many same-category pairs
    gt_segs = [seg(int(i), int(cats[i]), int(rng.random() < 0.2)) for i in np.unique(gt) if i]
    pred_segs = [seg(int(i), int(rng.choice([cats[i], rng.integers(1, 5)]))) for i in
                 np.unique(pred) if i]
    return gt, gt_segs, pred, pred_segs


def test_randomized_equals_loop_reference():
    rng = np.random.default_rng(0)
    for _ in range(300):
        gt, gs, pred, ps = random_case(rng)
        ours = pq_compute_single(gt, gs, pred, ps, CATS)
        ref = loop_reference(gt, gs, pred, ps)
        got = {c: [s.tp, s.fp, s.fn, s.iou] for c, s in ours.pq_per_cat.items()}
        assert set(got) == set(ref)
        for c in ref:
            assert got[c][:3] == ref[c][:3]
            assert got[c][3] == pytest.approx(ref[c][3], abs=1e-12)


# ----------------------------------------------------------------------------------- errors
def test_pred_png_id_absent_from_json():
    gt, gs, pred, ps = void_image()
    with pytest.raises(ValueError, match=r'\[20\].*pred_0001\.png.*disagree'):
        pq_compute_single(gt, gs, pred, ps[:1], CATS, source='pred_0001.png')


def test_pred_json_id_absent_from_png():
    gt, gs, pred, ps = void_image()
    with pytest.raises(ValueError, match=r'\[99\].*not in the PNG.*pred_0001\.png'):
        pq_compute_single(gt, gs, pred, ps + [seg(99, SKY)], CATS, source='pred_0001.png')


def test_gt_png_id_absent_from_json():
    gt, gs, pred, ps = void_image()
    with pytest.raises(ValueError, match=r'GT segment ids \[2\].*gt_7\.png'):
        pq_compute_single(gt, gs[:1], pred, ps, CATS, source='gt_7.png')
    # strict_gt=False follows panopticapi: those pixels are neither void nor a segment; the
    # sky prediction then has 4 px on an unknown GT id -> not ignored -> sky FP.
    stat = pq_compute_single(gt, gs[:1], pred, ps, CATS, strict_gt=False)
    assert stat_of(stat, SKY) == (0, 1, 0, 0.0)


def test_unknown_category():
    gt, gs, pred, ps = void_image()
    with pytest.raises(ValueError, match=r'unknown category_id 77.*img\.png'):
        pq_compute_single(gt, gs, pred, [ps[0], seg(20, 77)], CATS, source='img.png')


def test_shape_mismatch():
    gt, gs, pred, ps = void_image()
    with pytest.raises(ValueError, match=r'shape.*img\.png'):
        pq_compute_single(gt, gs, np.concatenate([pred, pred]), ps, CATS, source='img.png')
