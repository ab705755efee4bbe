"""Toy DAVIS 2017 (palette PNGs that decode to the rendered first-frame objects), the DAVIS
dataset + its VOS test pipeline, the annotation loader, and every bad-input message."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omgseg.datasets.davis import OMGDAVISDataset
from omgseg.datasets.davis_format import DAVIS_PALETTE, read_davis_mask
from omgseg.datasets.toy import (DAVIS_INDEX_OFFSET, davis_index_mask, davis_object_indices,
                                 davis_scenes, generate_toy_davis, iter_video_frames, render,
                                 video_scene_seed)
from omgseg.datasets.transforms import LoadDAVISAnnotations
from omgseg.structures import IGNORE_INDEX

REPO = Path(__file__).resolve().parents[2]
SEED, SIZE, FRAMES = 5, (64, 80), 6
TEST_PIPELINE = [
    dict(type='ClipSample', all_frames=True),
    dict(type='ForEachFrame', transforms=[dict(type='LoadImageSafe'),
                                          dict(type='LoadDAVISAnnotations')]),
    dict(type='PackClipInputs'),
]


def _quiet(*_):
    pass


@pytest.fixture(scope='module')
def davis_root(tmp_path_factory):
    out = tmp_path_factory.mktemp('toydavis')
    res = generate_toy_davis(out, num_train=2, num_val=3, num_frames=FRAMES, seed=SEED,
                             size=SIZE, log=_quiet)
    assert not res['skipped']
    return out / 'davis'


# ----------------------------------------------------------------------------- toy writer
def test_palette_is_the_davis_pascal_colour_map():
    # first entries of the palette stored in the DAVIS annotations (and davis2017-evaluation)
    expected = [(0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128), (128, 0, 128),
                (0, 128, 128), (128, 128, 128), (64, 0, 0), (192, 0, 0), (64, 128, 0)]
    assert DAVIS_PALETTE.shape == (256, 3) and DAVIS_PALETTE.dtype == np.uint8
    assert [tuple(c) for c in DAVIS_PALETTE[:11].tolist()] == expected
    assert tuple(DAVIS_PALETTE[255].tolist()) == (224, 224, 192)
    assert len({tuple(c) for c in DAVIS_PALETTE.tolist()}) == 256


def test_object_order_and_late_objects_are_background():
    seg = np.zeros((6, 8), np.int32)
    seg[3:5, 0:2] = 11   # thing, track 5: first pixel at row 3
    seg[0:2, 6:8] = 12   # thing, track 2: first pixel at row 0 -> object 1
    seg[2:4, 3:5] = 13   # thing, track 9: row 2 -> object 2
    seg[5, :] = 40       # stuff
    segments = [dict(id=40, isthing=0, track_id=0), dict(id=11, isthing=1, track_id=5),
                dict(id=12, isthing=1, track_id=2), dict(id=13, isthing=1, track_id=9)]
    objects = davis_object_indices(seg, segments)
    assert objects == {2: 1, 9: 2, 5: 3}
    # a later frame: track 9 is gone, track 7 entered; only first-frame objects are painted
    later = np.zeros((6, 8), np.int32)
    later[0:2, 0:2] = 11
    later[4:6, 4:6] = 14
    mask = davis_index_mask(later, [dict(id=11, isthing=1, track_id=5),
                                    dict(id=14, isthing=1, track_id=7)], objects)
    expected = np.zeros((6, 8), np.uint8)
    expected[0:2, 0:2] = 3
    np.testing.assert_array_equal(mask, expected)


def test_layout_and_palette_pngs(davis_root):
    for split, n in (('train', 2), ('val', 3)):
        names = (davis_root / 'ImageSets' / '2017' / f'{split}.txt').read_text().split()
        assert len(names) == n and len(set(names)) == n
        for name in names:
            imgs = sorted(p.name for p in (davis_root / 'JPEGImages' / '480p' / name).iterdir())
            anns = sorted(p.name for p in (davis_root / 'Annotations' / '480p' / name).iterdir())
            assert imgs == [f'{t:05d}.jpg' for t in range(FRAMES)]
            assert anns == [f'{t:05d}.png' for t in range(FRAMES)]
            with Image.open(davis_root / 'Annotations' / '480p' / name / '00000.png') as im:
                assert im.mode == 'P' and im.size == (SIZE[1], SIZE[0])
                palette = np.asarray(im.getpalette(), np.uint8).reshape(-1, 3)
            np.testing.assert_array_equal(palette[:256], DAVIS_PALETTE)


def test_annotations_decode_to_rendered_first_frame_objects(davis_root):
    names = (davis_root / 'ImageSets' / '2017' / 'val.txt').read_text().split()
    scenes = list(davis_scenes(SEED, 'val', 3, FRAMES, *SIZE))
    assert [n for n, _ in scenes] == names
    other_seeds = {video_scene_seed(SEED, 'val', i) for i in range(100)}
    for name, scene in scenes:
        assert scene.seed not in other_seeds  # not a YouTube-VIS / VIPSeg toy video
        assert scene.seed >= video_scene_seed(SEED, 'val', DAVIS_INDEX_OFFSET)
        renders = list(iter_video_frames(scene, FRAMES))
        _, seg0, segs0 = renders[0]
        things0 = [s for s in segs0 if s['isthing']]
        assert things0, 'every DAVIS sequence needs an object in its first frame'
        # expected numbering, computed here: raster order of each thing's first pixel
        first_px = {s['track_id']: int(np.flatnonzero(seg0.ravel() == s['id'])[0])
                    for s in things0}
        index_of = {tid: k + 1 for k, tid in enumerate(sorted(first_px, key=first_px.get))}
        seen = set()
        for t, (image, seg, segments) in enumerate(renders):
            got = read_davis_mask(str(davis_root / 'Annotations' / '480p' / name /
                                      f'{t:05d}.png'))
            expected = np.zeros(SIZE, np.uint8)
            for s in segments:
                if s['isthing'] and s['track_id'] in index_of:
                    expected[seg == s['id']] = index_of[s['track_id']]
                    seen.add(index_of[s['track_id']])
            np.testing.assert_array_equal(got, expected)
            with Image.open(davis_root / 'JPEGImages' / '480p' / name / f'{t:05d}.jpg') as im:
                jpg = np.asarray(im.convert('RGB'), np.float64)
            assert np.abs(jpg - image).mean() < 4.0
        assert np.unique(read_davis_mask(str(
            davis_root / 'Annotations' / '480p' / name / '00000.png'))).tolist() == \
            list(range(len(index_of) + 1))
        assert seen == set(index_of.values())


def test_late_objects_stay_background(davis_root):
    """A fixture sequence has a thing absent from frame 0 that becomes visible later (the
    toy stream is deterministic); its pixels are background in the annotation."""
    found = 0
    for name, scene in davis_scenes(SEED, 'train', 2, FRAMES, *SIZE):
        first = {s['track_id'] for s in render(scene, 0)[2] if s['isthing']}
        for t, (_, seg, segments) in enumerate(iter_video_frames(scene, FRAMES)):
            ann = read_davis_mask(str(davis_root / 'Annotations' / '480p' / name /
                                      f'{t:05d}.png'))
            for s in segments:
                if s['isthing'] and s['track_id'] not in first:
                    assert (ann[seg == s['id']] == 0).all()
                    found += 1
    assert found


def test_stamp_skip_zero_and_force(tmp_path):
    args = dict(num_train=1, num_val=0, num_frames=2, seed=1, size=(48, 48), log=_quiet)
    assert not generate_toy_davis(tmp_path, **args)['skipped']
    root = tmp_path / 'davis'
    assert (root / 'ImageSets' / '2017' / 'val.txt').read_text() == ''
    assert len((root / 'ImageSets' / '2017' / 'train.txt').read_text().split()) == 1
    assert generate_toy_davis(tmp_path, **args)['skipped']
    stray = root / 'JPEGImages' / '480p' / 'stray'
    stray.mkdir()
    assert not generate_toy_davis(tmp_path, **args, force=True)['skipped']
    assert not stray.exists()
    args['num_val'] = 1
    res = generate_toy_davis(tmp_path, **args)
    assert not res['skipped'] and res['stats']['val']['sequences'] == 1
    with pytest.raises(ValueError, match='num_frames=0'):
        generate_toy_davis(tmp_path, num_frames=0, log=_quiet)


def test_make_toy_data_davis_flags_without_torch(tmp_path):
    tool = REPO / 'tools' / 'dataset_converters' / 'make_toy_data.py'
    code = (
        'import runpy, sys\n'
        f'sys.argv = [{str(tool)!r}, "--out", {str(tmp_path)!r}, "--num-train", "1", '
        '"--num-val", "1", "--num-train-videos", "0", "--num-val-videos", "0", '
        '"--video-frames", "1", "1", "--num-davis-train", "0", "--num-davis-val", "2", '
        '"--davis-frames", "3", "--size", "40", "48"]\n'
        'try:\n'
        f'    runpy.run_path({str(tool)!r}, run_name="__main__")\n'
        'except SystemExit as e:\n'
        '    assert not e.code, e.code\n'
        'assert "torch" not in sys.modules, "make_toy_data imported torch"\n')
    subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True,
                   timeout=120, cwd=REPO)
    sets = tmp_path / 'davis' / 'ImageSets' / '2017'
    assert (sets / 'train.txt').read_text() == ''
    val = (sets / 'val.txt').read_text().split()
    assert len(val) == 2
    frames = sorted((tmp_path / 'davis' / 'Annotations' / '480p' / val[0]).iterdir())
    assert [p.name for p in frames] == ['00000.png', '00001.png', '00002.png']
    with Image.open(frames[0]) as im:
        assert im.size == (48, 40)


# ----------------------------------------------------------------------------- dataset
def test_dataset_and_vos_pipeline_on_toy(davis_root):
    ds = OMGDAVISDataset(data_root=str(davis_root) + '/', pipeline=TEST_PIPELINE,
                         test_mode=True)
    assert ds.metainfo['classes'] == ('object',) and ds.metainfo['task'] == 'vos'
    names = (davis_root / 'ImageSets' / '2017' / 'val.txt').read_text().split()
    assert [ds.get_data_info(i)['video_name'] for i in range(len(ds))] == names
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        first = read_davis_mask(info['images'][0]['seg_map_path'])
        n = int(first.max())
        assert info['num_objects'] == n and info['object_ids'] == list(range(1, n + 1))
        assert info['video_length'] == FRAMES
        assert [im['frame_id'] for im in info['images']] == list(range(FRAMES))
        assert all((im['height'], im['width']) == SIZE for im in info['images'])
        out = ds[i]
        assert tuple(out['inputs'].shape) == (FRAMES, 3, *SIZE)
        track = out['data_samples']
        assert track.metainfo['task'] == 'vos' and track.metainfo['video_name'] == names[i]
        for t, frame in enumerate(track.video_data_samples):
            ann = read_davis_mask(info['images'][t]['seg_map_path'])
            ids = frame.gt_instances.instances_ids.tolist()
            assert ids == [k for k in range(1, n + 1) if (ann == k).any()]
            if t == 0:
                assert ids == list(range(1, n + 1))
            assert frame.gt_instances.labels.tolist() == [0] * len(ids)
            masks = frame.gt_instances.masks.to_ndarray()
            for k, m in zip(ids, masks):
                np.testing.assert_array_equal(m.astype(bool), ann == k)
            assert (frame.gt_sem_seg.sem_seg == IGNORE_INDEX).all()


def _write_seq(root, name, n=3, size=(10, 12), ann_frames=None, first=None, ann_size=None):
    img_dir = root / 'JPEGImages' / '480p' / name
    ann_dir = root / 'Annotations' / '480p' / name
    img_dir.mkdir(parents=True)
    ann_dir.mkdir(parents=True)
    for t in range(n):
        Image.fromarray(np.full((*size, 3), 30 * t, np.uint8)).save(img_dir / f'{t:05d}.jpg')
    for t in (range(n) if ann_frames is None else ann_frames):
        mask = np.zeros(ann_size or size, np.uint8)
        mask[1:4, 1:4] = 1
        mask[5:8, 5 + t:8 + t] = 2
        if first is not None and t == 0:
            mask = first
        im = Image.fromarray(mask)
        im.putpalette(DAVIS_PALETTE.ravel().tolist())
        im.save(ann_dir / f'{t:05d}.png')


def _dataset(root, names, **kw):
    sets = root / 'ImageSets' / '2017'
    sets.mkdir(parents=True, exist_ok=True)
    (sets / 'val.txt').write_text(''.join(f'{n}\n' for n in names))
    return OMGDAVISDataset(data_root=str(root) + '/', pipeline=TEST_PIPELINE, test_mode=True,
                           **kw)


def test_missing_later_annotations_and_void(tmp_path):
    first = np.zeros((10, 12), np.uint8)
    first[0:3, 0:3] = 1
    first[3, :] = 255                       # void line: never an object
    first[6:9, 6:9] = 3                     # object 2 absent from the first frame
    _write_seq(tmp_path, 'a', n=3, ann_frames=[0, 2], first=first)
    ds = _dataset(tmp_path, ['a'])
    info = ds.get_data_info(0)
    assert info['num_objects'] == 3 and info['object_ids'] == [1, 3]
    assert [im['seg_map_path'] is None for im in info['images']] == [False, True, False]
    frames = ds[0]['data_samples'].video_data_samples
    assert frames[0].gt_instances.instances_ids.tolist() == [1, 3]
    assert frames[0].gt_instances.masks.to_ndarray().sum() == 9 + 9
    assert len(frames[1].gt_instances) == 0                    # no annotation file
    assert frames[2].gt_instances.instances_ids.tolist() == [1, 2]


def test_loader_rejects_colour_png_and_size_mismatch(tmp_path):
    rgb = tmp_path / 'rgb.png'
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(rgb)
    with pytest.raises(ValueError, match=r'rgb\.png.*mode .RGB.*indexed'):
        read_davis_mask(str(rgb))
    with pytest.raises(FileNotFoundError, match='nothere.png'):
        read_davis_mask(str(tmp_path / 'nothere.png'))
    small = tmp_path / 'small.png'
    Image.fromarray(np.ones((4, 5), np.uint8)).save(small)
    results = dict(seg_map_path=str(small), img_path='frame.jpg', img_shape=(6, 5),
                   ori_shape=(6, 5))
    with pytest.raises(ValueError, match=r'small\.png is 5x4.*frame\.jpg is 5x6'):
        LoadDAVISAnnotations()(results)


def test_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='val.txt does not exist'):
        OMGDAVISDataset(data_root=str(tmp_path) + '/')
    _write_seq(tmp_path, 'ok')
    with pytest.raises(FileNotFoundError, match=r"'gone' is listed .*JPEGImages/480p/gone"):
        _dataset(tmp_path, ['ok', 'gone'])
    _write_seq(tmp_path, 'nofirst', ann_frames=[1, 2])
    with pytest.raises(FileNotFoundError,
                       match=r'no first-frame annotation .*Annotations/480p/nofirst/00000\.png'):
        _dataset(tmp_path, ['nofirst'])
    _write_seq(tmp_path, 'empty', first=np.zeros((10, 12), np.uint8))
    with pytest.raises(ValueError, match=r'empty/00000\.png .*has no object'):
        _dataset(tmp_path, ['empty'])
    _write_seq(tmp_path, 'big', ann_size=(20, 24))
    with pytest.raises(ValueError, match=r'big/00000\.png is 24x20 .*is 12x10'):
        _dataset(tmp_path, ['big'])
    _write_seq(tmp_path, 'orphan')
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(
        tmp_path / 'Annotations' / '480p' / 'orphan' / '00009.png')
    with pytest.raises(FileNotFoundError, match=r'orphan/00009\.png has no frame'):
        _dataset(tmp_path, ['orphan'])
    # a later annotation of another size is caught by the loader, naming both files
    _write_seq(tmp_path, 'later', ann_frames=[0])
    Image.fromarray(np.ones((5, 5), np.uint8)).save(
        tmp_path / 'Annotations' / '480p' / 'later' / '00002.png')
    ds = _dataset(tmp_path, ['later'])
    with pytest.raises(ValueError, match=r'later/00002\.png is 5x5 .*later/00002\.jpg'):
        ds[0]
