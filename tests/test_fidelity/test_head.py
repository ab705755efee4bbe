"""A converted original head (random weights, tiny widths) gives the original's outputs.

The fixture holds the original ``Mask2FormerVideoHead``'s state dict, its class embeddings,
the backbone maps fed to it and its last-layer outputs for an image batch, a 2-frame clip and
box/point prompts. Our :class:`OMGQueryHead` is built at the same widths, loaded through the
checkpoint converter's rename table and run on the same maps.
"""
from __future__ import annotations

import pytest
import torch
from mmengine.config import ConfigDict

from omgseg.models.heads import OMGQueryHead
from omgseg.models.text import ORIGINAL_LOGIT_SCALE
from omgseg.utils.official_checkpoint import rename_keys
from tests.test_fidelity.original import ATOL, load_fixture

HEAD = 'panoptic_head.'


@pytest.fixture(scope='module')
def fx():
    return load_fixture('head')


def build_head(fx: dict, **overrides) -> OMGQueryHead:
    """Our head at the fixture's widths, with the original's weights and prototypes (configs
    are ConfigDicts, as when read from a config file)."""
    c = fx['config']
    f, nh = c['feat_channels'], c['num_heads']
    ffn = dict(num_fcs=2, ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True))
    head = OMGQueryHead(
        in_channels=c['in_channels'], feat_channels=f, num_queries=c['num_queries'],
        num_things_classes=c['num_things'], num_stuff_classes=c['num_stuff'],
        clip_dim=c['clip_dim'], class_embed_path='fixture-embeddings-set-below.pth',
        pixel_decoder=ConfigDict(
            type='OMGPixelDecoder', num_outs=3,
            norm_cfg=dict(type='GN', num_groups=c['gn_groups']), act_cfg=dict(type='ReLU'),
            encoder=dict(num_layers=c['encoder_layers'], layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=f, num_heads=nh, num_levels=3,
                                   num_points=c['num_points'], dropout=0.0, batch_first=True),
                ffn_cfg=dict(embed_dims=f, feedforward_channels=c['encoder_ffn'], **ffn))),
            positional_encoding=dict(num_feats=f // 2, normalize=True)),
        transformer_decoder=ConfigDict(
            return_intermediate=True, num_layers=c['decoder_layers'],
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=f, num_heads=nh, dropout=0.0, batch_first=True),
                cross_attn_cfg=dict(embed_dims=f, num_heads=nh, dropout=0.0,
                                    batch_first=True),
                ffn_cfg=dict(embed_dims=f, feedforward_channels=c['decoder_ffn'], **ffn)),
            init_cfg=None),
        prompt_encoder=dict(type='PromptEncoder'), **overrides)
    k = c['num_things'] + c['num_stuff']
    head.classifier.set_embeddings(fx['class_embeddings'], [f'class {i}' for i in range(k)])
    state = {key[len(HEAD):]: v for key, v in rename_keys(fx['state_dict']).items()}
    head.load_state_dict(state, strict=True)
    return head.eval()


@pytest.fixture(scope='module')
def head(fx):
    return build_head(fx)


def flat_feats(feats: list[torch.Tensor]) -> list[torch.Tensor]:
    return [f.contiguous() for f in feats]


# Class logits are 100 x a float32 cosine: a rounding step of the cosine (~1e-7) is ~1e-5 in
# the logit, and CPUs with other vector units round the same sums a few steps apart (2e-5
# seen on an AVX-512 machine against the fixture's). Every other output keeps ATOL.
CLS_ATOL = 10 * ATOL


def assert_close(ours: torch.Tensor, theirs: torch.Tensor, what: str) -> None:
    atol = CLS_ATOL if 'class logits' in what else ATOL
    torch.testing.assert_close(ours, theirs, atol=atol, rtol=0, msg=lambda m: f'{what}: {m}')


def test_default_temperature_is_the_originals(fx, head):
    # exp of the float32 buffer 4.6052, as the original computes it, not 100
    assert ORIGINAL_LOGIT_SCALE == fx['config']['logit_scale']
    assert head.classifier.logit_scale == ORIGINAL_LOGIT_SCALE
    assert abs(ORIGINAL_LOGIT_SCALE - 100.0029602) < 1e-6


def test_image_batch(fx, head):
    case = fx['image']
    with torch.no_grad():
        preds = head(flat_feats(case['feats']), num_frames=1)
    first, last = preds[0], preds[-1]
    assert_close(last['mask'][:, :, 0], case['mask'], 'mask logits')
    assert_close(last['cls'], case['cls'], 'class logits')
    assert_close(last['obj'], case['obj'], 'objectness')
    assert_close(first['mask'][:, :, 0], case['mask_first'], 'first mask logits')
    assert_close(first['cls'], case['cls_first'], 'first class logits')
    assert_close(last['query'], case['query'], 'decoder output')
    # the comparison is not vacuous: masks have both signs, classes are not all void
    assert (case['mask'] > 0).any() and (case['mask'] < 0).any()
    assert (case['cls'].argmax(-1) != case['cls'].shape[-1] - 1).any()


def test_two_frame_clip(fx, head):
    case = fx['clip']
    with torch.no_grad():
        last = head(flat_feats(case['feats']), num_frames=case['num_frames'])[-1]
    assert last['mask'].shape == case['mask'].shape                  # (1, Q, 2, h, w) tubes
    assert_close(last['mask'], case['mask'], 'tube mask logits')
    assert_close(last['cls'], case['cls'], 'class logits')
    assert_close(last['obj'], case['obj'], 'objectness')


def test_box_and_point_prompts(fx, head):
    case = fx['prompts']
    with torch.no_grad():
        content, pos, self_mask = head.prompt_encoder(
            case['boxes'][None], case['kinds'][None], case['img_shape'], head.num_heads)
        last = head(flat_feats(case['feats']), num_frames=1, queries=(content, pos),
                    self_attn_mask=self_mask)[-1]
    assert last['mask'].shape[1] == len(case['boxes'])
    assert_close(last['mask'][:, :, 0], case['mask'], 'prompt mask logits')
    assert_close(last['cls'], case['cls'], 'class logits')
    assert_close(last['obj'], case['obj'], 'objectness')


def test_temperature_100_misses_the_original(fx):
    # the former default: the network is the same, the logits are off by up to ~3e-3
    head100 = build_head(fx, logit_scale=100.0)
    case = fx['image']
    with torch.no_grad():
        cls = head100(flat_feats(case['feats']), num_frames=1)[-1]['cls']
    gap = (cls - case['cls']).abs().max().item()
    assert gap > 10 * CLS_ATOL, gap
