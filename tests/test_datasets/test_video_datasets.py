"""VIPSeg and YouTube-VIS datasets on small synthetic videos written here; their pipelines,
the VIPSeg segment cache, and every bad-input message."""
from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from PIL import Image

from omgseg.datasets import vipseg_cache
from omgseg.datasets.toy import NUM_THINGS, VIPSEG_RAW_CLASS_IDS
from omgseg.datasets.vipseg import OMGVIPSegDataset
from omgseg.datasets.vipseg_format import encode_panomask
from omgseg.datasets.youtube_vis import OMGYouTubeVISDataset
from omgseg.models.task_modules.targets import clip_targets
from omgseg.structures import IGNORE_INDEX
from omgseg.vocab import get_vocabulary

H, W = 24, 32


# ----------------------------------------------------------------------------- synthetic data
def vip_frame(t: int, with_car: bool) -> tuple[np.ndarray, np.ndarray]:
    """Contiguous toy labels (-1 void) and instance indices of frame t (H, W)."""
    labels = np.full((H, W), 5, np.int64)          # road
    labels[: H // 3] = 6                            # sky
    labels[-2:] = -1                                # void
    inst = np.zeros((H, W), np.int64)
    labels[4:12, 2 + t:10 + t] = 0                  # person, instance 1, moving right
    inst[4:12, 2 + t:10 + t] = 1
    if with_car:
        labels[14:20, 20:28] = 2                    # car, instance 3
        inst[14:20, 20:28] = 3
    return labels, inst


def write_vipseg(root: Path, videos: dict[str, int], car_frames: int = 2) -> dict:
    """VIPSeg layout with the toy vocabulary; returns {(video, frame): panomask}."""
    truth = {}
    for name, n in videos.items():
        (root / 'imgs' / name).mkdir(parents=True, exist_ok=True)
        (root / 'panomasks' / name).mkdir(parents=True, exist_ok=True)
        for t in range(n):
            labels, inst = vip_frame(t, t < car_frames)
            pano = encode_panomask(labels, inst, VIPSEG_RAW_CLASS_IDS, NUM_THINGS)
            Image.fromarray(pano).save(root / 'panomasks' / name / f'{t:05d}.png')
            img = np.full((H, W, 3), 40 * t % 255, np.uint8)
            Image.fromarray(img).save(root / 'imgs' / name / f'{t:05d}.jpg')
            truth[name, t] = pano.astype(np.int64)
    (root / 'train.txt').write_text('\n'.join(videos) + '\n')
    return truth


def vip_dataset(root: Path, **kw) -> OMGVIPSegDataset:
    kw.setdefault('vocabulary', 'toy')
    kw.setdefault('nproc', 1)
    return OMGVIPSegDataset(ann_file='train.txt', data_root=str(root), **kw)


VIP_PIPELINE = [
    dict(type='ClipSample', num_frames=2, interval=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='LoadImageSafe'), dict(type='LoadVIPSegAnnotations'),
        dict(type='RandomFlip', prob=0.5)]),
    dict(type='PackClipInputs'),
]


@pytest.fixture()
def vip_root(tmp_path):
    root = tmp_path / 'VIPSeg'
    truth = write_vipseg(root, {'vid_a': 4, 'vid_b': 3})
    return root, truth


# ----------------------------------------------------------------------------- VIPSeg
def test_vipseg_entries_list_the_segments_of_every_frame(vip_root):
    root, truth = vip_root
    ds = vip_dataset(root)
    assert ds.metainfo['raw_class_ids'] == tuple(VIPSEG_RAW_CLASS_IDS)
    assert [ds.get_data_info(i)['video_name'] for i in range(len(ds))] == ['vid_a', 'vid_b']
    video = ds.get_data_info(0)
    assert video['video_length'] == 4 and [f['frame_id'] for f in video['images']] == [0, 1, 2, 3]
    frame = video['images'][1]
    assert frame['height'] == H and frame['width'] == W
    pano = truth['vid_a', 1]
    segs = {s['id']: s for s in frame['segments']}
    assert set(segs) == set(np.unique(pano).tolist()) - {0}
    person = (VIPSEG_RAW_CLASS_IDS[0] + 1) * 100 + 1
    assert segs[person]['label'] == 0 and segs[person]['is_thing']
    assert segs[person]['area'] == 64 and segs[person]['bbox'] == [3, 4, 11, 12]
    sky = VIPSEG_RAW_CLASS_IDS[6] + 1
    assert segs[sky]['label'] == 6 and not segs[sky]['is_thing']
    # no car after frame 1
    assert all(s['label'] != 2 for s in video['images'][3]['segments'])


def test_vipseg_train_pipeline_packs_tubes_matching_the_panomasks(vip_root):
    root, truth = vip_root
    ds = vip_dataset(root, pipeline=VIP_PIPELINE)
    for seed in range(6):
        np.random.seed(seed)
        item = ds[0]
        sample = item['data_samples']
        frames = sample.video_data_samples
        assert item['inputs'].shape == (2, 3, H, W)
        assert sample.metainfo['video_name'] == 'vid_a' and sample.metainfo['video_length'] == 4
        ids = [f.metainfo['frame_id'] for f in frames]
        assert ids[1] - ids[0] == 2
        flips = {f.metainfo['flip'] for f in frames}
        assert len(flips) == 1  # shared across frames
        for f, fid in zip(frames, ids):
            pano = truth['vid_a', fid]
            if f.metainfo['flip']:
                pano = pano[:, ::-1]
            inst = f.gt_instances
            for k, iid in enumerate(inst.instances_ids.tolist()):
                assert np.array_equal(inst.masks.masks[k].astype(bool), pano == iid)
                assert inst.labels[k].item() == VIPSEG_RAW_CLASS_IDS.index(iid // 100 - 1)
            expected_ids = sorted(v for v in np.unique(pano).tolist() if v > 128)
            assert sorted(inst.instances_ids.tolist()) == expected_ids
            sem = f.gt_sem_seg.sem_seg[0].numpy()
            assert (sem[pano == 0] == IGNORE_INDEX).all()
            assert (sem[pano == VIPSEG_RAW_CLASS_IDS[6] + 1] == 6).all()
        labels, masks = clip_targets(frames, NUM_THINGS, 8, (H, W), torch.device('cpu'))
        assert sorted(labels.tolist()) == sorted(
            [0] + ([2] if ids[0] < 2 else []) + [5, 6])
        person = labels.tolist().index(0)
        assert masks[person].flatten(1).any(1).all()  # one tube over both frames


def test_vipseg_test_pipeline_uses_all_frames(vip_root):
    root, _ = vip_root
    pipeline = [dict(type='ClipSample', all_frames=True),
                dict(type='ForEachFrame', transforms=[dict(type='LoadImageSafe'),
                                                      dict(type='LoadVIPSegAnnotations')]),
                dict(type='PackClipInputs')]
    ds = vip_dataset(root, pipeline=pipeline, test_mode=True)
    item = ds[1]
    assert item['inputs'].shape[0] == 3
    assert [f.metainfo['frame_id'] for f in item['data_samples'].video_data_samples] == [0, 1, 2]


def test_vipseg_vocabulary_is_the_official_124_classes():
    vocab = get_vocabulary('vipseg')
    assert len(vocab['thing_classes']) == 58 and len(vocab['stuff_classes']) == 66
    assert sorted(vocab['raw_class_ids']) == list(range(124))
    assert vocab['classes'][0] == 'door' and vocab['raw_class_ids'][0] == 2
    assert vocab['classes'][58] == 'wall' and vocab['raw_class_ids'][58] == 0
    assert vocab['classes'][vocab['raw_class_ids'].index(60)] == 'person'


def test_cache_built_once_then_rebuilt_when_a_mask_changes(vip_root, monkeypatch):
    root, _ = vip_root
    calls = []
    real = vipseg_cache.build_index
    monkeypatch.setattr(vipseg_cache, 'build_index',
                        lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    ds = vip_dataset(root)
    cache_files = list((root / '.omgseg_cache').glob('*.json'))
    assert len(calls) == 1 and len(cache_files) == 1
    vip_dataset(root)
    assert len(calls) == 1  # second load reads the cache
    # change one mask: the car also appears in frame 3 of vid_b
    labels, inst = vip_frame(2, True)
    pano = encode_panomask(labels, inst, VIPSEG_RAW_CLASS_IDS, NUM_THINGS)
    path = root / 'panomasks' / 'vid_b' / '00002.png'
    Image.fromarray(pano).save(path)
    os.utime(path, ns=(1, 1))
    ds2 = vip_dataset(root)
    assert len(calls) == 2
    assert not any(s['label'] == 2 for s in ds.get_data_info(1)['images'][2]['segments'])
    assert any(s['label'] == 2 for s in ds2.get_data_info(1)['images'][2]['segments'])


def test_cache_built_with_two_processes_equals_serial(vip_root, tmp_path):
    root, _ = vip_root
    ds2 = vip_dataset(root, nproc=2, cache_dir=str(tmp_path / 'c2'))
    ds1 = vip_dataset(root, nproc=1, cache_dir=str(tmp_path / 'c1'))
    assert [ds2.get_data_info(i) for i in range(2)] == [ds1.get_data_info(i) for i in range(2)]


def _race(args):
    cache, seg_root, rel = args
    frames, built = vipseg_cache.load_or_build(cache, seg_root, rel, nproc=1, log=lambda m: 0)
    return len(frames), built


def test_concurrent_loaders_build_the_cache_once(vip_root, tmp_path):
    root, _ = vip_root
    seg_root = str(root / 'panomasks')
    rel = sorted(f'{v}/{p}' for v in ('vid_a', 'vid_b')
                 for p in os.listdir(root / 'panomasks' / v))
    cache = str(tmp_path / 'cc' / 'index.json')
    with multiprocessing.get_context('fork').Pool(3) as pool:
        out = pool.map(_race, [(cache, seg_root, rel)] * 3)
    assert all(n == 7 for n, _ in out)
    assert sum(built for _, built in out) == 1
    with open(cache) as f:
        assert len(json.load(f)['frames']) == 7


def test_vipseg_bad_inputs_name_the_files(vip_root):
    root, _ = vip_root
    (root / 'train.txt').write_text('vid_a\nvid_gone\n')
    with pytest.raises(FileNotFoundError, match="'vid_gone' is listed in .*train.txt"):
        vip_dataset(root)
    (root / 'train.txt').write_text('vid_a\nvid_b\n')
    mask = root / 'panomasks' / 'vid_b' / '00001.png'
    mask.rename(root / 'moved.png')
    with pytest.raises(FileNotFoundError, match='00001.jpg has no panomask .*00001.png'):
        vip_dataset(root)
    (root / 'moved.png').rename(mask)
    img = root / 'imgs' / 'vid_b' / '00001.jpg'
    img.rename(root / 'moved.jpg')
    with pytest.raises(FileNotFoundError, match='00001.png has no frame .*00001.jpg'):
        vip_dataset(root)
    (root / 'moved.jpg').rename(img)
    Image.fromarray(np.zeros((H + 2, W, 3), np.uint8)).save(img)
    ds = vip_dataset(root, pipeline=[dict(type='ClipSample', all_frames=True),
                                     dict(type='ForEachFrame', transforms=[
                                         dict(type='LoadImageSafe'),
                                         dict(type='LoadVIPSegAnnotations')])], test_mode=True)
    with pytest.raises(ValueError, match=r'00001.png is 32x24 .*00001.jpg is 32x26'):
        ds[1]


# ----------------------------------------------------------------------------- YouTube-VIS
def box_mask(y0, y1, x0, x1) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def write_ytvis(root: Path, change_category: bool = False) -> dict:
    """Two videos (5 frames with a dog (RLE) and a person (polygons); 2 frames, unannotated)."""
    cats = [dict(id=7, name='dog'), dict(id=3, name='person')]
    videos = [dict(id=1, name='vid1', width=W, height=H, length=5),
              dict(id=2, name='vid2', width=W, height=H, length=2)]
    images, anns, truth = [], [], {}
    for vid, n in ((1, 5), (2, 2)):
        for t in range(n):
            iid = vid * 100 + t
            file = f'vid{vid}/{t:05d}.jpg'
            (root / 'train' / 'JPEGImages' / f'vid{vid}').mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((H, W, 3), 30 * t, np.uint8)).save(
                root / 'train' / 'JPEGImages' / file)
            images.append(dict(id=iid, video_id=vid, frame_id=t, file_name=file, width=W,
                               height=H))
            if vid != 1:
                continue
            dog = box_mask(2, 10, 2 + t, 12 + t)
            rle = mask_utils.encode(np.asfortranarray(dog))
            rle['counts'] = rle['counts'].decode()
            anns.append(dict(id=len(anns) + 1, video_id=vid, image_id=iid, instance_id=11,
                             category_id=3 if (change_category and t == 3) else 7,
                             segmentation=rle, bbox=[2 + t, 2, 10, 8], area=80, iscrowd=0))
            truth[t, 11] = (1, dog)  # labels follow YT_VOCAB: person 0, dog 1
            if t < 3:  # the person leaves after frame 2
                poly = [[20, 12, 30, 12, 30, 22, 20, 22]]
                person = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(poly, H, W)))
                anns.append(dict(id=len(anns) + 1, video_id=vid, image_id=iid, instance_id=12,
                                 category_id=3, segmentation=poly, bbox=[20, 12, 10, 10],
                                 area=100, iscrowd=0))
                truth[t, 12] = (0, person)
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    path = root / 'annotations' / 'train.json'
    path.write_text(json.dumps(dict(videos=videos, images=images, annotations=anns,
                                    categories=cats)))
    return truth


YT_PIPELINE = [
    dict(type='ClipSample', num_frames=2, interval=2),
    dict(type='ForEachFrame', transforms=[dict(type='LoadImageSafe'),
                                          dict(type='LoadTrackInstances')]),
    dict(type='PackClipInputs'),
]
YT_VOCAB = dict(thing_classes=('person', 'dog'), stuff_classes=())


def yt_dataset(root: Path, **kw) -> OMGYouTubeVISDataset:
    kw.setdefault('vocabulary', YT_VOCAB)
    return OMGYouTubeVISDataset(ann_file='annotations/train.json', data_root=str(root),
                                data_prefix=dict(img='train/JPEGImages/'), **kw)


def test_ytvis_entries_filter_and_category_mapping(tmp_path, monkeypatch):
    truth = write_ytvis(tmp_path)
    logs = []
    monkeypatch.setattr('omgseg.datasets.youtube_vis.print_log', lambda m, **k: logs.append(m))
    ds = yt_dataset(tmp_path, filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 1 and any('1 video(s) without annotated instances' in m for m in logs)
    assert ds.metainfo['cat_ids'] == (3, 7) and ds.metainfo['task'] == 'instance'
    video = ds.get_data_info(0)
    assert video['video_name'] == 'vid1' and video['video_length'] == 5
    inst = video['images'][1]['instances']
    assert [(i['instance_id'], i['bbox_label']) for i in inst] == [(11, 1), (12, 0)]
    assert inst[0]['bbox'] == [3, 2, 13, 10]
    assert len(truth) == 8
    assert len(yt_dataset(tmp_path, test_mode=True)) == 2  # valid/test keep every video


def test_ytvis_train_pipeline_packs_instance_tubes(tmp_path):
    truth = write_ytvis(tmp_path)
    ds = yt_dataset(tmp_path, pipeline=YT_PIPELINE)
    starts = set()
    for seed in range(8):
        np.random.seed(seed)
        item = ds[0]
        frames = item['data_samples'].video_data_samples
        ids = [f.metainfo['frame_id'] for f in frames]
        starts.add(ids[0])
        assert ids[1] == ids[0] + 2
        for f, t in zip(frames, ids):
            inst = f.gt_instances
            got = {i: (inst.labels[k].item(), inst.masks.masks[k])
                   for k, i in enumerate(inst.instances_ids.tolist())}
            want = {i: v for (tt, i), v in truth.items() if tt == t}
            assert set(got) == set(want)
            for i in want:
                assert got[i][0] == want[i][0] and np.array_equal(got[i][1], want[i][1])
            assert (f.gt_sem_seg.sem_seg == IGNORE_INDEX).all()
        labels, masks = clip_targets(frames, 2, 2, (H, W), torch.device('cpu'), use_stuff=False)
        assert labels.tolist()[0] == 1 and masks.shape[1] == 2
        if ids[1] > 2:  # the person is only in the first frame of the clip
            person = labels.tolist().index(0)
            assert masks[person, 0].any() and not masks[person, 1].any()
    assert starts == {0, 1, 2}


def test_ytvis_short_video_is_a_logged_skip_in_training(tmp_path, monkeypatch):
    write_ytvis(tmp_path)
    logs = []
    monkeypatch.setattr('omgseg.datasets.transforms.clip.print_log',
                        lambda m, **k: logs.append(m))
    ds = yt_dataset(tmp_path, pipeline=YT_PIPELINE)
    assert ds.pipeline(ds.get_data_info(1)) is None
    assert "'vid2'" in logs[0] and '2 frame(s) < 3' in logs[0]
    np.random.seed(0)
    assert ds[1]['data_samples'].metainfo['video_name'] == 'vid1'  # refetched another video


def test_ytvis_bad_inputs(tmp_path):
    write_ytvis(tmp_path, change_category=True)
    with pytest.raises(ValueError, match=r"video 'vid1' .*instance 11 is 'dog' at frame 0 "
                                         r"but 'person' at frame 3"):
        yt_dataset(tmp_path)
    raw = dict(videos=[dict(id=1, file_names=['a/0.jpg'])], annotations=[], categories=[])
    (tmp_path / 'annotations' / 'train.json').write_text(json.dumps(raw))
    with pytest.raises(ValueError, match='original YouTube-VIS json.*youtube_vis.py'):
        yt_dataset(tmp_path)
    write_ytvis(tmp_path)
    with pytest.raises(ValueError, match="category 'dog'.*not in vocabulary"):
        yt_dataset(tmp_path, vocabulary=dict(thing_classes=('person',), stuff_classes=()))


def test_youtube_vis_vocabularies():
    v19, v21 = get_vocabulary('youtube_vis_2019'), get_vocabulary('youtube_vis_2021')
    assert len(v19['classes']) == len(v21['classes']) == 40
    assert v19['classes'][:2] == ('person', 'giant_panda') and v19['cat_ids'][:2] == (1, 2)
    assert v21['classes'][13] == 'flying_disc' and v21['cat_ids'][13] == 14
    assert not v19['stuff_classes']
