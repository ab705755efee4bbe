"""Fast decoding of panoptic id PNGs: libdeflate inflates, a numba kernel unfilters.

Panoptic PNGs are 8-bit RGB(A) maps of a few dozen flat regions. Their zlib streams are almost
all long back-references, which libdeflate inflates about 15x faster than zlib (the inflater of
libspng, Pillow and OpenCV alike), and most of their rows repeat the row above. Decoding such a
480 x 640 map takes about a third of libspng's time, which makes the offline PQ evaluator
several times faster than panopticapi (``tools/analysis_tools/benchmark_pq.py``).

Only non-interlaced 8-bit RGB / RGBA PNGs take this path; :func:`png_ids` returns ``None`` for
every other layout (palette, interlaced), which the caller decodes with libspng.
"""
from __future__ import annotations

import struct
import zlib

import deflate
import numpy as np

_SIGNATURE = b'\x89PNG\r\n\x1a\n'
_BYTES_PER_PIXEL = {2: 3, 6: 4}  # PNG colour type -> bytes per pixel at bit depth 8


def _idat_stream(data: bytes, source: str) -> bytes:
    """The concatenated IDAT payloads of a PNG, checking chunk bounds and CRCs."""
    parts, pos, end = [], 8, len(data)
    while pos + 12 <= end:
        length, kind = struct.unpack_from('>I4s', data, pos)
        stop = pos + 12 + length
        if stop > end:
            break
        if kind == b'IDAT':
            payload = data[pos + 8:pos + 8 + length]
            (crc,) = struct.unpack_from('>I', data, pos + 8 + length)
            if zlib.crc32(payload, zlib.crc32(b'IDAT')) != crc:
                raise ValueError(f'{source} cannot be decoded (corrupt PNG): an IDAT chunk '
                                 f'fails its CRC check')
            parts.append(payload)
        elif kind == b'IEND':
            if not parts:
                break
            return b''.join(parts)
        pos = stop
    raise ValueError(f'{source} cannot be decoded (corrupt PNG): the file is truncated or '
                     f'has no image data')


def png_ids(data: bytes, source: str) -> np.ndarray | None:
    """Ids ``(H, W)`` uint32 (``R + 256 G + 256^2 B``) of an 8-bit RGB(A) PNG's bytes.

    Args:
        data: the whole PNG file; its signature and IHDR are already checked by the caller.
        source: names the file in errors.
    Returns:
        The id map, or ``None`` for a layout this path does not handle (palette, interlaced).
    Raises:
        ValueError: corrupt or truncated data (CRC, inflate, size or filter type).
    """
    width, height, bit_depth, colour, _, _, interlace = struct.unpack_from('>IIBBBBB', data, 16)
    bpp = _BYTES_PER_PIXEL.get(colour)
    if bit_depth != 8 or bpp is None or interlace != 0:
        return None
    stream = _idat_stream(data, source)
    size = height * (width * bpp + 1)
    try:
        raw = deflate.zlib_decompress(stream, size)
    except deflate.DeflateError:  # e.g. a stream that inflates to more than ``size``
        raw = b''
    if len(raw) != size:  # the kernel reads exactly ``size``
        raise ValueError(f'{source} cannot be decoded (corrupt PNG): its image data does not '
                         f'inflate to {height} rows of {width} pixels')
    from .png_unfilter import unfilter_ids  # numba: imported on the first decode only
    ids, bad_row = unfilter_ids(np.frombuffer(raw, np.uint8), height, width, bpp)
    if bad_row >= 0:
        raise ValueError(f'{source} cannot be decoded (corrupt PNG): row {bad_row} has an '
                         f'invalid filter type')
    return ids
