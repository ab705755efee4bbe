"""VIPSeg's panomask encoding (official 720p release), numpy only.

A ``panomasks/<video>/<frame>.png`` pixel value ``v`` means:

* ``0``: void;
* ``1 <= v <= 128``: stuff (or a thing annotated without instances) of raw class ``v - 1``;
* ``v > 128``: a thing of raw class ``v // 100 - 1``, instance ``v % 100``; the same value in
  every frame of a video is the same object (a tube).

Raw classes are VIPSeg's own 0..123 indices; datasets map them to contiguous labels (things
first) with a table ``raw_class_ids[label] = raw class``. The value 200 (raw class 1,
instance 0) is a known annotation error of the release and is read as void, as the reference
implementation does.
"""
from __future__ import annotations

import numpy as np

VOID_VALUE = 0
STUFF_MAX_VALUE = 128
BROKEN_VALUES = (200,)


def raw_class_of(value: int) -> int:
    """Raw VIPSeg class index of a non-void panomask value."""
    return value - 1 if value <= STUFF_MAX_VALUE else value // 100 - 1


def label_lookup(raw_class_ids: tuple[int, ...] | list[int]) -> dict[int, int]:
    """Inverse of ``raw_class_ids``: raw class -> contiguous label."""
    lookup = {int(raw): label for label, raw in enumerate(raw_class_ids)}
    if len(lookup) != len(raw_class_ids):
        raise ValueError(f'raw_class_ids {list(raw_class_ids)} repeats a raw class.')
    return lookup


def classify_value(value: int, raw_to_label: dict[int, int], num_things: int,
                   source: str = '<array>') -> tuple[int, bool] | None:
    """``(label, instance_encoded)`` of a panomask value, or ``None`` for void, the broken
    value and raw classes the vocabulary leaves out.

    Raises:
        ValueError: a thing-encoded value names a stuff label.
    """
    if value == VOID_VALUE or value in BROKEN_VALUES:
        return None
    label = raw_to_label.get(raw_class_of(value))
    if label is None:
        return None
    instance_encoded = value > STUFF_MAX_VALUE
    if instance_encoded and label >= num_things:
        raise ValueError(f'{source}: value {value} encodes an instance of raw class '
                         f'{raw_class_of(value)}, whose label {label} is a stuff class; '
                         f'check raw_class_ids of the vocabulary.')
    return label, instance_encoded


def decode_panomask(values: np.ndarray, raw_to_label: dict[int, int], num_things: int,
                    source: str = '<array>') -> tuple[np.ndarray, list[dict]]:
    """Decode one frame.

    Args:
        values: (H, W) integer panomask.
        raw_to_label: raw class -> contiguous label (see :func:`label_lookup`); raw classes
            missing from it are void (a vocabulary may leave classes out).
        num_things: labels below this are things.
        source: file name used in error messages.

    Returns:
        ids (H, W) int64 whose non-zero values are the panomask values of kept segments (stable
        across the frames of a video; 0 = void), and one dict per segment with ``id``,
        ``category_id`` (contiguous label), ``isthing``, ``iscrowd`` (0), ``area``.

    Raises:
        ValueError: a thing-encoded value names a stuff label or the reverse.
    """
    values = np.asarray(values).astype(np.int64)
    ids = np.zeros(values.shape, np.int64)
    segments = []
    uniq, counts = np.unique(values, return_counts=True)
    for value, count in zip(uniq.tolist(), counts.tolist()):
        kind = classify_value(value, raw_to_label, num_things, source)
        if kind is None:
            continue
        label, isthing = kind
        ids[values == value] = value
        segments.append(dict(id=int(value), category_id=int(label), isthing=int(isthing),
                             iscrowd=0, area=int(count)))
    return ids, segments


def encode_panomask(labels: np.ndarray, instances: np.ndarray,
                    raw_class_ids: tuple[int, ...] | list[int], num_things: int) -> np.ndarray:
    """Inverse of :func:`decode_panomask` for writers (toy data, tests).

    Args:
        labels: (H, W) contiguous labels, negative = void.
        instances: (H, W) instance index 1..99 for thing pixels (ignored for stuff).
        raw_class_ids: label -> raw class.
        num_things: labels below this are things.

    Returns:
        (H, W) uint16 panomask.
    """
    out = np.zeros(labels.shape, np.int64)
    raw = np.asarray(raw_class_ids, np.int64)
    valid = labels >= 0
    stuff = valid & (labels >= num_things)
    things = valid & (labels < num_things)
    out[stuff] = raw[labels[stuff]] + 1
    out[things] = (raw[labels[things]] + 1) * 100 + instances[things]
    if np.any(out[stuff] > STUFF_MAX_VALUE) or np.any(out[things] <= STUFF_MAX_VALUE):
        raise ValueError('raw class ids cannot be encoded: stuff needs raw id < 128 and '
                         'things need (raw id + 1) * 100 + instance > 128.')
    if np.any(things & ((instances < 1) | (instances > 99))):
        raise ValueError('thing instance indices must lie in 1..99.')
    return out.astype(np.uint16)
