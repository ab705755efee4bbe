"""Open vocabularies as users give them: a list of names, things and stuff, or a text file."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Vocabulary:
    """Class names in label order, things first.

    Args:
        names: the K class names (``'sofa/couch'``: one class with two synonyms).
        num_things: the first ``num_things`` are things (countable, with track ids).
    """
    names: tuple[str, ...]
    num_things: int


def _names(value, what: str) -> list[str]:
    if isinstance(value, str):
        if os.path.isfile(value):
            with open(value, encoding='utf-8') as f:
                return [line.strip() for line in f if line.strip()
                        and not line.lstrip().startswith('#')]
        # a comma list of classes; synonyms within a class are joined by '/'
        return [n.strip() for n in value.split(',') if n.strip()]
    if isinstance(value, Sequence):
        bad = [n for n in value if not isinstance(n, str) or not n.strip()]
        if bad:
            raise ValueError(f'{what} holds {bad[0]!r}: class names must be non-empty strings.')
        return [n.strip() for n in value]
    raise TypeError(f'{what} must be a list of class names, a comma list or a file, got '
                    f'{type(value).__name__}.')


def parse_vocabulary(value, stuff=None) -> Vocabulary:
    """Read a vocabulary.

    Args:
        value: a list of names, a comma list ``'cat,dog'``, a text file (one name a line,
            ``#`` comments), or ``dict(things=..., stuff=...)``.
        stuff: stuff names (regions without instances), in any of the same forms.

    Raises:
        ValueError: the vocabulary is empty or names a class twice.
    """
    if isinstance(value, Mapping):
        unknown = set(value) - {'things', 'stuff'}
        if unknown:
            raise ValueError(f'vocabulary dict keys are `things` and `stuff`, got '
                             f'{sorted(unknown)}.')
        things = _names(value.get('things') or [], 'vocabulary things')
        stuff_names = _names(value.get('stuff') or [], 'vocabulary stuff')
    else:
        things = _names(value, 'vocabulary')
        stuff_names = _names(stuff, 'stuff vocabulary') if stuff is not None else []
    names = things + stuff_names
    if not names:
        raise ValueError(f'vocabulary {value!r} is empty; give class names, e.g. '
                         f'--vocabulary cat,dog or a file with one name a line.')
    seen: set[str] = set()
    dups = [n for n in names if n.lower() in seen or seen.add(n.lower())]
    if dups:
        raise ValueError(f'vocabulary names {sorted(set(dups))} more than once; each class '
                         f'must appear once (write synonyms as one name, e.g. "sofa/couch").')
    return Vocabulary(names=tuple(names), num_things=len(things))


__all__ = ['Vocabulary', 'parse_vocabulary']
