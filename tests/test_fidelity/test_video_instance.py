"""Video instance tracking and scoring against the original (MinVIS linking, per-frame
post-processing with the video's logits, YouTube-VIS track scoring).

The fixture holds three fixed clip outputs of a 7-frame video (clips of 3, 2 and 2 frames,
queries shuffled between clips), the linked logits and masks the original post-processed, and
the tracks mmdet's YouTubeVISMetric made of them (score = mean over frames of the per-frame
scores). One object vanishes for two frames and another after frame 1.
"""
from __future__ import annotations

import pytest
import torch

from omgseg.models.inference import (MaskStore, TubeLinker, TubeMaskScore, VideoPostprocessor,
                                     plan_clips)
from omgseg.models.postprocess import instance_topk_all_classes
from omgseg.models.tasks import ObjectSettings
from tests.test_fidelity.original import ATOL, assert_instances_match, load_fixture

FX = load_fixture('video_instance')


def link(fx: dict) -> tuple[TubeLinker, MaskStore]:
    store = MaskStore(budget_mb=None)
    linker = TubeLinker(store=store)
    for clip in fx['clip_outputs']:
        linker.add_clip(cls=clip['cls'][0], obj=clip['iou'][0, :, 0], query=clip['query'][0],
                        mask=clip['mask'][0])
    return linker, store


def tracks(cls: torch.Tensor, masks: torch.Tensor, rule: str) -> tuple[torch.Tensor, ...]:
    """Instance tracks from linked (Q, K+1) logits and (Q, T, H, W) mask logits."""
    sel = instance_topk_all_classes(cls, FX['num_things'], FX['max_per_image'])
    chosen = masks[sel['queries']]
    scorer = TubeMaskScore(num_instances=len(chosen), rule=rule)
    for t in range(chosen.shape[1]):
        scorer.add_frame(chosen[:, t])
    return sel['scores'] * scorer.scores(), sel['labels'], chosen > 0


def test_clip_plan_matches_original():
    assert plan_clips(FX['num_frames'], clip_size=5, clip_size_small=3,
                      small_clip_thr=15) == [tuple(t) for t in FX['tubes']]


def test_linking_matches_original():
    linker, store = link(FX)
    cls, _ = linker.video_logits()
    torch.testing.assert_close(cls, FX['linked_cls'], atol=ATOL, rtol=0)
    masks = torch.cat(list(store), dim=1).float()                      # (Q, T, H, W)
    # the store keeps float16: the signs (the binary masks) are the original's
    assert torch.equal(masks > 0, FX['linked_masks'] > 0)


def test_track_scores_match_original():
    scores, labels, masks = tracks(FX['linked_cls'], FX['linked_masks'], 'frame_mean')
    assert_instances_match(scores, labels, masks, FX['track_scores'], FX['track_labels'],
                           FX['track_masks'])
    # some track is empty on some frames, so the rule matters on this fixture
    assert (~FX['track_masks'].flatten(2).any(-1)).any()


def test_area_weighted_rule_differs_where_frames_are_empty():
    s_orig, _, masks = tracks(FX['linked_cls'], FX['linked_masks'], 'frame_mean')
    s_area, _, _ = tracks(FX['linked_cls'], FX['linked_masks'], 'area_weighted')
    empty_somewhere = ~masks.flatten(2).any(-1).all(1)
    assert empty_somewhere.any()
    # empty frames count 0 in the original's mean, and are ignored by the area-weighted rule
    assert (s_area[empty_somewhere] > s_orig[empty_somewhere] + 1e-3).all()


def test_scorer_rejects_bad_input():
    with pytest.raises(ValueError, match='rule must be one of'):
        TubeMaskScore(num_instances=2, rule='mean')
    scorer = TubeMaskScore(num_instances=2)
    with pytest.raises(ValueError, match=r'expected \(2, H, W\)'):
        scorer.add_frame(torch.zeros(3, 4, 4))
    with pytest.raises(RuntimeError, match='no frame'):
        scorer.scores()


def test_default_settings_reproduce_the_original_tracks():
    """The post-processor built from default ObjectSettings, fed frame by frame as the
    object-query handler feeds it, gives the original's YouTube-VIS tracks."""
    o = ObjectSettings(max_per_image=FX['max_per_image'])
    post = VideoPostprocessor(cls_logits=FX['linked_cls'], num_things=FX['num_things'],
                              panoptic_on=False, semantic_on=False,
                              max_per_image=o.max_per_image, instance_topk=o.instance_topk,
                              track_score=o.track_score)
    masks = [post.frame(FX['linked_masks'][:, t], lambda x: x)['instance_masks']
             for t in range(FX['linked_masks'].shape[1])]
    res = post.instance_results()
    assert_instances_match(res['scores'], res['labels'], torch.stack(masks, 1),
                           FX['track_scores'], FX['track_labels'], FX['track_masks'])
