"""Panoptic quality sums per category (:class:`PQStat`) and their class averages.

The sums are panopticapi's ``PQStat``: per category the matched IoUs and the TP / FP / FN counts.
They merge with ``+`` across images, windows, worker processes and ranks.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class PQStatCat:
    """Sums for one category: ``iou`` (sum of matched IoUs), ``tp``, ``fp``, ``fn`` counts."""
    iou: float = 0.0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: PQStatCat) -> PQStatCat:
        self.iou += other.iou
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self


class PQStat:
    """Per-category PQ sums keyed by category id; ``+=``/``+`` merge (processes, ranks); picklable.

    ``stat[cat_id]`` returns (creating if needed) that category's :class:`PQStatCat`.
    """

    def __init__(self) -> None:
        self.pq_per_cat: dict[int, PQStatCat] = {}

    def __getitem__(self, cat_id: int) -> PQStatCat:
        return self.pq_per_cat.setdefault(int(cat_id), PQStatCat())

    def __setitem__(self, cat_id: int, value: PQStatCat) -> None:  # completes `stat[c] += x`
        self.pq_per_cat[int(cat_id)] = value

    def __contains__(self, cat_id: object) -> bool:
        return cat_id in self.pq_per_cat

    def __iadd__(self, other: PQStat) -> PQStat:
        for cat_id, cat_stat in other.pq_per_cat.items():
            self[cat_id] += cat_stat
        return self

    def __add__(self, other: PQStat) -> PQStat:
        out = PQStat()
        out += self
        out += other
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PQStat) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f'PQStat({self.to_dict()})'

    @classmethod
    def sum(cls, stats: Iterable[PQStat]) -> PQStat:
        """Merge many stats (e.g. the list gathered from all ranks or worker processes)."""
        out = cls()
        for stat in stats:
            out += stat
        return out

    def add_counts(self, field: str, cats: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add 1 (or ``weights``) to ``field`` of each category in ``cats`` ``(N,)``.

        ``field`` is ``'tp'``, ``'fp'``, ``'fn'`` (counts) or ``'iou'`` (with ``weights``).
        """
        if cats.size == 0:
            return
        uniq, inv = np.unique(cats, return_inverse=True)
        # bincount sums in input order, so IoUs add up in the order the caller gives them
        sums = np.bincount(inv.reshape(-1), weights=weights, minlength=uniq.size)
        for cat_id, value in zip(uniq.tolist(), sums.tolist()):
            cat_stat = self[cat_id]
            setattr(cat_stat, field,
                    getattr(cat_stat, field) + (value if weights is not None else int(value)))

    def to_dict(self) -> dict[int, dict[str, float]]:
        """Plain ``{cat_id: {iou, tp, fp, fn}}`` (sorted, all-zero categories dropped)."""
        return {c: dict(iou=s.iou, tp=s.tp, fp=s.fp, fn=s.fn)
                for c, s in sorted(self.pq_per_cat.items()) if s.tp or s.fp or s.fn or s.iou}

    @classmethod
    def from_dict(cls, data: Mapping[Any, Mapping[str, float]]) -> PQStat:
        out = cls()
        for cat_id, d in data.items():
            out[int(cat_id)] += PQStatCat(float(d['iou']), int(d['tp']), int(d['fp']), int(d['fn']))
        return out

    def pq_average(self, categories: Mapping[int, Mapping], isthing: bool | None = None):
        """See :func:`pq_average`."""
        return pq_average(self, categories, isthing)


def pq_average(stat: PQStat, categories: Mapping[int, Mapping], isthing: bool | None = None):
    """Average PQ over ``categories`` (all if ``isthing`` is None, else things/stuff only).

    Returns:
        ``({'pq', 'sq', 'rq': float in [0, 1], 'n': int}, {cat_id: {'pq', 'sq', 'rq'}})``.
        Classes with TP + FP + FN = 0 get zeros in the per-class dict and are not counted in
        ``n`` or the mean (panopticapi); with ``n = 0`` the means are 0.0.
    """
    pq = sq = rq = 0.0
    n = 0
    per_class: dict[int, dict[str, float]] = {}
    for cat_id, info in categories.items():
        if isthing is not None and (info['isthing'] == 1) != isthing:
            continue
        s = stat.pq_per_cat.get(int(cat_id), PQStatCat())
        if s.tp + s.fp + s.fn == 0:
            per_class[cat_id] = {'pq': 0.0, 'sq': 0.0, 'rq': 0.0}
            continue
        n += 1
        denom = s.tp + 0.5 * s.fp + 0.5 * s.fn
        pq_c, sq_c, rq_c = s.iou / denom, (s.iou / s.tp if s.tp else 0.0), s.tp / denom
        per_class[cat_id] = {'pq': pq_c, 'sq': sq_c, 'rq': rq_c}
        pq, sq, rq = pq + pq_c, sq + sq_c, rq + rq_c
    if n == 0:
        return {'pq': 0.0, 'sq': 0.0, 'rq': 0.0, 'n': 0}, per_class
    return {'pq': pq / n, 'sq': sq / n, 'rq': rq / n, 'n': n}, per_class
