"""Golden tests of the semantic confusion matrix and mIoU (omgseg.evaluation.functional)."""
import math

import numpy as np
import pytest

from omgseg.evaluation.functional import confusion_matrix, miou_from_confusion


def test_confusion_matrix_and_miou_golden():
    # K = 4, ignore 255 (last pixel dropped). Class 3 is absent from GT and prediction.
    gt = np.array([[0, 0, 1, 1, 2, 255]])
    pred = np.array([[0, 1, 1, 1, 0, 2]])
    conf = confusion_matrix(pred, gt, num_classes=4, ignore_index=255)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[2, 0] = 1, 1, 2, 1  # rows GT
    assert conf.dtype == np.int64 and np.array_equal(conf, expected)

    r = miou_from_confusion(conf, ['a', 'b', 'c', 'd'])
    # TP (1, 2, 0, 0); GT counts (2, 2, 1, 0); pred counts (2, 3, 0, 0)
    # IoU a = 1 / (2 + 2 - 1) = 1/3; b = 2 / (2 + 3 - 2) = 2/3; c = 0 / 1 = 0; d = 0/0 -> NaN
    # mIoU = (1/3 + 2/3 + 0) / 3 = 1/3 (d excluded); aAcc = 3 / 5; Acc (1/2, 1, 0, NaN) -> 1/2
    assert r['mIoU'] == pytest.approx(1 / 3, abs=1e-9)
    assert r['aAcc'] == pytest.approx(0.6, abs=1e-9)
    assert r['mAcc'] == pytest.approx(0.5, abs=1e-9)
    assert r['n'] == 3
    assert r['per_class_iou']['b'] == pytest.approx(2 / 3, abs=1e-9)
    assert math.isnan(r['per_class_iou']['d']) and math.isnan(r['per_class_acc']['d'])


def test_predicted_only_class_counts_unless_absent_gt():
    # GT all class 0; pred (0, 1). IoU 0 = 1 / (2 + 1 - 1) = 1/2; IoU 1 = 0 / 1 = 0; class 2 NaN.
    # mmseg convention: mean(1/2, 0) = 1/4. detectron2 ('gt'): class 1 not in GT -> 1/2.
    conf = confusion_matrix(np.array([0, 1]), np.array([0, 0]), num_classes=3)
    assert miou_from_confusion(conf)['mIoU'] == pytest.approx(0.25, abs=1e-9)
    r = miou_from_confusion(conf, absent='gt')
    assert r['mIoU'] == pytest.approx(0.5, abs=1e-9) and r['n'] == 1


def test_accumulate_and_default_ignore():
    # Default ignore_index 65535 (IGNORE_INDEX). Two images summed:
    # img1 conf[0,0] = 2, img2 conf[1,0] = 1, conf[1,1] = 1 -> IoU 0 = 2/3, IoU 1 = 1/2.
    c1 = confusion_matrix(np.array([0, 0, 1]), np.array([0, 0, 65535]), 2)
    c2 = confusion_matrix(np.array([0, 1]), np.array([1, 1]), 2)
    r = miou_from_confusion(c1 + c2)
    assert r['mIoU'] == pytest.approx((2 / 3 + 1 / 2) / 2, abs=1e-9)
    assert r['aAcc'] == pytest.approx(3 / 4, abs=1e-9)


def test_empty_confusion_is_nan_without_warning():
    with np.errstate(all='raise'):
        r = miou_from_confusion(np.zeros((3, 3), dtype=np.int64))
    assert math.isnan(r['mIoU']) and math.isnan(r['aAcc']) and r['n'] == 0


def test_bad_inputs():
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix(np.array([0, 5]), np.array([0, 1]), 3)
    with pytest.raises(ValueError, match='outside'):
        confusion_matrix(np.array([0, 1]), np.array([0, 4]), 3, ignore_index=255)
    with pytest.raises(ValueError, match='shape'):
        confusion_matrix(np.zeros((2, 2), dtype=int), np.zeros((2, 3), dtype=int), 3)
    with pytest.raises(ValueError, match='class names'):
        miou_from_confusion(np.eye(2), ['only-one'])
