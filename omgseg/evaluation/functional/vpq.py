"""Video panoptic quality (VPQ) with the rules of VIPSeg's official ``eval_vpq_vspw.py``.

For every window size ``k`` and every run of ``k`` consecutive annotated frames of a video
(stride 1, frames in GT order; ``len - k + 1`` windows, none for shorter videos) the frames are
joined into one image: a segment id is a tube across the frames, its area the sum of its
per-frame areas. The panopticapi rules then apply to the tubes (see ``panoptic.py``): match on
same category, non-crowd GT and IoU > 0.5 with prediction pixels on VOID left out of the union;
unmatched non-crowd GT -> FN; unmatched prediction -> FP unless more than half of it lies on
VOID plus the same-category crowd tube. TP / FP / FN / IoU sums per class add up over all windows
of all videos; VPQ is the mean over window sizes of the class-mean PQ.

Each frame is reduced once to its small (GT id, prediction id, pixel count) table, so a video's
windows cost a few array operations on hundreds of pairs instead of re-reading pixels.

Deliberate differences from the reference, all on malformed input (it would go on silently or
crash): a segment id whose category changes within a video, a GT PNG id missing from the frame's
JSON, duplicate ids and unknown GT categories raise ValueError. Window sizes with nothing to count
(every video shorter than k) get ``n = 0`` and are left out of the means instead of dividing by 0.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .panoptic import _check_id_map, _segment_table, pq_summary
from .pq_match import (GTSegments, PredSegments, checked_pair_counts, last_crowd_rows,
                       match_segments)
from .pq_stat import PQStat

DEFAULT_WINDOWS = (1, 2, 4, 6, 8)      # eval_vpq_vspw.py
OMG_WINDOWS = (1, 2, 4, 6)             # OMG-Seg's VIPSeg report (VPQ@1/2/4/6)


class _TubeTable:
    """Video-level segment table: id -> row, with category and crowd flag of the first frame."""

    def __init__(self, what: str, video: str) -> None:
        self.what, self.video = what, video
        self.row: dict[int, int] = {}
        self.cats: list[int] = []
        self.crowd: list[bool] = []

    def rows(self, ids: np.ndarray, cats: np.ndarray, crowd: np.ndarray, frame: str) -> np.ndarray:
        """Rows of ``ids`` (new ids get new rows); checks each id keeps its category."""
        for i, (seg_id, cat) in enumerate(zip(ids.tolist(), cats.tolist())):
            row = self.row.get(seg_id)
            if row is None:
                row = self.row[seg_id] = len(self.cats)
                self.cats.append(cat)
                self.crowd.append(bool(crowd[i]))
            elif self.cats[row] != cat:
                raise ValueError(
                    f'{self.what} segment id {seg_id} has category_id {cat} in frame {frame} of '
                    f'video {self.video!r} but category_id {self.cats[row]} in an earlier frame; '
                    f'an id is one object (tube) per video, so give the new object a new id')
        return np.fromiter((self.row[s] for s in ids.tolist()), dtype=np.int64, count=ids.size)


class VideoTubeAccumulator:
    """Collects one video frame by frame and computes its VPQ sums for any window sizes.

    Args:
        categories: ``{category_id: {'isthing': 0/1, ...}}`` (the GT categories).
        video: video name used in error messages.
        gt_area: ``'json'`` (the reference: a GT segment's ``area`` field when present, else its
            pixel count) or ``'png'`` (always count pixels).
    """

    def __init__(self, categories: Mapping[int, Mapping], *, video: str = '',
                 gt_area: str = 'json') -> None:
        if gt_area not in ('json', 'png'):
            raise ValueError(f"gt_area must be 'json' or 'png', got {gt_area!r}")
        self.categories, self.video, self.gt_area = categories, video, gt_area
        self._gt = _TubeTable('GT', video)
        self._pred = _TubeTable('prediction', video)
        # per frame: (gt rows, their areas, their segments_info positions), (pred rows, areas),
        # pairs (gt row or -1 for VOID, pred row, pixel count)
        self._frames: list[tuple] = []

    def __len__(self) -> int:
        return len(self._frames)

    def add_frame(self, gt_ids: np.ndarray, gt_segments: Sequence[Mapping],
                  pred_ids: np.ndarray, pred_segments: Sequence[Mapping], *,
                  frame: str = '') -> None:
        """Add the next frame (time order).

        Args:
            gt_ids, pred_ids: integer id maps ``(H, W)``, ids in ``[0, 256^3)``, 0 = VOID.
            gt_segments: GT ``segments_info`` (``id``, ``category_id``, ``iscrowd``, ``area``).
            pred_segments: prediction ``segments_info`` (``id``, ``category_id``).
            frame: names the frame/file in error messages.
        Raises:
            ValueError: shapes differ; a prediction id in the map is absent from the JSON or the
                reverse; a GT map id is absent from the JSON; unknown category; duplicate or 0
                ids; an id whose category differs from an earlier frame of the video.
        """
        source = f'{frame} (video {self.video!r})' if self.video else frame
        gt, pred = np.asarray(gt_ids), np.asarray(pred_ids)
        if gt.shape != pred.shape:
            raise ValueError(f'GT id map shape {gt.shape} != prediction shape {pred.shape} in '
                             f'{source}; predictions must be at GT resolution')
        _check_id_map(gt, 'GT', source)
        _check_id_map(pred, 'prediction', source)
        g_ids, g_cat, g_crowd, g_json = _segment_table(gt_segments, self.categories, 'GT', source)
        p_ids, p_cat, _, _ = _segment_table(pred_segments, self.categories, 'prediction', source)

        # GT JSON ids without pixels are allowed (panopticapi counts them as FN).
        counts = checked_pair_counts(gt, pred, g_ids, p_ids, where=f' of {source}')
        n_g, n_p = g_ids.size, p_ids.size

        name = frame or f'#{len(self._frames)}'
        g_rows = self._gt.rows(g_ids, g_cat, g_crowd, name)
        p_rows = self._pred.rows(p_ids, p_cat, np.zeros(p_ids.size, bool), name)
        g_area = counts[:n_g].sum(axis=1)
        if self.gt_area == 'json':
            g_area = np.where(g_json >= 0, g_json, g_area)
        # pairs with a prediction (GT row -1 = VOID); the other pairs play no part in matching
        pair_g, pair_p = np.nonzero(counts[:n_g + 1, :n_p])
        pg = np.append(g_rows, -1)[pair_g]
        self._frames.append(((g_rows, g_area, np.arange(n_g)),
                             (p_rows, counts[:, :n_p].sum(axis=0)),
                             (pg, p_rows[pair_p], counts[pair_g, pair_p])))

    def window_stats(self, windows: Sequence[int] = DEFAULT_WINDOWS) -> dict[int, PQStat]:
        """``{k: PQStat}`` summed over every window of ``k`` consecutive frames of this video."""
        n_f, n_g, n_p = len(self._frames), len(self._gt.cats), len(self._pred.cats)
        n_p_key = max(n_p, 1)  # pair key base (no pairs at all when n_p == 0)
        g_area = np.zeros((n_f + 1, n_g), dtype=np.int64)  # row f + 1: frame f
        g_pos = np.full((n_f, n_g), -1, dtype=np.int64)
        p_area = np.zeros((n_f + 1, n_p), dtype=np.int64)
        for f, ((g_rows, g_ar, pos), (p_rows, p_ar), _) in enumerate(self._frames):
            g_area[f + 1, g_rows] = g_ar
            g_pos[f, g_rows] = pos
            p_area[f + 1, p_rows] = p_ar
        present = g_pos >= 0
        g_cum, p_cum = np.cumsum(g_area, axis=0), np.cumsum(p_area, axis=0)
        pres_cum = np.concatenate([np.zeros((1, n_g), np.int64), np.cumsum(present, axis=0)])
        g_cat = np.asarray(self._gt.cats, dtype=np.int64)
        g_crowd = np.asarray(self._gt.crowd, dtype=bool)
        p_cat = np.asarray(self._pred.cats, dtype=np.int64)
        g_id = np.asarray(list(self._gt.row), dtype=np.int64)  # row -> id (insertion order)

        out: dict[int, PQStat] = {}
        for k in windows:
            k = int(k)
            if k < 1:
                raise ValueError(f'window sizes must be >= 1, got {k}')
            stat = PQStat()
            for s in range(n_f - k + 1):
                pairs = [self._frames[f][2] for f in range(s, s + k)]
                self._window(stat, s, k, pairs, g_cum[s + k] - g_cum[s], p_cum[s + k] - p_cum[s],
                             pres_cum[s + k] - pres_cum[s] > 0, present, g_pos, g_cat, g_crowd,
                             p_cat, g_id, n_p, n_p_key,
                             f' in frames {s}..{s + k - 1} of video {self.video!r}')
            out[k] = stat
        return out

    @staticmethod
    def _window(stat, s, k, pairs, g_area, p_area, g_present, present, g_pos, g_cat, g_crowd,
                p_cat, g_id, n_p, n_p_key, where) -> None:
        pg = np.concatenate([p[0] for p in pairs])
        pp = np.concatenate([p[1] for p in pairs])
        cnt = np.concatenate([p[2] for p in pairs])
        # Merge the frames' pair tables into tube pairs (gt row -1 = VOID).
        keys, inv = np.unique((pg + 1) * n_p_key + pp, return_inverse=True)
        inter = np.bincount(inv.reshape(-1), weights=cnt, minlength=keys.size).astype(np.int64)
        pg, pp = keys // n_p_key - 1, keys % n_p_key

        p_void = np.zeros(n_p, dtype=np.int64)
        p_void[pp[pg < 0]] = inter[pg < 0]
        on_gt = pg >= 0
        # The reference keeps, per category, the last crowd tube in order of first appearance
        # within the window (frame, then segments_info position).
        crowd_rows = np.flatnonzero(g_crowd & g_present)
        first = present[s:s + k, crowd_rows].argmax(axis=0)
        order = np.lexsort((g_pos[s + first, crowd_rows], first))
        match_segments(
            stat,
            GTSegments(cat=g_cat, crowd=g_crowd, area=g_area, rank=g_id,
                       crowd_region=last_crowd_rows(crowd_rows[order], g_cat, g_area.size),
                       counted=g_present),
            PredSegments(cat=p_cat, area=p_area, void=p_void, counted=p_area > 0),
            pg[on_gt], pp[on_gt], inter[on_gt], where=where)


def vpq_video_stats(gt_ids: Sequence[np.ndarray], gt_segments: Sequence[Sequence[Mapping]],
                    pred_ids: Sequence[np.ndarray], pred_segments: Sequence[Sequence[Mapping]],
                    categories: Mapping[int, Mapping], *,
                    windows: Sequence[int] = DEFAULT_WINDOWS, video: str = '',
                    frame_names: Sequence[str] | None = None,
                    gt_area: str = 'json') -> dict[int, PQStat]:
    """VPQ sums of one video.

    Args:
        gt_ids, pred_ids: T id maps ``(H, W)`` in time order (0 = VOID); a prediction id is the
            same object in every frame.
        gt_segments, pred_segments: T ``segments_info`` lists (see :meth:`add_frame`).
        categories: ``{category_id: {'isthing': 0/1, ...}}``.
        windows: window sizes k.
        video, frame_names: names used in error messages (frame_names default: frame indices).
        gt_area: see :class:`VideoTubeAccumulator`.
    Returns:
        ``{k: PQStat}``; for a video shorter than k, an empty PQStat.
    """
    n = len(gt_ids)
    if not (len(gt_segments) == len(pred_ids) == len(pred_segments) == n):
        raise ValueError(f'video {video!r}: {n} GT maps, {len(gt_segments)} GT segment lists, '
                         f'{len(pred_ids)} prediction maps and {len(pred_segments)} prediction '
                         f'segment lists; one of each per frame is needed')
    names = list(frame_names) if frame_names is not None else [f'frame {i}' for i in range(n)]
    acc = VideoTubeAccumulator(categories, video=video, gt_area=gt_area)
    for i in range(n):
        acc.add_frame(gt_ids[i], gt_segments[i], pred_ids[i], pred_segments[i], frame=names[i])
    return acc.window_stats(windows)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def vpq_summary(stats: Mapping[int, PQStat], categories: Mapping[int, Mapping], *,
                omg_windows: Sequence[int] = OMG_WINDOWS) -> dict:
    """Per-window PQ and the VPQ means (fractions in [0, 1]).

    Args:
        stats: ``{k: PQStat}`` summed over all videos.
        categories: ``{category_id: {'isthing': 0/1, ...}}``.
        omg_windows: windows of ``VPQ_omg`` (only reported when all of them are in ``stats``).
    Returns:
        ``{'VPQ': mean All pq over windows, 'VPQ_omg': same over omg_windows,
        'windows': {'k': {'All'|'Things'|'Stuff': {'pq', 'sq', 'rq', 'n'}}}}``; windows with
        ``n = 0`` (nothing counted) are left out of the means.
    """
    windows = {}
    for k in sorted(stats):
        summary = pq_summary(stats[k], categories)
        windows[str(k)] = {part: summary[part] for part in ('All', 'Things', 'Stuff')}
    out = {'VPQ': window_mean({'windows': windows}, 'All')}
    if omg_windows and all(int(k) in stats for k in omg_windows):
        out['VPQ_omg'] = window_mean({'windows': windows}, 'All', omg_windows)
    out['windows'] = windows
    return out


def window_mean(summary: Mapping, part: str = 'All',
                windows: Sequence[int] | None = None) -> float:
    """Mean ``pq`` of ``part`` ('All', 'Things', 'Stuff') over windows with ``n > 0``."""
    keys = summary['windows'] if windows is None else [str(k) for k in windows]
    return _mean([summary['windows'][k][part]['pq'] for k in keys
                  if summary['windows'][k][part]['n'] > 0])


def format_vpq_table(summary: Mapping) -> str:
    """One row per window (PQ, SQ, RQ, N of All; PQ of Things and Stuff, x100) and the means."""
    header = (f'{"k":>4s} | {"PQ":>7s} {"SQ":>7s} {"RQ":>7s} {"N":>4s} | {"PQ_th":>7s} '
              f'{"PQ_st":>7s}')
    lines = [header, '-' * 55]
    for k, res in summary['windows'].items():
        a = res['All']
        lines.append(f'{k:>4s} | {100 * a["pq"]:7.3f} {100 * a["sq"]:7.3f} {100 * a["rq"]:7.3f} '
                     f'{a["n"]:4d} | {100 * res["Things"]["pq"]:7.3f} '
                     f'{100 * res["Stuff"]["pq"]:7.3f}')
    lines.append('-' * 55)
    things = 100 * window_mean(summary, 'Things')
    lines.append(f'VPQ {100 * summary["VPQ"]:.3f} (things {things:.3f}'
                 f', stuff {100 * window_mean(summary, "Stuff"):.3f}; windows '
                 f'{", ".join(summary["windows"])})')
    if 'VPQ_omg' in summary:
        lines.append(f'VPQ_omg {100 * summary["VPQ_omg"]:.3f} (OMG-Seg windows)')
    return '\n'.join(lines)
