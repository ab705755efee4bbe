"""A vocabulary read from a dataset's own annotation file (``dict(from_annotations=PATH)``).

The file's ``categories`` become the classes: ``isthing`` (default 1, so a COCO *instances*
or YouTube-VIS json gives things only) decides thing or stuff, json order is kept within each
kind, and an optional ``synonyms`` list joins the name with commas (``'table-top'`` with
``synonyms=['tabletop', 'counter']`` is the class ``'table-top,tabletop,counter'``, whose
text embedding is the max over the three). Accepted files: COCO panoptic / instances json,
YouTube-VIS json (official or converted) or, for the VIPSeg layout, a json holding only
``categories`` (or a bare list of them) whose ids are the panomasks' raw classes.

The json ids in label order are kept as ``cat_ids`` (COCO panoptic and YouTube-VIS datasets
map categories by them) and ``raw_class_ids`` (the VIPSeg layout's raw class of each label).

The file is read when the spec is resolved (a dataset or model is built), never when a config
is loaded; a file is read once per process while its size and mtime stay the same.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from functools import lru_cache


def _categories(data, path: str) -> list:
    if isinstance(data, dict):
        data = data.get('categories')
    if not isinstance(data, list) or not data:
        raise ValueError(f'{path} has no "categories" list; vocabulary from_annotations needs '
                         f'a COCO / YouTube-VIS json or a json list of categories '
                         f'(docs/custom_dataset.md).')
    return data


def _class_name(cat, index: int, path: str) -> str:
    if not isinstance(cat, dict) or 'id' not in cat or not isinstance(cat.get('name'), str):
        raise ValueError(f'{path}: categories[{index}] = {cat!r} needs an integer "id" and a '
                         f'string "name".')
    synonyms = cat.get('synonyms') or []
    if isinstance(synonyms, str) or not all(isinstance(s, str) for s in synonyms):
        raise ValueError(f'{path}: category {cat["name"]!r} has synonyms {synonyms!r}; give a '
                         f'list of strings.')
    if any(',' in s for s in [cat['name'], *synonyms]):
        raise ValueError(f'{path}: category {cat["name"]!r}: a name or synonym may not contain '
                         f'"," (it separates synonyms); list synonyms in "synonyms".')
    return ','.join([cat['name'], *[s for s in synonyms if s != cat['name']]])


@lru_cache(maxsize=32)
def _read(path: str, size: int, mtime_ns: int) -> dict:
    """The vocabulary of ``path`` (size and mtime are only cache keys)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except ValueError as err:
        raise ValueError(f'vocabulary from_annotations: {path} is not valid json ({err}).') \
            from None
    things, stuff = [], []
    seen: dict[int, str] = {}
    for index, cat in enumerate(_categories(data, path)):
        name = _class_name(cat, index, path)
        cat_id = int(cat['id'])
        if cat_id in seen:
            raise ValueError(f'{path}: category id {cat_id} is used by {seen[cat_id]!r} and '
                             f'{cat["name"]!r}; ids must be unique.')
        seen[cat_id] = cat['name']
        (things if bool(cat.get('isthing', 1)) else stuff).append((cat_id, name))
    ids = tuple(i for i, _ in things + stuff)
    return dict(thing_classes=tuple(n for _, n in things),
                stuff_classes=tuple(n for _, n in stuff), cat_ids=ids, raw_class_ids=ids)


def vocabulary_from_annotations(path: str) -> dict:
    """``dict(thing_classes, stuff_classes, classes, cat_ids, raw_class_ids)`` of the
    categories in annotation file ``path`` (see the module docstring).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not json, has no categories, or a category is malformed.
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'vocabulary from_annotations: {path} does not exist (paths are relative to the '
            f'directory you run from); point it at the training annotation json.')
    st = os.stat(path)
    vocab = dict(_read(osp.abspath(path), st.st_size, st.st_mtime_ns))
    vocab['classes'] = vocab['thing_classes'] + vocab['stuff_classes']
    return vocab


__all__ = ['vocabulary_from_annotations']
