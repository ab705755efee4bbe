"""The toy-world generator writes consistent, real-format COCO panoptic / instances /
semantic data."""
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omgseg.datasets.toy import (CATEGORIES, STUFF_CLASSES, THING_CLASSES, amodal_mask,
                                 generate_toy_coco, make_scene, render, scene_seed)
from omgseg.datasets.toy.world import MAX_OBJECTS, SIZE_RANGE

SEED, NUM_TRAIN, NUM_VAL = 0, 12, 6
REPO = Path(__file__).resolve().parents[2]


def _quiet(*_):
    pass


@pytest.fixture(scope='module')
def toy_coco(tmp_path_factory):
    out = tmp_path_factory.mktemp('toy')
    res = generate_toy_coco(out, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=SEED, log=_quiet)
    assert not res['skipped']
    return out / 'coco'


def _load(root, split, kind):
    with open(root / 'annotations' / f'{kind}_{split}2017.json') as f:
        return json.load(f)


def _pan_ids(root, split, png_name):
    rgb = np.asarray(Image.open(root / 'annotations' / f'panoptic_{split}2017' / png_name))
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 ** 2 * rgb[..., 2]


def _all_segments(root):
    for split in ('train', 'val'):
        for ann in _load(root, split, 'panoptic')['annotations']:
            for s in ann['segments_info']:
                yield split, ann, s


def test_categories_are_coco_like():
    assert len(THING_CLASSES) >= 5 and len(STUFF_CLASSES) >= 3
    assert [c['name'] for c in CATEGORIES] == list(THING_CLASSES + STUFF_CLASSES)
    ids = [c['id'] for c in CATEGORIES]
    assert len(set(ids)) == len(ids) and ids != list(range(1, len(ids) + 1))  # non-contiguous
    assert [c['isthing'] for c in CATEGORIES] == [1] * len(THING_CLASSES) + [0] * len(
        STUFF_CLASSES)
    for c in CATEGORIES:
        assert set(c) >= {'id', 'name', 'isthing', 'color', 'supercategory'}
        assert len(c['color']) == 3


def test_files_exist_and_parse(toy_coco):
    for split, n, offset in (('train', NUM_TRAIN, 0), ('val', NUM_VAL, 1_000_000)):
        pan, inst = _load(toy_coco, split, 'panoptic'), _load(toy_coco, split, 'instances')
        assert len(pan['images']) == n == len(pan['annotations'])
        assert [im['id'] for im in pan['images']] == [offset + i + 1 for i in range(n)]
        assert inst['images'] == pan['images']
        assert [c['name'] for c in inst['categories']] == list(THING_CLASSES)
        assert [c['id'] for c in pan['categories']] == [c['id'] for c in CATEGORIES]
        for im, ann in zip(pan['images'], pan['annotations']):
            assert ann['image_id'] == im['id']
            assert im['file_name'] == f'{im["id"]:012d}.jpg'
            assert ann['file_name'] == f'{im["id"]:012d}.png'
            with Image.open(toy_coco / f'{split}2017' / im['file_name']) as img:
                assert img.format == 'JPEG' and img.mode == 'RGB'
                assert img.size == (im['width'], im['height']) == (128, 128)
            sem = Image.open(toy_coco / 'annotations' / f'panoptic_semseg_{split}2017'
                             / ann['file_name'])
            assert sem.mode == 'L' and sem.size == (128, 128)


def test_panoptic_png_matches_segments_info(toy_coco):
    cat_ids = {c['id'] for c in CATEGORIES}
    void_images = 0
    for split in ('train', 'val'):
        for ann in _load(toy_coco, split, 'panoptic')['annotations']:
            ids = _pan_ids(toy_coco, split, ann['file_name'])
            info = {s['id']: s for s in ann['segments_info']}
            assert len(info) == len(ann['segments_info']), 'segment ids must be unique'
            assert set(np.unique(ids)) - {0} == set(info)
            void_images += int((ids == 0).any())
            for sid, s in info.items():
                assert 0 < sid < 2 ** 24 and s['category_id'] in cat_ids
                assert s['iscrowd'] in (0, 1)
                ys, xs = np.nonzero(ids == sid)
                assert s['area'] == ys.size
                assert s['bbox'] == [xs.min(), ys.min(), xs.max() - xs.min() + 1,
                                     ys.max() - ys.min() + 1]
            if len(info) >= 3:  # random 24-bit ids, not 1..n
                assert max(info) > len(info)
    assert void_images > 0


def test_instances_match_panoptic_things(toy_coco):
    from pycocotools import mask as mask_utils
    thing_ids = {c['id'] for c in CATEGORIES if c['isthing']}
    for split in ('train', 'val'):
        inst = _load(toy_coco, split, 'instances')
        assert len({a['id'] for a in inst['annotations']}) == len(inst['annotations'])
        by_image = {}
        for a in inst['annotations']:
            by_image.setdefault(a['image_id'], []).append(a)
        for ann in _load(toy_coco, split, 'panoptic')['annotations']:
            ids = _pan_ids(toy_coco, split, ann['file_name'])
            things = [s for s in ann['segments_info'] if s['category_id'] in thing_ids]
            insts = by_image.get(ann['image_id'], [])
            assert len(insts) == len(things)
            for a in insts:
                assert isinstance(a['segmentation']['counts'], str)
                mask = mask_utils.decode(a['segmentation']).astype(bool)
                matches = [s for s in things if np.array_equal(mask, ids == s['id'])]
                assert len(matches) == 1, 'every instance mask equals one panoptic thing'
                s = matches[0]
                assert (a['category_id'], a['iscrowd'], a['area']) == (
                    s['category_id'], s['iscrowd'], s['area'])
                assert a['bbox'] == s['bbox']
                assert list(mask_utils.toBbox(a['segmentation'])) == s['bbox']


def test_semantic_png_is_contiguous_panoptic(toy_coco):
    names = list(THING_CLASSES + STUFF_CLASSES)
    for split in ('train', 'val'):
        pan = _load(toy_coco, split, 'panoptic')
        label_of = {c['id']: names.index(c['name']) for c in pan['categories']}
        for ann in pan['annotations']:
            ids = _pan_ids(toy_coco, split, ann['file_name'])
            expected = np.full(ids.shape, 255, np.uint8)
            for s in ann['segments_info']:
                expected[ids == s['id']] = label_of[s['category_id']]
            sem = np.asarray(Image.open(toy_coco / 'annotations'
                                        / f'panoptic_semseg_{split}2017' / ann['file_name']))
            assert sem.dtype == np.uint8
            np.testing.assert_array_equal(sem, expected)


def test_dataset_exercises_hard_cases(toy_coco):
    thing_ids = {c['id'] for c in CATEGORIES if c['isthing']}
    stuff_seen, crowd, multi, small, large = set(), 0, 0, 0, 0
    for split in ('train', 'val'):
        for ann in _load(toy_coco, split, 'panoptic')['annotations']:
            per_class = Counter()
            for s in ann['segments_info']:
                if s['category_id'] not in thing_ids:
                    stuff_seen.add(s['category_id'])
                    continue
                crowd += s['iscrowd']
                if s['iscrowd']:
                    continue
                per_class[s['category_id']] += 1
                small += max(s['bbox'][2:]) < 12
                large += max(s['bbox'][2:]) > 40
            multi += any(n >= 2 for n in per_class.values())
    assert crowd >= 1 and multi >= 1 and small >= 1 and large >= 1
    assert len(stuff_seen) == len(STUFF_CLASSES)


def test_scene_sizes_counts_and_overlap_follow_the_world_settings():
    """Object sizes (longest side) stay in SIZE_RANGE of the image side, at most MAX_OBJECTS
    single objects per scene, and overlap_prob decides how often one is placed on another."""
    side = {}
    for overlap in (0.0, 1.0):
        near = []
        for index in range(60):
            scene = make_scene(scene_seed(SEED, 'train', index), 128, 128, overlap_prob=overlap)
            single = [o for o in scene.objects if not o.iscrowd]
            assert len(single) <= MAX_OBJECTS
            for o in single:
                longest = 2 * max(o.half_w, o.half_h)
                assert SIZE_RANGE[0] * 128 - 1e-6 <= longest <= SIZE_RANGE[1] * 128 + 1e-6
                side.setdefault(overlap, []).append(longest)
            # centre distance of each later object to its nearest earlier one, in its sizes
            for k, o in enumerate(single[1:], 1):
                near.append(min(np.hypot(o.cx - p.cx, o.cy - p.cy) / max(p.half_w, p.half_h)
                                for p in single[:k]))
        # placed on an earlier object: within 0.6 * 2 * its half extent on each axis
        close = np.mean(np.asarray(near) <= 1.2 * np.sqrt(2))
        assert close == 1.0 if overlap == 1.0 else close < 0.5
    assert np.median(side[0.0]) > 25  # the first world: ~19 px
    with pytest.raises(ValueError, match='overlap_prob'):
        make_scene(0, overlap_prob=1.5)


def test_world_matches_files_and_exposes_occlusion(toy_coco):
    pan = _load(toy_coco, 'train', 'panoptic')
    occluded = 0
    for index, ann in enumerate(pan['annotations']):
        scene = make_scene(scene_seed(SEED, 'train', index), 128, 128)
        image, seg, segments = render(scene, t=0)
        np.testing.assert_array_equal(seg, _pan_ids(toy_coco, 'train', ann['file_name']))
        jpg = np.asarray(Image.open(toy_coco / 'train2017' / pan['images'][index]['file_name']))
        assert np.abs(jpg.astype(int) - image.astype(int)).mean() < 3  # JPEG of the render
        assert [s['id'] for s in segments] == [s['id'] for s in ann['segments_info']]
        for s in segments:
            assert s['area'] <= s['full_area']
        objects = {o.seg_id: o for o in scene.objects}
        for s in segments:
            if not s['isthing'] or s['area'] >= s['full_area']:
                continue
            hidden = amodal_mask(scene, objects[s['id']], 0) & (seg != s['id'])
            assert hidden.sum() == s['full_area'] - s['area']
            others = {o.seg_id for o in scene.objects if o.z > objects[s['id']].z}
            occluded += int(np.isin(seg[hidden], list(others)).any())
    assert occluded >= 1, 'some thing must be partly hidden behind another thing'


def test_render_moves_objects_and_keeps_ids():
    for seed in range(50):
        scene = make_scene(seed)
        movers = [o for o in scene.objects if not o.iscrowd and (o.vx, o.vy) != (0, 0)
                  and amodal_mask(scene, o, 0)[5:-5, 5:-5].sum() == amodal_mask(scene, o, 0).sum()
                  and amodal_mask(scene, o, 3)[5:-5, 5:-5].sum() == amodal_mask(scene, o, 3).sum()
                  and amodal_mask(scene, o, 0).sum() > 20]
        if movers:
            break
    else:
        pytest.fail('no scene with a fully visible moving object')
    obj = movers[0]
    m0, m3 = amodal_mask(scene, obj, 0), amodal_mask(scene, obj, 3)
    c0 = np.array([np.nonzero(m0)[1].mean(), np.nonzero(m0)[0].mean()])
    c3 = np.array([np.nonzero(m3)[1].mean(), np.nonzero(m3)[0].mean()])
    np.testing.assert_allclose(c3 - c0, [3 * obj.vx, 3 * obj.vy], atol=0.75)
    img0, seg0, segs0 = render(scene, 0)
    img3, seg3, segs3 = render(scene, 3)
    assert not np.array_equal(seg0, seg3) and not np.array_equal(img0, img3)
    stuff0 = {s['id'] for s in segs0 if not s['isthing']}
    assert stuff0 == {s['id'] for s in segs3 if not s['isthing']}  # static background
    tracks0 = {s['track_id']: s['id'] for s in segs0 if s['isthing']}
    tracks3 = {s['track_id']: s['id'] for s in segs3 if s['isthing']}
    assert all(tracks3[k] == v for k, v in tracks0.items() if k in tracks3)
    # rendering is a pure function of (scene, t)
    img0b, seg0b, _ = render(make_scene(seed), 0)
    assert np.array_equal(img0, img0b) and np.array_equal(seg0, seg0b)


def _tree_bytes(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


def test_deterministic_and_val_differs(toy_coco, tmp_path):
    generate_toy_coco(tmp_path, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=SEED, log=_quiet)
    first, second = _tree_bytes(toy_coco), _tree_bytes(tmp_path / 'coco')
    assert first.keys() == second.keys() and len(first) == 3 * (NUM_TRAIN + NUM_VAL) + 5
    assert all(first[k] == second[k] for k in first)
    assert first['train2017/000000000001.jpg'] != first['val2017/000001000001.jpg']
    assert (first['annotations/panoptic_train2017/000000000001.png']
            != first['annotations/panoptic_val2017/000001000001.png'])


def test_idempotent_stamp_and_force(tmp_path):
    logs = []
    args = dict(num_train=3, num_val=2, seed=5, size=(64, 80), log=logs.append)
    assert not generate_toy_coco(tmp_path, **args)['skipped']
    root = tmp_path / 'coco'
    stamp = json.loads((root / '.toy_meta.json').read_text())
    assert stamp['args'] == dict(num_train=3, num_val=2, seed=5, height=64, width=80)
    png = root / 'annotations' / 'panoptic_train2017' / '000000000003.png'
    mtime = png.stat().st_mtime_ns
    res = generate_toy_coco(tmp_path, **args)
    assert res['skipped'] and 'skipping' in logs[-1] and png.stat().st_mtime_ns == mtime
    with Image.open(root / 'train2017' / '000000000001.jpg') as im:
        assert im.size == (80, 64)
    assert not generate_toy_coco(tmp_path, force=True, **args)['skipped']
    # different arguments regenerate and remove stale files
    res = generate_toy_coco(tmp_path, num_train=2, num_val=2, seed=5, size=(64, 80), log=_quiet)
    assert not res['skipped'] and not png.exists()
    assert len(list((root / 'train2017').iterdir())) == 2


def test_cli_runs_and_skips(tmp_path):
    cmd = [sys.executable, str(REPO / 'tools' / 'dataset_converters' / 'make_toy_data.py'),
           '--out', str(tmp_path), '--num-train', '2', '--num-val', '1', '--size', '48', '64']
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)
    assert (tmp_path / 'coco' / 'annotations' / 'panoptic_val2017.json').exists()
    again = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)
    assert 'skipping' in again.stdout
