"""YouTube-VIS mask AP/AR with exactly the rules of youtubevos/cocoapi ``ytvoseval.py``.

Written from the definition (COCOeval's algorithm with spatio-temporal IoU); numpy and
pycocotools only, so command-line tools start without torch.

Rules (``ytvoseval.py``, the CodaLab scorer):
  * Evaluation runs per (video, category) over the GT's videos and categories: detections sorted
    by score (stable, results-file order breaks ties) and cut at 100; greedy matching per IoU
    threshold 0.50:0.05:0.95 (>= threshold; among equal IoUs the later GT wins; a detection that
    found a non-ignored GT never falls back to an ignored one); 101 recall points, precision
    envelope, maxDets 1 / 10 / 100; categories without non-ignored GT are left out of the means
    (-1 when nothing is left, e.g. APs with no small object).
  * IoU = sum over frames of intersection / sum over frames of union; a frame where only one side
    has a mask adds that mask's area to the union (so an object that vanishes still counts).
  * Area ranges use an object's average area over the frames where it has a non-zero area:
    GT from the annotation's ``areas`` list, detections from their masks. all [0, 1e10],
    small [0, 128^2], medium [128^2, 256^2], large [256^2, 1e10] (bounds inclusive).
  * ``iscrowd`` GT are ignored and may absorb any number of detections, as in COCOeval, but
    unlike COCOeval their IoU is the plain spatio-temporal IoU (ytvoseval never uses the crowd
    IoU ``inter / |det|``); YouTube-VIS GT has no crowd objects, so this only matters for
    custom data.

Deliberate differences, on malformed input only: clear ValueErrors for unknown videos or
categories, wrong frame counts, mask sizes that differ from the video, duplicate GT ids, and
non-finite scores (ytvoseval asserts, crashes deep inside pycocotools or scores silently).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from pycocotools import mask as mask_utils

from omgseg.utils.progress import progress_bar

# the JSON / submission-zip side, re-exported here for existing callers
from .ytvis_io import load_ytvis_json, write_ytvis_results, write_ytvis_submission  # noqa: F401

IOU_THRS = np.linspace(0.5, 0.95, 10)
REC_THRS = np.linspace(0.0, 1.0, 101)
MAX_DETS = (1, 10, 100)
AREA_RANGES = ((0.0, 1e10), (0.0, 128.0 ** 2), (128.0 ** 2, 256.0 ** 2), (256.0 ** 2, 1e10))
STAT_NAMES = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl',
              'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl')
REPORTED_STATS = STAT_NAMES[:8]


@dataclass
class _Video:
    id: int
    height: int
    width: int
    length: int


@dataclass
class _Track:
    """One GT object or detection: per-frame RLEs (``None`` where absent) and pixel areas."""
    rles: list
    frame_areas: np.ndarray  # (T,) float64 mask areas, 0 where absent
    avg_area: float
    score: float = 0.0
    crowd: bool = False


@dataclass
class _VideoCategory:
    """Per-area-range matching results of one (video, category), in score order."""
    scores: np.ndarray                       # (D,)
    matched: list = field(default_factory=list)   # per area range: (T, D) bool
    ignored: list = field(default_factory=list)   # per area range: (T, D) bool
    num_pos: list = field(default_factory=list)   # per area range: non-ignored GT count


def _area_mean(areas: list) -> float:
    present = [a for a in areas if a]  # ytvoseval: None and 0 areas do not count
    return float(np.array(present).mean()) if present else 0.0


def _to_rle(seg, video: _Video, where: str, allow_polygon: bool) -> dict:
    """Compressed RLE of one frame's mask; raises ValueError naming ``where`` if malformed."""
    h, w = video.height, video.width
    if isinstance(seg, list):
        if not allow_polygon:
            raise ValueError(f'{where}: results must hold RLE dicts or null per frame, '
                             f'got a polygon list')
        return mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
    if not isinstance(seg, dict) or 'counts' not in seg or 'size' not in seg:
        raise ValueError(f'{where}: expected an RLE dict with "size" and "counts" or null, '
                         f'got {type(seg).__name__}')
    size = seg['size']
    if len(size) != 2 or size[0] != h or size[1] != w:
        raise ValueError(f'{where}: mask size {list(size)} differs from the video size '
                         f'[{h}, {w}] (masks must be at the original resolution)')
    counts = seg['counts']
    if isinstance(counts, (str, bytes)):
        return seg  # used read-only
    if isinstance(counts, list) and allow_polygon:
        return mask_utils.frPyObjects(seg, h, w)
    raise ValueError(f'{where}: RLE counts must be a str or bytes (compressed RLE), got '
                     f'{type(counts).__name__}')


def _make_track(segs, video: _Video, where: str, allow_polygon: bool) -> _Track:
    if not isinstance(segs, list) or len(segs) != video.length:
        n = len(segs) if isinstance(segs, list) else type(segs).__name__
        raise ValueError(f'{where}: "segmentations" must list one entry per frame '
                         f'({video.length} for video {video.id}), got {n}')
    rles = [_to_rle(s, video, f'{where} frame {f}', allow_polygon) if s else None
            for f, s in enumerate(segs)]
    frame_areas = np.zeros(video.length)
    present = [f for f, r in enumerate(rles) if r is not None]
    if present:
        try:
            frame_areas[present] = mask_utils.area([rles[f] for f in present])
        except Exception as exc:  # pycocotools raises bare errors on corrupt counts
            raise ValueError(f'{where}: cannot decode its RLE masks ({exc})') from exc
    return _Track(rles=rles, frame_areas=frame_areas,
                  avg_area=_area_mean([frame_areas[f] if rles[f] else None
                                       for f in range(video.length)]))


def index_ytvis_gt(gt: dict, source: str = 'GT json') -> tuple[dict, list, dict]:
    """Validate an official YouTube-VIS annotation dict.

    Returns ``(videos {id: _Video}, sorted category ids, {(video_id, cat_id): [_Track]})``;
    GT tracks keep annotation order.
    """
    for key in ('videos', 'categories'):
        if not isinstance(gt.get(key), list):
            raise ValueError(f'{source} has no "{key}" list; is it a YouTube-VIS json?')
    videos = {}
    for k, v in enumerate(gt['videos']):
        length = v.get('length', len(v.get('file_names') or []))
        if not all(key in v for key in ('id', 'height', 'width')) or not length:
            raise ValueError(f'{source} video {k} needs "id", "height", "width" and "length" '
                             f'(or "file_names"), got keys {sorted(v)}')
        if v['id'] in videos:
            raise ValueError(f'{source}: duplicate video id {v["id"]}')
        videos[v['id']] = _Video(v['id'], int(v['height']), int(v['width']), int(length))
    cat_ids = sorted({c['id'] for c in gt['categories']})
    gts: dict = defaultdict(list)
    seen_ids = set()
    for k, ann in enumerate(gt.get('annotations') or []):
        where = f'{source} annotation {k} (id {ann.get("id")})'
        if ann.get('id') in seen_ids:
            raise ValueError(f'{where}: duplicate annotation id')
        seen_ids.add(ann.get('id'))
        if ann.get('video_id') not in videos:
            raise ValueError(f'{where}: unknown video_id {ann.get("video_id")}')
        if ann.get('category_id') not in cat_ids:
            raise ValueError(f'{where}: category_id {ann.get("category_id")} is not in '
                             f'"categories"')
        video = videos[ann['video_id']]
        track = _make_track(ann.get('segmentations'), video, where, allow_polygon=True)
        if 'areas' in ann:  # ytvoseval ranks GT by the json's areas, not the masks'
            if len(ann['areas']) != video.length:
                raise ValueError(f'{where}: "areas" has {len(ann["areas"])} entries, the '
                                 f'video {video.length} frames')
            track.avg_area = _area_mean(ann['areas'])
        track.crowd = bool(ann.get('iscrowd', 0))
        gts[ann['video_id'], ann['category_id']].append(track)
    return videos, cat_ids, dict(gts)


def index_ytvis_results(results: list, videos: dict, cat_ids: list,
                        source: str = 'results') -> dict:
    """Validate result entries; ``{(video_id, cat_id): [_Track]}`` sorted by score, cut at 100."""
    if not isinstance(results, list):
        raise ValueError(f'{source} must hold a list of result dicts, got '
                         f'{type(results).__name__}')
    cats = set(cat_ids)
    dts: dict = defaultdict(list)
    for k, res in enumerate(results):
        where = f'{source} entry {k}'
        if not isinstance(res, dict):
            raise ValueError(f'{where}: expected a dict, got {type(res).__name__}')
        for key in ('video_id', 'score', 'category_id', 'segmentations'):
            if key not in res:
                raise ValueError(f'{where}: missing key "{key}"')
        if res['video_id'] not in videos:
            raise ValueError(f'{where}: video_id {res["video_id"]} is not a video of the GT '
                             f'(results of another split or dataset?)')
        if res['category_id'] not in cats:
            raise ValueError(f'{where}: category_id {res["category_id"]} is not a GT category '
                             f'(known: {cat_ids[:10]}{"..." if len(cat_ids) > 10 else ""})')
        score = float(res['score'])
        if not math.isfinite(score):
            raise ValueError(f'{where}: score {res["score"]} is not finite')
        track = _make_track(res['segmentations'], videos[res['video_id']], where,
                            allow_polygon=False)
        track.score = score
        dts[res['video_id'], res['category_id']].append(track)
    # sorted() is stable, like ytvoseval's mergesort on -score
    return {key: sorted(ds, key=lambda d: -d.score)[:MAX_DETS[-1]] for key, ds in dts.items()}


def spatiotemporal_iou(dts: list, gts: list) -> np.ndarray:
    """(D, G) float64 sum-over-frames intersection / sum-over-frames union of two track lists.

    Intersections come from pycocotools' RLE IoU with every GT flagged crowd (then the value
    is ``inter / |det|``, so ``inter = round(iou * |det|)`` exactly); nothing is decoded.
    """
    inter = np.zeros((len(dts), len(gts)))
    if not dts or not gts:
        return inter
    for f in range(len(dts[0].rles)):
        di = [i for i, d in enumerate(dts) if d.rles[f] is not None]
        gi = [j for j, g in enumerate(gts) if g.rles[f] is not None]
        if di and gi:
            o = mask_utils.iou([dts[i].rles[f] for i in di], [gts[j].rles[f] for j in gi],
                               [1] * len(gi))
            d_area = np.array([dts[i].frame_areas[f] for i in di])
            inter[np.ix_(di, gi)] += np.rint(np.asarray(o).reshape(len(di), len(gi))
                                             * d_area[:, None])
    union = (np.array([d.frame_areas.sum() for d in dts])[:, None]
             + np.array([g.frame_areas.sum() for g in gts])[None, :] - inter)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _match(ious: np.ndarray, gt_ignore: np.ndarray, gt_crowd: np.ndarray) -> tuple:
    """Greedy COCO matching at every IoU threshold.

    Args:
        ious: (D, G) with detections in score order and GT already sorted ignored-last.
    Returns:
        ``(matched, matched_ignored)``, both (T, D) bool.
    """
    num_d, num_g = ious.shape
    matched = np.zeros((len(IOU_THRS), num_d), bool)
    matched_ig = np.zeros_like(matched)
    if num_d == 0 or num_g == 0:
        return matched, matched_ig
    rows = ious.tolist()
    ig, crowd = gt_ignore.tolist(), gt_crowd.tolist()
    # only GT with IoU >= the lowest threshold can ever match: skip the rest up front
    cands = [[g for g in range(num_g) if rows[d][g] >= IOU_THRS[0]] for d in range(num_d)]
    for t, thr in enumerate(IOU_THRS.tolist()):
        taken = [False] * num_g
        for d in range(num_d):
            best, m = min(thr, 1 - 1e-10), -1
            for g in cands[d]:
                if taken[g] and not crowd[g]:
                    continue
                if m > -1 and not ig[m] and ig[g]:
                    break  # GT are sorted ignored-last: never trade a real match for these
                if rows[d][g] < best:
                    continue
                best, m = rows[d][g], g
            if m > -1:
                matched[t, d], matched_ig[t, d], taken[m] = True, ig[m], True
    return matched, matched_ig


def _evaluate_video_category(dts: list, gts: list) -> _VideoCategory:
    ious = spatiotemporal_iou(dts, gts)
    crowd = np.array([g.crowd for g in gts], bool)
    gt_area = np.array([g.avg_area for g in gts])
    dt_area = np.array([d.avg_area for d in dts])
    out = _VideoCategory(scores=np.array([d.score for d in dts], float))
    for lo, hi in AREA_RANGES:
        gt_ig = crowd | (gt_area < lo) | (gt_area > hi)
        order = np.argsort(gt_ig, kind='mergesort')
        matched, ignored = _match(ious[:, order], gt_ig[order], crowd[order])
        # unmatched detections outside the area range are not false positives
        ignored |= ~matched & ((dt_area < lo) | (dt_area > hi))[None, :]
        out.matched.append(matched)
        out.ignored.append(ignored)
        out.num_pos.append(int((~gt_ig).sum()))
    return out


def _precision_recall(entries: list, a: int, max_det: int) -> tuple | None:
    """(T, R) precision and (T,) recall of one category, or None without positives."""
    num_pos = sum(e.num_pos[a] for e in entries)
    if num_pos == 0:
        return None
    scores = np.concatenate([e.scores[:max_det] for e in entries])
    order = np.argsort(-scores, kind='mergesort')
    matched = np.concatenate([e.matched[a][:, :max_det] for e in entries], axis=1)[:, order]
    ignored = np.concatenate([e.ignored[a][:, :max_det] for e in entries], axis=1)[:, order]
    tp = np.cumsum(matched & ~ignored, axis=1).astype(float)
    fp = np.cumsum(~matched & ~ignored, axis=1).astype(float)
    num_d = tp.shape[1]
    precision = np.zeros((len(IOU_THRS), len(REC_THRS)))
    if num_d == 0:
        return precision, np.zeros(len(IOU_THRS))
    rc = tp / num_pos
    pr = tp / (fp + tp + np.spacing(1))
    pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]  # precision envelope
    for t in range(len(IOU_THRS)):
        idx = np.searchsorted(rc[t], REC_THRS, side='left')
        ok = idx < num_d
        precision[t, ok] = pr[t, idx[ok]]
    return precision, rc[:, -1]


def ytvis_accumulate(gt: dict, results: list, source: str = 'results', *,
                     progress: bool = True) -> tuple:
    """Precision ``(T=10, R=101, K, A=4, M=3)`` and recall ``(T, K, A, M)`` (-1: no GT).

    ``progress``: a bar over videos on stderr when it is a terminal.
    """
    videos, cat_ids, gts = index_ytvis_gt(gt)
    dts = index_ytvis_results(results, videos, cat_ids, source)
    per_cat: dict = defaultdict(list)
    for vid in progress_bar(sorted(videos), desc='YT-VIS AP', unit='video', enabled=progress):
        for cat in cat_ids:
            g, d = gts.get((vid, cat), []), dts.get((vid, cat), [])
            if g or d:
                per_cat[cat].append(_evaluate_video_category(d, g))
    shape = (len(IOU_THRS), len(cat_ids), len(AREA_RANGES), len(MAX_DETS))
    precision = -np.ones(shape[:1] + (len(REC_THRS),) + shape[1:])
    recall = -np.ones(shape)
    for k, cat in enumerate(cat_ids):
        for a in range(len(AREA_RANGES)):
            for m, max_det in enumerate(MAX_DETS):
                pr_rc = _precision_recall(per_cat[cat], a, max_det) if per_cat[cat] else None
                if pr_rc is not None:
                    precision[:, :, k, a, m], recall[:, k, a, m] = pr_rc
    return precision, recall


def ytvis_summarize(precision: np.ndarray, recall: np.ndarray) -> dict[str, float]:
    """The 12 COCO-style stats (:data:`STAT_NAMES`) in [0, 1]; -1 where no GT qualifies."""
    def mean(s):
        s = s[s > -1]
        return float(np.mean(s)) if s.size else -1.0

    t50, t75 = 0, 5  # IOU_THRS[0] == 0.5, IOU_THRS[5] == 0.75
    values = [mean(precision[..., 0, 2]), mean(precision[t50, ..., 0, 2]),
              mean(precision[t75, ..., 0, 2])]
    values += [mean(precision[..., a, 2]) for a in (1, 2, 3)]
    values += [mean(recall[..., 0, m]) for m in range(3)]
    values += [mean(recall[..., a, 2]) for a in (1, 2, 3)]
    return dict(zip(STAT_NAMES, values))


def ytvis_evaluate(gt: dict, results: list, source: str = 'results', *,
                   progress: bool = True) -> dict[str, float]:
    """YouTube-VIS stats (:data:`STAT_NAMES`, in [0, 1], -1 = undefined) of ``results``.

    Args:
        gt: official annotation dict (``videos``, ``annotations``, ``categories``).
        results: ``[{"video_id", "score", "category_id", "segmentations": [RLE | None] * T}]``
            with masks at the video's size.
        source: name of the results (e.g. the file path) used in error messages.
        progress: show a bar over videos (stderr, terminals only).
    """
    return ytvis_summarize(*ytvis_accumulate(gt, results, source, progress=progress))


def format_ytvis_table(stats: dict[str, float]) -> str:
    """Two-row text table of the stats present in ``stats`` (in %, 'n/a' for -1)."""
    names = [n for n in STAT_NAMES if n in stats]
    cells = ['n/a' if stats[n] < 0 else f'{100 * stats[n]:.1f}' for n in names]
    widths = [max(len(n), len(c)) for n, c in zip(names, cells)]
    return '\n'.join(' | '.join(x.rjust(w) for x, w in zip(row, widths))
                     for row in (names, cells))
