"""Small pieces the dataset converters share (numpy only, cheap to import from tools)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from multiprocessing import Pool

import numpy as np


class ConversionError(ValueError):
    """Bad or missing converter input; the message names the file and the fix."""


def run_cli(convert_call: Callable[[], object]) -> int:
    """A converter's ``main``: 0 on success; a :class:`ConversionError` is printed as one line
    (no traceback) and gives exit code 2."""
    try:
        convert_call()
    except ConversionError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0


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


def convert_panoptic_split(jobs: list, convert_one, out_json, categories: list[dict], *,
                           nproc: int, split: str, log=print, chunksize: int = 4,
                           progress: bool = True) -> None:
    """Run ``convert_one(job) -> (image entry, annotation entry)`` over ``jobs`` (in ``nproc``
    processes, order kept) and write the COCO-panoptic json ``out_json``; ``progress`` shows
    a bar over images on stderr when it is a terminal."""
    import json
    from pathlib import Path

    from omgseg.utils.progress import progress_bar

    images, annotations = [], []
    with worker_pool(nproc) as pool:
        for image, ann in progress_bar(pool.imap(convert_one, jobs, chunksize=chunksize),
                                       total=len(jobs), desc=split, unit='image',
                                       enabled=progress):
            images.append(image)
            annotations.append(ann)
    out_json = Path(out_json)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    with open(out_json, 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f,
                  separators=(',', ':'))
    log(f'{split}: {len(images)} images, {sum(len(a["segments_info"]) for a in annotations)} '
        f'segments -> {out_json}')
