"""File reading and writing shared by the offline evaluators (numpy / Pillow only)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from .panoptic import rgb2id


def load_json(path: str | os.PathLike) -> dict:
    """Read a JSON file; FileNotFoundError / ValueError name the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'JSON file not found: {path}')
    try:
        with path.open() as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f'{path} is not valid JSON: {exc}') from exc


def read_id_png(path: str | os.PathLike) -> np.ndarray:
    """Ids ``(H, W)`` int64 of an RGB panoptic PNG (``R + 256 G + 256^2 B``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'panoptic PNG not found: {path}')
    with Image.open(path) as img:
        arr, mode = np.asarray(img), img.mode
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        raise ValueError(f'{path}: expected an RGB panoptic PNG (id = R + 256 G + 256^2 B), '
                         f'got mode {mode} (array shape {arr.shape})')
    return rgb2id(arr)


def write_metrics(metrics: dict, out: str | os.PathLike) -> Path:
    """Write ``metrics`` as indented JSON (creating the folder) and say where."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open('w') as f:
        json.dump(metrics, f, indent=2)
    print(f'metrics written to {out}')
    return out
