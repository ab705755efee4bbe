"""VPQ (VIPSeg eval_vpq_vspw.py rules): hand-computed golden videos and cross-checks against
frame-wise and tube-wise panopticapi PQ."""
import numpy as np
import pytest

from omgseg.evaluation.functional import (
    PQStat,
    format_vpq_table,
    pq_compute_single,
    vpq_summary,
    vpq_video_stats,
    window_mean,
)

PERSON, CAR, SKY = 1, 2, 3
CATS = {PERSON: {'name': 'person', 'isthing': 1}, CAR: {'name': 'car', 'isthing': 1},
        SKY: {'name': 'sky', 'isthing': 0}}


def seg(seg_id, cat, crowd=0):
    return {'id': seg_id, 'category_id': cat, 'iscrowd': crowd}


def frames(rows):
    """``[[..pixels..], ...]`` -> list of ``(1, W)`` id maps (PQ ignores positions)."""
    return [np.array([r], dtype=np.int64) for r in rows]


def segments_of(maps, info):
    """segments_info of each map: ``info[id]`` for every non-void id present."""
    return [[info[int(i)] for i in np.unique(m) if i] for m in maps]


def stats_dict(stat):
    return {c: (v['tp'], v['fp'], v['fn'], v['iou']) for c, v in stat.to_dict().items()}


def assert_stats(stat, expected):
    got = stats_dict(stat)
    assert set(got) == set(expected)
    for c, (tp, fp, fn, iou) in expected.items():
        assert got[c][:3] == (tp, fp, fn), c
        assert got[c][3] == pytest.approx(iou, abs=1e-12), c


def video(gt_rows, gt_info, pred_rows, pred_info):
    gt, pred = frames(gt_rows), frames(pred_rows)
    return gt, segments_of(gt, gt_info), pred, segments_of(pred, pred_info)


# person (id 1) leaves in frame 1 and comes back in frame 2 with the same id; sky id 2.
REAPPEAR = video([[1, 1, 2, 2], [2, 2, 2, 2], [1, 1, 2, 2]], {1: seg(1, PERSON), 2: seg(2, SKY)},
                 [[10, 10, 20, 20], [20, 20, 20, 20], [10, 20, 20, 20]],
                 {10: seg(10, PERSON), 20: seg(20, SKY)})


def test_object_that_disappears_and_reappears_is_one_tube():
    st = vpq_video_stats(*REAPPEAR, CATS, windows=(1, 2, 3, 4))
    # k=1: f0 both IoU 1; f1 sky 1; f2 person 1/(1+2-1) = 0.5 (not > 0.5) -> FN + FP,
    #      sky 2/(3+2-2) = 2/3.
    assert_stats(st[1], {PERSON: (1, 1, 1, 1.0), SKY: (3, 0, 0, 1 + 1 + 2 / 3)})
    # k=2: [0,1] person 2/2, sky 6/6; [1,2] person 1/2 -> FN + FP, sky 6/(7+6-6) = 6/7.
    assert_stats(st[2], {PERSON: (1, 1, 1, 1.0), SKY: (2, 0, 0, 1 + 6 / 7)})
    # k=3: person tube GT 4 px (frames 0 and 2), prediction 3 px inside -> 3/4; sky 8/9.
    assert_stats(st[3], {PERSON: (1, 0, 0, 3 / 4), SKY: (1, 0, 0, 8 / 9)})
    assert st[4].to_dict() == {}  # video shorter than the window: no window at all

    summary = vpq_summary(st, CATS)
    w = summary['windows']
    assert w['1']['All']['pq'] == pytest.approx((0.5 + 8 / 9) / 2, abs=1e-12)
    assert w['2']['All']['pq'] == pytest.approx((0.5 + 13 / 14) / 2, abs=1e-12)
    assert w['3']['All']['pq'] == pytest.approx((3 / 4 + 8 / 9) / 2, abs=1e-12)
    assert w['3']['Things'] == pytest.approx({'pq': 0.75, 'sq': 0.75, 'rq': 1.0, 'n': 1})
    assert w['2']['Stuff']['pq'] == pytest.approx(13 / 14, abs=1e-12)
    assert w['4']['All']['n'] == 0
    # window 4 counted nothing, so it stays out of the mean
    expected_vpq = ((0.5 + 8 / 9) / 2 + (0.5 + 13 / 14) / 2 + (3 / 4 + 8 / 9) / 2) / 3
    assert summary['VPQ'] == pytest.approx(expected_vpq, abs=1e-12)
    assert window_mean(summary, 'Things') == pytest.approx((0.5 + 0.5 + 0.75) / 3, abs=1e-12)
    assert 'VPQ_omg' not in summary  # windows 1, 2, 4, 6 were not all evaluated


def test_an_id_switch_breaks_the_tube():
    gt, gs, _, _ = REAPPEAR
    pred = frames([[10, 10, 20, 20], [20, 20, 20, 20], [11, 11, 20, 20]])
    ps = segments_of(pred, {10: seg(10, PERSON), 11: seg(11, PERSON), 20: seg(20, SKY)})
    st = vpq_video_stats(gt, gs, pred, ps, CATS, windows=(1, 3))
    assert_stats(st[1], {PERSON: (2, 0, 0, 2.0), SKY: (3, 0, 0, 3.0)})
    # k=3: person tube 4 px; ids 10 and 11 each cover 2 -> IoU 0.5 each: FN 1, FP 2.
    assert_stats(st[3], {PERSON: (0, 2, 1, 0.0), SKY: (1, 0, 0, 1.0)})


def test_window_spanning_a_void_only_frame():
    gt = frames([[1, 1, 2, 2], [0, 0, 0, 0], [1, 1, 2, 2]])
    gs = [[seg(1, PERSON), seg(2, SKY)], [], [seg(1, PERSON), seg(2, SKY)]]
    pred = frames([[10, 10, 20, 20], [10, 10, 10, 20], [10, 10, 20, 20]])
    ps = segments_of(pred, {10: seg(10, PERSON), 20: seg(20, SKY)})
    st = vpq_video_stats(gt, gs, pred, ps, CATS, windows=(1, 2, 3))
    # k=1: the void frame's predictions lie wholly on void: ignored, not FP.
    assert_stats(st[1], {PERSON: (2, 0, 0, 2.0), SKY: (2, 0, 0, 2.0)})
    # k=2, [0,1]: person pred 5 px, 3 on void: union 5 + 2 - 2 - 3 = 2 -> IoU 1; sky likewise.
    assert_stats(st[2], {PERSON: (2, 0, 0, 2.0), SKY: (2, 0, 0, 2.0)})
    assert_stats(st[3], {PERSON: (1, 0, 0, 1.0), SKY: (1, 0, 0, 1.0)})


def test_prediction_mostly_on_void_is_ignored_not_fp():
    gt = frames([[0, 0, 0, 2, 2, 2], [2, 2, 2, 2, 2, 2]])
    gs = [[seg(2, SKY)], [seg(2, SKY)]]
    pred = frames([[30, 30, 20, 20, 20, 20], [30, 20, 20, 20, 20, 20]])
    ps = segments_of(pred, {30: seg(30, CAR), 20: seg(20, SKY)})
    st = vpq_video_stats(gt, gs, pred, ps, CATS, windows=(1, 2))
    # k=1: f0 car all on void -> ignored, sky 3/(4+3-3-1) = 1; f1 car on sky -> FP, sky 5/6.
    assert_stats(st[1], {CAR: (0, 1, 0, 0.0), SKY: (2, 0, 0, 1 + 5 / 6)})
    # k=2: car tube 3 px, 2 on void (> half) -> ignored; sky 8/(9+9-8-1) = 8/9.
    assert_stats(st[2], {SKY: (1, 0, 0, 8 / 9)})
    summary = vpq_summary(st, CATS)
    assert summary['windows']['1']['All'] == pytest.approx(
        {'pq': (0 + 11 / 12) / 2, 'sq': (0 + 11 / 12) / 2, 'rq': 0.5, 'n': 2})
    assert summary['windows']['2']['Things']['n'] == 0  # car has no TP/FP/FN at k=2
    assert summary['windows']['2']['All']['pq'] == pytest.approx(8 / 9, abs=1e-12)


def test_exactly_half_on_void_is_fp():
    gt = frames([[0, 2, 2, 2]])
    pred = frames([[30, 30, 20, 20]])
    st = vpq_video_stats(gt, [[seg(2, SKY)]], pred,
                         segments_of(pred, {30: seg(30, CAR), 20: seg(20, SKY)}), CATS,
                         windows=(1,))
    # sky: 2 / (2 + 3 - 2) = 2/3 TP; car 1 of 2 px on void is not more than half -> FP
    assert_stats(st[1], {CAR: (0, 1, 0, 0.0), SKY: (1, 0, 0, 2 / 3)})


def test_crowd_gt_never_matches_and_covers_same_class_predictions():
    gt = frames([[5, 5, 1, 1], [5, 5, 5, 1]])
    gs = [[seg(5, PERSON, crowd=1), seg(1, PERSON)]] * 2
    pred = frames([[10, 10, 11, 11], [10, 10, 11, 11]])
    ps = segments_of(pred, {10: seg(10, PERSON), 11: seg(11, PERSON)})
    st = vpq_video_stats(gt, gs, pred, ps, CATS, windows=(1, 2))
    # k=1: f0 id 10 = crowd region exactly: no TP, ignored; 11 matches 1 (IoU 1).
    #      f1 11 vs 1: 1/(2+1-1) = 0.5 -> FN + FP (1 of 2 px on crowd: not more than half).
    assert_stats(st[1], {PERSON: (1, 1, 1, 1.0)})
    # k=2: tube 1 = 3 px, pred 11 = 4 px -> 3/4; 10 lies on the crowd tube -> ignored.
    assert_stats(st[2], {PERSON: (1, 0, 0, 0.75)})


def test_crowd_of_another_class_does_not_cover():
    gt = frames([[5, 5, 2, 2]])
    pred = frames([[30, 30, 20, 20]])
    st = vpq_video_stats(gt, [[seg(5, PERSON, crowd=1), seg(2, SKY)]], pred,
                         segments_of(pred, {30: seg(30, CAR), 20: seg(20, SKY)}), CATS,
                         windows=(1,))
    assert_stats(st[1], {CAR: (0, 1, 0, 0.0), SKY: (1, 0, 0, 1.0)})


def _random_video(rng, n_frames, shape=(5, 6)):
    gt_cat = {i: int(rng.integers(1, 4)) for i in range(1, 8)}
    gt_crowd = {i: int(rng.random() < 0.2) for i in range(1, 8)}
    pred_cat = {i: int(rng.integers(1, 4)) for i in range(1, 8)}
    gts, gss, preds, pss = [], [], [], []
    for _ in range(n_frames):
        g = rng.integers(0, 8, size=shape)
        if rng.random() < 0.2:
            g[:] = 0
        p = g.copy()
        noise = rng.random(shape) < 0.4
        p[noise] = rng.integers(0, 8, size=int(noise.sum()))
        ids = [int(i) for i in np.unique(g) if i]
        if rng.random() < 0.3:
            ids.append(int(rng.integers(1, 8)))  # a JSON-only GT segment (FN)
        ids = list(dict.fromkeys(ids))
        rng.shuffle(ids)
        gss.append([dict(seg(i, gt_cat[i], gt_crowd[i]), area=int((g == i).sum()))
                    for i in ids])
        pss.append([seg(int(i), pred_cat[int(i)]) for i in np.unique(p) if i])
        gts.append(g)
        preds.append(p)
    return gts, gss, preds, pss


def test_window_1_equals_framewise_pq_and_window_k_equals_pq_of_joined_frames():
    rng = np.random.default_rng(0)
    windows = (1, 2, 3, 5)
    for _ in range(40):
        n = int(rng.integers(1, 7))
        gts, gss, preds, pss = _random_video(rng, n)
        st = vpq_video_stats(gts, gss, preds, pss, CATS, windows=windows)
        frame_wise = PQStat.sum(pq_compute_single(g, gs, p, ps, CATS)
                                for g, gs, p, ps in zip(gts, gss, preds, pss))
        assert_stats(st[1], stats_dict(frame_wise))
        for k in windows[1:]:
            ref = PQStat()
            for s in range(n - k + 1):
                tube_segs: dict = {}  # first appearance order, areas summed (the reference)
                for f in range(s, s + k):
                    for d in gss[f]:
                        if d['id'] in tube_segs:
                            tube_segs[d['id']]['area'] += d['area']
                        else:
                            tube_segs[d['id']] = dict(d)
                pred_segs = {d['id']: d for f in range(s, s + k) for d in pss[f]}
                ref += pq_compute_single(np.concatenate(gts[s:s + k], axis=1),
                                         list(tube_segs.values()),
                                         np.concatenate(preds[s:s + k], axis=1),
                                         list(pred_segs.values()), CATS)
            assert_stats(st[k], stats_dict(ref))


def test_category_change_within_a_video_is_an_error():
    gt = frames([[1, 1], [1, 1]])
    gs = [[seg(1, PERSON)], [seg(1, CAR)]]
    pred = frames([[10, 10], [10, 10]])
    ps = [[seg(10, PERSON)], [seg(10, PERSON)]]
    with pytest.raises(ValueError, match=r"GT segment id 1 has category_id 2 in frame "
                                         r"b\.png.*video 'vid_7'"):
        vpq_video_stats(gt, gs, pred, ps, CATS, video='vid_7', frame_names=['a.png', 'b.png'])
    with pytest.raises(ValueError, match=r"prediction segment id 10 .*frame b\.png"):
        vpq_video_stats(gt, [[seg(1, PERSON)]] * 2, pred,
                        [[seg(10, PERSON)], [seg(10, SKY)]], CATS, video='vid_7',
                        frame_names=['a.png', 'b.png'])


@pytest.mark.parametrize('pred_rows, pred_segs, message', [
    ([[10, 11]], [seg(10, PERSON)], r'ids \[11\] are in the PNG but not in the JSON'),
    ([[10, 10]], [seg(10, PERSON), seg(12, SKY)], r'ids \[12\] are in the JSON .* not in the PNG'),
    ([[10, 10]], [seg(10, 9)], 'unknown category_id 9'),
    ([[10, 10, 10]], [seg(10, PERSON)], r'shape \(1, 2\) != prediction shape \(1, 3\)'),
])
def test_bad_frames_name_the_frame(pred_rows, pred_segs, message):
    with pytest.raises(ValueError, match=message) as info:
        vpq_video_stats(frames([[1, 1]]), [[seg(1, PERSON)]], frames(pred_rows), [pred_segs],
                        CATS, video='v', frame_names=['f0.png'])
    assert 'f0.png' in str(info.value)


def test_gt_png_id_missing_from_json_is_an_error():
    with pytest.raises(ValueError, match=r'GT segment ids \[3\] are in the PNG'):
        vpq_video_stats(frames([[1, 3]]), [[seg(1, PERSON)]], frames([[1, 1]]),
                        [[seg(1, PERSON)]], CATS)


def test_summary_schema_and_table():
    st = vpq_video_stats(*REAPPEAR, CATS)
    summary = vpq_summary(st, CATS)
    assert list(summary) == ['VPQ', 'VPQ_omg', 'windows']
    assert list(summary['windows']) == ['1', '2', '4', '6', '8']
    for res in summary['windows'].values():
        assert set(res) == {'All', 'Things', 'Stuff'}
        assert set(res['All']) == {'pq', 'sq', 'rq', 'n'}
    # only windows 1 and 2 fit the 3-frame video
    w1, w2 = (0.5 + 8 / 9) / 2, (0.5 + 13 / 14) / 2
    assert summary['VPQ'] == pytest.approx((w1 + w2) / 2, abs=1e-12)
    assert summary['VPQ_omg'] == pytest.approx((w1 + w2) / 2, abs=1e-12)
    table = format_vpq_table(summary)
    assert f'{100 * w1:7.3f}' in table and 'VPQ_omg' in table
