"""omgseg.datasets.converters.youtube_vis (and its command line,
tools/dataset_converters/youtube_vis.py): official YouTube-VIS json -> COCO-video json."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from omgseg.datasets.converters import youtube_vis as yv
from omgseg.datasets.toy import generate_toy_ytvis

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'dataset_converters' / 'youtube_vis.py'


def _quiet(*_):
    pass


@pytest.fixture(scope='module')
def toy_vis(tmp_path_factory):
    out = tmp_path_factory.mktemp('ytvis')
    generate_toy_ytvis(out, num_train=5, num_val=2, train_frames=5, val_frames=4, seed=2,
                       size=(48, 64), log=_quiet)
    return out / 'youtube_vis'


def _copy(root, tmp_path):
    dst = tmp_path / 'yv'
    shutil.copytree(root, dst)
    return dst


def _raw(root, split):
    return json.loads((root / split / 'instances.json').read_text())


def _check_against_raw(coco, raw, root, split):
    """Every present frame of every raw track is one COCO annotation with the same mask."""
    assert [v['id'] for v in coco['videos']] == [v['id'] for v in raw['videos']]
    assert coco['categories'] == [dict(id=c['id'], name=c['name']) for c in raw['categories']]
    images = {im['id']: im for im in coco['images']}
    assert len(images) == len(coco['images']) == sum(len(v['file_names'])
                                                     for v in raw['videos'])
    for v, cv in zip(raw['videos'], coco['videos']):
        assert cv['name'] == v['file_names'][0].split('/')[0]
        assert (cv['length'], cv['width'], cv['height']) == (v['length'], v['width'],
                                                             v['height'])
        frames = [im for im in coco['images'] if im['video_id'] == v['id']]
        assert [im['frame_id'] for im in frames] == list(range(v['length']))
        assert [im['file_name'] for im in frames] == v['file_names']
        for im in frames:
            assert (root / split / 'JPEGImages' / im['file_name']).is_file()
    by_instance = {}
    for a in coco['annotations']:
        by_instance.setdefault(a['instance_id'], []).append(a)
    assert len(by_instance) == len(raw['annotations'])  # one instance id per raw track
    videos = {v['id']: v for v in raw['videos']}
    for track in raw['annotations']:
        present = [t for t, s in enumerate(track['segmentations']) if s is not None]
        matches = [anns for anns in by_instance.values()
                   if anns[0]['video_id'] == track['video_id']
                   and [images[a['image_id']]['frame_id'] for a in anns] == present
                   and [a['segmentation'] for a in anns]
                   == [track['segmentations'][t] for t in present]]
        assert len(matches) == 1
        for a, t in zip(matches[0], present):
            assert images[a['image_id']]['video_id'] == track['video_id']
            assert images[a['image_id']]['file_name'] == videos[track['video_id']][
                'file_names'][t]
            assert (a['category_id'], a['bbox'], a['area'], a['iscrowd']) == (
                track['category_id'], track['bboxes'][t], track['areas'][t], 0)
    assert sum(len(a) for a in by_instance.values()) == len(coco['annotations'])
    assert len({a['id'] for a in coco['annotations']}) == len(coco['annotations'])


def test_converts_toy_output(toy_vis, tmp_path):
    root = _copy(toy_vis, tmp_path)
    outputs = yv.convert(root, 'toy', log=_quiet)
    assert set(outputs) == {'train', 'valid'}
    ann = root / 'annotations'
    train = json.loads((ann / 'youtube_vis_toy_train.json').read_text())
    _check_against_raw(train, _raw(root, 'train'), root, 'train')
    assert any(len({a['instance_id'] for a in train['annotations']
                    if a['video_id'] == v['id']}) >= 2 for v in train['videos'])
    valid = json.loads((ann / 'youtube_vis_toy_valid.json').read_text())
    assert valid['annotations'] == [] and len(valid['videos']) == 2
    assert len(valid['images']) == 8


def test_2019_layout_and_explicit_paths(toy_vis, tmp_path):
    root = _copy(toy_vis, tmp_path)
    (root / 'train' / 'instances.json').rename(root / 'train.json')
    (root / 'valid' / 'instances.json').rename(tmp_path / 'elsewhere.json')
    outputs = yv.convert(root, '2019', ann_files={'valid': tmp_path / 'elsewhere.json'},
                         log=_quiet)
    assert outputs['train'].name == 'youtube_vis_2019_train.json'
    train = json.loads(outputs['train'].read_text())
    _check_against_raw(train, json.loads((root / 'train.json').read_text()), root, 'train')
    assert json.loads(outputs['valid'].read_text())['annotations'] == []


def test_holdout_split(toy_vis, tmp_path):
    root = _copy(toy_vis, tmp_path)
    raw = _raw(root, 'train')
    outputs = yv.convert(root, 'toy', holdout=2, seed=7, log=_quiet)
    held_gt = json.loads(outputs['holdout_gt'].read_text())
    held = json.loads(outputs['holdout'].read_text())
    train = json.loads(outputs['train'].read_text())
    held_ids = [v['id'] for v in held_gt['videos']]
    assert len(held_ids) == 2 and [v['id'] for v in held['videos']] == held_ids
    assert sorted(held_ids + [v['id'] for v in train['videos']]) == [
        v['id'] for v in raw['videos']]
    assert held_gt['categories'] == raw['categories']
    assert held_gt['annotations'] == [a for a in raw['annotations']
                                      if a['video_id'] in held_ids]
    assert held_gt['videos'] == [v for v in raw['videos'] if v['id'] in held_ids]
    _check_against_raw(held, held_gt, root, 'train')
    assert not {a['video_id'] for a in train['annotations']} & set(held_ids)
    rest = dict(raw, videos=[v for v in raw['videos'] if v['id'] not in held_ids],
                annotations=[a for a in raw['annotations'] if a['video_id'] not in held_ids])
    _check_against_raw(train, rest, root, 'train')
    # the seed fixes the choice
    again = yv.convert(_copy(toy_vis, tmp_path / 'b'), 'toy', holdout=2, seed=7, log=_quiet)
    assert json.loads(again['holdout_gt'].read_text())['videos'] == held_gt['videos']
    with pytest.raises(yv.ConversionError, match='has 5 videos'):
        yv.convert(root, 'toy', holdout=9, log=_quiet)


def test_missing_annotation_file_names_paths(tmp_path):
    with pytest.raises(yv.ConversionError) as err:
        yv.convert(tmp_path, '2021', log=_quiet)
    msg = str(err.value)
    assert str(tmp_path / 'train' / 'instances.json') in msg
    assert str(tmp_path / 'train.json') in msg and 'JPEGImages' in msg


def _edit_train(root, fn):
    raw = _raw(root, 'train')
    fn(raw)
    (root / 'train' / 'instances.json').write_text(json.dumps(raw))


def test_bad_input_errors(toy_vis, tmp_path):
    root = _copy(toy_vis, tmp_path)
    original = _raw(root, 'train')
    _edit_train(root, lambda r: r['annotations'][0]['segmentations'].pop())
    with pytest.raises(yv.ConversionError, match=r'"segmentations" has 4 entries but the '
                                                 r'video has 5 frames'):
        yv.convert(root, 'toy', log=_quiet)
    (root / 'train' / 'instances.json').write_text(json.dumps(original))
    _edit_train(root, lambda r: r['annotations'][1].update(category_id=99))
    with pytest.raises(yv.ConversionError, match='unknown category_id 99'):
        yv.convert(root, 'toy', log=_quiet)
    (root / 'train' / 'instances.json').write_text(json.dumps(original))
    name = original['videos'][1]['file_names'][0].split('/')[0]
    shutil.rmtree(root / 'train' / 'JPEGImages' / name)
    with pytest.raises(yv.ConversionError, match=f'frame directory .*{name} .* is missing'):
        yv.convert(root, 'toy', log=_quiet)
    assert 'train' in yv.convert(root, 'toy', check_frames=False, log=_quiet)


def test_cli(toy_vis, tmp_path):
    root = _copy(toy_vis, tmp_path)
    proc = subprocess.run([sys.executable, str(SCRIPT), '--root', str(root), '--version',
                           '2021', '--holdout', '1'], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (root / 'annotations').iterdir())
    assert names == ['youtube_vis_2021_holdout.json', 'youtube_vis_2021_holdout_gt.json',
                     'youtube_vis_2021_train.json', 'youtube_vis_2021_valid.json']
    bad = subprocess.run([sys.executable, str(SCRIPT), '--root', str(tmp_path / 'nothing'),
                          '--version', '2019'], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and 'Traceback' not in bad.stderr
    assert 'no YouTube-VIS annotation file found' in bad.stderr
