"""DAVIS 2017 J&F rules (omgseg/evaluation/functional/davis.py) on hand-computed cases."""
import numpy as np
import pytest
from scipy import ndimage

from omgseg.evaluation.functional.davis import (
    _within,
    boundary_radius,
    davis_summary,
    db_boundary,
    db_iou,
    decay_bins,
    disk,
    evaluate_semisupervised,
    evaluate_sequence,
    object_statistics,
    seg2bmap,
)


def box(shape, r0, r1, c0, c1, value=1):
    """``(H, W)`` int map with ``value`` on rows r0..r1-1, cols c0..c1-1."""
    out = np.zeros(shape, dtype=np.int64)
    out[r0:r1, c0:c1] = value
    return out


# two sequences shared with the CLI test: labels (T, H, W) for GT, (T - 2, H, W) for results
def _seq_a():
    first = box((6, 6), 0, 2, 0, 2) + box((6, 6), 3, 5, 3, 5, 2)
    gt = np.stack([first, first, box((6, 6), 0, 2, 0, 2), first, np.zeros((6, 6), np.int64)])
    pred = np.stack([first, box((6, 6), 0, 2, 0, 2), box((6, 6), 0, 2, 0, 2)])
    return gt, pred


def _seq_b():
    gt = box((4, 4), 0, 2, 0, 2)
    gt[0, 2:] = 255                       # void right of the object
    pred = box((4, 4), 0, 2, 0, 3)        # covers the object and one void pixel
    return np.stack([gt, gt, gt]), pred[None]


SEQ_A, SEQ_B = _seq_a(), _seq_b()


def test_iou_golden_void_and_empty():
    gt = box((4, 4), 0, 2, 0, 2).astype(bool)          # 4 px
    pred = box((4, 4), 0, 2, 1, 4).astype(bool)        # 6 px, 2 shared
    assert db_iou(pred, gt) == pytest.approx(2 / 8, abs=1e-6)
    void = np.zeros((4, 4), bool)
    void[1, 3] = True                                   # a prediction-only pixel
    assert db_iou(pred, gt, void) == pytest.approx(2 / 7, abs=1e-6)
    empty = np.zeros((4, 4), bool)
    assert db_iou(empty, empty) == 1.0                 # empty union -> 1
    assert db_iou(empty, gt) == 0.0
    stacked = db_iou(np.stack([pred, empty]), np.stack([gt, empty]))
    np.testing.assert_allclose(stacked, [0.25, 1.0])


def test_seg2bmap_golden():
    seg = box((4, 4), 1, 3, 1, 3)
    expected = np.array([[1, 1, 1, 0],
                         [1, 0, 1, 0],
                         [1, 1, 1, 0],
                         [0, 0, 0, 0]], bool)
    np.testing.assert_array_equal(seg2bmap(seg), expected)
    # the image border is not a boundary: a full mask has none
    assert not seg2bmap(np.ones((3, 3))).any()
    np.testing.assert_array_equal(seg2bmap(box((3, 3), 0, 3, 0, 1)),
                                  [[1, 0, 0], [1, 0, 0], [1, 0, 0]])


def test_disk_radius_and_exact_dilation():
    np.testing.assert_array_equal(disk(1), [[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    assert disk(2).sum() == 13
    assert boundary_radius((480, 854)) == 8            # ceil(0.008 * 979.6)
    assert boundary_radius((8, 8)) == 1
    assert boundary_radius((8, 8), 3) == 3
    rng = np.random.default_rng(0)
    for radius in (1, 2, 3, 5, 8):
        bmap = rng.random((40, 57)) < 0.01
        bmap[0, 0] = True
        ref = ndimage.binary_dilation(bmap, structure=disk(radius))
        np.testing.assert_array_equal(_within(bmap, radius), ref)


def line(r, c0, c1, shape=(8, 8)):
    return box(shape, r, r + 1, c0, c1).astype(bool)


def test_boundary_thin_object_golden():
    gt = line(3, 2, 6)                   # boundary: rows 2-3, cols 1-5 (10 px)
    # two rows lower: one boundary row of each side within radius 1 -> P = R = 1/2
    assert db_boundary(line(5, 2, 6), gt) == pytest.approx(0.5, abs=1e-6)
    assert db_boundary(line(5, 2, 6), gt, bound_th=2) == pytest.approx(1.0, abs=1e-6)
    # one row down and one column right: only the diagonal corner pixel (distance sqrt 2) is
    # missed on each side with the disk; a square footprint would give F = 1
    assert db_boundary(box((8, 8), 4, 5, 3, 7).astype(bool), gt) == pytest.approx(0.9, abs=1e-6)


def test_boundary_empty_cases():
    gt = box((6, 6), 1, 4, 1, 4).astype(bool)
    empty = np.zeros_like(gt)
    assert db_boundary(empty, gt) == 0.0                # P = 1, R = 0
    assert db_boundary(gt, empty) == 0.0                # P = 0, R = 1
    assert db_boundary(empty, empty) == 1.0
    assert db_boundary(gt, gt) == 1.0
    void = np.ones_like(gt)                             # all void -> both boundaries empty
    assert db_boundary(gt, empty, void) == 1.0
    np.testing.assert_allclose(db_boundary(np.stack([gt, empty]), np.stack([gt, gt])), [1, 0])


def test_decay_bins_and_statistics():
    assert decay_bins(10) == [slice(0, 3), slice(2, 6), slice(5, 8), slice(7, 10)]
    assert decay_bins(2) == [slice(0, 1), slice(0, 2), slice(1, 2), slice(1, 2)]
    assert decay_bins(1) == [slice(0, 1)] * 4
    values = [1, 1, 1, 0.8, 0.6, 0.5, 0.4, 0.2, 0.0, 0.1]
    m, r, d = object_statistics(values)
    assert m == pytest.approx(0.56, abs=1e-6)
    assert r == pytest.approx(0.5, abs=1e-6)            # 0.5 itself is not > 0.5
    assert d == pytest.approx(1 - 0.1, abs=1e-6)
    assert object_statistics([0.7]) == (0.7, 1.0, 0.0)
    with pytest.raises(ValueError, match='non-empty'):
        object_statistics([])


def test_semisupervised_sequence_golden():
    gt, pred = SEQ_A
    out = evaluate_semisupervised(gt, pred, name='a')
    assert list(out) == ['a_1', 'a_2']
    # object 1 is perfect; object 2: perfect, absent in both (J = F = 1), missed (0)
    for key in ('J', 'F'):
        assert out['a_1'][f'{key}-Mean'] == 1.0
        assert out['a_1'][f'{key}-Decay'] == 0.0
        assert out['a_2'][f'{key}-Mean'] == pytest.approx(2 / 3, abs=1e-6)
        assert out['a_2'][f'{key}-Recall'] == pytest.approx(2 / 3, abs=1e-6)
        assert out['a_2'][f'{key}-Decay'] == pytest.approx(1.0, abs=1e-6)  # bins [0:2] vs [2:3]
    # the last GT frame (empty) is never scored; neither is a wrong first frame
    gt2 = gt.copy()
    gt2[-1] = 2
    assert evaluate_semisupervised(gt2, pred, name='a') == out


def test_void_is_background_by_default():
    gt, pred = SEQ_B
    official = evaluate_semisupervised(gt, pred, name='b')['b_1']
    assert official['J-Mean'] == pytest.approx(4 / 6, abs=1e-6)
    assert official['F-Mean'] == pytest.approx(1.0, abs=1e-6)
    excluded = evaluate_semisupervised(gt, pred, name='b', exclude_void=True)['b_1']
    assert excluded['J-Mean'] == pytest.approx(4 / 5, abs=1e-6)


def test_summary_golden():
    objects = {**evaluate_semisupervised(*SEQ_A, name='a'),
               **evaluate_semisupervised(*SEQ_B, name='b')}
    s = davis_summary(objects)
    expected = {'J-Mean': 7 / 9, 'J-Recall': 8 / 9, 'J-Decay': 1 / 3, 'F-Mean': 8 / 9,
                'F-Recall': 8 / 9, 'F-Decay': 1 / 3, 'J&F-Mean': 15 / 18}
    for key, value in expected.items():
        assert s[key] == pytest.approx(value, abs=1e-6), key
    assert s['per_sequence']['b_1']['J&F-Mean'] == pytest.approx((4 / 6 + 1) / 2, abs=1e-6)
    with pytest.raises(ValueError, match='no objects'):
        davis_summary({})


def test_errors():
    gt, pred = SEQ_A
    bad = pred.copy()
    bad[1, 0, 5] = 3
    with pytest.raises(ValueError, match=r"'a'.*id 3 in frame 2.*only 2 objects"):
        evaluate_semisupervised(gt, bad, name='a')
    with pytest.raises(ValueError, match='at least 3'):
        evaluate_semisupervised(gt[:2], pred[:0], name='a')
    with pytest.raises(ValueError, match=r'\(T - 2, H, W\)'):
        evaluate_semisupervised(gt, pred[:2], name='a')
    with pytest.raises(ValueError, match='no object'):
        evaluate_semisupervised(np.zeros_like(gt), pred * 0, name='a')
    with pytest.raises(ValueError, match='same'):
        evaluate_sequence(np.zeros((1, 2, 4, 4)), np.zeros((1, 2, 4, 5)))
    with pytest.raises(ValueError, match='shapes differ'):
        db_iou(np.zeros((4, 4)), np.zeros((4, 5)))
