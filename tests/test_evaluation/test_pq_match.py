"""The shared panopticapi matching rule (omgseg.evaluation.functional.pq_match) and the fast
panoptic PNG decoder: pair tables against a sort-based reference, hand-made matching cases."""
import io

import numpy as np
import pytest
from PIL import Image

from omgseg.evaluation.functional import PQStat, id2rgb
from omgseg.evaluation.functional.files import decode_id_png, read_id_png
from omgseg.evaluation.functional.pq_match import (GTSegments, PredSegments, checked_pair_counts,
                                                   count_pairs, last_crowd_rows, match_segments)


def reference_counts(gt, pred, gt_ids, pred_ids):
    """Same table from np.unique on (gt, pred) pairs; unlisted ids collapse to the last row."""
    def position(ids, listed):
        pos = {int(i): k for k, i in enumerate(listed)}
        return np.array([pos.get(int(i), len(listed) if i == 0 else len(listed) + 1)
                         for i in ids.ravel()])
    out = np.zeros((len(gt_ids) + 2, len(pred_ids) + 2), dtype=np.int64)
    np.add.at(out, (position(gt, gt_ids), position(pred, pred_ids)), 1)
    return out


@pytest.mark.parametrize('n_ids', [12, 400])  # 400: the pair keys need more than 16 bits
def test_count_pairs_equals_reference(n_ids):
    rng = np.random.default_rng(n_ids)
    pool = rng.choice(256 ** 3 - 1, size=n_ids, replace=False) + 1
    gt = np.where(rng.random((40, 50)) < 0.1, 0, pool[rng.integers(0, n_ids, (40, 50))])
    pred = np.where(rng.random((40, 50)) < 0.1, 0, pool[rng.integers(0, n_ids, (40, 50))])
    gt_ids = pool[rng.permutation(n_ids)[:n_ids - 2]]  # two ids in the maps stay unlisted
    pred_ids = pool[rng.permutation(n_ids)]
    got = count_pairs(gt.astype(np.uint32), pred, gt_ids, pred_ids)
    assert got.dtype == np.int64 and got.sum() == gt.size
    np.testing.assert_array_equal(got, reference_counts(gt, pred, gt_ids, pred_ids))
    # the look-up table is left clean: a second call with other lists gives its own answer
    again = count_pairs(gt, pred, pred_ids[:3], gt_ids[:3])
    np.testing.assert_array_equal(again, reference_counts(gt, pred, pred_ids[:3], gt_ids[:3]))


def test_checked_pair_counts_names_the_disagreement():
    gt, pred = np.array([[1, 1, 0, 2]]), np.array([[10, 11, 11, 0]])
    with pytest.raises(ValueError, match=r'prediction segment ids \[11\] are in the PNG.* in x'):
        checked_pair_counts(gt, pred, np.array([1, 2]), np.array([10]), where=' in x')
    with pytest.raises(ValueError, match=r'ids \[12\] are in the JSON.*not in the PNG'):
        checked_pair_counts(gt, pred, np.array([1, 2]), np.array([10, 11, 12]))
    with pytest.raises(ValueError, match=r'GT segment ids \[2\] are in the PNG'):
        checked_pair_counts(gt, pred, np.array([1]), np.array([10, 11]))
    # rows: GT 1, VOID, unlisted (id 2); columns: pred 10, 11, VOID, unlisted
    counts = checked_pair_counts(gt, pred, np.array([1]), np.array([10, 11]), strict_gt=False)
    assert counts.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]


def test_last_crowd_rows_keeps_the_last_per_category():
    # crowd rows in the caller's order 4, 1, 3; categories of rows 4 and 3 are both 7
    cat = np.array([5, 9, 5, 7, 7])
    chosen = last_crowd_rows(np.array([4, 1, 3]), cat, 5)
    assert chosen.tolist() == [False, True, False, True, False]
    assert not last_crowd_rows(np.array([], dtype=np.int64), cat, 5).any()


def test_match_segments_hand_made():
    # GT rows: 0 person 10 px, 1 person crowd 6 px, 2 sky 8 px (not counted here), 3 car 4 px.
    # Pred rows: 0 person 9 px (8 on GT 0, 1 on VOID) -> IoU 8 / (9 + 10 - 8 - 1) = 0.8;
    # 1 person 4 px, 3 on the crowd -> ignored; 2 car 6 px, 2 on GT car -> IoU 2/8, FP + FN;
    # 3 sky 5 px, nowhere near GT sky but not counted (e.g. absent from this window) -> no FP.
    gt = GTSegments(cat=np.array([1, 1, 3, 2]), crowd=np.array([False, True, False, False]),
                    area=np.array([10, 6, 8, 4]), rank=np.array([40, 30, 20, 10]),
                    crowd_region=np.array([False, True, False, False]),
                    counted=np.array([True, True, False, True]))
    pred = PredSegments(cat=np.array([1, 1, 2, 3]), area=np.array([9, 4, 6, 5]),
                        void=np.array([1, 0, 0, 0]), counted=np.array([True, True, True, False]))
    stat = PQStat()
    match_segments(stat, gt, pred, pair_gt=np.array([0, 1, 3, 0]),
                   pair_pred=np.array([0, 1, 2, 3]), inter=np.array([8, 3, 2, 1]))
    assert stat.to_dict() == {1: dict(iou=0.8, tp=1, fp=0, fn=0),
                              2: dict(iou=0.0, tp=0, fp=1, fn=1)}
    with pytest.raises(ValueError, match='non-positive union in img'):
        match_segments(PQStat(), GTSegments(cat=np.array([1]), crowd=np.array([False]),
                                            area=np.array([1]), rank=np.array([1]),
                                            crowd_region=np.array([False])),
                       PredSegments(cat=np.array([1]), area=np.array([1]), void=np.array([0])),
                       np.array([0]), np.array([0]), np.array([2]), where=' in img')


def png_bytes(arr, mode=None):
    buf = io.BytesIO()
    Image.fromarray(arr, mode=mode).save(buf, format='PNG')
    return buf.getvalue()


def test_decode_id_png_rgb_rgba_and_palette(tmp_path):
    ids = np.random.default_rng(0).integers(0, 256 ** 3, (7, 9))
    rgb = id2rgb(ids)
    for arr in (rgb, np.dstack([rgb, np.full((7, 9, 1), 100, np.uint8)])):
        got = decode_id_png(png_bytes(arr))
        assert got.dtype == np.uint32 and np.array_equal(got, ids)
    palette = Image.fromarray(rgb[:, :4]).quantize(colors=256)  # colours expand to ids
    buf = io.BytesIO()
    palette.save(buf, format='PNG')
    colours = np.asarray(palette.convert('RGB')).astype(np.int64)
    assert np.array_equal(decode_id_png(buf.getvalue()),
                          colours[..., 0] + 256 * colours[..., 1] + 65536 * colours[..., 2])
    (tmp_path / 'a.png').write_bytes(png_bytes(rgb))
    assert np.array_equal(read_id_png(tmp_path / 'a.png'), ids)


def test_decode_id_png_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match='x.png: expected an 8-bit RGB.*color type 0'):
        decode_id_png(png_bytes(np.zeros((3, 3), np.uint8)), 'x.png')
    with pytest.raises(ValueError, match='bit depth 16'):
        decode_id_png(png_bytes(np.zeros((3, 3), np.uint16)), 'x.png')
    with pytest.raises(ValueError, match='x.png is not a PNG'):
        decode_id_png(b'GIF89a....', 'x.png')
    data = png_bytes(id2rgb(np.arange(64).reshape(8, 8)))
    with pytest.raises(ValueError, match='x.png cannot be decoded'):
        decode_id_png(data[:len(data) // 2], 'x.png')
    with pytest.raises(FileNotFoundError, match='nope.png'):
        read_id_png(tmp_path / 'nope.png')
