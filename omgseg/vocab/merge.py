"""Merge the vocabularies of several datasets into one (OMG-Seg's ``ConcatOVDataset`` rule).

Rule (reference section 3.4):

* things merge only with things and stuff only with stuff;
* a class joins an existing merged entry when their normalised synonym sets intersect
  (``normalize_class_name``: ``'tv remote/remote control'`` -> {'tv remote', 'remote control'});
  the first intersecting entry wins, also for two classes of the same dataset;
* otherwise it is appended, in first-seen order (datasets in order, each things then stuff);
* the merged vocabulary is all things, then all stuff.

Merged entry: its *name* is the first-seen raw class name (as in OMG-Seg, where it is the
first-seen normalised string: both give the same synonyms, hence the same text embedding), and
later classes are matched against the first-seen synonyms only, as OMG-Seg does. (Matching
against the union of everything merged so far would chain: ADE20K's 'animal, ..., dog, cat'
joins 'bird', and YouTube-VIS's 'dog' would then become 'bird', giving 193/121 instead of the
paper's 196/124 for the closed-set recipe.)

Each dataset gets a lookup table ``lut`` (int64, one entry per local label, things first):
local label -> merged label. A class-agnostic dataset (vocabulary ``None`` or without classes)
gets ``None``; its labels mean "no class" (:data:`NO_CLASS`).

Numpy-only; the synonym rule is :func:`omgseg.vocab.names.normalize_class_name`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .names import normalize_class_name

# Label of an instance of a class-agnostic dataset inside a merged vocabulary.
NO_CLASS = -1


def _split(vocab: dict, index: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(things, stuff) of one input vocabulary; ``classes`` alone count as things."""
    if not isinstance(vocab, dict):
        raise TypeError(f'vocabulary #{index} must be a dict with thing_classes/stuff_classes '
                        f'(or None for a class-agnostic dataset), got {type(vocab).__name__}.')
    things = vocab.get('thing_classes')
    stuff = vocab.get('stuff_classes')
    classes = vocab.get('classes')
    if things is None:
        if stuff:
            raise KeyError(f'vocabulary #{index} has stuff_classes but no thing_classes; give '
                           f'both (thing_classes=[] when it has no things).')
        # as OMG-Seg: a dataset that only lists `classes` has things only
        things = classes or ()
    things, stuff = tuple(things), tuple(stuff or ())
    if classes is not None and tuple(classes) != things + stuff:
        raise ValueError(f'vocabulary #{index}: `classes` must be thing_classes followed by '
                         f'stuff_classes (labels are things first).')
    return things, stuff


class _Group:
    """The merged entries of one kind (things or stuff)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.synonyms: list[set[str]] = []

    def add(self, name: str, synonyms: list[str]) -> int:
        wanted = set(synonyms)
        for i, known in enumerate(self.synonyms):
            if known & wanted:
                return i
        self.names.append(name)
        self.synonyms.append(wanted)
        return len(self.names) - 1


def merge_vocabularies(vocabs: Sequence[dict | None]) -> tuple[dict, list[np.ndarray | None]]:
    """Merge dataset vocabularies (see the module docstring for the rule).

    Args:
        vocabs: one entry per dataset: a dict with ``thing_classes`` and ``stuff_classes``
            (or only ``classes``, then all things), or ``None`` / a dict without classes for a
            class-agnostic dataset.

    Returns:
        ``(vocab, luts)``: ``vocab`` is ``dict(classes, thing_classes, stuff_classes)`` (tuples
        of str, things first); ``luts[i]`` is an int64 array ``(K_i,)`` mapping dataset i's
        local label (things then stuff) to its merged label, or ``None`` when dataset i is
        class-agnostic.

    Raises:
        ValueError: no dataset has a class, or a class name has no synonym.
        TypeError / KeyError: malformed vocabulary dicts (the message names its index).
    """
    if isinstance(vocabs, dict):
        raise TypeError('merge_vocabularies takes a list of vocabularies, not one dict.')
    things, stuff = _Group(), _Group()
    local: list[tuple[list[int], list[int]] | None] = []
    for index, vocab in enumerate(vocabs):
        split = _split(vocab, index) if vocab is not None else ((), ())
        if not split[0] and not split[1]:
            local.append(None)
            continue
        labels: tuple[list[int], list[int]] = ([], [])
        for group, names, out in ((things, split[0], labels[0]), (stuff, split[1], labels[1])):
            for name in names:
                try:
                    synonyms = normalize_class_name(name)
                except (TypeError, ValueError) as err:
                    raise type(err)(f'vocabulary #{index}: {err}') from None
                out.append(group.add(name, synonyms))
        local.append(labels)
    if not things.names and not stuff.names:
        raise ValueError('merge_vocabularies: none of the vocabularies has a class; at least '
                         'one dataset must be labelled.')
    num_things = len(things.names)
    luts: list[np.ndarray | None] = []
    for labels in local:
        if labels is None:
            luts.append(None)
            continue
        luts.append(np.asarray(labels[0] + [num_things + s for s in labels[1]], dtype=np.int64))
    merged = dict(thing_classes=tuple(things.names), stuff_classes=tuple(stuff.names))
    merged['classes'] = merged['thing_classes'] + merged['stuff_classes']
    return merged, luts
