"""Interactive metrics: IoU, simulated clicks and NoC on hand-computed cases."""
import sys

import numpy as np
import pytest

from omgseg.evaluation.functional.interactive import (interactive_summary, interior_point,
                                                      mask_iou, next_click, noc,
                                                      simulate_clicks)


def rect(shape, y0, y1, x0, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_mask_iou_hand_cases():
    pred = rect((4, 4), 0, 2, 0, 4)          # 8 px
    gt = rect((4, 4), 0, 4, 0, 2)            # 8 px, 4 shared
    assert mask_iou(pred, gt) == pytest.approx(4 / 12)
    void = rect((4, 4), 0, 4, 3, 4)          # removes 2 predicted pixels
    assert mask_iou(pred, gt, void) == pytest.approx(4 / 10)
    assert mask_iou(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
    assert mask_iou(np.zeros((3, 3)), np.ones((3, 3))) == 0.0
    with pytest.raises(ValueError, match='resize the prediction'):
        mask_iou(np.zeros((3, 4)), np.zeros((3, 3)))


def test_next_click_area_rule():
    shape = (20, 24)
    strip = rect(shape, 15, 17, 2, 22)       # missed: 40 px, 1 px from its boundary at most
    block = rect(shape, 2, 7, 2, 7)          # spurious: 25 px, centre 3 px inside
    pred, gt = block, strip
    # the larger region is the strip; all its pixels tie at distance 1 -> first pixel
    assert next_click(pred, gt) == (2, 15, True)
    # RITM's rule picks the deepest error pixel instead: the block's centre, a negative click
    assert next_click(pred, gt, criterion='distance') == (4, 4, False)
    # void pixels are never errors: with the strip void, the block is the only region
    assert next_click(pred, gt, void=strip) == (4, 4, False)
    assert next_click(gt, gt) is None
    with pytest.raises(ValueError, match='criterion'):
        next_click(pred, gt, criterion='biggest')


def test_next_click_picks_the_largest_component_and_its_centre():
    shape = (12, 12)
    gt = rect(shape, 2, 10, 2, 10)                               # 8 x 8
    pred = rect(shape, 2, 10, 2, 6) | rect(shape, 10, 12, 0, 12)  # left half + 2 x 12 spurious
    # FN: rows 2-9, cols 6-9 (32 px) beats FP (24 px); its interior-most pixels are 2 px
    # inside (cols 7-8, rows 3-8); the first in row-major order is (7, 3)
    assert next_click(pred, gt) == (7, 3, True)
    # two missed components: the bigger (3 x 3) wins over the earlier, smaller one
    gt2 = rect(shape, 0, 1, 0, 2) | rect(shape, 5, 8, 5, 8)
    assert next_click(np.zeros(shape, bool), gt2) == (6, 6, True)
    # equal areas: the missed region (positive click) wins
    assert next_click(rect(shape, 0, 2, 0, 2), rect(shape, 6, 8, 6, 8))[2] is True


def test_noc_hand_cases():
    ious = [0.5, 0.8, 0.86, 0.91]
    assert noc(ious, 0.85) == 3
    assert noc(ious, 0.90) == 4
    assert noc(ious, 0.95) == 20
    assert noc([0.5, 0.6, 0.7, 0.95], 0.9, max_clicks=3) == 3
    assert noc([0.85], 0.85) == 1          # reaching the threshold counts
    with pytest.raises(ValueError, match='0.85, not 85'):
        noc(ious, 85)
    with pytest.raises(ValueError, match='no IoUs'):
        noc([], 0.85)


def test_interactive_summary():
    out = interactive_summary([[0.5, 0.86, 0.91], [0.9], [0.2, 0.3]])
    assert out['mIoU'] == pytest.approx((0.5 + 0.9 + 0.2) / 3)
    assert out['NoC@85'] == pytest.approx((2 + 1 + 20) / 3)
    assert out['NoC@90'] == pytest.approx((3 + 1 + 20) / 3)
    assert out['num_objects'] == 3
    out = interactive_summary([[0.6, 0.81]], max_clicks=5, thresholds=(0.5, 0.8))
    assert out['NoC@50'] == 1 and out['NoC@80'] == 2
    with pytest.raises(ValueError, match='object 1 has no IoU'):
        interactive_summary([[0.5], []])
    with pytest.raises(ValueError, match='no objects'):
        interactive_summary([])


def test_simulate_clicks_with_a_toy_predictor():
    shape = (16, 16)
    a = rect(shape, 1, 7, 1, 7)        # 36 px, holds the first click
    b = rect(shape, 10, 14, 10, 14)    # 16 px, missed at first
    f = rect(shape, 12, 15, 1, 4)      # 9 px, spurious until clicked negatively
    gt = a | b
    seen = []

    def predict(clicks):
        seen.append(list(clicks))
        pred = np.zeros(shape, bool)
        for x, y, pos in clicks:
            if pos:
                pred |= a if a[y, x] else b if b[y, x] else np.zeros(shape, bool)
        if not any(not pos and f[y, x] for x, y, pos in clicks):
            pred |= f
        return pred

    ious = simulate_clicks(predict, gt)
    assert ious == pytest.approx([36 / 61, 52 / 61, 1.0])
    # first click: interior of the whole GT (a's centre region); then b's centre; then f's
    assert seen[-1] == [(3, 3, True), (11, 11, True), (2, 13, False)]
    assert interior_point(gt) == (3, 3)
    assert simulate_clicks(predict, gt, stop_iou=0.8) == pytest.approx([36 / 61, 52 / 61])
    assert simulate_clicks(predict, gt, max_clicks=1) == pytest.approx([36 / 61])


def test_module_is_numpy_only():
    import subprocess
    code = ('import sys, omgseg.evaluation.functional.interactive as m; '
            'assert "torch" not in sys.modules and "mmdet" not in sys.modules, "heavy import"')
    subprocess.run([sys.executable, '-c', code], check=True)
