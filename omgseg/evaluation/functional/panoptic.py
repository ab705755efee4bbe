"""Panoptic quality (PQ) with exactly the rules of cocodataset/panopticapi ``evaluation.py``.

Written from the definition (Kirillov et al., "Panoptic Segmentation", and panopticapi's
documented behaviour). An image becomes its (GT, prediction) pair table with one look-up per
run of equal pairs and one ``bincount`` (:func:`~.pq_match.count_pairs`); the matching rule is
:func:`~.pq_match.match_segments`, the one copy that VPQ uses too.

Rules (panopticapi):
  * id 0 is VOID; ids are ``R + 256 G + 256^2 B`` in the PNGs (:func:`rgb2id`).
  * A GT/prediction pair matches iff same category, GT not crowd and IoU > 0.5 (strict), with
    ``union = |pred| + |gt| - inter - |pred on VOID|`` (prediction pixels on VOID leave the union).
    IoU > 0.5 makes matches unique, so no assignment problem arises.
  * Unmatched non-crowd GT -> FN. Unmatched prediction -> FP unless
    ``(|pred on VOID| + |pred on the crowd GT of its category|) / |pred| > 0.5``.
    Quirk kept on purpose: like panopticapi, only the *last* crowd segment of a category (in
    ``segments_info`` order) is that category's crowd region (COCO has at most one per category).
  * GT areas come from the segments' ``area`` field when present (panopticapi reads the JSON's
    ``area``), else from the id map; prediction areas always come from the id map.
  * Per class PQ = sum IoU / (TP + FP/2 + FN/2), SQ = sum IoU / TP, RQ = TP / (TP + FP/2 + FN/2);
    classes with TP + FP + FN = 0 are skipped; All/Things/Stuff are plain means over classes.

Deliberate differences, all on malformed input only (panopticapi would crash or go on silently):
ValueError instead of KeyError; GT ids present in the map but not in ``segments_info``, unknown GT
categories, duplicate segment ids and segment id 0 also raise; an empty class group gives 0 with
``n = 0`` instead of ZeroDivisionError.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .pq_match import (OFFSET, VOID, GTSegments, PredSegments, checked_pair_counts,
                       last_crowd_rows, match_segments)
from omgseg.structures.panoptic_ids import id2rgb, rgb2id

from .pq_stat import PQStat, PQStatCat, pq_average

__all__ = ['OFFSET', 'VOID', 'PQStat', 'PQStatCat', 'rgb2id', 'id2rgb', 'pq_compute_single',
           'pq_average', 'pq_summary', 'format_pq_table']


def _where(source: str) -> str:
    return f' in {source}' if source else ''


def _check_id_map(ids: np.ndarray, what: str, source: str) -> None:
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f'{what} id map must be integer, got {ids.dtype}{_where(source)}')
    if ids.size == 0 or (ids.dtype.kind == 'u' and ids.dtype.itemsize <= 2):
        return  # uint8 / uint16 maps are in range by their type
    # unsigned maps (e.g. decoded PNGs) cannot be negative: one pass instead of two
    low = 0 if ids.dtype.kind == 'u' else ids.min()
    high = ids.max()
    if low < 0 or high >= OFFSET:
        raise ValueError(f'{what} ids must lie in [0, {OFFSET}), got [{low}, {high}]'
                         f'{_where(source)}')


def _segment_table(segments: Sequence[Mapping], categories: Mapping, what: str, source: str):
    """Arrays (ids, category ids, iscrowd, json areas or -1) in ``segments_info`` order."""
    try:
        ids = np.array([int(s['id']) for s in segments], dtype=np.int64)
        cats = np.array([int(s['category_id']) for s in segments], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f'a {what} segment lacks key {exc}{_where(source)}') from exc
    crowd = np.array([int(s.get('iscrowd', 0)) == 1 for s in segments], dtype=bool)
    area = np.array([int(s.get('area', -1)) for s in segments], dtype=np.int64)
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f'{what} segment ids {uniq[counts > 1].tolist()} appear twice in the '
                         f'JSON segments_info{_where(source)}')
    if VOID in uniq:
        raise ValueError(f'{what} segment id {VOID} is reserved for VOID{_where(source)}')
    for seg_id, cat in zip(ids.tolist(), cats.tolist()):
        if cat not in categories:
            raise ValueError(f'{what} segment {seg_id} has unknown category_id {cat}'
                             f'{_where(source)}; known ids come from the GT categories')
    return ids, cats, crowd, area


def pq_compute_single(gt_ids: np.ndarray, gt_segments: Sequence[Mapping],
                      pred_ids: np.ndarray, pred_segments: Sequence[Mapping],
                      categories: Mapping[int, Mapping], *, source: str = '',
                      gt_area: str = 'json', strict_gt: bool = True) -> PQStat:
    """PQ sums of one image (or one stacked video tube: any equal shapes work).

    Args:
        gt_ids, pred_ids: integer id maps ``(H, W)`` with ids in ``[0, 256^3)``, 0 = VOID.
        gt_segments: GT ``segments_info``: dicts with ``id``, ``category_id``, ``iscrowd``
            (missing -> 0) and optionally ``area``.
        pred_segments: prediction ``segments_info``: dicts with ``id``, ``category_id``.
        categories: ``{category_id: {'isthing': 0/1, 'name': ...}}``.
        source: names the image/file in error messages.
        gt_area: ``'json'`` (panopticapi: a GT segment's ``area`` field when present, else the id
            map count) or ``'png'`` (always count pixels; use when maps were resized).
        strict_gt: raise when a GT map id has no segment (panopticapi silently ignores those
            pixels: they count neither as VOID nor as any segment).
    Returns:
        :class:`PQStat` holding only the categories this image touches.
    Raises:
        ValueError: shapes differ; a prediction id in the map is absent from its JSON or vice
            versa; unknown category; duplicate or 0 segment ids; (strict_gt) GT map id without
            a segment.
    """
    gt, pred = np.asarray(gt_ids), np.asarray(pred_ids)
    if gt.shape != pred.shape:
        raise ValueError(f'GT id map shape {gt.shape} != prediction shape {pred.shape}'
                         f'{_where(source)}; predictions must be at GT resolution')
    if gt_area not in ('json', 'png'):
        raise ValueError(f"gt_area must be 'json' or 'png', got {gt_area!r}")
    _check_id_map(gt, 'GT', source)
    _check_id_map(pred, 'prediction', source)
    g_ids, g_cat, g_crowd, g_json_area = _segment_table(gt_segments, categories, 'GT', source)
    p_ids, p_cat, _, _ = _segment_table(pred_segments, categories, 'prediction', source)
    n_g, n_p = g_ids.size, p_ids.size

    # (G + 2, P + 2) pixel counts: segments in JSON order, then VOID, then unlisted ids.
    counts = checked_pair_counts(gt, pred, g_ids, p_ids, where=_where(source),
                                 strict_gt=strict_gt)
    g_area = counts[:n_g].sum(axis=1)
    if gt_area == 'json':
        g_area = np.where(g_json_area >= 0, g_json_area, g_area)

    # Unlisted GT pixels (strict_gt=False) are neither VOID nor a segment, as in panopticapi.
    pair_gt, pair_pred = np.nonzero(counts[:n_g, :n_p])
    stat = PQStat()
    match_segments(
        stat,
        GTSegments(cat=g_cat, crowd=g_crowd, area=g_area, rank=g_ids,
                   crowd_region=last_crowd_rows(np.flatnonzero(g_crowd), g_cat, n_g)),
        PredSegments(cat=p_cat, area=counts[:, :n_p].sum(axis=0), void=counts[n_g, :n_p]),
        pair_gt, pair_pred, counts[pair_gt, pair_pred], where=_where(source))
    return stat


def pq_summary(stat: PQStat, categories: Mapping[int, Mapping]) -> dict:
    """panopticapi's result structure.

    Returns:
        ``{'All'|'Things'|'Stuff': {pq, sq, rq, n}, 'per_class': {cat_id: {pq, sq, rq}}}``
        (per_class keyed by int category id; ``json.dump`` turns the keys into strings).
    """
    results: dict = {}
    for name, isthing in (('All', None), ('Things', True), ('Stuff', False)):
        results[name], per_class = pq_average(stat, categories, isthing)
        if name == 'All':
            results['per_class'] = per_class
    return results


def format_pq_table(summary: Mapping) -> str:
    """Rows All/Things/Stuff, columns PQ SQ RQ (x100, 3 decimals) and N."""
    lines = [f'{"":10s}| {"PQ":>8s} {"SQ":>8s} {"RQ":>8s} {"N":>5s}', '-' * 42]
    for name in ('All', 'Things', 'Stuff'):
        r = summary[name]
        lines.append(f'{name:10s}| {100 * r["pq"]:8.3f} {100 * r["sq"]:8.3f} '
                     f'{100 * r["rq"]:8.3f} {r["n"]:5d}')
    return '\n'.join(lines)
