"""Panoptic and instance post-processing against the original's ``OMGFusionHead``.

Fixed class and mask logits (two cases) went through the original's panoptic and instance
post-processing, also with zero thing classes. The original has no semantic post-processing
(it raises NotImplementedError), so there is nothing to compare ours with there.
"""
from __future__ import annotations

import pytest
import torch

from omgseg.models.inference import TubeMaskScore, VideoPostprocessor
from omgseg.models.postprocess import (
    instance_topk_all_classes,
    panoptic_frame,
    select_instances,
    select_panoptic,
)
from omgseg.models.tasks import ObjectSettings
from tests.test_fidelity.original import assert_instances_match, load_fixture, original_panoptic_ids

FX = load_fixture('postprocess')
CASES = FX['cases']


def ours_panoptic(case: dict, num_things: int) -> torch.Tensor:
    cls, masks = case['cls'], case['masks']
    sel = select_panoptic(cls, case['object_mask_thr'])
    ids, segments = panoptic_frame(masks[sel['queries']].sigmoid(), sel, num_things,
                                   cls.shape[0], overlap_thr=case['iou_thr'],
                                   filter_low_score=case['filter_low_score'])
    return original_panoptic_ids(ids, segments, cls.shape[-1] - 1, case['instance_offset'])


def ours_instances(case: dict, num_things: int) -> tuple[torch.Tensor, ...]:
    """The original protocol: top-k over all classes, then score x per-image mask score."""
    sel = instance_topk_all_classes(case['cls'], num_things, case['max_per_image'])
    masks = case['masks'][sel['queries']]
    scorer = TubeMaskScore(num_instances=len(masks), rule='frame_mean')
    scorer.add_frame(masks)
    return sel['scores'] * scorer.scores(), sel['labels'], masks > 0


@pytest.mark.parametrize('case', CASES, ids=['case0', 'case1'])
def test_panoptic_matches_original(case):
    expected = case['panoptic']
    ours = ours_panoptic(case, case['num_things'])
    assert torch.equal(ours, expected.to(ours.dtype))
    ids = torch.unique(expected)
    # several segments, things and stuff, and some void
    assert (ids >= case['instance_offset']).sum() >= 2 and (ids < case['num_things']
                                                             + case['num_stuff']).any()


@pytest.mark.parametrize('case', CASES, ids=['case0', 'case1'])
def test_instances_match_original(case):
    exp = case['instance']
    assert_instances_match(*ours_instances(case, case['num_things']), exp['scores'],
                           exp['labels'], exp['masks'])


@pytest.mark.parametrize('case', CASES, ids=['case0', 'case1'])
def test_things_only_topk_keeps_more_than_original(case):
    # omgseg's former rule ranks thing classes only and fills every slot
    kept_original = len(case['instance']['scores'])
    ours_things_only = select_instances(case['cls'], case['num_things'], case['max_per_image'])
    assert len(ours_things_only['scores']) == case['max_per_image'] > kept_original


@pytest.mark.parametrize('case', CASES, ids=['case0', 'case1'])
def test_zero_thing_classes(case):
    zero = case['zero_things']
    assert len(zero['instance']['scores']) == 0 and zero['instance']['masks'].shape[0] == 0
    scores, labels, masks = ours_instances(case, num_things=0)
    assert len(scores) == len(labels) == len(masks) == 0
    # panoptic output is all stuff (no instance ids), and still the original's
    ours = ours_panoptic(case, num_things=0)
    assert torch.equal(ours, zero['panoptic'].to(ours.dtype))
    assert (zero['panoptic'] < case['instance_offset']).all()


def test_original_has_no_semantic_postprocess():
    assert FX['semantic_postprocess'] == 'NotImplementedError'


def test_topk_argument_errors():
    cls = torch.zeros(3, 5)
    with pytest.raises(ValueError, match='num_things=5 is outside'):
        instance_topk_all_classes(cls, 5)
    with pytest.raises(ValueError, match='max_per_image must be >= 1'):
        instance_topk_all_classes(cls, 2, 0)
    with pytest.raises(ValueError, match=r'\(Q, K\+1\)'):
        instance_topk_all_classes(torch.zeros(3), 1)


def default_postprocessor(cls: torch.Tensor, num_things: int, max_per_image: int
                          ) -> VideoPostprocessor:
    """The post-processor as the object-query handler builds it from default settings."""
    o = ObjectSettings(max_per_image=max_per_image)
    return VideoPostprocessor(cls_logits=cls, num_things=num_things, panoptic_on=False,
                              semantic_on=False, instance_on=True,
                              max_per_image=o.max_per_image, instance_topk=o.instance_topk,
                              track_score=o.track_score)


@pytest.mark.parametrize('case', CASES, ids=['case0', 'case1'])
@pytest.mark.parametrize('num_things', ['fixture', 0])
def test_default_settings_reproduce_the_original(case, num_things):
    """ObjectSettings' defaults are the original's instance protocol, zero things included."""
    things = case['num_things'] if num_things == 'fixture' else 0
    exp = case['instance'] if num_things == 'fixture' else case['zero_things']['instance']
    post = default_postprocessor(case['cls'], things, case['max_per_image'])
    out = post.frame(case['masks'], lambda x: x)
    res = post.instance_results()
    assert_instances_match(res['scores'], res['labels'], out['instance_masks'], exp['scores'],
                           exp['labels'], exp['masks'])


@pytest.mark.parametrize('case', CASES, ids=['case0', 'case1'])
def test_per_frame_segment_ids_are_the_original_numbering(case):
    """objects.segment_ids='per_frame': a thing's id is the original's instance number, so the
    original's encoding is label + id * offset with no reordering."""
    post = VideoPostprocessor(cls_logits=case['cls'], num_things=case['num_things'],
                              semantic_on=False, instance_on=False,
                              object_mask_thr=case['object_mask_thr'],
                              overlap_thr=case['iou_thr'],
                              filter_low_score=case['filter_low_score'], segment_ids='per_frame')
    ids, segments = post.frame(case['masks'], lambda x: x)['panoptic']
    out = torch.full_like(ids, case['cls'].shape[-1] - 1)
    for s in segments:
        out[ids == s['id']] = s['category_id'] + (s['id'] * case['instance_offset']
                                                  if s['isthing'] else 0)
    assert torch.equal(out, case['panoptic'].to(out.dtype))
