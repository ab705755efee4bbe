"""Several datasets with different vocabularies trained as one (OMG-Seg's ``ConcatOVDataset``).

The joint vocabulary is the merge of the sub-datasets' vocabularies
(``omgseg.vocab.merge``); every packed sample's labels are rewritten from its
dataset's local labels to merged labels with one table lookup per tensor.
"""
from __future__ import annotations

import copy
import os.path as osp
from collections.abc import Sequence

import torch
from mmdet.structures import TrackDataSample
from mmengine.dataset import BaseDataset, ConcatDataset
from torch.utils.data import ConcatDataset as _TorchConcatDataset

from omgseg.registry import DATASETS
from omgseg.structures import CLASS_AGNOSTIC_TASKS, IGNORE_INDEX, TASKS
from omgseg.vocab import NO_CLASS, merge_vocabularies, vocabulary_from

# Errors a sub-dataset raises for missing / unreadable data; re-raised naming the dataset.
_DATA_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError, KeyError)


def _reraise(err: Exception, where: str):
    """Raise ``err`` again (same type where possible) with ``where`` in front of its message."""
    try:
        new = type(err)(f'{where}: {err}')
    except TypeError:  # exception types whose constructor takes more than a message
        new = RuntimeError(f'{where}: {type(err).__name__}: {err}')
    raise new from err


def set_lazy_init(cfg: dict) -> None:
    """``lazy_init=True`` on a dataset cfg and the datasets its wrappers hold (in place)."""
    cfg['lazy_init'] = True
    if isinstance(cfg.get('dataset'), dict):
        set_lazy_init(cfg['dataset'])
    for sub in cfg.get('datasets') or []:
        if isinstance(sub, dict):
            set_lazy_init(sub)


def _leaves(dataset) -> list:
    """The datasets that read files, inside Repeat/ClassBalanced/Concat wrappers."""
    if hasattr(dataset, 'datasets'):
        return [leaf for d in dataset.datasets for leaf in _leaves(d)]
    if hasattr(dataset, 'dataset'):
        return _leaves(dataset.dataset)
    return [dataset]


def _vocab_of(meta: dict) -> dict | None:
    things, stuff = meta.get('thing_classes'), meta.get('stuff_classes')
    if things is None:
        things = meta.get('classes') or ()
    if not things and not stuff:
        return None
    return dict(thing_classes=tuple(things), stuff_classes=tuple(stuff or ()))


@DATASETS.register_module()
class JointDataset(ConcatDataset):
    """Concatenate datasets whose vocabularies differ, in one merged vocabulary.

    ``metainfo``: ``classes`` / ``thing_classes`` / ``stuff_classes`` (merged, things first),
    ``vocabulary`` (the given name, else ``'merged'``), ``dataset_names`` and ``tasks`` (one
    per sub-dataset) and ``label_maps`` (per sub-dataset: list local label -> merged label, or
    ``None`` when class-agnostic).

    ``__getitem__`` rewrites, on every frame of the packed sample, ``gt_instances.labels`` and
    ``ignored_instances.labels`` (merged labels; :data:`NO_CLASS` = -1 for a class-agnostic
    dataset) and ``gt_sem_seg.sem_seg`` (merged labels; ``IGNORE_INDEX`` stays; all
    ``IGNORE_INDEX`` for a class-agnostic dataset, whose pixels have no class). The sample's
    metainfo gains ``dataset_name``. ``get_data_info(i)`` is the sub-dataset's (with ``task``).

    A sub-dataset is class-agnostic when its task is ``interactive`` or ``vos`` or it has no
    classes. Sub-datasets are built lazily; ``full_init`` (at construction unless
    ``lazy_init``) first checks every sub-dataset's ``data_root`` and ``ann_file`` exist and
    reports all missing ones at once, before any annotation is read.

    Args:
        datasets: dataset configs or built datasets (wrappers such as ``RepeatDataset`` allowed).
        vocabulary: optional target vocabulary (name, dict, or ``dict(merge=[...])``), e.g. the
            config's top-level ``vocabulary`` that the class embeddings were made from. The
            sub-datasets' classes are merged into it and must all be found there (an error
            names the missing ones); the joint labels are then this vocabulary's labels.
            ``None``: the merge of the sub-datasets' vocabularies, in order.
        names: one name per sub-dataset for ``metainfo['dataset_names']`` (default: its class
            name and vocabulary, e.g. ``'OMGVIPSegDataset(vipseg)'``).
        lazy_init: only build the sub-datasets (enough for ``metainfo``); load on first use.
    """

    def __init__(self, *, datasets: Sequence[BaseDataset | dict],
                 vocabulary: str | dict | None = None, names: Sequence[str] | None = None,
                 lazy_init: bool = False) -> None:
        if isinstance(datasets, (dict, BaseDataset)) or not datasets:
            raise ValueError('JointDataset needs a non-empty list `datasets` of dataset configs '
                             'or datasets.')
        if names is not None and len(names) != len(datasets):
            raise ValueError(f'JointDataset: {len(names)} names for {len(datasets)} datasets.')
        self.ignore_keys: list[str] = []
        self.datasets = [self._build(d, i) for i, d in enumerate(datasets)]
        self.names = [str(n) for n in names] if names is not None else [
            self._default_name(d) for d in self.datasets]
        tasks, vocabs = [], []
        for i, dataset in enumerate(self.datasets):
            meta = dataset.metainfo
            task = meta.get('task')
            if task not in TASKS:
                raise ValueError(f'JointDataset dataset #{i} ({self.names[i]}) has task '
                                 f'{task!r} in its metainfo; omgseg datasets take task= one of '
                                 f'{TASKS}.')
            tasks.append(task)
            vocabs.append(None if task in CLASS_AGNOSTIC_TASKS else _vocab_of(meta))
        merged, luts = self._merge(vocabs, vocabulary)
        self._luts = [None if lut is None else torch.as_tensor(lut) for lut in luts]
        self._metainfo = dict(
            merged, vocabulary=vocabulary if isinstance(vocabulary, str) else 'merged',
            dataset_names=list(self.names), tasks=tasks,
            label_maps=[None if lut is None else lut.tolist() for lut in luts])
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    # ------------------------------------------------------------------ construction
    def _build(self, dataset: BaseDataset | dict, index: int):
        if not isinstance(dataset, dict):
            if not hasattr(dataset, 'metainfo'):
                raise TypeError(f'JointDataset dataset #{index} must be a dataset config or a '
                                f'dataset, got {type(dataset).__name__}.')
            return dataset
        cfg = copy.deepcopy(dataset)
        # build without reading annotations: paths are checked first, in full_init
        set_lazy_init(cfg)
        try:
            return DATASETS.build(cfg)
        except _DATA_ERRORS as err:
            _reraise(err, f'JointDataset dataset #{index} (type {cfg.get("type")!r})')

    @staticmethod
    def _default_name(dataset) -> str:
        leaf = _leaves(dataset)[0]
        vocab = dataset.metainfo.get('vocabulary')
        return f'{type(leaf).__name__}({vocab})' if vocab else type(leaf).__name__

    def _merge(self, vocabs: list, target_spec) -> tuple[dict, list]:
        if all(v is None for v in vocabs) and target_spec is None:
            raise ValueError(f'JointDataset: none of the datasets {self.names} has classes '
                             f'(all are class-agnostic); give `vocabulary` or a labelled one.')
        if target_spec is None:
            return merge_vocabularies(vocabs)
        target = vocabulary_from(target_spec)
        alone, _ = merge_vocabularies([target])
        if alone['classes'] != tuple(target['classes']):
            raise ValueError(f'JointDataset vocabulary {target_spec!r} has classes that share a '
                             f'synonym (so they would merge); make its class names distinct.')
        merged, luts = merge_vocabularies([target] + vocabs)
        luts = luts[1:]
        if merged['classes'] != alone['classes']:
            # labels the target lacks: things past its things, stuff past its stuff
            num_things, known = len(merged['thing_classes']), len(target['thing_classes'])
            known_stuff = len(target['stuff_classes'])
            new = {j for j in range(len(merged['classes']))
                   if (known <= j < num_things) or j - num_things >= known_stuff}
            missing = []
            for i, lut in enumerate(luts):
                if lut is not None:
                    names = sorted({merged['classes'][j] for j in lut.tolist() if j in new})
                    if names:
                        missing.append(f'dataset #{i} ({self.names[i]}): {names}')
            raise ValueError(f'JointDataset: classes not in vocabulary {target_spec!r} (thing '
                             f'and stuff are matched separately, by shared synonym): '
                             f'{"; ".join(missing)}. Add them to the vocabulary (e.g. '
                             f'dict(merge=[...]) of the datasets\' vocabularies) or drop '
                             f'`vocabulary` to merge automatically.')
        return merged, luts

    # ------------------------------------------------------------------ loading
    def _check_paths(self) -> None:
        problems = []
        for i, dataset in enumerate(self.datasets):
            for leaf in _leaves(dataset):
                root = getattr(leaf, 'data_root', None)
                ann = getattr(leaf, 'ann_file', None)
                if root and '://' not in root and not osp.isdir(root):
                    problems.append(f'dataset #{i} ({self.names[i]}): data_root {root} is not a '
                                    f'folder')
                elif ann and '://' not in ann and not osp.exists(ann):
                    problems.append(f'dataset #{i} ({self.names[i]}): ann_file {ann} does not '
                                    f'exist')
        if problems:
            raise FileNotFoundError('JointDataset cannot load its datasets:\n  ' +
                                    '\n  '.join(problems) + '\nSee data/README.md for the '
                                    'expected layouts and the converters that write them.')

    def full_init(self) -> None:
        """Check all paths, then load every sub-dataset (errors name the dataset)."""
        if self._fully_initialized:
            return
        self._check_paths()
        for i, dataset in enumerate(self.datasets):
            try:
                dataset.full_init()
            except _DATA_ERRORS as err:
                _reraise(err, f'JointDataset dataset #{i} ({self.names[i]})')
            if len(dataset) == 0:
                raise ValueError(f'JointDataset dataset #{i} ({self.names[i]}) has no samples '
                                 f'(after filtering); check its data or drop it.')
        # cumulative sizes, as mmengine's ConcatDataset.full_init
        _TorchConcatDataset.__init__(self, self.datasets)
        self._fully_initialized = True

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        results = self.datasets[dataset_idx][sample_idx]
        samples = results['data_samples']
        frames = (list(samples.video_data_samples) if isinstance(samples, TrackDataSample)
                  else [samples])
        for frame in frames:
            self._remap(frame, dataset_idx, sample_idx)
        samples.set_metainfo(dict(dataset_name=self.names[dataset_idx]))
        return results

    # ------------------------------------------------------------------ label remapping
    def _lookup(self, labels: torch.Tensor, dataset_idx: int, sample_idx: int,
                what: str) -> torch.Tensor:
        """``lut[labels]`` for a long tensor of local labels (any shape)."""
        lut = self._luts[dataset_idx]
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= len(lut)):
            raise ValueError(f'JointDataset dataset #{dataset_idx} ({self.names[dataset_idx]}) '
                             f'sample {sample_idx}: {what} holds labels '
                             f'{sorted(set(labels.unique().tolist()))[:8]} outside its '
                             f'{len(lut)} classes.')
        return lut[labels]

    def _remap(self, frame, dataset_idx: int, sample_idx: int) -> None:
        agnostic = self._luts[dataset_idx] is None
        for key in ('gt_instances', 'ignored_instances'):
            if key in frame and 'labels' in frame.get(key):
                inst = frame.get(key)
                labels = inst.labels.long()
                inst.labels = (torch.full_like(labels, NO_CLASS) if agnostic else
                               self._lookup(labels, dataset_idx, sample_idx, f'{key}.labels'))
        if 'gt_sem_seg' in frame:
            sem = frame.gt_sem_seg.sem_seg.long()
            out = torch.full_like(sem, IGNORE_INDEX)
            if not agnostic:
                valid = sem != IGNORE_INDEX
                out[valid] = self._lookup(sem[valid], dataset_idx, sample_idx, 'gt_sem_seg')
            frame.gt_sem_seg.sem_seg = out

