"""The COCO-panoptic dataset and its pipeline on the toy world, and its bad-input errors."""
import json
import shutil

import pytest
import torch

from omgseg.datasets.coco_panoptic import OMGCocoPanopticDataset
from omgseg.datasets.transforms import LoadImageSafe
from omgseg.registry import DATASETS
from tests.conftest import toy_cfg


@pytest.fixture()
def train_cfg(toy_root):
    return toy_cfg(toy_root).train_dataloader.dataset


def test_samples_are_one_frame_clips_with_task(train_cfg, toy_root):
    ds = DATASETS.build(train_cfg)
    assert ds.metainfo['classes'][:2] == ('person', 'bicycle')
    item = ds[0]
    assert item['inputs'].dim() == 4 and item['inputs'].shape[0] == 1
    sample = item['data_samples']
    assert sample.metainfo['task'] == 'panoptic'
    frame = sample.video_data_samples[0]
    n_things = len(ds.metainfo['thing_classes'])
    assert (frame.gt_instances.labels < n_things).all()
    sem = frame.gt_sem_seg.sem_seg
    assert sem.shape[-2:] == item['inputs'].shape[-2:]
    assert sem.dtype == torch.long


def test_labels_follow_the_vocabulary_not_json_ids(train_cfg):
    ds = DATASETS.build(train_cfg)
    cat2label = ds.metainfo['cat2label']
    with open(ds.ann_file) as f:
        cats = json.load(f)['categories']
    for cat in cats:
        assert ds.metainfo['classes'][cat2label[cat['id']]] == cat['name']


def test_missing_annotation_file_is_a_clear_error(train_cfg, tmp_path):
    cfg = train_cfg.copy()
    cfg.ann_file = str(tmp_path / 'nope.json')
    with pytest.raises(FileNotFoundError, match='nope.json.*data/README.md'):
        DATASETS.build(cfg)


def test_category_outside_the_vocabulary_is_a_clear_error(train_cfg, tmp_path):
    with open(DATASETS.build(train_cfg).ann_file) as f:
        coco = json.load(f)
    coco['categories'][0]['name'] = 'unicorn'
    path = tmp_path / 'pan.json'
    path.write_text(json.dumps(coco))
    cfg = train_cfg.copy()
    cfg.ann_file = str(path)
    with pytest.raises(ValueError, match='unicorn'):
        DATASETS.build(cfg)


def test_images_without_segments_are_skipped_in_training(train_cfg, tmp_path):
    with open(DATASETS.build(train_cfg).ann_file) as f:
        coco = json.load(f)
    coco['annotations'][0]['segments_info'] = []
    del coco['annotations'][1]  # an image with no annotation entry at all
    path = tmp_path / 'pan.json'
    path.write_text(json.dumps(coco))
    cfg = train_cfg.copy()
    cfg.ann_file = str(path)
    ds = DATASETS.build(cfg)
    assert len(ds) == len(coco['images']) - 2


def test_missing_and_corrupt_images(tmp_path):
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'not an image')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        LoadImageSafe()(dict(img_path=str(tmp_path / 'missing.jpg')))
    with pytest.raises(ValueError, match='bad.jpg'):
        LoadImageSafe()(dict(img_path=str(bad)))
    # training skips the sample (the dataset then draws another one) with a logged warning
    assert LoadImageSafe(skip_bad=True)(dict(img_path=str(bad))) is None


def test_panoptic_png_with_unlisted_id_is_a_clear_error(train_cfg, tmp_path):
    ds = DATASETS.build(train_cfg)
    info = ds.get_data_info(0)
    png = tmp_path / 'seg.png'
    shutil.copy(info['seg_map_path'], png)
    info['seg_map_path'] = str(png)
    info['segments_info'] = info['segments_info'][1:]  # drop one listed segment
    from omgseg.datasets.transforms import LoadPanopticAnnotationsPNG
    with pytest.raises(ValueError, match='seg.png.*disagree'):
        LoadPanopticAnnotationsPNG()(info)


def test_crowd_segments_are_ignored_instances(train_cfg):
    cfg = train_cfg.copy()
    cfg.pipeline = [dict(type='LoadImageSafe'), dict(type='LoadPanopticAnnotationsPNG'),
                    dict(type='PackClipInputs')]
    ds = DATASETS.build(cfg)
    found = False
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        if any(s['iscrowd'] for s in info['segments_info']):
            frame = ds[i]['data_samples'].video_data_samples[0]
            found = found or len(frame.ignored_instances) > 0
    assert found, 'the toy data must contain crowd regions that reach ignored_instances'
    assert isinstance(ds, OMGCocoPanopticDataset)


def test_open_vocabulary_names_map_by_json_id(tmp_path):
    """coco_panoptic_ov's synonym names do not contain COCO's own ('door-stuff'): ids map."""
    import json

    from omgseg.datasets.coco_panoptic import OMGCocoPanopticDataset
    from omgseg.vocab import get_vocabulary
    vocab = get_vocabulary('coco_panoptic_ov')
    cats = [dict(id=1, name='person', isthing=1), dict(id=112, name='door-stuff', isthing=0)]
    ann = dict(images=[dict(id=5, file_name='5.jpg', height=4, width=4)],
               annotations=[dict(image_id=5, file_name='5.png', segments_info=[
                   dict(id=7, category_id=112, iscrowd=0), dict(id=9, category_id=1,
                                                                iscrowd=0)])],
               categories=cats)
    path = tmp_path / 'panoptic.json'
    path.write_text(json.dumps(ann))
    ds = OMGCocoPanopticDataset(ann_file=str(path), vocabulary='coco_panoptic_ov')
    labels = [
        s['category'] for s in ds.get_data_info(0)['segments_info']]
    assert labels == [vocab['cat_ids'].index(112), 0]
    assert 'door' in vocab['classes'][labels[0]]
    cats.append(dict(id=999, name='spaceship', isthing=1))
    path.write_text(json.dumps(ann))
    with pytest.raises(ValueError, match='id 999'):
        OMGCocoPanopticDataset(ann_file=str(path), vocabulary='coco_panoptic_ov')
