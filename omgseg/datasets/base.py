"""What every omgseg dataset shares: a named vocabulary, an explicit task, registry-built
pipelines."""
from __future__ import annotations

import copy

from mmengine.dataset import BaseDataset

from omgseg.registry import TRANSFORMS
from omgseg.structures import TASKS
from omgseg.vocab import normalize_class_name, vocabulary_from


def match_category(name: str, classes: tuple[str, ...]) -> int | None:
    """Label of an annotation category name: exact name, else a shared synonym."""
    if name in classes:
        return classes.index(name)
    wanted = set(normalize_class_name(name))
    for i, cls in enumerate(classes):
        if wanted & set(normalize_class_name(cls)):
            return i
    return None


class VocabularyDataset(BaseDataset):
    """mmengine ``BaseDataset`` with ``vocabulary`` and ``task`` in its metainfo.

    Args:
        vocabulary: name in ``omgseg.vocab`` or a dict of thing/stuff classes.
        task: stamped on every sample (the model routes on it).
        default_prefix: ``data_prefix`` when none is given.
        Other arguments as mmengine's ``BaseDataset``.
    """

    def __init__(self, *, vocabulary: str | dict, task: str, default_prefix: dict,
                 data_prefix: dict | None = None, **kwargs) -> None:
        if task not in TASKS:
            raise ValueError(f'task {task!r} is not one of {TASKS}.')
        self.vocab = vocabulary_from(vocabulary)
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.update(self.vocab, task=task,
                        vocabulary=vocabulary if isinstance(vocabulary, str) else 'custom')
        self.task = task
        # Build pipeline steps from mmdet's registry so the dataset works without a Runner's
        # default scope (mmengine's own registry does not know mmdet/omgseg transforms).
        kwargs['pipeline'] = [TRANSFORMS.build(t) if isinstance(t, dict) else t
                              for t in kwargs.get('pipeline', [])]
        super().__init__(metainfo=metainfo, data_prefix=data_prefix or dict(default_prefix),
                         **kwargs)

    @classmethod
    def _load_metainfo(cls, metainfo: dict | None = None) -> dict:
        # mmengine reads any string value as a file name first ('toy' would be opened if such
        # a file existed); our metainfo strings are names, never files.
        meta = copy.deepcopy(cls.METAINFO)
        meta.update(copy.deepcopy(metainfo or {}))
        return meta
