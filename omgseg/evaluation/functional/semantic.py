"""Semantic segmentation metrics from a confusion matrix: mIoU, aAcc, mAcc.

Convention (mmsegmentation's ``IoUMetric``): a class absent from both GT and prediction has an
undefined IoU (0/0 -> NaN) and is left out of the mean; a class only predicted (never in GT) has
IoU 0 and counts. detectron2's ``SemSegEvaluator`` (used by Mask2Former / fc-clip / ODISE) instead
averages over classes present in the GT only; ``absent='gt'`` reproduces that.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from omgseg.structures import IGNORE_INDEX


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, num_classes: int,
                     ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Confusion matrix of one or many label maps.

    Args:
        pred: integer class map, any shape (e.g. ``(H, W)``), values in ``[0, num_classes)``.
        gt: integer class map of the same shape; ``ignore_index`` marks void pixels, which are
            dropped whatever the prediction says there.
        num_classes: K.
        ignore_index: void value of ``gt`` (65535 in memory, 255 for uint8 PNGs).
    Returns:
        ``(K, K)`` int64, ``conf[g, p]`` = number of pixels of GT class g predicted as p
        (rows GT, columns prediction). Sum matrices of several images to accumulate.
    Raises:
        ValueError: shapes differ, non-integer maps, or (non-ignored) labels outside ``[0, K)``;
            map void predictions to a class before calling (argmax outputs never need it).
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction shape {pred.shape} != GT shape {gt.shape}')
    for name, arr in (('prediction', pred), ('GT', gt)):
        if not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f'{name} label map must be integer, got {arr.dtype}')
    k = int(num_classes)
    valid = gt != ignore_index
    g = gt[valid].astype(np.int64)
    p = pred[valid].astype(np.int64)
    for name, arr in (('GT', g), ('prediction', p)):
        bad = (arr < 0) | (arr >= k)
        if bad.any():
            raise ValueError(f'{name} labels {np.unique(arr[bad])[:10].tolist()} lie outside '
                             f'[0, {k}) on non-ignored pixels (ignore_index={ignore_index})')
    # Pair (g, p) -> flat index g*K + p; one bincount builds the whole matrix.
    return np.bincount(g * k + p, minlength=k * k).reshape(k, k)


def _nanmean(x: np.ndarray) -> float:
    """Mean over non-NaN entries; NaN (without a warning) when there are none."""
    ok = ~np.isnan(x)
    return float(x[ok].mean()) if ok.any() else float('nan')


def miou_from_confusion(conf: np.ndarray, class_names: Sequence[str] | None = None, *,
                        absent: str = 'both') -> dict:
    """mIoU, aAcc and mAcc (fractions in [0, 1]) from a ``(K, K)`` confusion matrix.

    IoU_c = TP / (TP + FP + FN); Acc_c = TP / |GT of c|; aAcc = sum TP / all counted pixels.

    Args:
        conf: ``(K, K)`` counts, rows GT, columns prediction (:func:`confusion_matrix`).
        class_names: K names used as per-class keys (default: class indices).
        absent: ``'both'`` (default, mmseg): NaN-exclude classes absent from GT *and*
            prediction; ``'gt'`` (detectron2): exclude every class absent from the GT.
    Returns:
        ``{'mIoU', 'aAcc', 'mAcc': float, 'n': number of classes in the mIoU mean,
        'per_class_iou': {name: IoU or NaN}, 'per_class_acc': {name: Acc or NaN}}``.
        Means over no class (and aAcc of an empty matrix) are NaN.
    """
    conf = np.asarray(conf)
    if conf.ndim != 2 or conf.shape[0] != conf.shape[1]:
        raise ValueError(f'confusion matrix must be (K, K), got {conf.shape}')
    if absent not in ('both', 'gt'):
        raise ValueError(f"absent must be 'both' or 'gt', got {absent!r}")
    k = conf.shape[0]
    names = list(range(k)) if class_names is None else list(class_names)
    if len(names) != k:
        raise ValueError(f'{len(names)} class names for a {k}-class confusion matrix')
    conf = conf.astype(np.float64)
    tp = np.diag(conf)
    gt_count, pred_count = conf.sum(axis=1), conf.sum(axis=0)
    union = gt_count + pred_count - tp
    with np.errstate(divide='ignore', invalid='ignore'):
        iou = np.where(union > 0, tp / union, np.nan)
        acc = np.where(gt_count > 0, tp / gt_count, np.nan)
    if absent == 'gt':
        iou[gt_count == 0] = np.nan
    total = conf.sum()
    return {
        'mIoU': _nanmean(iou),
        'aAcc': float(tp.sum() / total) if total > 0 else float('nan'),
        'mAcc': _nanmean(acc),
        'n': int((~np.isnan(iou)).sum()),
        'per_class_iou': {name: float(v) for name, v in zip(names, iou)},
        'per_class_acc': {name: float(v) for name, v in zip(names, acc)},
    }
