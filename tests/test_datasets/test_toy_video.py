"""Toy videos: planned motion (enter / exit / hide behind), and the YouTube-VIS and VIPSeg
writers reproduce the rendered frames exactly."""
import json
import re
import types

import numpy as np
import pytest
from PIL import Image

from omgseg.datasets.toy import (THING_CLASSES, VIPSEG_RAW_CLASS_IDS, amodal_mask,
                                 generate_toy_vipseg, generate_toy_ytvis, iter_video_frames,
                                 make_video_scene, render, rgb2id, vipseg_video_name,
                                 ytvis_video_name)
from omgseg.datasets.vipseg_format import decode_panomask, label_lookup

SEED, SIZE = 3, (64, 80)
ARGS = dict(num_train=4, num_val=2, train_frames=6, val_frames=7, seed=SEED, size=SIZE)


def _quiet(*_):
    pass


@pytest.fixture(scope='module')
def video_root(tmp_path_factory):
    out = tmp_path_factory.mktemp('toyvid')
    assert not generate_toy_ytvis(out, log=_quiet, **ARGS)['skipped']
    assert not generate_toy_vipseg(out, log=_quiet, **ARGS)['skipped']
    return out


def _presence(scene, num_frames):
    """{track_id: bool array (T,)} of visible tracks, plus the rendered id maps."""
    present = {o.track_id: np.zeros(num_frames, bool) for o in scene.objects}
    segs = []
    for t, (_, seg, segments) in enumerate(iter_video_frames(scene, num_frames)):
        segs.append(seg)
        for s in segments:
            if s['isthing']:
                present[s['track_id']][t] = True
    return present, segs


def test_video_scene_is_deterministic_and_crowd_free():
    a = make_video_scene(SEED, 'train', 2, 64, 80, 6)
    b = make_video_scene(SEED, 'train', 2, 64, 80, 6)
    assert a.objects == b.objects and a.objects
    assert make_video_scene(SEED, 'train', 3, 64, 80, 6).objects != a.objects
    assert make_video_scene(SEED, 'val', 2, 64, 80, 6).objects != a.objects
    frames = iter_video_frames(a, 6)
    assert isinstance(frames, types.GeneratorType)  # lazy: long videos never sit in memory
    for t, (img, seg, segments) in enumerate(frames):
        ref = render(b, t)
        assert np.array_equal(img, ref[0]) and np.array_equal(seg, ref[1])
        assert segments == ref[2]
    for index in range(20):
        assert not any(o.iscrowd for o in make_video_scene(0, 'train', index).objects)
    assert sorted(o.track_id for o in a.objects) == list(range(1, len(a.objects) + 1))


def test_videos_have_entering_leaving_and_reappearing_tracks():
    enter = leave = reappear_after_occlusion = 0
    T = 8
    for index in range(24):
        scene = make_video_scene(0, 'train', index, 128, 128, T)
        present, segs = _presence(scene, T)
        objects = {o.track_id: o for o in scene.objects}
        for tid, p in present.items():
            if not p.any():
                continue
            first, last = int(np.argmax(p)), T - 1 - int(np.argmax(p[::-1]))
            enter += first > 0
            leave += last < T - 1
            gaps = [t for t in range(first, last + 1) if not p[t]]
            # absent although inside the frame: hidden behind things painted above it
            for t in gaps:
                amodal = amodal_mask(scene, objects[tid], t)
                above = {o.seg_id for o in scene.objects if o.z > objects[tid].z}
                if amodal.any() and np.isin(segs[t][amodal], list(above)).all():
                    reappear_after_occlusion += 1
                    break
    assert enter >= 3 and leave >= 3 and reappear_after_occlusion >= 2


def test_ytvis_layout_and_fields(video_root):
    root = video_root / 'youtube_vis'
    for split, n, T in (('train', 4, 6), ('valid', 2, 7)):
        raw = json.loads((root / split / 'instances.json').read_text())
        assert set(raw) >= {'videos', 'annotations', 'categories'}
        assert raw['categories'] == [
            dict(id=i + 1, name=name, supercategory=raw['categories'][i]['supercategory'])
            for i, name in enumerate(THING_CLASSES)]
        assert [v['id'] for v in raw['videos']] == list(range(1, n + 1))
        assert len(raw['annotations']) > 0  # the toy valid split keeps its ground truth
        for index, v in enumerate(raw['videos']):
            assert set(v) == {'id', 'width', 'height', 'length', 'file_names'}
            name = ytvis_video_name(SEED, split, index)
            assert re.fullmatch(r'[0-9a-f]{10}', name)
            assert v['file_names'] == [f'{name}/{5 * t:05d}.jpg' for t in range(T)]
            assert (v['length'], v['height'], v['width']) == (T, *SIZE)
            for f in v['file_names']:
                with Image.open(root / split / 'JPEGImages' / f) as im:
                    assert im.format == 'JPEG' and im.size == SIZE[::-1]
        for a in raw['annotations']:
            assert set(a) == {'id', 'video_id', 'category_id', 'segmentations', 'areas',
                              'bboxes', 'iscrowd', 'height', 'width', 'length'}
            assert a['iscrowd'] == 0 and 1 <= a['category_id'] <= len(THING_CLASSES)
            assert len(a['segmentations']) == len(a['areas']) == len(a['bboxes']) == T


def test_ytvis_rles_equal_rendered_masks(video_root):
    from pycocotools import mask as mask_utils
    root = video_root / 'youtube_vis'
    absent = 0
    for split, scene_split, T in (('train', 'train', 6), ('valid', 'val', 7)):
        raw = json.loads((root / split / 'instances.json').read_text())
        for index, v in enumerate(raw['videos']):
            scene = make_video_scene(SEED, scene_split, index, *SIZE, T)
            anns = [a for a in raw['annotations'] if a['video_id'] == v['id']]
            objects = sorted(scene.objects, key=lambda o: o.track_id)
            present, segs = _presence(scene, T)
            visible = [o for o in objects if present[o.track_id].any()]
            assert len(anns) == len(visible)  # one annotation per ever-visible track
            for a, obj in zip(anns, visible):  # written in track order
                assert a['category_id'] == obj.label + 1
                for t in range(T):
                    mask = segs[t] == obj.seg_id
                    if not mask.any():
                        assert a['segmentations'][t] is None and a['areas'][t] is None
                        assert a['bboxes'][t] is None
                        absent += 1
                        continue
                    rle = a['segmentations'][t]
                    assert isinstance(rle['counts'], str) and rle['size'] == list(SIZE)
                    np.testing.assert_array_equal(mask_utils.decode(rle).astype(bool), mask)
                    assert a['areas'][t] == int(mask.sum())
                    ys, xs = np.nonzero(mask)
                    assert a['bboxes'][t] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                              ys.max() - ys.min() + 1]
    assert absent > 0


def test_vipseg_panomasks_round_trip(video_root):
    root = video_root / 'vipseg'
    lookup = label_lookup(VIPSEG_RAW_CLASS_IDS)
    for split, T in (('train', 6), ('val', 7)):
        names = (root / f'{split}.txt').read_text().split()
        assert names == [vipseg_video_name(SEED, split, i) for i in range(len(names))]
        assert len(names) == (4 if split == 'train' else 2)
        gt = json.loads((root / f'panoptic_gt_VIPSeg_{split}.json').read_text())
        assert [v['video_id'] for v in gt['videos']] == names
        assert [c['id'] for c in gt['categories']] == sorted(VIPSEG_RAW_CLASS_IDS)
        for index, name in enumerate(names):
            assert re.fullmatch(rf'{index}_[A-Za-z0-9_-]{{11}}', name)
            scene = make_video_scene(SEED, split, index, *SIZE, T)
            video_gt = gt['annotations'][index]
            assert video_gt['video_id'] == name and len(video_gt['annotations']) == T
            for t, (_, seg, segments) in enumerate(iter_video_frames(scene, T)):
                stem = f'{t:08d}'
                assert (root / 'imgs' / name / f'{stem}.jpg').is_file()
                png = Image.open(root / 'panomasks' / name / f'{stem}.png')
                values = np.asarray(png)
                assert values.dtype == np.uint16
                ids, decoded = decode_panomask(values, lookup, len(THING_CLASSES))
                # the decoded map is the rendered one up to a renaming of the segment ids
                by_value = {d['id']: d for d in decoded}
                assert len(by_value) == len(segments)
                for s in segments:
                    vals = np.unique(ids[seg == s['id']])
                    assert vals.size == 1 and (ids == vals[0]).sum() == s['area']
                    d = by_value[int(vals[0])]
                    assert (d['category_id'], d['isthing']) == (s['label'], s['isthing'])
                    if s['isthing']:
                        assert vals[0] % 100 == s['track_id']  # instance index = track id
                np.testing.assert_array_equal(ids == 0, seg == 0)
                rgb = np.asarray(Image.open(root / 'panomasksRGB' / name / f'{stem}.png'))
                np.testing.assert_array_equal(rgb2id(rgb), values.astype(np.int64))
                frame_gt = video_gt['annotations'][t]
                assert frame_gt['file_name'] == f'{stem}.png' and frame_gt['image_id'] == stem
                info = {i['id']: i for i in frame_gt['segments_info']}
                assert set(info) == set(by_value)
                for value, i in info.items():
                    assert i['area'] == int((values == value).sum()) and i['iscrowd'] == 0
                    assert i['category_id'] == VIPSEG_RAW_CLASS_IDS[by_value[value][
                        'category_id']]


def test_stamps_skip_and_force(tmp_path):
    logs = []
    args = dict(num_train=1, num_val=1, train_frames=3, val_frames=3, seed=1, size=(32, 32),
                log=logs.append)
    for gen, folder in ((generate_toy_ytvis, 'youtube_vis'), (generate_toy_vipseg, 'vipseg')):
        assert not gen(tmp_path, **args)['skipped']
        assert gen(tmp_path, **args)['skipped'] and 'skipping' in logs[-1]
        assert not gen(tmp_path, force=True, **args)['skipped']
        stamp = json.loads((tmp_path / folder / '.toy_meta.json').read_text())
        assert stamp['args']['train_frames'] == 3
        # other arguments regenerate and drop stale videos
        assert not gen(tmp_path, **dict(args, num_train=0))['skipped']
    assert not (tmp_path / 'youtube_vis' / 'train' / 'JPEGImages').exists() or not any(
        (tmp_path / 'youtube_vis' / 'train' / 'JPEGImages').iterdir())
    assert (tmp_path / 'vipseg' / 'train.txt').read_text() == ''
    assert len(list((tmp_path / 'vipseg' / 'imgs').iterdir())) == 1  # the val video only
    with pytest.raises(ValueError, match='frame counts'):
        generate_toy_vipseg(tmp_path, **dict(args, train_frames=0))
