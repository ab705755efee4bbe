"""The Cityscapes converter (omgseg.datasets.converters.cityscapes, command line
tools/dataset_converters/cityscapes.py): official gtFine -> COCO panoptic, read back by our
dataset with the cityscapes_panoptic vocabulary; the vocabulary; the toy Cityscapes writer."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from omgseg.datasets.converters import cityscapes as cs
from omgseg.vocab import get_vocabulary
from omgseg.datasets.toy.cityscapes_writer import generate_toy_cityscapes
from omgseg.evaluation.functional.files import read_id_png
from omgseg.registry import DATASETS

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'dataset_converters' / 'cityscapes.py'
CONFIG = ROOT / 'configs' / '_base_' / 'datasets' / 'cityscapes_panoptic.py'
H, W = 6, 8


def _image_a() -> np.ndarray:
    inst = np.full((H, W), 7, np.int64)          # road (stuff)
    inst[:2] = 23                                # sky
    inst[2:4, 0:2] = 24000                       # person #0
    inst[2:5, 3] = 24001                         # person #1
    inst[4:6, 5:8] = 26                          # a group of cars: crowd
    inst[0, 7] = 29000                           # caravan: ignoreInEval -> void
    inst[5, 0] = 0                               # unlabeled -> void
    inst[5, 1] = 9                               # parking -> void
    return inst


def _image_b() -> np.ndarray:
    inst = np.full((H, W), 8, np.int64)          # sidewalk
    inst[1:3, 2:5] = 33002                       # bicycle #2
    return inst


def _infos(ds) -> list[dict]:
    return [ds.get_data_info(i) for i in range(len(ds))]


def _write_release(root: Path, images: dict) -> None:
    """``images``: {(split, city, stem): instanceIds array} in the official layout."""
    for (split, city, stem), inst in images.items():
        img_dir, gt_dir = (root / 'leftImg8bit' / split / city, root / 'gtFine' / split / city)
        img_dir.mkdir(parents=True, exist_ok=True)
        gt_dir.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros(inst.shape + (3,), np.uint8)).save(
            img_dir / f'{stem}_leftImg8bit.png')
        Image.fromarray(inst.astype(np.uint16)).save(gt_dir / f'{stem}_gtFine_instanceIds.png')


@pytest.fixture()
def release(tmp_path):
    root = tmp_path / 'cityscapes'
    _write_release(root, {('train', 'aachen', 'aachen_000000_000019'): _image_a(),
                          ('train', 'bochum', 'bochum_000001_000019'): _image_b(),
                          ('val', 'lindau', 'lindau_000002_000019'): _image_b()})
    return root


def test_vocabulary_is_8_things_then_11_stuff():
    vocab = get_vocabulary('cityscapes_panoptic')
    assert len(vocab['thing_classes']) == 8 and len(vocab['stuff_classes']) == 11
    assert len(vocab['classes']) == 19
    assert vocab['classes'][:2] == ('person', 'rider') and vocab['classes'][8] == 'road'
    assert vocab['classes'][-1] == 'sky'


def test_segments_labels_areas_crowd_and_void(release):
    out = cs.convert(release, ['train'], log=lambda *_: None)['train']
    with open(out) as f:
        pan = json.load(f)
    assert [(c['id'], c['name'], c['isthing']) for c in pan['categories']][:9] == [
        (0, 'person', 1), (1, 'rider', 1), (2, 'car', 1), (3, 'truck', 1), (4, 'bus', 1),
        (5, 'train', 1), (6, 'motorcycle', 1), (7, 'bicycle', 1), (8, 'road', 0)]
    assert pan['images'][0] == dict(id='aachen_000000_000019', height=H, width=W,
                                    file_name='aachen/aachen_000000_000019_leftImg8bit.png')
    ann = pan['annotations'][0]
    assert ann['file_name'] == 'aachen/aachen_000000_000019_gtFine_panoptic.png'
    got = {s['id']: (s['category_id'], s['area'], s['bbox'], s['iscrowd'])
           for s in ann['segments_info']}
    assert got == {7: (8, 17, [0, 2, 8, 4], 0),        # road (ids 0 and 9 cut out)
                   23: (18, 15, [0, 0, 8, 2], 0),      # sky minus the caravan pixel
                   24000: (0, 4, [0, 2, 2, 2], 0),
                   24001: (0, 3, [3, 2, 1, 3], 0),
                   26: (2, 6, [5, 4, 3, 2], 1)}        # crowd of cars
    ids = read_id_png(release / 'annotations' / 'cityscapes_panoptic_train' / ann['file_name'])
    expected = _image_a()
    expected[np.isin(expected, [0, 9, 29000])] = 0
    np.testing.assert_array_equal(ids, expected)


def test_dataset_reads_the_conversion_with_the_vocabulary(release):
    cs.convert(release, ['train', 'val'], log=lambda *_: None)
    cfg = Config.fromfile(str(CONFIG))
    ds = DATASETS.build(dict(cfg.cityscapes_panoptic_train, data_root=str(release) + '/'))
    assert len(ds) == 2 and ds.metainfo['vocabulary'] == 'cityscapes_panoptic'
    info = {d['img_id']: d for d in _infos(ds)}
    seg = {s['id']: (ds.metainfo['classes'][s['category']], s['is_thing'], s['iscrowd'])
           for s in info['aachen_000000_000019']['segments_info']}
    assert seg == {7: ('road', False, False), 23: ('sky', False, False),
                   24000: ('person', True, False), 24001: ('person', True, False),
                   26: ('car', True, True)}
    b = info['bochum_000001_000019']
    assert b['img_path'].endswith('leftImg8bit/train/bochum/bochum_000001_000019_leftImg8bit.png')
    assert Path(b['seg_map_path']).is_file()
    assert {s['id']: s['category'] for s in b['segments_info']} == {8: 9, 33002: 7}
    val = DATASETS.build(dict(cfg.cityscapes_panoptic_val, data_root=str(release) + '/'))
    assert [d['img_id'] for d in _infos(val)] == ['lindau_000002_000019']


def test_config_scales_follow_the_reference():
    cfg = Config.fromfile(str(CONFIG))
    resize = next(t for t in cfg.cityscapes_panoptic_train_pipeline if t.type == 'RandomResize')
    assert resize.scale == (1280, 736) and resize.ratio_range == (0.8, 1.5)
    test = next(t for t in cfg.cityscapes_panoptic_test_pipeline if t.type == 'Resize')
    assert test.scale == (2048, 1024)
    assert [m.type for m in cfg.cityscapes_panoptic_evaluator] == ['PanopticQualityMetric']


def test_parallel_conversion_matches_serial(release, tmp_path):
    serial = cs.convert(release, ['train'], out_dir=tmp_path / 'a', log=lambda *_: None)
    parallel = cs.convert(release, ['train'], nproc=2, out_dir=tmp_path / 'b',
                          log=lambda *_: None)
    assert serial['train'].read_text() == parallel['train'].read_text()


def test_missing_instance_png_names_the_file(release):
    (release / 'gtFine' / 'train' / 'bochum' / 'bochum_000001_000019_gtFine_instanceIds.png'
     ).unlink()
    with pytest.raises(cs.ConversionError, match='bochum_000001_000019_gtFine_instanceIds.png'):
        cs.convert(release, ['train'], log=lambda *_: None)


def test_unknown_label_value_names_the_file(tmp_path):
    bad = _image_b()
    bad[0, 0] = 40
    _write_release(tmp_path, {('val', 'lindau', 'lindau_000000_000019'): bad})
    with pytest.raises(cs.ConversionError, match='lindau_000000_000019.*value 40'):
        cs.convert(tmp_path, ['val'], log=lambda *_: None)


def test_cli_reports_a_missing_split_without_a_traceback(tmp_path):
    proc = subprocess.run([sys.executable, str(TOOL), str(tmp_path), '--splits', 'val'],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert 'leftImg8bit/val' in proc.stderr and 'Traceback' not in proc.stderr


def test_toy_release_converts_and_loads(tmp_path):
    res = generate_toy_cityscapes(tmp_path, num_train=3, num_val=2, size=(32, 48),
                                  log=lambda *_: None)
    out = cs.convert(res['root'], log=lambda *_: None)
    with open(out['val']) as f:
        pan = json.load(f)
    assert [i['id'] for i in pan['images']] == ['frankfurt_000000_000019',
                                                'lindau_000001_000019']
    ds = DATASETS.build(dict(Config.fromfile(str(CONFIG)).cityscapes_panoptic_val,
                             data_root=str(res['root']) + '/'))
    item = ds[0]
    assert item['inputs'].shape[-2:] == (1024, 1536)  # full-resolution test resize
    names = {ds.metainfo['classes'][s['category']] for d in _infos(ds)
             for s in d['segments_info']}
    assert names <= {'person', 'bicycle', 'car', 'rider', 'truck', 'road', 'sky', 'vegetation'}
    assert all(any(not s['is_thing'] for s in d['segments_info']) for d in _infos(ds))
