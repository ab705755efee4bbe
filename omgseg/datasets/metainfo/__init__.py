"""Named vocabularies: the single source of class lists for datasets and class embeddings.

A vocabulary is ``dict(classes, thing_classes, stuff_classes)`` with things first; label i is
``classes[i]``. Names may hold synonyms separated by commas (``'person,child'``).
"""
from __future__ import annotations


def _toy() -> dict:
    from omgseg.datasets.toy import STUFF_CLASSES, THING_CLASSES
    return dict(thing_classes=tuple(THING_CLASSES), stuff_classes=tuple(STUFF_CLASSES))


def _coco_panoptic() -> dict:
    from mmdet.datasets import CocoPanopticDataset
    meta = CocoPanopticDataset.METAINFO
    return dict(thing_classes=tuple(meta['thing_classes']),
                stuff_classes=tuple(meta['stuff_classes']))


_VOCABULARIES = {'toy': _toy, 'coco_panoptic': _coco_panoptic}


def list_vocabularies() -> list[str]:
    return sorted(_VOCABULARIES)


def get_vocabulary(name: str) -> dict:
    """Return ``dict(classes, thing_classes, stuff_classes)`` of a named vocabulary."""
    if name not in _VOCABULARIES:
        raise KeyError(f'unknown vocabulary {name!r}; known: {list_vocabularies()}. Add it in '
                       f'omgseg/datasets/metainfo/__init__.py.')
    vocab = _VOCABULARIES[name]()
    vocab['classes'] = vocab['thing_classes'] + vocab['stuff_classes']
    return vocab


def vocabulary_from(spec: str | dict) -> dict:
    """A vocabulary given by name or as an explicit dict with thing/stuff class lists."""
    if isinstance(spec, str):
        return get_vocabulary(spec)
    if 'thing_classes' not in spec or 'stuff_classes' not in spec:
        raise KeyError('an explicit vocabulary needs thing_classes and stuff_classes lists.')
    things, stuff = tuple(spec['thing_classes']), tuple(spec['stuff_classes'])
    return dict(thing_classes=things, stuff_classes=stuff, classes=things + stuff)
