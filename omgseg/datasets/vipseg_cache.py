"""Per-frame segment index of VIPSeg panomasks, cached on disk (numpy/Pillow only).

Reading every 16-bit panomask to know its segments takes minutes on the full dataset, so the
index is built once, in parallel, and stored as json under ``<data_root>/.omgseg_cache/``.
It stores *raw panomask values* (not labels), so one cache serves every vocabulary.

Staleness: the cache records a signature of the split's panomask files (relative path, size,
mtime_ns); a differing signature rebuilds it. Several processes (ranks, dataloader
restarts) may load at once: building happens under an exclusive file lock and the file is
replaced atomically, so readers never see a half-written cache.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import os.path as osp
import time

import numpy as np
from PIL import Image

CACHE_VERSION = 1
CACHE_DIRNAME = '.omgseg_cache'


def read_panomask(path: str) -> np.ndarray:
    """(H, W) int64 panomask values of a single-channel (16-bit) PNG."""
    try:
        with Image.open(path) as im:
            values = np.asarray(im)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'panomask {path} does not exist.') from err
    except OSError as err:
        raise ValueError(f'panomask {path} cannot be decoded ({err}); replace the file.') from err
    if values.ndim != 2:
        raise ValueError(f'{path}: expected a single-channel (16-bit) VIPSeg panomask, got '
                         f'shape {values.shape}')
    return values.astype(np.int64)


def frame_segments(path: str) -> tuple[int, int, list[list[int]]]:
    """Segments of one panomask.

    Returns:
        height, width and one ``[value, area, x1, y1, x2, y2]`` per non-zero value (box in
        pixels, x2/y2 exclusive).
    """
    values = read_panomask(path)
    h, w = values.shape[:2]
    segments = []
    uniq, counts = np.unique(values, return_counts=True)
    for value, count in zip(uniq.tolist(), counts.tolist()):
        if value == 0:
            continue
        ys, xs = np.nonzero(values == value)
        segments.append([int(value), int(count), int(xs.min()), int(ys.min()),
                         int(xs.max()) + 1, int(ys.max()) + 1])
    return h, w, segments


def split_signature(root: str, rel_paths: list[str]) -> str:
    """sha1 of (relative path, size, mtime_ns) of the given files under ``root``."""
    sha = hashlib.sha1()
    for rel in sorted(rel_paths):
        st = os.stat(osp.join(root, rel))
        sha.update(f'{rel}\0{st.st_size}\0{st.st_mtime_ns}\n'.encode())
    return sha.hexdigest()


def _read_cache(path: str, signature: str) -> dict | None:
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            cache = json.load(f)
    except (OSError, ValueError):
        return None  # unreadable: treated as stale and rebuilt
    if cache.get('version') != CACHE_VERSION or cache.get('signature') != signature:
        return None
    return cache['frames']


def _segments_job(args: tuple[str, str]) -> tuple[str, tuple]:
    root, rel = args
    return rel, frame_segments(osp.join(root, rel))


def build_index(root: str, rel_paths: list[str], nproc: int) -> dict[str, list]:
    """``rel path -> [h, w, segments]`` for every file, with ``nproc`` processes."""
    jobs = [(root, rel) for rel in rel_paths]
    if nproc <= 1:
        return {rel: list(seg) for rel, seg in map(_segments_job, jobs)}
    # fork keeps start-up cheap (no re-import of the caller); workers only use numpy/Pillow
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context('fork' if 'fork' in methods else None)
    with ctx.Pool(nproc) as pool:
        out = pool.map(_segments_job, jobs, chunksize=max(1, len(jobs) // (nproc * 8)))
    return {rel: list(seg) for rel, seg in out}


class _FileLock:
    """Exclusive advisory lock on ``path`` (POSIX ``flock``; a no-op where unavailable)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fh = None

    def __enter__(self) -> _FileLock:
        self._fh = open(self.path, 'a+')
        try:
            import fcntl
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        except ImportError:  # not POSIX: single-process use only
            pass
        return self

    def __exit__(self, *exc) -> None:
        try:
            import fcntl
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        except ImportError:
            pass
        self._fh.close()


def load_or_build(cache_path: str, root: str, rel_paths: list[str], nproc: int = 8,
                  log=print) -> tuple[dict[str, list], bool]:
    """The segment index of ``rel_paths`` (panomasks under ``root``), cached at ``cache_path``.

    Args:
        cache_path: json file; its folder is created.
        root: panomask folder the relative paths start from.
        rel_paths: ``<video>/<frame>.png`` of the split.
        nproc: worker processes used when (re)building.
        log: called with one line when the cache is (re)built.

    Returns:
        the index (``rel -> [h, w, [[value, area, x1, y1, x2, y2], ...]]``) and whether this
        call built it.
    """
    signature = split_signature(root, rel_paths)
    frames = _read_cache(cache_path, signature)
    if frames is not None:
        return frames, False
    os.makedirs(osp.dirname(cache_path) or '.', exist_ok=True)
    with _FileLock(cache_path + '.lock'):
        # another process may have built it while this one waited for the lock
        frames = _read_cache(cache_path, signature)
        if frames is not None:
            return frames, False
        reason = 'is stale (panomask files changed)' if osp.isfile(cache_path) else 'is missing'
        log(f'VIPSeg segment cache {cache_path} {reason}; indexing {len(rel_paths)} panomasks '
            f'with {nproc} process(es).')
        start = time.time()
        frames = build_index(root, rel_paths, nproc)
        tmp = f'{cache_path}.tmp.{os.getpid()}'
        with open(tmp, 'w') as f:
            json.dump(dict(version=CACHE_VERSION, signature=signature, frames=frames), f)
        os.replace(tmp, cache_path)
        log(f'VIPSeg segment cache written in {time.time() - start:.1f} s.')
    return frames, True
