"""VideoPostprocessor on a two-frame, three-query video of 2x2 frames, answers worked by hand.

Queries (things 0, 1; stuff 2; void 3), with softmax probabilities:
  q0 [3, 0, 0, 0]   -> thing 0, p = .870
  q1 [0, .5, 2, 0]  -> stuff 2, p = .669 (thing columns .091, .149)
  q2 [.3, 0, 0, 3]  -> void
"""
from __future__ import annotations

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
import torch.nn.functional as F

from omgseg.models.inference import VideoPostprocessor, encode_rles
from tests.test_models.golden import sigmoid, softmax

CLS = [[3.0, 0.0, 0.0, 0.0], [0.0, 0.5, 2.0, 0.0], [0.3, 0.0, 0.0, 3.0]]
FRAMES = [
    [[[2.0, 1.0], [-1.0, -2.0]], [[-2.0, -1.0], [3.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]]],
    [[[-1.0, 2.0], [0.5, -3.0]], [[1.0, -2.0], [2.0, 2.0]], [[0.0, 0.0], [0.0, 0.0]]],
]
Q = 3
STUFF_ID = Q + 1 + 2          # num_queries + 1 + label


def identity(x):
    return x


def run(resize=identity, **kwargs):
    post = VideoPostprocessor(cls_logits=torch.tensor(CLS, dtype=torch.float64), num_things=2,
                              max_per_image=2, **kwargs)
    outs = [post.frame(torch.tensor(f, dtype=torch.float64), resize) for f in FRAMES]
    return post, outs


def test_panoptic_per_frame():
    _, outs = run()
    # frame 0: owner [[q0 q0] [q1 q1]], both own exactly their pixels
    ids, segments = outs[0]['panoptic']
    assert ids.tolist() == [[1, 1], [STUFF_ID, STUFF_ID]]
    assert [(s['id'], s['category_id'], s['isthing']) for s in segments] == [
        (1, 0, True), (STUFF_ID, 2, False)]
    # frame 1: score x prob at (1, 0) is .87 x sigmoid(.5) = .54 for q0 < .67 x sigmoid(2) = .59
    # for q1, so q0 is visible on 1 of its 2 pixels (0.5 < 0.8) and is dropped: its pixel
    # (0, 1) stays void; the ids of the video do not change between frames
    ids, segments = outs[1]['panoptic']
    assert ids.tolist() == [[STUFF_ID, 0], [STUFF_ID, STUFF_ID]]
    assert [s['id'] for s in segments] == [STUFF_ID]


def test_instances_thing_top_k_area_weighted_scores():
    post, outs = run(instance_topk='things', track_score='area_weighted')
    res = post.instance_results()
    # top 2 (query, thing class) pairs: (q0, 0) at .870 and (q1, 1) at .149
    assert res['queries'].tolist() == [0, 1] and res['labels'].tolist() == [0, 1]
    logits = np.array(FRAMES)[:, :2]                       # (T, 2 queries, 2, 2)
    for t in range(2):
        np.testing.assert_array_equal(outs[t]['instance_masks'].numpy(), logits[t] > 0)
    # score = class probability x mean sigmoid over the binary tube (all frames together)
    mask_score = [sigmoid(logits[:, q][logits[:, q] > 0]).mean() for q in range(2)]
    p = softmax(CLS)
    np.testing.assert_allclose(res['scores'].numpy(),
                               [p[0, 0] * mask_score[0], p[1, 1] * mask_score[1]], rtol=1e-6)


def test_instances_original_protocol_by_default():
    post, outs = run()
    res = post.instance_results()
    # top 2 pairs over all classes: (q0, thing 0) .870 and (q1, stuff 2) .669; the stuff pair
    # is then dropped, so one result instead of two
    assert res['queries'].tolist() == [0] and res['labels'].tolist() == [0]
    logits = np.array(FRAMES)[:, 0]                        # (T, 2, 2) of q0
    assert [o['instance_masks'].shape[0] for o in outs] == [1, 1]
    # mask score: the mean over frames of each frame's mean sigmoid inside the mask
    per_frame = [sigmoid(logits[t][logits[t] > 0]).mean() for t in range(2)]
    np.testing.assert_allclose(res['scores'].numpy(), [softmax(CLS)[0, 0] * np.mean(per_frame)],
                               rtol=1e-6)


def test_track_score_rules_differ_on_a_vanishing_tube():
    # q0 is empty in frame 1: frame_mean counts that frame as 0, area_weighted ignores it
    frames = torch.tensor(FRAMES, dtype=torch.float64)
    frames[1, 0] = -1.0
    scores = {}
    for rule in ('frame_mean', 'area_weighted'):
        post = VideoPostprocessor(cls_logits=torch.tensor(CLS, dtype=torch.float64),
                                  num_things=2, max_per_image=2, track_score=rule)
        for f in frames:
            post.frame(f, identity)
        scores[rule] = float(post.instance_results()['scores'][0])
    assert scores['frame_mean'] == pytest.approx(scores['area_weighted'] / 2, rel=1e-6)


def test_zero_thing_classes_give_no_instances():
    for rule in ('all_classes', 'things'):
        post = VideoPostprocessor(cls_logits=torch.tensor(CLS, dtype=torch.float64),
                                  num_things=0, instance_topk=rule)
        outs = [post.frame(torch.tensor(f, dtype=torch.float64), identity) for f in FRAMES]
        res = post.instance_results()
        assert len(res['scores']) == len(res['labels']) == len(res['queries']) == 0
        assert outs[0]['instance_masks'].shape == (0, 2, 2)
        # every kept panoptic segment is stuff
        assert all(not s['isthing'] for s in outs[0]['panoptic'][1])


def test_semantic_argmax_of_mixed_class_maps():
    _, outs = run()
    p = softmax(CLS)[:, :3]
    for t, out in enumerate(outs):
        scores = np.einsum('qk,qhw->khw', p, sigmoid(FRAMES[t]))
        np.testing.assert_array_equal(out['semantic'].numpy(), scores.argmax(0))
    # by hand: frame 0 rows are q0's thing then q1's stuff; in frame 1 the thing wins at
    # (0, 1) (.806 vs .139) and at (1, 0) (.650 vs .638)
    assert outs[0]['semantic'].tolist() == [[0, 0], [2, 2]]
    assert outs[1]['semantic'].tolist() == [[2, 0], [0, 2]]


def test_outputs_are_resized_after_selection():
    def double(x):
        return F.interpolate(x[None], scale_factor=2, mode='nearest')[0]

    _, small = run()
    _, big = run(resize=double)
    for s, b in zip(small, big):
        np.testing.assert_array_equal(b['panoptic'][0].numpy(),
                                      np.kron(s['panoptic'][0].numpy(), np.ones((2, 2), int)))
        np.testing.assert_array_equal(b['semantic'].numpy(),
                                      np.kron(s['semantic'].numpy(), np.ones((2, 2), int)))
        assert b['instance_masks'].shape == (len(s['instance_masks']), 4, 4)


def test_disabled_outputs_are_absent():
    post, outs = run(panoptic_on=False, semantic_on=False)
    assert set(outs[0]) == {'instance_masks'}
    _, outs = run(instance_on=False, semantic_on=False)
    assert set(outs[0]) == {'panoptic'}


def test_rle_masks_decode_to_the_bitmaps():
    _, bitmaps = run()
    _, rles = run(instance_masks='rle')
    for b, r in zip(bitmaps, rles):
        for mask, rle in zip(b['instance_masks'], r['instance_masks']):
            decoded = mask_util.decode(dict(rle, counts=rle['counts'].encode('ascii')))
            np.testing.assert_array_equal(decoded.astype(bool), mask.numpy())
    assert encode_rles(torch.zeros((2, 3, 3), dtype=torch.bool)) == [None, None]


def test_bad_mask_format_is_a_clear_error():
    with pytest.raises(ValueError, match='instance_masks'):
        run(instance_masks='png')
    with pytest.raises(ValueError, match='test_cfg.objects.instance_topk'):
        run(instance_topk='top')
    with pytest.raises(ValueError, match='rule must be one of'):
        run(track_score='median')


def test_segment_ids_switch():
    """Three thing queries on 2x4 frames: q0 owns column 0 in frame 0 only, q1 column 1 and
    q2 columns 2-3 in both. Query-stable ids keep q1 at 2 and q2 at 3; the original's per-frame
    numbering gives them 2, 3 in frame 0 and 1, 2 in frame 1."""
    cls = torch.tensor([[5.0, 0.0, 0.0]] * 3)                 # every query: thing 0
    frame = torch.full((3, 2, 4), -10.0)
    frame[0, :, 0] = frame[1, :, 1] = 10.0
    frame[2, :, 2:] = 10.0
    frames = [frame, frame.clone()]
    frames[1][0] = -10.0                                       # q0 vanishes in frame 1
    ids = {}
    for rule in ('query', 'per_frame'):
        post = VideoPostprocessor(cls_logits=cls, num_things=2, semantic_on=False,
                                  instance_on=False, segment_ids=rule)
        ids[rule] = [post.frame(f, identity)['panoptic'] for f in frames]
    assert [(int(m[0, 1]), int(m[0, 2])) for m, _ in ids['query']] == [(2, 3), (2, 3)]
    assert [(int(m[0, 1]), int(m[0, 2])) for m, _ in ids['per_frame']] == [(2, 3), (1, 2)]
    for ids_map, info in ids['per_frame']:
        assert sorted(s['id'] for s in info) == sorted(set(torch.unique(ids_map).tolist()) - {0})
    with pytest.raises(ValueError, match='segment_ids'):
        VideoPostprocessor(cls_logits=cls, num_things=2, segment_ids='tube')
