"""JointDataset: datasets with different vocabularies in one merged vocabulary, on toy data."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import DefaultSampler

from omgseg.apis.gen_class_embeddings import read_vocabulary
from omgseg.datasets.joint_dataset import JointDataset
from omgseg.datasets.samplers import TaskBatchSampler, task_group
from omgseg.datasets.toy import generate_toy_coco, generate_toy_vipseg
from omgseg.registry import DATASETS
from omgseg.structures import IGNORE_INDEX

# the toy classes renamed (synonyms), reordered, plus one the toy json never uses
RENAMED = dict(thing_classes=('dog,puppy', 'cat', 'bike/bicycle', 'human,person', 'car', 'bird'),
               stuff_classes=('sky,clouds', 'road,street', 'grass'))
# toy label -> merged label when RENAMED comes first: person, bicycle, car, bird, dog; road,
# sky, grass
TOY_LUT = [3, 2, 4, 5, 0, 7, 6, 8]

_LOAD = [dict(type='LoadImageSafe'), dict(type='LoadPanopticAnnotationsPNG')]


def _quiet(*args, **kwargs) -> None:
    pass


@pytest.fixture(scope='module')
def toy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('joint_toy')
    generate_toy_coco(root, num_train=4, num_val=1, log=_quiet)
    generate_toy_vipseg(root, num_train=2, num_val=1, train_frames=3, val_frames=2, log=_quiet)
    return root


def _coco(root: Path, vocabulary, task: str = 'panoptic') -> dict:
    pipeline = (_LOAD + [dict(type='PackClipInputs')] if task != 'interactive' else
                [_LOAD[0], dict(type='LoadPanopticAnnotationsPNG', all_segments=True),
                 dict(type='SamplePrompts', test_mode=True), dict(type='PackClipInputs')])
    return dict(type='OMGCocoPanopticDataset', data_root=f'{root}/coco/',
                ann_file='annotations/panoptic_train2017.json',
                data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
                vocabulary=vocabulary, task=task, pipeline=pipeline)


def _vipseg(root: Path) -> dict:
    return dict(type='OMGVIPSegDataset', data_root=f'{root}/vipseg/', ann_file='train.txt',
                vocabulary='toy', task='panoptic', nproc=1, pipeline=[
                    dict(type='ClipSample', all_frames=True),
                    dict(type='ForEachFrame', transforms=[
                        dict(type='LoadImageSafe'), dict(type='LoadVIPSegAnnotations')]),
                    dict(type='PackClipInputs')])


def _configs(root: Path) -> list[dict]:
    return [_coco(root, RENAMED), dict(type='RepeatDataset', times=2, dataset=_coco(root, 'toy')),
            _vipseg(root), _coco(root, 'toy', task='interactive')]


@pytest.fixture(scope='module')
def joint(toy) -> JointDataset:
    return DATASETS.build(dict(type='JointDataset', datasets=_configs(toy)))


def test_metainfo_is_the_merged_vocabulary(joint):
    meta = joint.metainfo
    assert meta['thing_classes'] == RENAMED['thing_classes']
    assert meta['stuff_classes'] == RENAMED['stuff_classes']
    assert meta['classes'] == RENAMED['thing_classes'] + RENAMED['stuff_classes']
    assert meta['vocabulary'] == 'merged'
    assert meta['tasks'] == ['panoptic', 'panoptic', 'panoptic', 'interactive']
    assert meta['dataset_names'] == [
        'OMGCocoPanopticDataset(custom)', 'OMGCocoPanopticDataset(toy)',
        'OMGVIPSegDataset(toy)', 'OMGCocoPanopticDataset(toy)']
    assert meta['label_maps'] == [list(range(9)), TOY_LUT, TOY_LUT, None]


def _frames(item) -> list:
    return list(item['data_samples'].video_data_samples)


def test_labels_are_remapped_through_the_dataset_lut(joint):
    start = 0
    checked_labels = checked_pixels = ignored_pixels = 0
    for d, sub in enumerate(joint.datasets):
        lut = torch.tensor(joint.metainfo['label_maps'][d] or [])
        for local in (0, len(sub) - 1):
            ref, got = sub[local], joint[start + local]
            assert got['data_samples'].metainfo['dataset_name'] == joint.names[d]
            assert torch.equal(ref['inputs'], got['inputs'])
            for f_ref, f_got in zip(_frames(ref), _frames(got)):
                labels = f_ref.gt_instances.labels
                if d == 3:  # interactive: class-agnostic
                    assert (f_got.gt_instances.labels == -1).all()
                    assert (f_got.gt_sem_seg.sem_seg == IGNORE_INDEX).all()
                    assert torch.equal(f_ref.prompts.instances_ids, f_got.prompts.instances_ids)
                    assert torch.equal(torch.as_tensor(f_ref.gt_instances.masks.masks),
                                       torch.as_tensor(f_got.gt_instances.masks.masks))
                    continue
                assert torch.equal(f_got.gt_instances.labels, lut[labels])
                sem_ref, sem_got = f_ref.gt_sem_seg.sem_seg, f_got.gt_sem_seg.sem_seg
                void = sem_ref == IGNORE_INDEX
                assert torch.equal(sem_got[void], sem_ref[void])
                assert torch.equal(sem_got[~void], lut[sem_ref[~void]])
                checked_labels += len(labels)
                checked_pixels += int((~void).sum())
                ignored_pixels += int(void.sum())
        start += len(sub)
    assert start == len(joint)
    assert checked_labels > 0 and checked_pixels > 0 and ignored_pixels > 0


def test_data_info_keeps_each_samples_task_for_the_batch_sampler(joint):
    tasks = [joint.get_data_info(i)['task'] for i in range(len(joint))]
    sizes = [len(d) for d in joint.datasets]
    assert tasks == [t for t, n in zip(joint.metainfo['tasks'], sizes) for _ in range(n)]
    sampler = TaskBatchSampler(DefaultSampler(joint, shuffle=True, seed=0), batch_size=2)
    batches = list(sampler)
    assert len(batches) == len(sampler) > 0
    for batch in batches:
        assert len({task_group(tasks[i]) for i in batch}) == 1


def test_target_vocabulary_labels_and_missing_classes(toy):
    target = dict(merge=[RENAMED, dict(thing_classes=('whale',), stuff_classes=('sea',))])
    ds = JointDataset(datasets=_configs(toy)[1:3], vocabulary=target, lazy_init=True)
    # the target's labels: 7 things (RENAMED + whale), then RENAMED's stuff and sea
    assert ds.metainfo['classes'][6:8] == ('whale', 'sky,clouds')
    assert ds.metainfo['label_maps'] == [[3, 2, 4, 5, 0, 8, 7, 9]] * 2
    with pytest.raises(ValueError, match=r"dataset #0 \(OMGCocoPanopticDataset\(custom\)\): "
                                         r"\['cat'\].*Add them"):
        JointDataset(datasets=_configs(toy)[:2], vocabulary='toy', lazy_init=True)


def _missing_configs(tmp_path: Path) -> list[dict]:
    coco = _coco(tmp_path / 'nowhere', 'toy')
    vip = _vipseg(tmp_path)
    (tmp_path / 'vipseg').mkdir()
    return [coco, dict(type='RepeatDataset', times=3, dataset=vip)]


def test_missing_data_is_reported_before_loading(tmp_path):
    cfgs = _missing_configs(tmp_path)
    lazy = JointDataset(datasets=cfgs, lazy_init=True)  # metainfo needs no files
    assert lazy.metainfo['classes'][0] == 'person'
    message = (r'dataset #0 \(OMGCocoPanopticDataset\(toy\)\): data_root .*nowhere/coco/ is not '
               r'a folder\n  dataset #1 \(OMGVIPSegDataset\(toy\)\): ann_file .*train.txt does '
               r'not exist\nSee data/README.md')
    with pytest.raises(FileNotFoundError, match=message):
        lazy.full_init()
    with pytest.raises(FileNotFoundError, match=message):
        JointDataset(datasets=cfgs)


def test_sub_dataset_load_errors_name_the_dataset(toy, tmp_path):
    bad = _coco(toy, 'toy')
    bad['ann_file'] = str(tmp_path / 'pan.json')
    (tmp_path / 'pan.json').write_text('{"images": [], "annotations": []}')
    with pytest.raises(ValueError, match=r'JointDataset dataset #1 \(OMGCocoPanopticDataset'
                                         r'\(toy\)\): .*pan.json has no "categories"'):
        JointDataset(datasets=[_coco(toy, 'toy'), bad])


def test_only_class_agnostic_datasets_is_an_error(toy):
    with pytest.raises(ValueError, match='all are class-agnostic'):
        JointDataset(datasets=[_coco(toy, 'toy', task='interactive')], lazy_init=True)


def test_gen_class_embeddings_reads_a_lazy_joint_dataset(tmp_path):
    # data that does not exist: the job builds the train dataset lazily, reading no file
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='JointDataset', datasets=[_coco(tmp_path, RENAMED), _coco(tmp_path, 'toy')]))))
    vocab = read_vocabulary(cfg)
    assert vocab['classes'] == list(RENAMED['thing_classes'] + RENAMED['stuff_classes'])
    assert (vocab['num_things'], vocab['num_stuff']) == (6, 3)
    assert 'JointDataset' in vocab['source']
