"""Clip steps: frame sampling, COCO pseudo-videos, shared vs independent per-frame randomness."""
from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from omgseg.datasets.toy import id2rgb
from omgseg.datasets.transforms import ClipSample, ForEachFrame, ImageToClip
from omgseg.registry import TRANSFORMS

H, W = 40, 60


def video_entry(n: int) -> dict:
    return dict(video_id=7, video_name='v', video_length=n, task='panoptic',
                images=[dict(img_path=f'v/{t}.jpg', frame_id=t, marker=t) for t in range(n)])


def test_clip_sample_draws_spaced_frames_from_random_starts():
    sample = ClipSample(num_frames=3, interval=2)
    starts = set()
    for seed in range(30):
        np.random.seed(seed)
        clip = sample(video_entry(8))
        assert [f['marker'] for f in clip] == [clip[0]['marker'] + 2 * k for k in range(3)]
        assert all(f['video_id'] == 7 and f['video_length'] == 8 and f['task'] == 'panoptic'
                   for f in clip)
        assert [f['frame_id'] for f in clip] == [f['marker'] for f in clip]
        starts.add(clip[0]['marker'])
    assert starts == {0, 1, 2, 3}  # last start leaves room for the span of 5 frames


def test_clip_sample_all_frames_and_short_videos(monkeypatch):
    assert [f['marker'] for f in ClipSample(all_frames=True)(video_entry(2))] == [0, 1]
    assert len(ClipSample(test_mode=True)(video_entry(1))) == 1
    logs = []
    monkeypatch.setattr('omgseg.datasets.transforms.clip.print_log',
                        lambda m, **k: logs.append(m))
    assert ClipSample(num_frames=2, interval=2)(video_entry(2)) is None
    assert "'v'" in logs[0]
    with pytest.raises(KeyError, match='ImageToClip'):
        ClipSample()(dict(img_path='x.jpg'))


def test_for_each_frame_shares_or_draws_randomness():
    frames = [dict(img=np.zeros((H, W, 3), np.uint8), img_shape=(H, W)) for _ in range(8)]
    flip = [dict(type='RandomFlip', prob=0.5)]
    shared_any_mixed, indep_mixed = False, False
    for seed in range(10):
        np.random.seed(seed)
        shared = ForEachFrame(transforms=flip, share_random_params=True)(
            [dict(f) for f in frames])
        shared_any_mixed |= len({f['flip'] for f in shared}) > 1
        indep = ForEachFrame(transforms=flip, share_random_params=False)(
            [dict(f) for f in frames])
        indep_mixed |= len({f['flip'] for f in indep}) > 1
    assert not shared_any_mixed and indep_mixed


def test_for_each_frame_drops_the_clip_when_a_frame_is_dropped():
    class DropSecond:
        def __call__(self, r):
            return None if r['k'] == 1 else r
    assert ForEachFrame(transforms=[DropSecond()])([dict(k=0), dict(k=1)]) is None
    assert ForEachFrame(transforms=[DropSecond()])([dict(k=0), dict(k=2)]) is not None


@pytest.fixture()
def coco_image(tmp_path):
    """One 40x60 COCO-panoptic image: gradient image, two things and a stuff region."""
    yy, xx = np.mgrid[:H, :W]
    img = np.stack([xx * 4, yy * 6, (xx + yy) * 2], -1).astype(np.uint8)
    Image.fromarray(img[..., ::-1].copy()).save(tmp_path / 'img.png')  # stored RGB of BGR
    ids = np.full((H, W), 30, np.int64)
    ids[5:20, 5:25] = 10
    ids[22:38, 30:55] = 20
    Image.fromarray(id2rgb(ids)).save(tmp_path / 'pan.png')
    segments = [dict(id=10, category=0, is_thing=True, iscrowd=False),
                dict(id=20, category=2, is_thing=True, iscrowd=False),
                dict(id=30, category=5, is_thing=False, iscrowd=False)]
    return dict(img_path=str(tmp_path / 'img.png'), seg_map_path=str(tmp_path / 'pan.png'),
                img_id=3, segments_info=segments, task='panoptic'), img, ids


PSEUDO_VIDEO = [
    dict(type='LoadImageSafe'),
    dict(type='LoadPanopticAnnotationsPNG'),
    dict(type='ImageToClip', num_frames=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='RandomFlip', prob=0.5),
        dict(type='RandomResize', scale=(60, 40), ratio_range=(1.0, 1.5), resize_type='Resize',
             keep_ratio=True)]),
    dict(type='ForEachFrame', share_random_params=False, transforms=[
        dict(type='RandomCrop', crop_size=(32, 24), crop_type='absolute', recompute_bbox=True,
             allow_negative_crop=True)]),
]


def test_coco_pseudo_video_is_two_crops_of_one_flipped_resized_image(coco_image):
    results, _, ids = coco_image
    steps = [TRANSFORMS.build(t) for t in PSEUDO_VIDEO]
    pack = TRANSFORMS.build(dict(type='PackClipInputs'))
    flips, offsets_differ, overlaps = set(), 0, 0
    for seed in range(12):
        np.random.seed(seed)
        clip = dict(results)
        for t in steps:
            clip = t(clip)
        a, b = clip
        assert a['flip'] == b['flip'] and np.allclose(a['scale_factor'], b['scale_factor'])
        flips.add(a['flip'])
        # the crops are translations of one image: homographies differ in translation only
        ha, hb = a['homography_matrix'], b['homography_matrix']
        assert np.allclose(ha[:, :2], hb[:, :2])
        dx, dy = np.round(hb[:2, 2] - ha[:2, 2]).astype(int)
        offsets_differ += (dx, dy) != (0, 0)
        # pixels of a seen again in b sit dx, dy further in b (same resized, flipped image)
        ya, yb = slice(max(0, -dy), max(0, 24 - dy)), slice(max(0, dy), max(0, 24 + dy))
        xa, xb = slice(max(0, -dx), max(0, 32 - dx)), slice(max(0, dx), max(0, 32 + dx))
        overlap = abs(dx) < 32 and abs(dy) < 24
        assert not overlap or np.array_equal(a['img'][ya, xa], b['img'][yb, xb])
        overlaps += overlap
        # one tube per segment: the same ids, masks agreeing where the crops overlap
        ma = dict(zip(a['gt_instances_ids'].tolist(), a['gt_masks'].masks))
        mb = dict(zip(b['gt_instances_ids'].tolist(), b['gt_masks'].masks))
        assert set(ma) <= {10, 20} and set(mb) <= {10, 20}
        for i in set(ma) & set(mb) if overlap else ():
            assert np.array_equal(ma[i][ya, xa], mb[i][yb, xb])
        packed = pack(clip)
        assert packed['inputs'].shape == (2, 3, 24, 32)
        assert packed['data_samples'].metainfo['video_id'] == 3
    assert flips == {True, False}
    assert offsets_differ >= 10  # crops are drawn per frame
    assert overlaps >= 6


def test_image_to_clip_copies_are_independent(coco_image):
    results, _, _ = coco_image
    loaded = TRANSFORMS.build(dict(type='LoadPanopticAnnotationsPNG'))(
        TRANSFORMS.build(dict(type='LoadImageSafe'))(dict(results)))
    clip = ImageToClip(num_frames=3)(loaded)
    assert [f['frame_id'] for f in clip] == [0, 1, 2]
    assert all(f['gt_instances_ids'].tolist() == [10, 20] for f in clip)
    clip[0]['img'][:] = 0
    assert clip[1]['img'].any()
