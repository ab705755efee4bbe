"""The open-vocabulary protocol switches on the toy model: ``open_vocab.fusion`` (per clip,
per video as the original, off) and ``open_vocab.seen_against``."""
import pytest
import torch

from omgseg.models.layers import mask_pool
from omgseg.models.postprocess import clip_resolution_masks, fuse_open_vocab
from omgseg.models.tasks.clips import link_batch, video_class_logits
from tests.batches import make_batch
from tests.test_models.test_tasks.test_class_scorer import (  # noqa: F401 (fixtures)
    OPEN_VOCAB, TOY_SEEN, ov_model, ov_root)


def _video_logits(model, inputs, fusion):
    with model.evaluation_setting(test_cfg=dict(open_vocab=dict(OPEN_VOCAB, fusion=fusion))):
        ctx = model.task_context()
        linker = link_batch(ctx, model.test_settings.clips, inputs)[0][0]
        return video_class_logits(ctx, linker), linker


@torch.no_grad()
def test_fusion_per_video_pools_every_frame_once(ov_model):
    """Three frames in clips of 2 and 1: 'per_video' fuses the clip-averaged decoder logits
    with the CLIP feature pooled over all three frames' masks; 'per_clip' differs; 'off' is
    the decoder's logits."""
    model = ov_model
    torch.manual_seed(40)
    inputs = model.data_preprocessor(make_batch(1, 3), training=False)['inputs']
    per_video, linker = _video_logits(model, inputs, 'per_video')
    raw, _ = linker.video_logits()
    masks = torch.cat(list(linker.store), dim=1).float()[None]           # (1, Q, 3, h, w)
    # by hand: every frame's CLIP map, the linked masks of the whole video, one pooling
    clip_map = model.backbone.get_clip_feature(model.backbone(inputs.flatten(0, 1))[-1])
    clip_map = clip_map[None]                                             # (1, 3, C, h, w)
    small, has_mask = clip_resolution_masks(masks, tuple(clip_map.shape[-2:]))
    clip_logits = model.panoptic_head.classifier(
        model.backbone.project_pooled(mask_pool(clip_map, small)))
    expected = fuse_open_vocab(raw[None], clip_logits, torch.tensor(TOY_SEEN), has_mask)[0]
    torch.testing.assert_close(per_video, expected, atol=1e-4, rtol=0)
    per_clip, _ = _video_logits(model, inputs, 'per_clip')
    assert (per_clip - per_video).abs().amax() > 1e-3
    off, linker_off = _video_logits(model, inputs, 'off')
    torch.testing.assert_close(off, linker_off.video_logits()[0])
    with model.evaluation_setting(test_cfg=dict(open_vocab=None)):
        plain = link_batch(model.task_context(), model.test_settings.clips, inputs)[0][0]
    torch.testing.assert_close(off, plain.video_logits()[0])


@torch.no_grad()
def test_fusion_per_video_of_one_clip_is_per_clip(ov_model):
    model = ov_model
    torch.manual_seed(41)
    inputs = model.data_preprocessor(make_batch(1, 1), training=False)['inputs']
    per_video, _ = _video_logits(model, inputs, 'per_video')
    per_clip, _ = _video_logits(model, inputs, 'per_clip')
    torch.testing.assert_close(per_video, per_clip, atol=1e-5, rtol=0)


def test_seen_against_switch(ov_model):
    model = ov_model
    assert model.scorer.seen().tolist() == TOY_SEEN
    both = dict(open_vocab=dict(OPEN_VOCAB, seen_against='train_and_test_vocabulary'))
    with model.evaluation_setting(test_cfg=both):
        assert model.scorer.seen().all()


@pytest.mark.parametrize('key,value', [('fusion', 'per_frame'), ('seen_against', 'test')])
def test_bad_switch_values_are_named(ov_model, key, value):
    with pytest.raises(ValueError, match=rf'test_cfg\.open_vocab\.{key} must be one of'):
        with ov_model.evaluation_setting(test_cfg=dict(open_vocab={**OPEN_VOCAB, key: value})):
            pass
