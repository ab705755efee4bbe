"""File reading and writing shared by the offline evaluators."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyspng

from .png_ids import png_ids

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


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


def decode_id_png(data: bytes, source: str = 'the PNG') -> np.ndarray:
    """Ids ``(H, W)`` uint32 of an 8-bit RGB(A) panoptic PNG's bytes (``R + 256 G + 256^2 B``).

    ``source`` names the file in errors. RGB(A) PNGs take the fast path of :mod:`.png_ids`
    (libdeflate + a compiled unfilter, about 3x faster than libspng); palette and interlaced
    ones are decoded by libspng.
    """
    if len(data) < 33 or data[:8] != _PNG_SIGNATURE or data[12:16] != b'IHDR':
        raise ValueError(f'{source} is not a PNG file')
    bit_depth, color_type = data[24], data[25]
    if bit_depth != 8 or color_type not in (2, 3, 6):  # RGB, palette (colours expand), RGBA
        raise ValueError(f'{source}: expected an 8-bit RGB panoptic PNG (id = R + 256 G + '
                         f'256^2 B), got bit depth {bit_depth} and PNG color type {color_type}')
    ids = png_ids(data, source)
    if ids is not None:
        return ids
    try:
        rgba = pyspng.load(data, 'RGBA')
    except RuntimeError as exc:
        raise ValueError(f'{source} cannot be decoded (corrupt PNG): {exc}') from exc
    # RGBA bytes read as a little-endian uint32 are R + 256 G + 256^2 B + 256^3 A: no per-channel
    # arithmetic, one mask drops the alpha byte.
    ids = rgba.view('<u4')[..., 0]
    ids &= 0xFFFFFF
    return ids


def read_id_png(path: str | os.PathLike) -> np.ndarray:
    """Ids ``(H, W)`` uint32 of an RGB panoptic PNG file (see :func:`decode_id_png`)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'panoptic PNG not found: {path}')
    return decode_id_png(path.read_bytes(), str(path))


def write_metrics(metrics: dict, out: str | os.PathLike) -> Path:
    """Write ``metrics`` as indented JSON (creating the folder) and say where."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open('w') as f:
        json.dump(metrics, f, indent=2)
    print(f'metrics written to {out}')
    return out
