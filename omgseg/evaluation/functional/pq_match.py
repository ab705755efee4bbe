"""The panopticapi matching rule, shared by image PQ (one image) and VPQ (one window of tubes).

Both evaluators reduce their pixels to a table of (GT segment, predicted segment, pixel count)
pairs and hand it to :func:`match_segments`, which applies panopticapi's ``evaluation.py`` rules:

  * A pair matches iff same category, GT not crowd and IoU > 0.5 (strict), with
    ``union = |pred| + |gt| - inter - |pred on VOID|``. IoU > 0.5 makes matches unique.
  * Unmatched non-crowd GT -> FN. Unmatched prediction -> FP unless
    ``(|pred on VOID| + |pred on its category's crowd region|) / |pred| > 0.5``; each category has
    one crowd region, the *last* crowd segment in the caller's order (:func:`last_crowd_rows`).
  * Matched IoUs add up in increasing order of the GT ``rank`` (the segment id), which is the
    order of panopticapi's ``(gt id, pred id)``-sorted pair loop, so sums agree bit for bit.

:func:`count_pairs` builds an image's pair table from two id maps: one pass finds the runs of
equal (GT, prediction) pairs along the rows, then one table look-up per run and one ``bincount``
(no sort of the pixels).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from omgseg.structures import PANOPTIC_VOID_ID

from .pq_stat import PQStat

VOID = PANOPTIC_VOID_ID
OFFSET = 256 ** 3  # ids < 256^3 (three 8-bit PNG channels)
_MAX_SEGMENTS = np.iinfo(np.uint16).max - 1  # look-up values 1..n and n + 1 for VOID
_TABLES = threading.local()  # one id -> position table per thread: written during a look-up


def _positions(ids: np.ndarray, segment_ids: np.ndarray) -> np.ndarray:
    """Position code of every id ``(N,)`` uint16: 1..n = index + 1 in ``segment_ids``,
    n + 1 = VOID, 0 = an id absent from ``segment_ids``. ``ids`` must lie in ``[0, 256^3)``."""
    n = segment_ids.size
    if n > _MAX_SEGMENTS:
        raise ValueError(f'{n} segments in one image; at most {_MAX_SEGMENTS} are supported')
    table = getattr(_TABLES, 'ids', None)
    if table is None:  # 32 MiB of lazily zeroed pages; only the rows of used ids are touched
        table = _TABLES.ids = np.zeros(OFFSET, dtype=np.uint16)
    table[segment_ids] = np.arange(1, n + 1, dtype=np.uint16)
    table[VOID] = n + 1
    try:
        # take() is several times faster than fancy indexing for a large flat gather
        return table.take(ids.reshape(-1))
    finally:
        table[segment_ids] = 0
        table[VOID] = 0


def _runs(gt: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths ``(R,)`` of the runs of equal (GT, prediction) pairs in raster order.

    Panoptic maps are flat regions, so a 480 x 640 pair of maps has a few thousand runs: the
    look-ups and the count then touch runs instead of pixels.
    """
    change = np.empty(gt.size, dtype=bool)
    if gt.size:
        change[0] = True
        np.not_equal(gt[1:], gt[:-1], out=change[1:])
        change[1:] |= pred[1:] != pred[:-1]
    starts = np.flatnonzero(change)
    return starts, np.diff(starts, append=gt.size)


def count_pairs(gt_ids: np.ndarray, pred_ids: np.ndarray, gt_segment_ids: np.ndarray,
                pred_segment_ids: np.ndarray) -> np.ndarray:
    """Pixel counts of every (GT, prediction) pair of two equal-shape id maps.

    Args:
        gt_ids, pred_ids: integer id maps of one shape with ids in ``[0, 256^3)``.
        gt_segment_ids: ``(G,)`` ids of the GT segments (no VOID, no duplicates).
        pred_segment_ids: ``(P,)`` ids of the predicted segments.
    Returns:
        ``(G + 2, P + 2)`` int64: entry ``[i, j]`` counts pixels of GT segment ``i`` under
        prediction ``j``; row ``G`` / column ``P`` is VOID, row ``G + 1`` / column ``P + 1``
        gathers ids that are not in the segment lists.
    """
    n_g, n_p = gt_segment_ids.size, pred_segment_ids.size
    n_keys = (n_g + 2) * (n_p + 2)
    gt, pred = np.asarray(gt_ids).reshape(-1), np.asarray(pred_ids).reshape(-1)
    starts, lengths = _runs(gt, pred)
    key = _positions(gt[starts], gt_segment_ids).astype(np.intp)
    key *= n_p + 2  # the GT position in the high part, the prediction's in the low part
    key += _positions(pred[starts], pred_segment_ids)
    counts = np.bincount(key, weights=lengths, minlength=n_keys)  # float64: exact below 2^53
    counts = counts.astype(np.int64).reshape(n_g + 2, n_p + 2)
    # position 0 (ids absent from the lists) moves last: rows/columns follow the segment lists
    return np.roll(counts, -1, axis=(0, 1))


def _unlisted(ids_map: np.ndarray, listed: np.ndarray) -> list[int]:
    """Non-VOID ids of ``ids_map`` absent from ``listed`` (only called to word an error)."""
    present = np.unique(ids_map)
    return np.setdiff1d(present[present != VOID], listed).tolist()


def checked_pair_counts(gt_ids: np.ndarray, pred_ids: np.ndarray, gt_segment_ids: np.ndarray,
                        pred_segment_ids: np.ndarray, *, where: str = '',
                        strict_gt: bool = True) -> np.ndarray:
    """:func:`count_pairs` after checking that the maps and the segment lists agree.

    Args:
        where: names the image in error messages (e.g. ``' in img.png'``).
        strict_gt: raise when a GT map id has no segment (otherwise its pixels stay in the last
            row: neither VOID nor a segment, as in panopticapi).
    Returns:
        ``(G + 2, P + 2)`` int64 counts (see :func:`count_pairs`).
    Raises:
        ValueError: a prediction id of the map is not listed or a listed prediction has no
            pixel; (strict_gt) a GT id of the map is not listed. Listed GT without pixels are
            allowed (panopticapi counts them as FN).
    """
    counts = count_pairs(gt_ids, pred_ids, gt_segment_ids, pred_segment_ids)
    n_g, n_p = gt_segment_ids.size, pred_segment_ids.size
    if counts[:, n_p + 1].any():
        raise ValueError(f'prediction segment ids {_unlisted(pred_ids, pred_segment_ids)} are in '
                         f'the PNG but not in the JSON segments_info{where}: the JSON and PNG '
                         f'disagree')
    empty = ~counts[:, :n_p].any(axis=0)
    if empty.any():
        raise ValueError(f'prediction segment ids {pred_segment_ids[empty].tolist()} are in the '
                         f'JSON segments_info but not in the PNG{where}: the JSON and PNG '
                         f'disagree')
    if strict_gt and counts[n_g + 1].any():
        raise ValueError(f'GT segment ids {_unlisted(gt_ids, gt_segment_ids)} are in the PNG but '
                         f'not in the JSON segments_info{where}: the JSON and PNG disagree')
    return counts


def last_crowd_rows(rows: np.ndarray, cat: np.ndarray, n_rows: int) -> np.ndarray:
    """``(n_rows,)`` bool: the last of ``rows`` (crowd rows in the caller's order) per category."""
    chosen = np.zeros(n_rows, dtype=bool)
    if rows.size:
        reversed_rows = rows[::-1]
        _, first = np.unique(cat[reversed_rows], return_index=True)
        chosen[reversed_rows[first]] = True
    return chosen


@dataclass(frozen=True)
class GTSegments:
    """Per-row arrays ``(G,)`` of the GT segments (or tubes) being matched.

    Attributes:
        cat: category ids. crowd: iscrowd flags. area: pixel areas (union terms).
        rank: order of the IoU sums (the segment id: panopticapi's pair order).
        crowd_region: the crowd row each category's FP-ignore rule uses (:func:`last_crowd_rows`).
        counted: rows that exist here and can be FN; ``None`` = all.
    """
    cat: np.ndarray
    crowd: np.ndarray
    area: np.ndarray
    rank: np.ndarray
    crowd_region: np.ndarray
    counted: np.ndarray | None = None


@dataclass(frozen=True)
class PredSegments:
    """Per-row arrays ``(P,)`` of the predicted segments (or tubes).

    Attributes:
        cat: category ids. area: pixel areas. void: pixels on GT VOID.
        counted: rows that exist here and can be FP; ``None`` = all.
    """
    cat: np.ndarray
    area: np.ndarray
    void: np.ndarray
    counted: np.ndarray | None = None


def match_segments(stat: PQStat, gt: GTSegments, pred: PredSegments, pair_gt: np.ndarray,
                   pair_pred: np.ndarray, inter: np.ndarray, *, where: str = '') -> None:
    """Add one image's (or window's) TP / FP / FN counts and matched IoUs to ``stat``.

    Args:
        stat: sums to add to.
        gt, pred: the segments' per-row arrays.
        pair_gt, pair_pred, inter: ``(N,)`` GT row, prediction row and pixel count of every
            overlapping pair of real segments (pairs with VOID go into ``pred.void`` instead).
        where: names the image or window in error messages.
    Raises:
        ValueError: a union is not positive (a GT ``area`` smaller than its pixel count).
    """
    same_cat = gt.cat[pair_gt] == pred.cat[pair_pred]
    cand = same_cat & ~gt.crowd[pair_gt]
    c_gt, c_pred, c_inter = pair_gt[cand], pair_pred[cand], inter[cand]
    union = pred.area[c_pred] + gt.area[c_gt] - c_inter - pred.void[c_pred]
    if (union <= 0).any():
        raise ValueError(f'non-positive union{where}: a GT "area" field is smaller than its '
                         f'pixel count; fix the JSON or use gt_area="png"')
    iou = c_inter / union
    match = iou > 0.5
    m_gt, m_pred, m_iou = c_gt[match], c_pred[match], iou[match]
    order = np.argsort(gt.rank[m_gt], kind='stable')
    m_gt, m_iou = m_gt[order], m_iou[order]
    gt_matched = np.zeros(gt.cat.size, dtype=bool)
    pred_matched = np.zeros(pred.cat.size, dtype=bool)
    gt_matched[m_gt] = True
    pred_matched[m_pred] = True

    on_crowd = same_cat & gt.crowd_region[pair_gt]
    p_crowd = np.zeros(pred.cat.size, dtype=np.int64)
    p_crowd[pair_pred[on_crowd]] = inter[on_crowd]  # one crowd region per category: no repeats
    ignored = (pred.void + p_crowd) / np.maximum(pred.area, 1) > 0.5
    fp = ~pred_matched & ~ignored
    fn = ~gt_matched & ~gt.crowd
    if pred.counted is not None:
        fp &= pred.counted
    if gt.counted is not None:
        fn &= gt.counted
    stat.add_counts('tp', gt.cat[m_gt])
    stat.add_counts('iou', gt.cat[m_gt], weights=m_iou)
    stat.add_counts('fn', gt.cat[fn])
    stat.add_counts('fp', pred.cat[fp])
