"""The toy-config model (the real architecture, shrunk): shapes for T = 1 and T = 2, losses with
and without ground truth, and inference outputs."""
import pytest
import torch

from omgseg.registry import MODELS
from tests.batches import make_batch
from tests.conftest import toy_cfg


@pytest.fixture(scope='module')
def model(toy_root):
    cfg = toy_cfg(toy_root)
    cfg.model.backbone.frozen = True  # the OMG-Seg setting (the toy job fine-tunes its CLIP)
    m = MODELS.build(cfg.model)
    m.init_weights()
    return m


@pytest.mark.parametrize('frames', [1, 2])
def test_forward_shapes(model, frames):
    data = model.data_preprocessor(make_batch(2, frames), training=False)
    inputs = data['inputs']
    assert inputs.shape == (2, frames, 3, 64, 96)
    preds = model._forward(inputs)
    head = model.panoptic_head
    assert len(preds) == len(head.transformer_decoder.layers) + 1
    q, k = head.num_queries, head.num_classes
    for p in preds:
        assert p['cls'].shape == (2, q, k + 1)
        assert p['obj'].shape == (2, q)
        assert p['mask'].shape == (2, q, frames, 16, 24)
    # the cosine classifier's void logit is exactly zero
    assert torch.all(preds[-1]['cls'][..., -1] == 0)


@pytest.mark.parametrize('frames', [1, 2])
def test_losses_finite_and_backprop(model, frames):
    model.train()
    data = model.data_preprocessor(make_batch(2, frames), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    n_sets = len(model.panoptic_head.transformer_decoder.layers) + 1
    assert len(losses) == 4 * n_sets
    total = sum(losses.values())
    assert torch.isfinite(total) and total > 0
    total.backward()
    grads = [p.grad for n, p in model.named_parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert all(p.grad is None for p in model.backbone.parameters())
    model.zero_grad()


def test_losses_on_empty_ground_truth(model):
    model.train()
    data = model.data_preprocessor(make_batch(2, 1, with_gt=False), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    # nothing to match: every query is trained towards "no object", masks get zero loss
    assert losses['loss_cls'] > 0 and torch.isfinite(losses['loss_cls'])
    assert losses['loss_mask'] == 0 and losses['loss_dice'] == 0
    sum(losses.values()).backward()
    model.zero_grad()


def test_unknown_task_is_a_clear_error(model):
    data = model.data_preprocessor(make_batch(1, 1, task='no_such_task'), training=True)
    with pytest.raises(ValueError, match="'no_such_task'.*not known"):
        model.loss(data['inputs'], data['data_samples'])
    # an interactive sample reaches the interactive handler, which needs prompts
    data = model.data_preprocessor(make_batch(1, 1, task='interactive'), training=True)
    with pytest.raises(ValueError, match='interactive sample carries no prompts'):
        model.loss(data['inputs'], data['data_samples'])
    data = model.data_preprocessor(make_batch(1, 1, task='vos'), training=True)
    with pytest.raises(ValueError, match="'vos' cannot be trained"):
        model.loss(data['inputs'], data['data_samples'])


def test_predict_outputs_per_frame(model):
    model.eval()
    data = model.data_preprocessor(make_batch(1, 2), training=False)
    with torch.no_grad():
        out = model.predict(data['inputs'], data['data_samples'])
    frames = out[0].video_data_samples
    for f in frames:
        ids = f.pred_panoptic_seg.sem_seg
        assert ids.shape == (1, 64, 96)
        listed = {s['id'] for s in f.pred_panoptic_seg.metainfo['segments_info']}
        assert set(torch.unique(ids).tolist()) - {0} == listed
        assert f.pred_sem_seg.sem_seg.shape == (1, 64, 96)
        assert f.pred_instances.masks.shape[1:] == (64, 96)
    # one query is one object through time: the same instance ranks on both frames
    assert torch.equal(frames[0].pred_instances.labels, frames[1].pred_instances.labels)


def test_frozen_backbone_stays_in_eval_mode(model):
    model.train()
    assert model.panoptic_head.training
    assert not any(m.training for m in model.backbone.modules())


def test_unfrozen_backbone_trains_its_stages_but_not_the_clip_head(toy_root):
    cfg = toy_cfg(toy_root)
    cfg.model.backbone.frozen = False
    m = MODELS.build(cfg.model)
    m.init_weights()
    m.train()
    assert m.backbone.layer1.training and not m.backbone.head.training
    data = m.data_preprocessor(make_batch(1, 1), training=True)
    sum(m.loss(data['inputs'], data['data_samples']).values()).backward()
    assert all(p.grad is not None for p in m.backbone.layer4.parameters())
    assert all(p.grad is None and not p.requires_grad for p in m.backbone.head.parameters())
