"""Small pieces the dataset converters share (numpy only, cheap to import from tools)."""
from __future__ import annotations

from multiprocessing import Pool

import numpy as np


def segment_box(mask: np.ndarray) -> list[int]:
    """COCO ``[x, y, w, h]`` of a non-empty bool ``(H, W)`` mask."""
    cols, rows = np.flatnonzero(mask.any(0)), np.flatnonzero(mask.any(1))
    return [int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)]


class SerialPool:
    """``Pool`` stand-in running in this process (nproc=1: no fork, exact tracebacks)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def imap(fn, jobs, chunksize=1):
        return map(fn, jobs)


def worker_pool(nproc: int):
    """A ``multiprocessing.Pool`` of ``nproc`` workers, or :class:`SerialPool` for one."""
    return Pool(nproc) if nproc > 1 else SerialPool()
