"""PNG row unfiltering fused with the panoptic id conversion, compiled by numba.

The offline PQ / VPQ evaluators spend most of their time decoding PNGs. With the zlib stream
inflated by libdeflate (many times faster than zlib's inflate on panoptic maps, whose streams
are almost all long back-references), what is left is undoing PNG's per-row filters, which is
sequential along a row for the Sub, Average and Paeth filters and therefore needs compiled code.
The reference it is tested against is libspng (``pyspng``), an independent decoder.

Importing this module imports numba (about a second); :mod:`.png_ids` imports it lazily, on
the first PNG decoded. The kernel is cached on disk by numba (``cache=True``).
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _unfilter_rows(raw, height, stride, bpp):  # pragma: no cover - compiled
    """Undo the per-row filters: ``raw`` ``(height * (stride + 1),)`` uint8 (a filter byte and
    ``stride`` filtered bytes per row) -> pixel bytes ``(height, stride)``, whether each row
    equals the previous one ``(height,)``, and the first row with an invalid filter type or -1.
    """
    img = np.empty((height, stride), np.uint8)
    same = np.zeros(height, np.bool_)
    zero = np.zeros(stride, np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = raw[start + 1:start + 1 + stride]
        cur = img[y]
        prev = img[y - 1] if y > 0 else zero
        if kind == 0:  # None
            cur[:] = row
        elif kind == 1:  # Sub
            cur[:bpp] = row[:bpp]
            for i in range(bpp, stride):
                cur[i] = np.uint8(row[i] + cur[i - bpp])
        elif kind == 2:  # Up; an all-zero Up row repeats the row above (most rows of a map)
            nonzero = np.uint8(0)
            for i in range(stride):
                cur[i] = np.uint8(row[i] + prev[i])
                nonzero |= row[i]
            same[y] = y > 0 and nonzero == 0
        elif kind == 3:  # Average
            for i in range(bpp):
                cur[i] = np.uint8(row[i] + (prev[i] >> 1))
            for i in range(bpp, stride):
                cur[i] = np.uint8(row[i] + ((np.uint16(cur[i - bpp]) + prev[i]) >> 1))
        elif kind == 4:  # Paeth; at the left edge a = c = 0, so the predictor is b
            for i in range(bpp):
                cur[i] = np.uint8(row[i] + prev[i])
            for i in range(bpp, stride):
                a = np.int16(cur[i - bpp])
                b = np.int16(prev[i])
                c = np.int16(prev[i - bpp])
                if b == c:  # then |p - a| = 0: a wins; the common case inside segments
                    cur[i] = np.uint8(row[i] + a)
                    continue
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - c - c)
                if pa <= pb and pa <= pc:
                    pred = a
                elif pb <= pc:
                    pred = b
                else:
                    pred = c
                cur[i] = np.uint8(row[i] + pred)
        else:
            return img, same, y
    return img, same, -1


@numba.njit(cache=True, nogil=True, boundscheck=False)
def unfilter_ids(raw, height, width, bpp):  # pragma: no cover - compiled
    """Panoptic ids of a non-interlaced 8-bit RGB (``bpp`` 3) or RGBA (``bpp`` 4) PNG.

    Args:
        raw: ``(height * (width * bpp + 1),)`` uint8, the inflated IDAT stream.
    Returns:
        ``(ids, bad_row)``: ids ``(height, width)`` uint32 = ``R + 256 G + 256^2 B`` (alpha
        ignored) and -1, or an empty array and the first row whose filter type is not 0-4.
    """
    img, same, bad = _unfilter_rows(raw, height, width * bpp, bpp)
    if bad >= 0:
        return np.empty((0, 0), np.uint32), bad
    ids = np.empty((height, width), np.uint32)
    for y in range(height):
        out = ids[y]
        if same[y]:
            out[:] = ids[y - 1]
            continue
        px = img[y]
        for x in range(width):
            k = x * bpp
            out[x] = (np.uint32(px[k]) | (np.uint32(px[k + 1]) << 8)
                      | (np.uint32(px[k + 2]) << 16))
    return ids, -1
