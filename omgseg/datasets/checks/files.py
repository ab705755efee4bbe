"""File-level checks shared by the dataset checks: does a file exist, decode, and have the
expected size. Pillow and numpy only."""
from __future__ import annotations

import json
import os.path as osp

import numpy as np
from PIL import Image

from .report import DataReport


def read_json(path: str, report: DataReport, dataset: str) -> dict | None:
    """The json at ``path``, or None after recording why it cannot be read."""
    if not osp.isfile(path):
        report.add(dataset, 'missing file', path, 'annotation file')
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        report.add(dataset, 'unreadable file', path, f'not valid json ({err})')
        return None


def read_pixels(path: str, report: DataReport, dataset: str, what: str) -> np.ndarray | None:
    """Decode an image file fully ((H, W) or (H, W, C) array), or None after recording a
    missing / unreadable file."""
    if not osp.isfile(path):
        report.add(dataset, 'missing file', path, what)
        return None
    try:
        with Image.open(path) as im:
            im.load()
            return np.asarray(im)
    except (OSError, ValueError, SyntaxError) as err:
        report.add(dataset, 'unreadable file', path, f'{what} ({type(err).__name__}: {err})')
        return None


def check_size(shape: tuple[int, ...], expected: tuple[int, int], report: DataReport,
               dataset: str, where: str, what: str) -> bool:
    """Record a ``size mismatch`` when ``shape[:2]`` is not ``expected`` (H, W)."""
    if tuple(shape[:2]) == tuple(expected):
        return True
    report.add(dataset, 'size mismatch', where,
               f'{what} is {shape[1]}x{shape[0]} (WxH), expected {expected[1]}x{expected[0]}')
    return False


__all__ = ['read_json', 'read_pixels', 'check_size']
