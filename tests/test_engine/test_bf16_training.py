"""bf16 autocast training of the toy-config model on CPU: finite losses and gradients, the
network really runs in bf16, and the matching costs, losses and cosine classifier run in
float32 with autocast off."""
import math
import re

import pytest
import torch
from mmengine.optim import build_optim_wrapper

import omgseg.models.losses.criterion as criterion_module
import omgseg.models.task_modules.matcher as matcher_module
from omgseg.registry import MODELS
from tests.batches import make_batch
from tests.conftest import run_tool, toy_cfg


@pytest.fixture(scope='module')
def model(toy_root):
    cfg = toy_cfg(toy_root)
    cfg.model.backbone.frozen = True  # OMG-Seg's setting
    m = MODELS.build(cfg.model)
    m.init_weights()
    return m


def _wrapper(model, dtype='bfloat16'):
    return build_optim_wrapper(model, dict(
        type='AutocastOptimWrapper', dtype=dtype,
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05)))


def _spy(monkeypatch, module, name, seen):
    """Wrap ``module.name`` to record (dtypes of its tensor arguments, autocast on?)."""
    fn = getattr(module, name)

    def spy(*args, **kwargs):
        dtypes = [a.dtype for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()]
        seen.setdefault(name, []).append((dtypes, torch.is_autocast_enabled('cpu')))
        return fn(*args, **kwargs)
    monkeypatch.setattr(module, name, spy)


def test_bf16_step_is_finite_and_keeps_fp32_islands(model, monkeypatch):
    seen = {}
    _spy(monkeypatch, matcher_module, 'pairwise_bce', seen)
    _spy(monkeypatch, matcher_module, 'pairwise_dice', seen)
    _spy(monkeypatch, criterion_module, 'sigmoid_focal_loss', seen)
    _spy(monkeypatch, criterion_module, 'point_sample', seen)
    _spy(monkeypatch, criterion_module.OMGCriterion, '_mask_losses', seen)
    hooks = [
        model.panoptic_head.classifier.register_forward_hook(
            lambda m, args, out: seen.setdefault('classifier', []).append(
                ([out.dtype], torch.is_autocast_enabled('cpu')))),
        model.panoptic_head.register_forward_hook(
            lambda m, args, out: seen.setdefault('head_mask', []).append(
                ([out[-1]['mask'].dtype], torch.is_autocast_enabled('cpu')))),
    ]
    try:
        model.train()
        wrapper = _wrapper(model)
        before = [p.detach().clone() for p in model.panoptic_head.parameters()]
        log = model.train_step(make_batch(1, 2), wrapper)
    finally:
        for h in hooks:
            h.remove()
    # the decoder's mask logits come out of autocast in bf16 ...
    assert seen['head_mask'] == [([torch.bfloat16], True)]
    # ... while every fp32 island saw float32 inputs with autocast off
    for name in ('pairwise_bce', 'pairwise_dice', 'sigmoid_focal_loss', 'point_sample'):
        assert seen[name], name
        for dtypes, autocast_on in seen[name]:
            assert not autocast_on and dtypes and set(dtypes) == {torch.float32}, (name, dtypes)
    # the hook runs after the classifier (autocast is on again); a float32 output of its
    # einsum shows autocast was off inside, as autocast would have made it bf16
    assert seen['classifier'] and all(d == [torch.float32] for d, _ in seen['classifier'])
    assert seen['_mask_losses'] and all(
        set(d[1:]) == {torch.float32} for d, _ in seen['_mask_losses'])  # d[0]: self is skipped
    assert all(torch.isfinite(v) for v in log.values())
    assert log['loss'] > 0
    # parameters (and so gradients and optimizer state) stay float32 and moved
    params = list(model.panoptic_head.parameters())
    assert all(p.dtype == torch.float32 for p in params)
    assert any(not torch.equal(b, p) for b, p in zip(before, params))
    assert all(p.grad is None for p in model.backbone.parameters())


def test_bf16_losses_close_to_fp32(model):
    """Same weights and batch: the bf16 step's losses are within a few percent of fp32's."""
    model.train()
    batch = make_batch(1, 2)
    totals = {}
    for dtype in ('float32', 'bfloat16'):
        torch.manual_seed(0)
        data = model.data_preprocessor(batch, training=True)
        ctx = (torch.autocast('cpu', dtype=torch.bfloat16) if dtype == 'bfloat16'
               else torch.autocast('cpu', enabled=False))
        with torch.no_grad(), ctx:
            losses = model.loss(data['inputs'], data['data_samples'])
        totals[dtype] = float(sum(losses.values()))
        assert all(v.dtype == torch.float32 for v in losses.values())
    assert totals['bfloat16'] == pytest.approx(totals['float32'], rel=0.05)


def test_float16_is_refused_with_the_fix(model):
    with pytest.raises(ValueError, match="AmpOptimWrapper.*--amp fp16"):
        _wrapper(model, dtype='float16')


@pytest.mark.slow
def test_train_tool_runs_bf16_end_to_end(toy_root, tmp_path):
    """tools/train.py --amp bf16 through the Runner: one iteration of 2 toy images (slow: bf16
    is emulated on CPUs without bf16 instructions, minutes on the shared 2-core machine)."""
    cfg = toy_cfg(toy_root, **{'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 10,
                               'train_dataloader.batch_size': 2,
                               'train_dataloader.dataset.indices': 2,
                               'default_hooks.logger.interval': 1})
    path = tmp_path / 'cfg.py'
    cfg.dump(str(path))
    run_tool('tools/train.py', str(path), '--work-dir', str(tmp_path / 'w'), '--amp', 'bf16')
    log = sorted((tmp_path / 'w').glob('*/*.log'))[-1].read_text()
    assert "type='AutocastOptimWrapper'" in log and "dtype='bfloat16'" in log
    losses = [float(v) for v in re.findall(r'Epoch\(train\) \[1\]\[1/1\].* loss: ([0-9.nainf]+)',
                                           log)]
    assert len(losses) == 1 and math.isfinite(losses[0]) and losses[0] > 0
