"""DAVIS 2017 semi-supervised J&F with the rules of davisvideochallenge/davis2017-evaluation.

Written from the definitions in the official ``davis2017/metrics.py`` (``db_eval_iou``,
``f_measure``, ``_seg2bmap``), ``utils.py`` (``db_statistics``), ``davis.py`` / ``results.py``
(reading masks) and ``evaluation.py`` / ``evaluation_method.py`` (semi-supervised flow, global
table); numpy + scipy only, so command-line tools start without torch.

Rules:
  * Objects: ids ``1..N`` with ``N`` = the largest id of the sequence's *first* GT frame after
    void (255) is set to 0. Frames ``1..T-2`` are scored (first and last dropped). A predicted id
    above ``N`` is an error (the reference aborts); ids of ``1..N`` that never appear are empty
    masks (it zero-pads).
  * J = |P & G| / |P | G| per object per frame, void pixels left out of both; an empty union
    gives 1.
  * F: 1-pixel boundary maps of both masks (``seg2bmap``, after void pixels are cleared), each
    dilated by a disk of radius ``ceil(bound_th * sqrt(H^2 + W^2))`` (``bound_th`` < 1; >= 1 is
    a radius in pixels). precision = matched prediction boundary / prediction boundary, recall
    likewise for the GT; no prediction boundary -> (1, 0), no GT boundary -> (0, 1), neither ->
    (1, 1); F = 2PR / (P + R), 0 when P + R = 0.
  * Per object: M = nanmean over frames, R = fraction of frames > 0.5, D = mean of the first
    minus mean of the last of 4 overlapping bins (``db_statistics``). Global: each measure is
    the mean over all objects of all sequences; J&F-Mean = (J-Mean + F-Mean) / 2.
  * Void in the semi-supervised task: the reference turns 255 into background before splitting
    objects and passes no void mask (older versions compare the already-boolean masks with 255,
    which is never true), so void pixels count as background. ``exclude_void=True`` leaves them
    out as the docstrings of ``db_eval_iou`` / ``f_measure`` describe; it is off by default.

The disk dilation is done exactly through a Euclidean distance transform: a pixel lies in the
dilation of a boundary map by ``disk(r)`` (all offsets with ``dx^2 + dy^2 <= r^2``, as
``skimage.morphology.disk``) iff its distance to the nearest boundary pixel is <= r; this costs
O(H W) instead of O(H W r^2).

Deliberate differences, on malformed input only: clear ValueErrors for sequences with fewer than
3 frames (the reference returns NaN), predicted ids above N (it prints and exits) and shape
mismatches; decay bin indices are cast to int64 where the reference casts to uint8, which only
differs (undefined there) for more than 256 scored frames.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import ndimage

VOID_LABEL = 255
BOUND_TH = 0.008
MEASURES = ('J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay')


def _check_same_shape(what: str, **arrays) -> None:
    shapes = {k: np.shape(v) for k, v in arrays.items() if v is not None}
    if len(set(shapes.values())) > 1:
        raise ValueError(f'{what}: shapes differ: {shapes}')


def db_iou(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None) -> np.ndarray:
    """Region similarity J of binary masks ``(..., H, W)`` -> ``(...)`` (float; 1 if union 0)."""
    _check_same_shape('db_iou', pred=pred, gt=gt, void=void)
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    keep = np.ones_like(gt) if void is None else ~np.asarray(void, bool)
    inter = np.count_nonzero(pred & gt & keep, axis=(-2, -1))
    union = np.count_nonzero((pred | gt) & keep, axis=(-2, -1))
    with np.errstate(divide='ignore', invalid='ignore'):
        j = np.where(union == 0, 1.0, inter / np.maximum(union, 1))
    return j.astype(np.float64)


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """1-pixel boundary map ``(H, W)`` bool of a mask ``(H, W)`` (nonzero = foreground).

    A pixel is on the boundary when it differs from its right, lower or lower-right neighbour
    (outside the image counts as background for those three shifts); the last row only looks
    right, the last column only down, and the bottom-right pixel is never a boundary. This is
    the reference's Berkeley ``seg2bmap`` at full resolution.
    """
    seg = np.asarray(seg).astype(bool)
    if seg.ndim != 2:
        raise ValueError(f'seg2bmap expects a 2-D mask, got shape {seg.shape}')
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def disk(radius: int) -> np.ndarray:
    """Footprint ``(2r+1, 2r+1)`` bool: offsets with ``dx^2 + dy^2 <= r^2`` (skimage's disk)."""
    offsets = np.arange(-radius, radius + 1)
    return (offsets[:, None] ** 2 + offsets[None, :] ** 2) <= radius ** 2


def boundary_radius(shape: Sequence[int], bound_th: float = BOUND_TH) -> int:
    """Dilation radius in pixels: ``ceil(bound_th * diagonal)``, or ``bound_th`` if >= 1."""
    if bound_th >= 1:
        if bound_th != int(bound_th):
            raise ValueError(f'bound_th >= 1 is a radius in pixels and must be whole, got '
                             f'{bound_th}')
        return int(bound_th)
    if bound_th <= 0:
        raise ValueError(f'bound_th must be > 0, got {bound_th}')
    return int(math.ceil(bound_th * math.hypot(*shape[-2:])))


def _within(bmap: np.ndarray, radius: int) -> np.ndarray:
    """Dilation of a non-empty boundary map by ``disk(radius)`` (see module docstring)."""
    # distances between integer pixels are square roots of integers, never within float
    # rounding of an integer radius unless equal to it, so the comparison is exact
    return ndimage.distance_transform_edt(~bmap) <= radius


def db_boundary(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None,
                bound_th: float = BOUND_TH) -> np.ndarray | float:
    """Boundary F-measure of binary masks ``(H, W)`` -> float or ``(T, H, W)`` -> ``(T,)``."""
    _check_same_shape('db_boundary', pred=pred, gt=gt, void=void)
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    if pred.ndim == 3:
        return np.array([db_boundary(pred[t], gt[t], None if void is None else void[t],
                                     bound_th) for t in range(pred.shape[0])], dtype=np.float64)
    if pred.ndim != 2:
        raise ValueError(f'db_boundary expects (H, W) or (T, H, W) masks, got {pred.shape}')
    if void is not None:
        keep = ~np.asarray(void, bool)
        pred, gt = pred & keep, gt & keep
    pred_b, gt_b = seg2bmap(pred), seg2bmap(gt)
    n_pred, n_gt = int(pred_b.sum()), int(gt_b.sum())
    if n_pred == 0 and n_gt == 0:
        precision = recall = 1.0
    elif n_pred == 0:
        precision, recall = 1.0, 0.0
    elif n_gt == 0:
        precision, recall = 0.0, 1.0
    else:
        radius = boundary_radius(pred.shape, bound_th)
        precision = np.count_nonzero(pred_b & _within(gt_b, radius)) / n_pred
        recall = np.count_nonzero(gt_b & _within(pred_b, radius)) / n_gt
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def decay_bins(num_frames: int, n_bins: int = 4) -> list[slice]:
    """The reference's overlapping decay bins over ``num_frames`` values (end inclusive)."""
    ids = (np.round(np.linspace(1, num_frames, n_bins + 1) + 1e-10) - 1).astype(np.int64)
    return [slice(int(ids[i]), int(ids[i + 1]) + 1) for i in range(n_bins)]


def object_statistics(per_frame: np.ndarray) -> tuple[float, float, float]:
    """``(M, R, D)`` of one object's per-frame values ``(T,)`` (``db_statistics``)."""
    values = np.asarray(per_frame, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f'object_statistics needs a non-empty 1-D array, got shape '
                         f'{values.shape}')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)  # all-NaN bins, as reference
        mean = float(np.nanmean(values))
        recall = float(np.nanmean(values > 0.5))
        bins = decay_bins(values.size)
        decay = float(np.nanmean(values[bins[0]]) - np.nanmean(values[bins[-1]]))
    return mean, recall, decay


def split_objects(labels: np.ndarray, num_objects: int) -> np.ndarray:
    """Index maps ``(T, H, W)`` -> per-object masks ``(N, T, H, W)`` bool for ids ``1..N``."""
    labels = np.asarray(labels)
    ids = np.arange(1, num_objects + 1).reshape(-1, *([1] * labels.ndim))
    return labels[None] == ids


def evaluate_sequence(gt_masks: np.ndarray, pred_masks: np.ndarray,
                      void: np.ndarray | None = None, *,
                      bound_th: float = BOUND_TH) -> dict[str, np.ndarray]:
    """Per-object, per-frame J and F of every frame given.

    Args:
        gt_masks: ``(N, T, H, W)`` bool, one mask per GT object per scored frame (the
            semi-supervised caller passes frames ``1..T-2``, see ``evaluate_semisupervised``).
        pred_masks: ``(N, T, H, W)`` bool, predicted masks for the same objects and frames.
        void: ``(T, H, W)`` bool pixels left out of both measures, or None.

    Returns:
        ``{'J': (N, T), 'F': (N, T)}`` float64.
    """
    gt_masks, pred_masks = np.asarray(gt_masks, bool), np.asarray(pred_masks, bool)
    if gt_masks.ndim != 4 or gt_masks.shape != pred_masks.shape:
        raise ValueError(f'evaluate_sequence needs gt_masks and pred_masks of the same '
                         f'(N, T, H, W) shape, got {gt_masks.shape} and {pred_masks.shape}')
    if void is not None and np.shape(void) != gt_masks.shape[1:]:
        raise ValueError(f'void must be (T, H, W) = {gt_masks.shape[1:]}, got {np.shape(void)}')
    num_objects, num_frames = gt_masks.shape[:2]
    j = np.zeros((num_objects, num_frames))
    f = np.zeros((num_objects, num_frames))
    for obj in range(num_objects):
        j[obj] = db_iou(pred_masks[obj], gt_masks[obj], void)
        f[obj] = db_boundary(pred_masks[obj], gt_masks[obj], void, bound_th)
    return {'J': j, 'F': f}


def evaluate_semisupervised(gt_labels: np.ndarray, pred_labels: np.ndarray, *, name: str = '',
                            exclude_void: bool = False,
                            bound_th: float = BOUND_TH) -> dict[str, dict[str, float]]:
    """One sequence under the semi-supervised rules.

    Args:
        gt_labels: ``(T, H, W)`` GT index maps of all frames (0 background, 1..N, 255 void).
        pred_labels: ``(T - 2, H, W)`` predicted index maps of frames ``1..T-2``.
        name: sequence name, used for object keys ``<name>_<i>`` and in errors.
        exclude_void: leave GT void pixels out of J and F (the reference does not; see module
            docstring).

    Returns:
        ``{'<name>_<i>': {'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay'}}``
        per object ``i = 1..N`` in id order.
    """
    gt_labels, pred_labels = np.asarray(gt_labels), np.asarray(pred_labels)
    if gt_labels.ndim != 3:
        raise ValueError(f'sequence {name!r}: GT must be (T, H, W) index maps, got '
                         f'{gt_labels.shape}')
    num_frames = gt_labels.shape[0]
    if num_frames < 3:
        raise ValueError(f'sequence {name!r} has {num_frames} annotated frames; semi-supervised '
                         f'evaluation drops the first and last, so it needs at least 3')
    if pred_labels.shape != (num_frames - 2, *gt_labels.shape[1:]):
        raise ValueError(f'sequence {name!r}: predictions must be (T - 2, H, W) = '
                         f'{(num_frames - 2, *gt_labels.shape[1:])} (frames 1..T-2), got '
                         f'{pred_labels.shape}')
    first = gt_labels[0]
    num_objects = int(first[first != VOID_LABEL].max(initial=0))
    if num_objects == 0:
        raise ValueError(f'sequence {name!r}: the first GT frame has no object (ids 1..N)')
    scored = gt_labels[1:-1]
    top = int(pred_labels.max(initial=0))
    if top > num_objects:
        per_frame_max = pred_labels.reshape(pred_labels.shape[0], -1).max(axis=1)
        frame = int(np.argmax(per_frame_max > num_objects)) + 1  # GT frame index
        raise ValueError(f'sequence {name!r}: prediction id {top} in frame {frame} but the '
                         f'first GT frame has only {num_objects} objects (ids 1..{num_objects})')
    void = (scored == VOID_LABEL) if exclude_void else None
    # void pixels never match an object id, so they are background of every GT object
    per_frame = evaluate_sequence(split_objects(scored, num_objects),
                                  split_objects(pred_labels, num_objects), void,
                                  bound_th=bound_th)
    out = {}
    for obj in range(num_objects):
        jm, jr, jd = object_statistics(per_frame['J'][obj])
        fm, fr, fd = object_statistics(per_frame['F'][obj])
        out[f'{name}_{obj + 1}'] = {'J-Mean': jm, 'J-Recall': jr, 'J-Decay': jd,
                                    'F-Mean': fm, 'F-Recall': fr, 'F-Decay': fd}
    return out


def davis_summary(per_object: Mapping[str, Mapping[str, float]]) -> dict:
    """Global table from ``{'<seq>_<i>': stats}`` (``evaluate_semisupervised`` outputs merged).

    Returns the seven ``MEASURES`` (means over all objects, values in [0, 1], decays in
    [-1, 1]) and ``'per_sequence'``: ``{'<seq>_<i>': {'J-Mean', 'F-Mean', 'J&F-Mean'}}`` as the
    reference's per-sequence table (one row per object).
    """
    if not per_object:
        raise ValueError('davis_summary: no objects were evaluated')
    rows = list(per_object.values())

    def mean(key):
        return float(np.mean([r[key] for r in rows]))

    summary = {'J&F-Mean': (mean('J-Mean') + mean('F-Mean')) / 2}
    for key in MEASURES[1:]:
        summary[key] = mean(key)
    summary['per_sequence'] = {
        obj: {'J-Mean': r['J-Mean'], 'F-Mean': r['F-Mean'],
              'J&F-Mean': (r['J-Mean'] + r['F-Mean']) / 2} for obj, r in per_object.items()}
    return summary


def format_davis_table(summary: Mapping, *, per_sequence: bool = True) -> str:
    """Fixed-width text of the global measures (and per-object J/F) of ``davis_summary``."""
    lines = ['  '.join(f'{k:>9}' for k in MEASURES),
             '  '.join(f'{summary[k]:9.3f}' for k in MEASURES)]
    if per_sequence and summary.get('per_sequence'):
        width = max(8, *(len(k) for k in summary['per_sequence']))
        lines += ['', f'{"Sequence":<{width}}  {"J-Mean":>7}  {"F-Mean":>7}']
        for obj, r in summary['per_sequence'].items():
            lines.append(f'{obj:<{width}}  {r["J-Mean"]:7.3f}  {r["F-Mean"]:7.3f}')
    return '\n'.join(lines)
