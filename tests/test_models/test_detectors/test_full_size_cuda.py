"""The full-size model (ConvNeXt-L CLIP, 300 queries, random weights) on a GPU: one bf16
training step at the paper's 736 x 1280 with 2-frame clips, and inference of a clip."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from omgseg.utils.measure import build_model, collate_clips, pad_training_to, random_clip
from tests.conftest import ROOT

CONFIG = ROOT / 'configs' / 'omgseg' / 'omgseg_convnext-l_8xb1-12e_coco-panoptic.py'
H, W, T = 736, 1280, 2

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')]


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(str(CONFIG))
    pad_training_to(cfg, H, W)  # the COCO config crops 1024 x 1024
    m = build_model(cfg, random_init=True)
    return m.to(torch.device('cuda'))


def _batch(model, seed: int) -> dict:
    head = model.panoptic_head
    return collate_clips([random_clip(frames=T, height=H, width=W,
                                      num_things=head.num_things_classes,
                                      num_classes=head.num_classes,
                                      rng=np.random.default_rng(seed))])


@pytest.mark.skipif(torch.cuda.is_available() and not torch.cuda.is_bf16_supported(),
                    reason='this GPU has no bf16')
def test_bf16_training_step_full_size(model):
    model.train()
    wrapper = build_optim_wrapper(model, dict(
        type='AutocastOptimWrapper', dtype='bfloat16',
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        clip_grad=dict(max_norm=0.01, norm_type=2)))
    before = model.panoptic_head.query_feat.weight.detach().clone()
    torch.cuda.reset_peak_memory_stats()
    # model.train_step's parts (mmengine's BaseModel), split so that the gradients can be
    # looked at before the wrapper's zero_grad clears them
    with wrapper.optim_context(model):
        data = model.data_preprocessor(_batch(model, 0), True)
        losses = model._run_forward(data, mode='loss')
    loss, log = model.parse_losses(losses)
    wrapper.backward(loss)
    grads = [p.grad for p in model.panoptic_head.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert all(g.dtype == torch.float32 for g in grads)
    assert all(p.grad is None for p in model.backbone.parameters())  # frozen CLIP
    wrapper.step()
    wrapper.zero_grad()
    peak_gib = torch.cuda.max_memory_allocated() / 2**30
    print(f'full-size bf16 step at {H}x{W}, T={T}: loss {float(log["loss"]):.3f}, '
          f'peak {peak_gib:.1f} GiB')
    assert all(math.isfinite(float(v)) for v in log.values())
    assert not torch.equal(before, model.panoptic_head.query_feat.weight)


def test_clip_inference_full_size(model):
    model.eval()
    data = model.data_preprocessor(_batch(model, 1), training=False)
    with torch.autocast('cuda', dtype=torch.bfloat16):
        out = model.predict(data['inputs'], data['data_samples'])
    frames = out[0].video_data_samples
    assert len(frames) == T
    for frame in frames:
        ids = frame.pred_panoptic_seg.sem_seg[0]
        assert tuple(ids.shape) == (H, W)
        listed = {s['id'] for s in frame.pred_panoptic_seg.metainfo['segments_info']}
        # every segment in the map is described, and nothing else
        assert set(ids.unique().tolist()) - {0} == listed
        assert len(frame.pred_instances.scores) <= 100  # max_per_image
