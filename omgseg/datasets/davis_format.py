"""DAVIS 2017 annotation files: indexed PNGs whose pixel values are object indices (numpy and
Pillow only, so toy-data writers and evaluation tools can use it without torch).

A pixel holds 0 for background, k for object k and 255 (:data:`DAVIS_VOID`) for "don't care".
The palette is the PASCAL VOC colour map that the DAVIS annotations (and the
davis2017-evaluation tools) use: 1 = (128, 0, 0), 2 = (0, 128, 0), 3 = (128, 128, 0), ...
"""
from __future__ import annotations

import numpy as np
from PIL import Image

DAVIS_VOID = 255  # "don't care" pixels in DAVIS masks; never an object
_INDEX_MODES = ('P', 'L')


def read_davis_mask(path: str) -> np.ndarray:
    """(H, W) uint8 object indices of a DAVIS annotation (0 background, k object k, 255 void).

    The indices are the stored palette indices, never the colours.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: it cannot be decoded, or it is not an indexed / grey-level PNG.
    """
    try:
        with Image.open(path) as im:
            if im.mode not in _INDEX_MODES:
                raise ValueError(
                    f'DAVIS annotation {path} has image mode {im.mode!r}; annotations must be '
                    f'indexed (palette, mode "P") PNGs whose pixel values are object indices. '
                    f'Save the index map, not its colours.')
            return np.asarray(im, dtype=np.uint8)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'DAVIS annotation {path} does not exist.') from err
    except OSError as err:
        raise ValueError(f'DAVIS annotation {path} cannot be decoded ({err}); replace the '
                         f'file.') from err


def mask_object_ids(mask: np.ndarray) -> list[int]:
    """Sorted object indices present in an index map (background and void left out)."""
    values = np.unique(mask)
    return [int(v) for v in values if v != 0 and v != DAVIS_VOID]


def davis_palette() -> np.ndarray:
    """(256, 3) uint8 DAVIS / PASCAL VOC palette: the bits of index i, three at a time, fill
    the red, green and blue channels from the most significant bit down."""
    index = np.arange(256)
    palette = np.zeros((256, 3), np.int64)
    for bit in range(8):
        for channel in range(3):
            palette[:, channel] |= ((index >> (3 * bit + channel)) & 1) << (7 - bit)
    return palette.astype(np.uint8)


DAVIS_PALETTE = davis_palette()


def save_davis_png(mask: np.ndarray, path) -> None:
    """Write an (H, W) uint8 index map as a palette PNG with the DAVIS palette."""
    im = Image.fromarray(np.asarray(mask, np.uint8))
    im.putpalette(DAVIS_PALETTE.ravel().tolist())  # turns the 'L' image into mode 'P'
    im.save(path, format='PNG')


__all__ = ['DAVIS_VOID', 'DAVIS_PALETTE', 'davis_palette', 'read_davis_mask', 'mask_object_ids',
           'save_davis_png']
