"""Check every dataset a config trains and evaluates on, and report all problems at once.

The datasets are found in ``train_dataloader`` (through ``JointDataset`` / ``ConcatDataset`` /
``RepeatDataset`` wrappers), ``val_dataloader``, ``test_dataloader`` and the ``extra`` entries
of ``val_cfg`` / ``test_cfg`` (``MultiDatasetValLoop``); a dataset named twice is checked
once. Each is built with ``lazy_init=True`` (paths joined, vocabulary resolved, nothing read)
and checked by the checker of its type; other types are loaded and their files looked up.
"""
from __future__ import annotations

import copy
import os.path as osp

from mmengine.registry import init_default_scope

from omgseg.registry import DATASETS

from .image_checks import check_coco_panoptic
from .report import DataReport
from .video_checks import check_vipseg, check_youtube_vis

_WRAPPER_KEYS = ('datasets', 'dataset')


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


def _leaves(cfg: dict, name: str) -> list[tuple[str, dict]]:
    """(name, dataset config) of the datasets that read files, inside wrappers."""
    if isinstance(cfg.get('datasets'), (list, tuple)):
        names = cfg.get('names') or [str(i) for i in range(len(cfg['datasets']))]
        return [leaf for sub, sub_name in zip(cfg['datasets'], names)
                for leaf in _leaves(sub, f'{name}[{sub_name}]')]
    if isinstance(cfg.get('dataset'), dict):
        return _leaves(cfg['dataset'], name)
    return [(name, cfg)]


def config_datasets(cfg, splits=('train', 'val', 'test')) -> list[tuple[str, dict, bool]]:
    """``(name, dataset config, training)`` of every dataset ``cfg`` names in ``splits``."""
    found, seen = [], set()

    def add(name: str, dataset_cfg, training: bool) -> None:
        if not dataset_cfg:
            return
        for leaf_name, leaf in _leaves(_plain(dataset_cfg), name):
            key = repr(sorted((k, repr(v)) for k, v in leaf.items()))
            if key not in seen:
                seen.add(key)
                found.append((leaf_name, leaf, training))

    for split in splits:
        loader = cfg.get(f'{split}_dataloader') or {}
        add(split, loader.get('dataset'), split == 'train')
        if split != 'train':
            for entry in (cfg.get(f'{split}_cfg') or {}).get('extra') or []:
                add(f'{split}:{entry.get("name")}', entry['dataloader'].get('dataset'), False)
    return found


def clip_span(pipeline) -> int | None:
    """Frames a training clip spans (``ClipSample``), None when the pipeline takes whole
    videos or images."""
    for step in pipeline or []:
        if isinstance(step, dict) and step.get('type') == 'ClipSample':
            if step.get('all_frames') or step.get('test_mode'):
                return None
            return (step.get('num_frames', 2) - 1) * step.get('interval', 2) + 1
    return None


def _generic(dataset, name: str, report: DataReport) -> str:
    """Any other dataset: load it and look up the files its samples name."""
    dataset.full_init()
    paths = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        for frame in info.get('images', [info]):
            paths += [frame[k] for k in ('img_path', 'seg_map_path') if frame.get(k)]
    for path in paths:
        if not osp.isfile(path):
            report.add(name, 'missing file', path)
    return f'{name}: {type(dataset).__name__}, {len(dataset)} sample(s), {len(paths)} file(s)'


def check_dataset(dataset_cfg: dict, name: str, report: DataReport, *,
                  training: bool) -> None:
    """Check one dataset config, adding its problems and a summary line to ``report``."""
    built_cfg = copy.deepcopy(dataset_cfg)
    built_cfg['lazy_init'] = True
    try:
        dataset = DATASETS.build(built_cfg)
    except (FileNotFoundError, ValueError, KeyError, TypeError) as err:
        report.add(name, 'dataset fails to load', dataset_cfg.get('type', '?'),
                   f'{type(err).__name__}: {err}')
        report.checked.append(f'{name}: {dataset_cfg.get("type")} (not built)')
        return
    span = clip_span(dataset_cfg.get('pipeline')) if training else None
    kind = type(dataset).__name__
    try:
        if kind == 'OMGCocoPanopticDataset':
            line = check_coco_panoptic(dataset, name, report, training=training)
        elif kind == 'OMGYouTubeVISDataset':
            line = check_youtube_vis(dataset, name, report, clip_span=span, training=training)
        elif kind == 'OMGVIPSegDataset':
            line = check_vipseg(dataset, name, report, clip_span=span)
        else:
            line = _generic(dataset, name, report)
    except (FileNotFoundError, ValueError, KeyError) as err:
        report.add(name, 'dataset fails to load', getattr(dataset, 'ann_file', kind),
                   f'{type(err).__name__}: {err}')
        line = f'{name}: {kind} (not read)'
    report.checked.append(line)


def _check_joint(dataset_cfg: dict, name: str, report: DataReport) -> None:
    """A ``JointDataset`` with a target vocabulary: every sub-dataset's classes in it."""
    built_cfg = copy.deepcopy(dataset_cfg)
    built_cfg['lazy_init'] = True
    try:
        DATASETS.build(built_cfg)
    except ValueError as err:
        if 'not in vocabulary' in str(err):
            report.add(name, 'class not in vocabulary', 'JointDataset.vocabulary', str(err))
    except (FileNotFoundError, KeyError, TypeError):
        pass  # the sub-datasets' own checks name these


def check_config(cfg, splits=('train', 'val', 'test')) -> DataReport:
    """Check every dataset of ``cfg`` (an mmengine ``Config``) in ``splits``.

    Returns:
        the :class:`DataReport` (``report.ok`` when nothing was found).
    """
    import omgseg.register  # noqa: F401  (the dataset types a config names)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    report = DataReport()
    train = (cfg.get('train_dataloader') or {}).get('dataset') if 'train' in splits else None
    if train and train.get('type') == 'JointDataset' and train.get('vocabulary') is not None:
        _check_joint(_plain(train), 'train', report)
    for name, dataset_cfg, training in config_datasets(cfg, splits):
        check_dataset(dataset_cfg, name, report, training=training)
    return report


__all__ = ['check_config', 'check_dataset', 'clip_span', 'config_datasets']
