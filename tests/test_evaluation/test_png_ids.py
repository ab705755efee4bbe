"""The fast panoptic PNG decoder (libdeflate + numba unfilter) against libspng and the pixels.

The PNGs are encoded here with a chosen filter type per row, so every filter (and every branch
of Paeth, on random bytes) is exercised whatever an encoder would pick.
"""
import struct
import zlib

import numpy as np
import pyspng
import pytest

from omgseg.evaluation.functional import id2rgb
from omgseg.evaluation.functional.files import decode_id_png
from omgseg.evaluation.functional.png_ids import png_ids


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def filtered_rows(px: np.ndarray, kinds) -> bytes:
    """PNG scanlines of ``px`` ``(H, W, bpp)`` uint8, row ``y`` filtered with ``kinds[y]``."""
    h, w, bpp = px.shape
    flat = px.reshape(h, w * bpp).astype(np.int32)
    out = bytearray()
    for y, kind in enumerate(kinds):
        cur = flat[y]
        up = flat[y - 1] if y else np.zeros_like(cur)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), up[:-bpp]])
        preds = [np.zeros_like(cur), left, up, (left + up) // 2, _paeth(left, up, upleft)]
        pred = preds[kind] if kind < 5 else preds[0]  # 5+: an invalid type, for the errors
        out += bytes([kind]) + ((cur - pred) % 256).astype(np.uint8).tobytes()
    return bytes(out)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack('>I', len(payload)) + kind + payload
            + struct.pack('>I', zlib.crc32(kind + payload)))


def encode_png(px: np.ndarray, kinds, *, idat_parts: int = 1, stream: bytes | None = None):
    h, w, bpp = px.shape
    ihdr = struct.pack('>IIBBBBB', w, h, 8, {3: 2, 4: 6}[bpp], 0, 0, 0)
    data = zlib.compress(filtered_rows(px, kinds) if stream is None else stream, 6)
    cuts = np.linspace(0, len(data), idat_parts + 1).astype(int)
    idats = b''.join(_chunk(b'IDAT', data[a:b]) for a, b in zip(cuts[:-1], cuts[1:]))
    return b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', ihdr) + idats + _chunk(b'IEND', b'')


def ids_of(px: np.ndarray) -> np.ndarray:
    p = px.astype(np.uint32)
    return p[..., 0] + 256 * p[..., 1] + 65536 * p[..., 2]


def panoptic_map(rng, h, w, n):
    """Flat regions of ``n`` random ids (nearest of ``n`` seeds), like a panoptic PNG."""
    seeds = rng.uniform(0, [h, w], size=(n, 2))
    ys, xs = np.mgrid[0:h, 0:w]
    near = ((ys[..., None] - seeds[:, 0]) ** 2 + (xs[..., None] - seeds[:, 1]) ** 2).argmin(-1)
    return id2rgb(rng.integers(0, 256 ** 3, n)[near])


@pytest.mark.parametrize('bpp', [3, 4])
@pytest.mark.parametrize('content', ['noise', 'regions'])
def test_every_filter_matches_libspng_and_the_pixels(bpp, content):
    rng = np.random.default_rng(bpp)
    h, w = 40, 23
    if content == 'noise':  # every Paeth branch and every wrap-around of the byte sums
        px = rng.integers(0, 256, (h, w, bpp), dtype=np.uint8)
    else:
        rgb = panoptic_map(rng, h, w, 6)
        px = np.dstack([rgb, np.full((h, w, 1), 255, np.uint8)]) if bpp == 4 else rgb
    for kinds in ([k] * h for k in range(5)):  # each filter alone, from the first row
        data = encode_png(px, kinds)
        got = decode_id_png(data)
        assert got.dtype == np.uint32
        np.testing.assert_array_equal(got, ids_of(px))
        np.testing.assert_array_equal(got, ids_of(pyspng.load(data)))
    mixed = encode_png(px, rng.integers(0, 5, h), idat_parts=3)  # several IDAT chunks
    np.testing.assert_array_equal(decode_id_png(mixed), ids_of(px))


@pytest.mark.parametrize('shape', [(1, 1), (1, 17), (17, 1), (3, 2)])
def test_tiny_shapes(shape):
    px = np.random.default_rng(0).integers(0, 256, shape + (3,), dtype=np.uint8)
    for kind in range(5):
        np.testing.assert_array_equal(decode_id_png(encode_png(px, [kind] * shape[0])),
                                      ids_of(px))


def test_repeated_rows_are_copied_not_shared():
    # all-zero Up rows repeat the row above; a later row that differs must not leak upwards
    px = np.zeros((6, 5, 3), np.uint8)
    px[4:, 2] = 7
    got = decode_id_png(encode_png(px, [2] * 6))
    np.testing.assert_array_equal(got, ids_of(px))
    assert got[:4].max() == 0 and got.flags.writeable


def test_other_layouts_are_left_to_libspng():
    px = np.zeros((2, 2, 3), np.uint8)
    interlaced = encode_png(px, [0, 0])
    interlaced = interlaced[:16] + interlaced[16:28] + b'\x01' + interlaced[29:]
    assert png_ids(interlaced, 'x.png') is None


def test_corrupt_data_names_the_file_and_the_problem():
    px = np.random.default_rng(1).integers(0, 256, (4, 3, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match='x.png cannot be decoded.*row 2 has an invalid filter'):
        decode_id_png(encode_png(px, [0, 1, 5, 0]), 'x.png')
    short = filtered_rows(px, [0] * 4)[:-3]
    with pytest.raises(ValueError, match='x.png cannot be decoded.*does not inflate to 4 rows'):
        decode_id_png(encode_png(px, [0] * 4, stream=short), 'x.png')
    data = bytearray(encode_png(px, [0] * 4))
    data[-20] ^= 0xFF  # a byte of the IDAT payload
    with pytest.raises(ValueError, match='x.png cannot be decoded.*CRC'):
        decode_id_png(bytes(data), 'x.png')
    no_data = encode_png(px, [0] * 4)
    no_data = no_data[:33] + _chunk(b'IEND', b'')
    with pytest.raises(ValueError, match='x.png cannot be decoded.*no image data'):
        decode_id_png(no_data, 'x.png')
    with pytest.raises(ValueError, match='x.png is not a PNG'):
        decode_id_png(b'\x89PNG\r\n\x1a\n', 'x.png')
