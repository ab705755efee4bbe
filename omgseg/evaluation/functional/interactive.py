"""Interactive-segmentation metrics (numpy only): mask IoU, simulated clicks and NoC.

The COCO-SAM number of OMG-Seg is the mean IoU of one prediction per GT segment, prompted by
the segment's interior-most point (:func:`interior_point`). Multi-click metrics (NoC@85,
NoC@90, as SEEM / RAP-SAM / RITM report them) use :func:`next_click`: each new click goes to
the centre of the largest error region, positive for a missed region, negative for a spurious
one. All IoUs and thresholds are fractions in [0, 1].

scipy is imported lazily so command-line tools that import ``omgseg.evaluation.functional``
start fast.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from omgseg.structures.mask_geometry import interior_point

DEFAULT_NOC_THRESHOLDS = (0.85, 0.90)


def _as_mask(x, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f'interactive: {name} must be a 2-D (H, W) mask, got shape {arr.shape}.')
    if shape is not None and arr.shape != shape:
        raise ValueError(f'interactive: {name} has shape {arr.shape} but the ground truth has '
                         f'{shape}; resize the prediction to the ground-truth size first.')
    return arr.astype(bool, copy=False)


def mask_iou(pred, gt, void=None) -> float:
    """Intersection over union of two (H, W) masks, ignoring ``void`` pixels.

    Returns 1.0 when both masks are empty (outside void): nothing to find, nothing found.
    """
    g = _as_mask(gt, 'gt')
    p = _as_mask(pred, 'pred', g.shape)
    if void is not None:
        keep = ~_as_mask(void, 'void', g.shape)
        p, g = p & keep, g & keep
    union = np.count_nonzero(p | g)
    if union == 0:
        return 1.0
    return np.count_nonzero(p & g) / union


def next_click(pred, gt, void=None, criterion: str = 'area') -> tuple[int, int, bool] | None:
    """Where a simulated user clicks next to correct ``pred`` towards ``gt``.

    Error regions are the 4-connected components of the false negatives (``gt & ~pred``) and
    of the false positives (``pred & ~gt``), void pixels excluded. The click lands on the
    interior-most pixel (:func:`interior_point`) of the chosen region.

    Args:
        pred, gt: (H, W) bool masks.
        void: optional (H, W) bool mask of pixels that are never errors.
        criterion: ``'area'`` picks the region with the most pixels (ties: false negative
            first, then the region met first in row-major order); ``'distance'`` is the RITM
            rule: the error pixel farthest from any non-error pixel over all false negatives
            and false positives (ties: false negative).

    Returns:
        (x, y, positive), positive True for a false-negative region (add this pixel), or
        ``None`` when there is no error pixel.
    """
    from scipy.ndimage import distance_transform_edt, label
    g = _as_mask(gt, 'gt')
    p = _as_mask(pred, 'pred', g.shape)
    fn, fp = g & ~p, p & ~g
    if void is not None:
        keep = ~_as_mask(void, 'void', g.shape)
        fn, fp = fn & keep, fp & keep
    if not (fn.any() or fp.any()):
        return None
    if criterion == 'distance':
        dists = [distance_transform_edt(np.pad(e, 1))[1:-1, 1:-1] for e in (fn, fp)]
        positive = dists[0].max() >= dists[1].max()
        x, y = interior_point(fn if positive else fp)
        return x, y, bool(positive)
    if criterion != 'area':
        raise ValueError(f"next_click: criterion must be 'area' or 'distance', "
                         f'got {criterion!r}.')
    best: tuple[int, bool, np.ndarray] | None = None
    for positive, err in ((True, fn), (False, fp)):
        labels, n = label(err)
        if n == 0:
            continue
        sizes = np.bincount(labels.ravel())[1:]
        k = int(np.argmax(sizes))   # first largest component in row-major order
        if best is None or sizes[k] > best[0]:
            best = (int(sizes[k]), positive, labels == k + 1)
    _, positive, region = best
    x, y = interior_point(region)
    return x, y, positive


def noc(ious: Sequence[float], thr: float, max_clicks: int = 20) -> int:
    """Number of clicks needed to reach IoU >= ``thr``.

    Args:
        ious: IoU after click 1, 2, ... (entries beyond ``max_clicks`` are ignored).
        thr: IoU threshold as a fraction, e.g. 0.85.
        max_clicks: returned when the threshold is never reached within the clicks given.
    """
    if not 0.0 < thr <= 1.0:
        raise ValueError(f'noc: thr must be a fraction in (0, 1], got {thr!r} '
                         f'(write 0.85, not 85).')
    if max_clicks < 1:
        raise ValueError(f'noc: max_clicks must be >= 1, got {max_clicks!r}.')
    if len(ious) == 0:
        raise ValueError('noc: no IoUs given; need the IoU after at least the first click.')
    for k, iou in enumerate(list(ious)[:max_clicks]):
        if iou >= thr:
            return k + 1
    return max_clicks


def _noc_key(thr: float) -> str:
    return f'NoC@{round(thr * 100):d}'


def interactive_summary(ious_per_object: Sequence[Sequence[float]], max_clicks: int = 20,
                        thresholds: Sequence[float] = DEFAULT_NOC_THRESHOLDS) -> dict:
    """Aggregate per-object click sequences.

    Args:
        ious_per_object: for every object, its IoUs after click 1, 2, ... (a single-click
            evaluation such as COCO-SAM gives lists of length 1; their NoC is then 1 or
            ``max_clicks``).
        max_clicks: NoC cap.
        thresholds: NoC thresholds as fractions.

    Returns:
        ``{'mIoU': mean first-click IoU, 'NoC@85': mean NoC, 'NoC@90': ..., 'num_objects': N}``
        (one ``NoC@xx`` key per threshold).
    """
    seqs = [list(s) for s in ious_per_object]
    if not seqs:
        raise ValueError('interactive_summary: no objects to summarise.')
    for i, s in enumerate(seqs):
        if not s:
            raise ValueError(f'interactive_summary: object {i} has no IoU (needs >= 1 click).')
    out = {'mIoU': float(np.mean([s[0] for s in seqs]))}
    for thr in thresholds:
        out[_noc_key(thr)] = float(np.mean([noc(s, thr, max_clicks) for s in seqs]))
    out['num_objects'] = len(seqs)
    return out


def simulate_clicks(predict: Callable[[list[tuple[int, int, bool]]], np.ndarray], gt,
                    max_clicks: int = 20, void=None, stop_iou: float | None = None,
                    criterion: str = 'area') -> list[float]:
    """Run the click protocol for one object.

    The first click is the interior-most point of ``gt`` (positive); each later click is
    :func:`next_click` on the previous prediction.

    Args:
        predict: maps the clicks so far, a list of (x, y, positive), to an (H, W) bool mask.
        gt: (H, W) bool ground-truth mask (non-empty).
        max_clicks: clicks to simulate at most.
        void: optional (H, W) pixels ignored by IoU and click placement.
        stop_iou: stop early once this IoU is reached (later clicks would not change NoC at
            thresholds <= ``stop_iou``).
        criterion: see :func:`next_click`.

    Returns:
        IoU after each click (length <= ``max_clicks``; shorter when stopped early or when the
        prediction is already perfect).
    """
    g = _as_mask(gt, 'gt')
    clicks = [(*interior_point(g), True)]
    ious: list[float] = []
    while True:
        pred = _as_mask(predict(list(clicks)), 'predict(...) result', g.shape)
        ious.append(mask_iou(pred, g, void))
        if len(clicks) >= max_clicks or (stop_iou is not None and ious[-1] >= stop_iou):
            return ious
        click = next_click(pred, g, void, criterion)
        if click is None:
            return ious
        clicks.append(click)


Click = tuple[int, int, bool]


def combine_click_masks(masks: Sequence[np.ndarray], clicks: Sequence[Click]) -> np.ndarray:
    """One object's mask from per-click masks, for a model with one query per click.

    Args:
        masks: one (H, W) bool mask per click.
        clicks: the (x, y, positive) clicks, in the order of ``masks``.

    Returns:
        (H, W) bool: union of the positive clicks' masks minus the negative clicks' masks.
    """
    pos = np.zeros(masks[0].shape, bool)
    neg = np.zeros(masks[0].shape, bool)
    for mask, (_, _, positive) in zip(masks, clicks):
        if positive:
            pos |= mask
        else:
            neg |= mask
    return pos & ~neg


def simulate_objects(predict: Callable[[list[list[Click]]], list[np.ndarray]],
                     gts: Sequence[np.ndarray], max_clicks: int = 20,
                     stop_iou: float | None = max(DEFAULT_NOC_THRESHOLDS),
                     criterion: str = 'area') -> list[list[float]]:
    """:func:`simulate_clicks` for several objects of one image, in lock-step rounds.

    One ``predict`` call per round serves every still-active object, which lets a model
    whose prompts attend only to themselves run all objects in one forward.

    Args:
        predict: maps the click lists of the objects still active (one list of (x, y,
            positive) per object) to one (H, W) bool mask per object.
        gts: (H, W) bool GT masks, non-empty.
        max_clicks, stop_iou, criterion: as :func:`simulate_clicks`.

    Returns:
        per object, its IoU after each click.
    """
    clicks = [[(*interior_point(g), True)] for g in gts]
    ious: list[list[float]] = [[] for _ in gts]
    active = list(range(len(gts)))
    while active:
        preds = predict([list(clicks[i]) for i in active])
        if len(preds) != len(active):
            raise ValueError(f'predict returned {len(preds)} masks for {len(active)} objects.')
        still = []
        for i, pred in zip(active, preds):
            ious[i].append(mask_iou(pred, gts[i]))
            if len(clicks[i]) >= max_clicks or (stop_iou is not None and ious[i][-1] >= stop_iou):
                continue
            click = next_click(pred, gts[i], criterion=criterion)
            if click is not None:
                clicks[i].append(click)
                still.append(i)
        active = still
    return ious
