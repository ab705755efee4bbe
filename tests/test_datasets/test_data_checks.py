"""The data check (omgseg.datasets.checks; its CLIs tools/analysis_tools/check_dataset.py and
tools/train.py --check-data) on a generic dataset: clean it passes; a broken copy gets every
planted problem, counted and named, and training refuses to start with the same report."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from omgseg.datasets.checks import DataReport, check_config, clip_span
from omgseg.datasets.converters import youtube_vis
from omgseg.datasets.toy.generic_writer import write_generic_coco_panoptic, write_generic_ytvis
from tests.conftest import ROOT
from tests.test_tools.test_custom_dataset import template_config


def _quiet(msg: str) -> None:
    """A ``log`` that drops the converter's progress lines."""


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


@pytest.fixture(scope='module')
def panoptic(tmp_path_factory) -> tuple[Path, Path]:
    """(clean config, broken config) of two generic COCO-panoptic datasets."""
    tmp = tmp_path_factory.mktemp('checks')
    configs = []
    for kind in ('clean', 'broken'):
        write_generic_coco_panoptic(tmp / kind, num_train=6, num_val=2, size=(48, 48))
        configs.append(template_config('omgseg_tiny_custom-coco-panoptic.py', tmp / kind,
                                       tmp / f'cfg_{kind}'))
    root = tmp / 'broken'
    (root / 'images/train/train_0001.jpg').unlink()                         # missing file
    (root / 'images/train/train_0002.jpg').write_bytes(b'not a jpeg')      # unreadable
    Image.fromarray(np.zeros((48, 48, 3), np.uint8)).save(
        root / 'annotations/panoptic_train/train_0003.png')

    def break_train(data):
        anns = data['annotations']
        anns[0]['segments_info'].append(dict(id=999999, category_id=101, iscrowd=0))
        anns[3]['segments_info'] = []                                       # empty image
        data['images'][4]['width'] = 47                # image and PNG no longer fit the json
    _edit_json(root / 'annotations/panoptic_train.json', break_train)
    _edit_json(root / 'annotations/panoptic_val.json', lambda d: d['categories'].append(
        dict(id=300, name='toaster', isthing=1)))      # not in the training vocabulary
    return configs[0], configs[1]


def test_clean_dataset_passes(panoptic):
    report = check_config(Config.fromfile(str(panoptic[0])))
    assert report.ok, report.format()
    assert len(report.checked) == 2 and 'no problems found' in report.format()


def test_every_planted_problem_is_found_with_its_count(panoptic):
    report = check_config(Config.fromfile(str(panoptic[1])))
    assert report.counts('train') == {'missing file': 1, 'unreadable file': 1,
                                      'segment id absent from PNG': 1, 'empty image': 1,
                                      'size mismatch': 2}
    assert report.counts('val') == {'class not in vocabulary': 1}
    where = {p.kind: p for p in report.problems}
    assert where['missing file'].where.endswith('images/train/train_0001.jpg')
    assert where['unreadable file'].where.endswith('train_0002.jpg')
    assert where['segment id absent from PNG'].detail == 'segment id 999999'
    assert 'toaster' in where['class not in vocabulary'].detail
    # every problem names its file
    assert all(p.where.endswith(('.jpg', '.png', '.json')) for p in report.problems)
    text = report.format()
    assert 'missing file: 1' in text and 'size mismatch: 2' in text


def test_training_refuses_the_broken_dataset_with_the_same_report(panoptic, tmp_path):
    expected = check_config(Config.fromfile(str(panoptic[1]))).format()
    train = subprocess.run([sys.executable, 'tools/train.py', str(panoptic[1]), '--check-data',
                            '--work-dir', str(tmp_path / 'work')], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert train.returncode != 0 and expected in train.stderr, train.stderr[-3000:]
    assert 'Epoch(train)' not in train.stdout + train.stderr


def test_videos_shorter_than_the_training_clip(tmp_path):
    write_generic_ytvis(tmp_path / 'videos', num_train=2, num_val=1, num_frames=4,
                        size=(32, 32))
    youtube_vis.convert(tmp_path / 'videos', 'custom', log=_quiet)
    ann = tmp_path / 'videos/annotations/youtube_vis_custom_train.json'

    def shorten(data):  # video 1 keeps 2 frames; a training clip spans 3 (2 frames, 2 apart)
        drop = {im['id'] for im in data['images'] if im['video_id'] == 1 and im['frame_id'] > 1}
        data['images'] = [im for im in data['images'] if im['id'] not in drop]
        data['annotations'] = [a for a in data['annotations'] if a['image_id'] not in drop]
    _edit_json(ann, shorten)
    cfg = Config.fromfile(str(template_config('omgseg_tiny_custom-ytvis.py', tmp_path / 'videos',
                                              tmp_path / 'cfg')))
    assert clip_span(cfg.train_dataloader.dataset.pipeline) == 3
    report = check_config(cfg)
    assert report.counts('train') == {'video shorter than clip': 1}, report.format()
    assert report.problems[0].where == 'train_video_000'
    assert report.counts('val') == {}


def test_report_groups_examples_and_rejects_unknown_kinds():
    report = DataReport()
    for i in range(5):
        report.add('train', 'missing file', f'img{i}.jpg')
    text = report.format(max_examples=2)
    assert 'missing file: 5' in text and 'img1.jpg' in text and 'img2.jpg' not in text
    assert '... and 3 more' in text
    with pytest.raises(KeyError, match='unknown problem kind'):
        report.add('train', 'typo', 'x')


def test_vipseg_template_reads_its_vocabulary_from_the_categories_json(toy_root, tmp_path):
    """The toy VIPSeg release (with VIPSeg's panoVIPSeg_categories.json) through the VIPSeg
    template: the raw class of every label comes from the json, and the data check passes."""
    from omgseg.vocab import get_vocabulary
    cfg = Config.fromfile(str(template_config('omgseg_tiny_custom-vipseg.py',
                                              toy_root / 'vipseg', tmp_path / 'cfg')))
    vocab = get_vocabulary('toy')
    report = check_config(cfg)
    assert report.ok, report.format()
    from mmdet.registry import DATASETS
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset, lazy_init=True))
    assert dataset.metainfo['classes'] == vocab['classes']
    assert dataset.metainfo['raw_class_ids'] == vocab['raw_class_ids']
