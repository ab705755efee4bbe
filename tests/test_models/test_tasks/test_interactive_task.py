"""The interactive handler alone, on a hand-made network: prompts are batched and padded,
masks follow the threshold, targets are each prompt's own instance, class losses are zero."""
import pytest
import torch
from mmengine.structures import InstanceData

from omgseg.models.tasks import InteractiveSettings, InteractiveTask
from omgseg.models.tasks.interactive import batch_prompts
from tests.batches import make_batch
from tests.test_models.test_tasks.fakes import FixedHead, fixed_context

NAMES = ['cat', 'sky']


def _head() -> FixedHead:
    cls = torch.tensor([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    mask = torch.full((3, 64, 96), -4.0)
    mask[0, :10] = 4.0                 # prompt 0: the top rows
    mask[1, :, :20] = 0.5              # prompt 1: weakly the left columns
    return FixedHead(cls, torch.zeros(3), mask)


def _prompted(boxes_per_sample, frames=1):
    batch = make_batch(len(boxes_per_sample), frames)
    for sample, boxes in zip(batch['data_samples'], boxes_per_sample):
        sample.set_metainfo(dict(task='interactive'))
        sample.video_data_samples[0].prompts = InstanceData(
            boxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
            kinds=torch.zeros(len(boxes), dtype=torch.long),
            instances_ids=torch.tensor([11, 12][:len(boxes)]))
    return torch.stack(batch['inputs']).float(), batch['data_samples']


def test_prompts_are_batched_and_padded():
    _, samples = _prompted([[[1, 2, 9, 9], [3, 3, 8, 8]], [[5, 5, 7, 7]]])
    boxes, kinds, shapes, counts = batch_prompts(samples, torch.device('cpu'))
    assert counts == [2, 1] and boxes.shape == (2, 2, 4) and kinds.shape == (2, 2)
    assert torch.equal(boxes[1, 1], boxes[1, 0])          # padded with its first prompt
    assert shapes.tolist() == [[64, 96], [64, 96]]


def test_masks_follow_the_threshold_and_labels_the_scores():
    inputs, samples = _prompted([[[1, 2, 9, 9], [3, 3, 8, 8]]])
    head = _head()
    ctx = fixed_context(head, NAMES, 1)
    pred = InteractiveTask(settings=InteractiveSettings()).predict(ctx, inputs, samples)[0] \
        .video_data_samples[0].pred_prompt_masks
    call = head.calls[0]
    assert len(head.calls) == 1 and (call['num_frames'], call['prompted']) == (1, True)
    # reference points of a spatial prior: box centres over the (96 x 64) input
    torch.testing.assert_close(call['query_ref'],
                               torch.tensor([[[5 / 96, 5.5 / 64], [5.5 / 96, 5.5 / 64]]]))
    assert pred.masks.shape == (2, 64, 96)
    assert pred.masks[0, :10].all() and not pred.masks[0, 10:].any()
    assert pred.masks[1, :, :20].all() and not pred.masks[1, :, 20:].any()
    assert pred.labels.tolist() == [0, 1] and pred.instances_ids.tolist() == [11, 12]
    probs = torch.tensor([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0]]).softmax(-1)
    torch.testing.assert_close(pred.scores, probs[:, :2].amax(-1))
    # a higher threshold drops the weak prompt's mask
    strict = InteractiveTask(settings=InteractiveSettings(mask_thr=1.0))
    pred = strict.predict(ctx, inputs, samples)[0].video_data_samples[0].pred_prompt_masks
    assert pred.masks[0, :10].all() and not pred.masks[1].any()


def test_loss_targets_each_prompt_and_zeroes_class_losses():
    seen = {}

    def criterion(preds, targets, matched):
        seen['targets'], seen['matched'] = targets, matched
        return {'loss_cls': torch.tensor(2.0), 'd0.loss_cls': torch.tensor(1.0),
                'loss_obj': torch.tensor(3.0), 'loss_mask': torch.tensor(1.5)}
    inputs, samples = _prompted([[[1, 2, 9, 9], [3, 3, 8, 8]]], frames=2)
    ctx = fixed_context(_head(), NAMES, 1, criterion=criterion)
    losses = InteractiveTask(settings=InteractiveSettings()).loss(ctx, inputs, samples)
    assert losses['loss_cls'] == 0 and losses['d0.loss_cls'] == 0 and losses['loss_obj'] == 0
    assert losses['loss_mask'] == 1.5
    labels, masks = seen['targets'][0]
    assert labels.tolist() == [-1, -1] and masks.shape == (2, 2, 64, 96)
    gt = samples[0].video_data_samples[1].gt_instances
    assert torch.equal(masks[1, 1], gt.masks[1])          # id 12 in frame 1
    assert [m.tolist() for m in seen['matched'][0]] == [[0, 1], [0, 1]]


def test_a_sample_without_prompts_is_a_clear_error():
    batch = make_batch(1, 1, task='interactive')
    with pytest.raises(ValueError, match='add SamplePrompts'):
        InteractiveTask(settings=InteractiveSettings()).predict(
            fixed_context(_head(), NAMES, 1), torch.stack(batch['inputs']).float(),
            batch['data_samples'])
