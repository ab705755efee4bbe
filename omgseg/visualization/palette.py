"""Deterministic colours: one per track id, one per class.

A colour depends only on its key (no random state, no drawing order), so an object keeps
its colour in every frame of a video and in every process that draws it.
"""
from __future__ import annotations

import colorsys

Color = tuple[int, int, int]

_GOLDEN = 0.6180339887498949  # hue step: consecutive keys land far apart on the colour wheel
_MASK64 = (1 << 64) - 1
_TRACK_SALT, _CLASS_SALT = 0x5EED, 0xC1A5


def _mix(value: int) -> int:
    """splitmix64 finaliser: decorrelates neighbouring integers."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def keyed_color(key: int, salt: int = 0) -> Color:
    """A bright RGB colour determined by ``(key, salt)`` alone.

    Args:
        key: any integer (track id, class label, object id).
        salt: separates colour families (tracks vs classes) that share keys.

    Returns:
        ``(r, g, b)`` ints in [0, 255].
    """
    bits = _mix((int(key) * 1_000_003 + salt) & _MASK64)
    hue = (int(key) * _GOLDEN + (bits & 0xFFFF) / 0xFFFF * 0.08 + salt * 0.013) % 1.0
    sat = 0.55 + 0.4 * ((bits >> 16) & 0xFF) / 255
    val = 0.75 + 0.25 * ((bits >> 24) & 0xFF) / 255
    return tuple(int(round(c * 255)) for c in colorsys.hsv_to_rgb(hue, sat, val))


def track_color(track_id: int) -> Color:
    """The colour of one tracked object (thing instance, VOS object, prompt)."""
    return keyed_color(track_id, _TRACK_SALT)


def class_color(label: int) -> Color:
    """The colour of a class (stuff segments, semantic maps, legend swatches)."""
    return keyed_color(label, _CLASS_SALT)


__all__ = ['Color', 'class_color', 'keyed_color', 'track_color']
