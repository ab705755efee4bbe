"""OMGPixelDecoder: shapes for one- and two-frame clips, frames decoded independently, and the
same parameters and outputs as mmdet's decoder it replaces (on CPU both use PyTorch sampling)."""
from __future__ import annotations

import pytest
import torch
from mmdet.models.layers import MSDeformAttnPixelDecoder

from omgseg.models.layers import MSDeformAttn
from omgseg.registry import MODELS
from tests.test_models.tiny_modules import C, SIZE, backbone_features, pixel_decoder_cfg


@pytest.fixture(scope='module')
def decoder():
    torch.manual_seed(0)
    dec = MODELS.build(dict(type='OMGPixelDecoder', **pixel_decoder_cfg()))
    dec.init_weights()
    return dec.eval()


@pytest.mark.parametrize('b, t', [(1, 1), (2, 1), (1, 2), (2, 2)])
def test_output_shapes(decoder, b, t):
    with torch.no_grad():
        mask_features, memories = decoder(backbone_features(b * t))
    assert mask_features.shape == (b * t, C, SIZE // 4, SIZE // 4)
    # memories low to high resolution: strides 32, 16, 8
    assert [tuple(m.shape) for m in memories] == [(b * t, C, SIZE // s, SIZE // s)
                                                  for s in (32, 16, 8)]


def test_frames_of_a_clip_are_decoded_independently(decoder):
    # a (B=1, T=2) clip flattened to 2 batch items gives each frame what it gives alone:
    # frames only meet in the query decoder, whose memory spans the clip
    feats = backbone_features(2)
    with torch.no_grad():
        clip_out, clip_mem = decoder(feats)
        for f in range(2):
            alone, alone_mem = decoder([x[f:f + 1] for x in feats])
            torch.testing.assert_close(clip_out[f:f + 1], alone, rtol=1e-5, atol=1e-5)
            for m_clip, m_alone in zip(clip_mem, alone_mem):
                torch.testing.assert_close(m_clip[f:f + 1], m_alone, rtol=1e-5, atol=1e-5)


def test_same_parameters_and_outputs_as_mmdet_decoder(decoder):
    assert all(isinstance(layer.self_attn, MSDeformAttn) for layer in decoder.encoder.layers)
    reference = MSDeformAttnPixelDecoder(**pixel_decoder_cfg()).eval()
    # released checkpoints load one to one: identical names and shapes
    reference.load_state_dict(decoder.state_dict(), strict=True)
    feats = backbone_features(2, seed=1)
    with torch.no_grad():
        ours, ours_mem = decoder(feats)
        ref, ref_mem = reference(feats)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    for a, b in zip(ours_mem, ref_mem):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
