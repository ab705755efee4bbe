"""The ADE20K converter (omgseg.datasets.converters.ade20k_panoptic, command line
tools/dataset_converters/ade20k_panoptic.py): ADEChallengeData2016 semantic + instance maps
-> COCO panoptic, read back by our dataset with the ade20k_panoptic vocabulary; the
vocabulary; the toy ADE writer and make_toy_data's --cityscapes / --ade20k flags."""
import inspect
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from omgseg.datasets.base import match_category
from omgseg.datasets.converters import ade20k_panoptic as ade
from omgseg.vocab import get_vocabulary
from omgseg.vocab.lists.image import (ADE20K_INSTANCE_TO_SEMANTIC,
                                                    ADE20K_SEMANTIC_IDS, ADE20K_THINGS)
from omgseg.datasets.toy.ade_writer import generate_toy_ade20k
from omgseg.datasets.toy.make_all import make_toy_data
from omgseg.evaluation.functional.files import read_id_png
from omgseg.registry import DATASETS

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / 'tools' / 'dataset_converters'
CONFIG = ROOT / 'configs' / '_base_' / 'datasets' / 'ade20k_panoptic.py'
H, W = 6, 8
PERSON, BICYCLE = ADE20K_SEMANTIC_IDS.index(13), ADE20K_SEMANTIC_IDS.index(128)
WALL, SKY, ROAD = (ADE20K_SEMANTIC_IDS.index(i) for i in (1, 3, 7))


def _maps() -> tuple[np.ndarray, np.ndarray]:
    sem = np.full((H, W), 7, np.uint8)           # road
    sem[:2] = 3                                  # sky
    sem[0, 0] = 0                                # "other": void
    sem[2:4, 6:8] = 1                            # wall
    sem[3:5, 0:2] = 13                           # person, with an instance below
    sem[5, 5:8] = 21                             # car without an instance: void
    inst = np.zeros((H, W, 3), np.uint8)
    inst[3:5, 0:2] = (4, 1, 0)                   # instance class 4 = person, instance 1
    inst[4:6, 3] = (83, 2, 0)                    # bicycle over semantic road: thing wins
    return sem, inst


def _write(root: Path, split_dir: str, stem: str, sem: np.ndarray, inst: np.ndarray) -> None:
    for sub, arr in (('images', np.zeros(sem.shape + (3,), np.uint8)), ('annotations', sem),
                     ('annotations_instance', inst)):
        (root / sub / split_dir).mkdir(parents=True, exist_ok=True)
        ext = 'jpg' if sub == 'images' else 'png'
        Image.fromarray(arr).save(root / sub / split_dir / f'{stem}.{ext}')


@pytest.fixture()
def release(tmp_path):
    root = tmp_path / 'ADEChallengeData2016'
    sem, inst = _maps()
    _write(root, 'validation', 'ADE_val_00000001', sem, inst)
    _write(root, 'validation', 'ADE_val_00000002', np.full((H, W), 3, np.uint8),
           np.zeros((H, W, 3), np.uint8))
    return root


def test_vocabulary_is_100_things_then_50_stuff_with_ade150_ids():
    vocab = get_vocabulary('ade20k_panoptic')
    assert len(vocab['thing_classes']) == 100 and len(vocab['stuff_classes']) == 50
    assert len(vocab['classes']) == 150
    assert sorted(ADE20K_SEMANTIC_IDS) == list(range(1, 151))
    # instance class k is thing label k - 1 (Mask2Former's catid mapping lists the things)
    assert ADE20K_INSTANCE_TO_SEMANTIC == tuple(i for i, _ in ADE20K_THINGS)
    # no synonym makes one class name match another class
    assert all(match_category(n, vocab['classes']) == i for i, n in enumerate(vocab['classes']))
    assert vocab['classes'][PERSON].startswith('person,') and vocab['classes'][WALL] == (
        'wall,walls,brick wall,stone wall,interior wall')


def test_segments_labels_areas_and_void(release):
    out = ade.convert(release, ['val'], log=lambda *_: None)['val']
    assert out == release / 'ade20k_panoptic_val.json'
    with open(out) as f:
        pan = json.load(f)
    assert [c['id'] for c in pan['categories']] == list(range(150))
    assert sum(c['isthing'] for c in pan['categories'][:100]) == 100
    assert pan['images'][0] == dict(id='ADE_val_00000001', file_name='ADE_val_00000001.jpg',
                                    height=H, width=W)
    ann = pan['annotations'][0]
    got = {s['id']: (s['category_id'], s['area'], s['bbox'], s['iscrowd'])
           for s in ann['segments_info']}
    person_id, bicycle_id = 1000 + PERSON + 1, 2000 + BICYCLE + 1
    assert got == {WALL + 1: (WALL, 4, [6, 2, 2, 2], 0),
                   SKY + 1: (SKY, 15, [0, 0, 8, 2], 0),
                   ROAD + 1: (ROAD, 19, [0, 2, 8, 4], 0),
                   person_id: (PERSON, 4, [0, 3, 2, 2], 0),
                   bicycle_id: (BICYCLE, 2, [3, 4, 1, 2], 0)}
    ids = read_id_png(release / 'ade20k_panoptic_val' / ann['file_name'])
    assert ids[0, 0] == 0 and (ids[5, 5:8] == 0).all()  # "other" and the un-instanced car
    assert (ids[4:6, 3] == bicycle_id).all() and (ids[3:5, 0:2] == person_id).all()
    assert {int(v) for v in np.unique(ids)} == set(got) | {0}


def test_dataset_reads_the_conversion_with_the_vocabulary(release):
    ade.convert(release, ['val'], log=lambda *_: None)
    ds = DATASETS.build(dict(Config.fromfile(str(CONFIG)).ade20k_panoptic_val,
                             data_root=str(release) + '/'))
    assert len(ds) == 2 and ds.metainfo['vocabulary'] == 'ade20k_panoptic'
    info = ds.get_data_info(0)
    assert info['img_id'] == 'ADE_val_00000001'
    assert info['img_path'].endswith('images/validation/ADE_val_00000001.jpg')
    assert Path(info['seg_map_path']).is_file()
    seg = {s['id']: (ds.metainfo['classes'][s['category']].split(',')[0], s['is_thing'])
           for s in info['segments_info']}
    assert sorted(seg.values()) == [('bicycle', True), ('person', True), ('road', False),
                                    ('sky', False), ('wall', False)]
    item = ds[1]
    assert item['inputs'].shape[-2:] == (640, 853)  # Resize(2560, 640), keep ratio: 6x8 * 106.7


def test_missing_instance_png_names_the_file(release):
    (release / 'annotations_instance' / 'validation' / 'ADE_val_00000002.png').unlink()
    with pytest.raises(ade.ConversionError, match=r'instance PNG .*ADE_val_00000002\.png'):
        ade.convert(release, ['val'], log=lambda *_: None)


@pytest.mark.parametrize('what', ['instance_without_class', 'semantic_out_of_range',
                                  'size_mismatch'])
def test_bad_maps_name_the_file(tmp_path, what):
    sem, inst = _maps()
    if what == 'instance_without_class':
        inst[0, 1] = (0, 3, 0)
    elif what == 'semantic_out_of_range':
        sem[1, 1] = 151
    else:
        inst = inst[:-1]
    _write(tmp_path, 'training', 'ADE_train_00000007', sem, inst)
    with pytest.raises(ade.ConversionError, match='ADE_train_00000007'):
        ade.convert(tmp_path, ['train'], log=lambda *_: None)


def test_parallel_conversion_matches_serial(tmp_path):
    res = generate_toy_ade20k(tmp_path, num_train=0, num_val=6, size=(32, 40),
                              log=lambda *_: None)
    serial = ade.convert(res['root'], ['val'], log=lambda *_: None)['val'].read_text()
    parallel = ade.convert(res['root'], ['val'], nproc=2, log=lambda *_: None)['val']
    assert parallel.read_text() == serial


def test_make_toy_data_flags_are_off_by_default_and_convert_when_on(tmp_path):
    defaults = inspect.signature(make_toy_data).parameters
    assert defaults['cityscapes_counts'].default is None
    assert defaults['ade20k_counts'].default is None
    proc = subprocess.run(
        [sys.executable, str(TOOLS / 'make_toy_data.py'), '--out', str(tmp_path),
         '--num-train', '1', '--num-val', '1', '--num-train-videos', '1',
         '--num-val-videos', '1', '--video-frames', '2', '2', '--num-davis-train', '0',
         '--num-davis-val', '0', '--size', '32', '32', '--cityscapes', '--ade20k',
         '--num-cityscapes', '2', '1', '--num-ade20k', '3', '2'],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'ade' / 'ADEChallengeData2016' / 'ade20k_panoptic_train.json') as f:
        assert len(json.load(f)['images']) == 3
    with open(tmp_path / 'cityscapes' / 'annotations' / 'cityscapes_panoptic_val.json') as f:
        assert len(json.load(f)['images']) == 1
    ds = DATASETS.build(dict(Config.fromfile(str(CONFIG)).ade20k_panoptic_train,
                             data_root=str(tmp_path / 'ade' / 'ADEChallengeData2016') + '/'))
    labels = {ds.metainfo['classes'][s['category']].split(',')[0]
              for i in range(len(ds)) for s in ds.get_data_info(i)['segments_info']}
    assert labels <= {'person', 'bicycle', 'car', 'animal', 'road', 'sky', 'grass'}
    assert len(labels) >= 2
