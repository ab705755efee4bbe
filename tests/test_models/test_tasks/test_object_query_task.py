"""The object-query handler alone, on a hand-made network: its outputs for an image and a video
follow from fixed logits, and its training targets follow the sample's task."""
import math

import pytest
import torch

from omgseg.models.tasks import ClipSettings, ObjectQueryTask, ObjectSettings
from tests.batches import make_batch
from tests.test_models.test_tasks.fakes import FixedHead, fixed_context

NAMES = ['cat', 'sky']                 # one thing, one stuff class
LEFT = torch.zeros(4, 4, dtype=torch.bool)
LEFT[:, :2] = True


def _head() -> FixedHead:
    """Query 0: a cat on the left half; query 1: sky on the right half; query 2: void
    everywhere (never a segment)."""
    cls = torch.tensor([[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]])
    mask = torch.full((3, 4, 4), -10.0)
    mask[0][LEFT] = 10.0
    mask[1][~LEFT] = 10.0
    mask[2] = 10.0
    return FixedHead(cls, torch.zeros(3), mask)


def _samples(frames: int, task='panoptic'):
    batch = make_batch(1, frames, size=(4, 4), with_gt=False, task=task)
    return torch.stack(batch['inputs']).float(), batch['data_samples']


def test_image_outputs_follow_the_logits():
    task = ObjectQueryTask(objects=ObjectSettings(max_per_image=1), clips=ClipSettings())
    inputs, samples = _samples(1)
    frame = task.predict(fixed_context(_head(), NAMES, 1), inputs, samples)[0] \
        .video_data_samples[0]
    ids = frame.pred_panoptic_seg.sem_seg[0]
    # a thing's id is its query + 1; stuff gets num_queries + 1 + label
    assert torch.equal(ids, torch.where(LEFT, 1, 3 + 1 + 1).int())
    info = {s['id']: (s['category_id'], s['isthing']) for s in
            frame.pred_panoptic_seg.segments_info}
    assert info == {1: (0, True), 5: (1, False)}
    assert torch.equal(frame.pred_sem_seg.sem_seg[0], (~LEFT).long())
    inst = frame.pred_instances
    p_cat = math.exp(10) / (math.exp(10) + 2)
    sigmoid10 = 1 / (1 + math.exp(-10))
    # class probability x mean mask probability inside the binary mask
    assert inst.instances_id.tolist() == [0] and inst.labels.tolist() == [0]
    assert inst.scores.item() == pytest.approx(p_cat * sigmoid10, rel=1e-6)
    assert torch.equal(inst.masks[0], LEFT)


def test_video_runs_in_planned_clips_with_stable_ids():
    head = _head()
    task = ObjectQueryTask(objects=ObjectSettings(instance_masks='rle', max_per_image=1),
                           clips=ClipSettings(clip_size=2, clip_size_small=2, small_clip_thr=0))
    inputs, samples = _samples(3)
    sample = task.predict(fixed_context(head, NAMES, 1), inputs, samples)[0]
    assert [c['num_frames'] for c in head.calls] == [2, 1]          # clips of 2, then 1
    for frame in sample.video_data_samples:
        assert torch.equal(frame.pred_panoptic_seg.sem_seg[0],
                           torch.where(LEFT, 1, 5).int())
    track = sample.pred_track_instances
    assert len(track.masks_rle) == 1 and len(track.masks_rle[0]) == 3


def test_switched_off_outputs_are_absent():
    task = ObjectQueryTask(objects=ObjectSettings(panoptic_on=False, semantic_on=False),
                           clips=ClipSettings())
    inputs, samples = _samples(1)
    frame = task.predict(fixed_context(_head(), NAMES, 1), inputs, samples)[0] \
        .video_data_samples[0]
    assert 'pred_panoptic_seg' not in frame and 'pred_sem_seg' not in frame
    assert 'pred_instances' in frame


@pytest.mark.parametrize('kind,expected', [('panoptic', [0, 3, 6]), ('semantic', [0, 3, 6]),
                                           ('instance', [0, 3])])
def test_training_targets_follow_the_task(kind, expected):
    """Panoptic and semantic samples train stuff tubes too, instance samples things only."""
    seen = {}

    def criterion(preds, targets):
        seen['labels'] = targets[0][0].tolist()
        return dict(loss_mask=torch.ones(()), loss_cls=torch.ones(()))
    batch = make_batch(1, 2, size=(64, 96), task=kind)
    names = ['person', 'bicycle', 'car', 'bird', 'dog', 'road', 'sky', 'grass']
    ctx = fixed_context(_head(), names, 5, criterion=criterion)
    task = ObjectQueryTask(objects=ObjectSettings(), clips=ClipSettings())
    losses = task.loss(ctx, torch.stack(batch['inputs']).float(), batch['data_samples'])
    assert sorted(seen['labels']) == expected
    assert set(losses) == {'loss_mask', 'loss_cls'}


def test_settings_are_checked():
    with pytest.raises(ValueError, match="instance_masks must be one of 'bitmap', 'rle'"):
        ObjectSettings(instance_masks='png')
    with pytest.raises(ValueError, match='clips.clip_size must be >= 1'):
        ClipSettings(clip_size=0)


def test_zero_thing_classes_with_instances_on_give_an_empty_result():
    """A vocabulary of stuff only with instance_on: no instance, no crash (the original
    returns an empty result), for an image and a 3-frame video."""
    for frames in (1, 3):
        task = ObjectQueryTask(objects=ObjectSettings(instance_on=True), clips=ClipSettings())
        inputs, samples = _samples(frames)
        sample = task.predict(fixed_context(_head(), ['wall', 'sky'], 0), inputs, samples)[0]
        for frame in sample.video_data_samples:
            assert len(frame.pred_instances) == 0
            assert frame.pred_instances.masks.shape == (0, 4, 4)
            assert all(not s['isthing'] for s in frame.pred_panoptic_seg.segments_info)
        assert len(sample.pred_track_instances.scores) == 0


@pytest.mark.parametrize('rule,count', [('all_classes', 1), ('things', 2)])
def test_instance_topk_switch(rule, count):
    """Top 2 of the (query, class) pairs: over all classes the sky query's stuff pair takes
    the second slot, so one cat is left; over things only, both slots are cats."""
    task = ObjectQueryTask(objects=ObjectSettings(max_per_image=2, instance_topk=rule),
                           clips=ClipSettings())
    inputs, samples = _samples(1)
    inst = task.predict(fixed_context(_head(), NAMES, 1), inputs, samples)[0] \
        .video_data_samples[0].pred_instances
    assert len(inst) == count and inst.labels.tolist() == [0] * count
    assert inst.instances_id[0] == 0
