"""Long-video inference: clip planning, MinVIS linking, the spilling mask store, and the
streaming path giving the same outputs as the in-memory one."""
import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch

from omgseg.models.inference import (MaskStore, TubeLinker, encode_rles, link_queries,
                                     plan_clips, video_split)
from omgseg.registry import MODELS
from tests.conftest import toy_cfg
from tests.batches import make_batch


def test_video_split_spreads_the_remainder_over_the_last_clips():
    assert [e for _, e in video_split(22, 5)] == [5, 10, 14, 18, 22]
    assert video_split(10, 5) == [(0, 5), (5, 10)]
    assert video_split(1, 3) == [(0, 1)]
    for total in range(1, 40):
        for size in range(1, 7):
            spans = video_split(total, size)
            assert spans[0][0] == 0 and spans[-1][1] == total
            assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
            lengths = [e - s for s, e in spans]
            assert len(spans) == -(-total // size)
            assert max(lengths) <= size and max(lengths) - min(lengths) <= 1
            assert lengths == sorted(lengths, reverse=True)
    with pytest.raises(ValueError, match='at least one frame'):
        video_split(0, 5)


def test_plan_clips_thresholds():
    assert plan_clips(10, clip_size=5, clip_size_small=3, small_clip_thr=15) == \
        video_split(10, 3)
    assert plan_clips(30, clip_size=5, clip_size_small=3, small_clip_thr=15) == \
        video_split(30, 5)
    assert plan_clips(30, whole_clip_thr=30) == [(0, 30)]


def test_link_queries_recovers_a_permutation():
    g = torch.Generator().manual_seed(0)
    prev = torch.randn(20, 16, generator=g)
    perm = torch.randperm(20, generator=g)
    cur = torch.empty_like(prev)
    cur[perm] = prev + 0.01 * torch.randn(20, 16, generator=g)   # cur[perm[q]] ~ prev[q]
    assert torch.equal(link_queries(prev, cur), perm)


def test_tube_linker_aligns_and_averages():
    g = torch.Generator().manual_seed(1)
    q, k = 6, 4
    query = torch.randn(q, 8, generator=g)
    cls1, cls2 = torch.randn(q, k, generator=g), torch.randn(q, k, generator=g)
    mask = torch.randn(q, 2, 4, 4, generator=g)
    linker = TubeLinker(store=MaskStore(budget_mb=None))
    linker.add_clip(cls=cls1, obj=torch.zeros(q), query=query, mask=mask)
    perm = torch.tensor([3, 0, 5, 1, 2, 4])
    shuffled = torch.empty_like(query)
    shuffled[perm] = query                      # query q now sits at row perm[q]
    cls2_shuffled = torch.empty_like(cls2)
    cls2_shuffled[perm] = cls2
    mask2 = torch.empty_like(mask)
    mask2[perm] = mask + 1
    applied = linker.add_clip(cls=cls2_shuffled, obj=torch.ones(q), query=shuffled, mask=mask2)
    assert torch.equal(applied, perm)
    cls, obj = linker.video_logits()
    torch.testing.assert_close(cls, (cls1 + cls2) / 2)
    torch.testing.assert_close(obj, torch.full((q,), 0.5))
    clips = list(linker.store)
    torch.testing.assert_close(clips[1].float(), (mask + 1).half().float())


@pytest.mark.parametrize('budget', [0, 0.0001, None])
def test_mask_store_round_trip(budget):
    g = torch.Generator().manual_seed(2)
    clips = [torch.randn(5, t, 6, 7, generator=g) for t in (3, 2, 3)]
    store = MaskStore(budget_mb=budget)
    for c in clips:
        store.append(c)
    assert store.spilled == (budget is not None)
    for got, want in zip(store, clips):
        assert torch.equal(got, want.half())
    store.close()
    assert len(store) == 0


def test_encode_rles_marks_empty_masks_none():
    masks = torch.zeros(3, 5, 6, dtype=torch.bool)
    masks[0, 1:3, 2:5] = True
    masks[2, 4, 0] = True
    rles = encode_rles(masks)
    assert rles[1] is None
    assert isinstance(rles[0]['counts'], str)
    assert np.array_equal(mask_util.decode(rles[0]).astype(bool), masks[0].numpy())
    assert int(mask_util.area(rles[2])) == 1


@pytest.fixture(scope='module')
def video_model(toy_root):
    cfg = toy_cfg(toy_root)
    cfg.model.backbone.frozen = True
    cfg.model.test_cfg = dict(clips=dict(clip_size=3, clip_size_small=2, small_clip_thr=6))
    m = MODELS.build(cfg.model)
    m.init_weights()
    return m.eval()


def _outputs(samples):
    return [[(f.pred_panoptic_seg.sem_seg.clone(), f.pred_panoptic_seg.segments_info,
              f.pred_sem_seg.sem_seg.clone()) for f in s.video_data_samples] for s in samples]


def test_unknown_test_cfg_key_is_named(toy_root):
    cfg = toy_cfg(toy_root)
    cfg.model.test_cfg = dict(clips=dict(clip_sise=3))
    with pytest.raises(KeyError, match=r'test_cfg\.clips\.clip_sise'):
        MODELS.build(cfg.model)
    cfg.model.test_cfg = dict(clip_size=3)          # the old flat layout names the section
    with pytest.raises(KeyError, match=r'test_cfg\.clip_size -> test_cfg\.clips\.clip_size'):
        MODELS.build(cfg.model)


def test_streamed_uint8_video_equals_in_memory_video(video_model):
    """A long clip left in host memory (uint8, normalised clip by clip) and one normalised up
    front give the same outputs; every frame gets its results; instance ids are stable."""
    torch.manual_seed(3)
    batch = make_batch(1, 9, size=(64, 96))
    pre = video_model.data_preprocessor
    pre.stream_frames = 100
    data = pre(batch, training=False)
    assert data['inputs'].dtype == torch.float32
    ref = _outputs(video_model.predict(data['inputs'], data['data_samples']))
    pre.stream_frames = 4
    data = pre(batch, training=False)
    assert data['inputs'].dtype == torch.uint8
    try:                                            # and spill every clip to disk
        with video_model.evaluation_setting(test_cfg=dict(clips=dict(mask_memory_mb=0))):
            out_samples = video_model.predict(data['inputs'], data['data_samples'])
    finally:
        pre.stream_frames = 8
    got = _outputs(out_samples)
    for (a_ids, a_info, a_sem), (b_ids, b_info, b_sem) in zip(ref[0], got[0]):
        assert torch.equal(a_ids, b_ids) and a_info == b_info and torch.equal(a_sem, b_sem)
    track = out_samples[0].pred_track_instances
    for f in out_samples[0].video_data_samples:
        assert torch.equal(f.pred_instances.instances_id, track.instances_id)
        assert f.pred_instances.masks.shape[1:] == (64, 96)


def test_predict_video_streams_frames_lazily(video_model):
    """predict_video pulls frames clip by clip from a generator and hands each finished frame
    to the sink; its outputs equal predict's on the same frames."""
    torch.manual_seed(4)
    batch = make_batch(1, 7, size=(64, 96))
    frames = batch['inputs'][0]
    data = video_model.data_preprocessor(batch, training=False)
    ref = _outputs(video_model.predict(data['inputs'], data['data_samples']))[0]
    pulled = []

    def gen():
        for t in range(len(frames)):
            pulled.append(t)
            yield frames[t]

    received = {}

    def sink(index, out):
        # frames are finished only after every clip is linked: all 7 were pulled by now
        assert len(pulled) == 7
        received[index] = out
    video_model.predict_video(gen(), num_frames=7, meta=dict(img_shape=(64, 96),
                                                             ori_shape=(64, 96)), sink=sink)
    assert sorted(received) == list(range(7))
    for t, (ids, info, sem) in enumerate(ref):
        assert torch.equal(received[t]['panoptic'][0], ids[0])
        assert received[t]['panoptic'][1] == info
        assert torch.equal(received[t]['semantic'], sem[0])
    with pytest.raises(ValueError, match='yielded 3 frames'):
        video_model.predict_video(iter(frames[:3]), num_frames=7,
                                  meta=dict(img_shape=(64, 96), ori_shape=(64, 96)),
                                  sink=lambda i, o: None)


def test_rle_instances_for_videos(video_model):
    torch.manual_seed(5)
    batch = make_batch(1, 4, size=(64, 96))
    data = video_model.data_preprocessor(batch, training=False)
    # thing-only top-k: always min(100, Q x things) results, a count known in advance
    rle = dict(objects=dict(instance_masks='rle', instance_topk='things'))
    with video_model.evaluation_setting(test_cfg=rle):
        sample = video_model.predict(data['inputs'], data['data_samples'])[0]
    assert video_model.test_settings.objects.instance_masks == 'bitmap'     # restored
    track = sample.pred_track_instances
    n = len(track.scores)
    head = video_model.panoptic_head
    assert n == min(100, head.num_queries * head.num_things_classes)
    assert len(track.masks_rle) == n and all(len(r) == 4 for r in track.masks_rle)
    for t, frame in enumerate(sample.video_data_samples):
        for i in range(n):
            assert frame.pred_instances.masks_rle[i] == track.masks_rle[i][t]
        rle = next(r for r in frame.pred_instances.masks_rle if r is not None)
        assert tuple(rle['size']) == (64, 96)
