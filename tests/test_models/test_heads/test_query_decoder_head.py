"""OMGQueryHead built small in-process: prediction sets and shapes for T=1 and T=2, where frames
of a clip meet (the decoder's memory, not the pixel decoder), batch independence, prompts."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from omgseg.vocab.embedding_file import save_class_embeddings
from omgseg.registry import MODELS
from tests.test_models.tiny_modules import (C, IN_CHANNELS, SIZE, backbone_features,
                                            pixel_decoder_cfg)

Q, NUM_LAYERS, D = 5, 3, 8
K = 3     # 2 things + 1 stuff


@pytest.fixture(scope='module')
def embed_path(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('emb') / 'tiny.pth'
    names = ['cat', 'dog', 'sky']
    save_class_embeddings(path, F.normalize(torch.randn(K, 1, D), dim=-1), names,
                          synonyms=[[n] for n in names], clip_model=None, clip_pretrained=None,
                          templates=['{}'], num_things=2, num_stuff=1)
    return path


def _build_head(path, **extra):
    attn = dict(embed_dims=C, num_heads=2, dropout=0.0, batch_first=True)
    head = MODELS.build(dict(
        type='OMGQueryHead', in_channels=IN_CHANNELS, feat_channels=C, num_queries=Q,
        num_things_classes=2, num_stuff_classes=1, clip_dim=D, class_embed_path=str(path),
        pixel_decoder=dict(type='OMGPixelDecoder', **pixel_decoder_cfg()),
        transformer_decoder=dict(
            num_layers=NUM_LAYERS, return_intermediate=True, init_cfg=None,
            layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn,
                           ffn_cfg=dict(embed_dims=C, feedforward_channels=32, num_fcs=2,
                                        ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
        **extra))
    head.init_weights()
    return head.eval()


@pytest.fixture(scope='module')
def head(embed_path):
    torch.manual_seed(0)
    return _build_head(embed_path)


@pytest.mark.parametrize('b, t', [(1, 1), (2, 1), (2, 2)])
def test_prediction_sets_and_shapes(head, b, t):
    with torch.no_grad():
        preds = head(backbone_features(b * t), num_frames=t)
    assert len(preds) == NUM_LAYERS + 1          # before the first layer and after each
    for p in preds:
        assert p['cls'].shape == (b, Q, K + 1)
        assert p['obj'].shape == (b, Q)
        assert p['mask'].shape == (b, Q, t, SIZE // 4, SIZE // 4)
        assert torch.all(p['cls'][..., -1] == 0)  # the void logit is a constant 0


def test_frames_meet_in_the_decoder_memory(head):
    feats = backbone_features(2)                  # one clip of two frames
    changed = [f.clone() for f in feats]
    for f in changed:
        f[1] += 1.0                               # alter frame 1 only
    with torch.no_grad():
        before, after = head(feats, num_frames=2), head(changed, num_frames=2)
    # the first prediction uses the learned queries and frame 0's own pixel features
    torch.testing.assert_close(before[0]['mask'][:, :, 0], after[0]['mask'][:, :, 0])
    # after the decoder layers, queries have attended to both frames: frame 0's masks move
    assert not torch.allclose(before[-1]['mask'][:, :, 0], after[-1]['mask'][:, :, 0],
                              atol=1e-4)


def test_clips_of_a_batch_are_independent(head):
    feats = backbone_features(4)                  # B=2 clips of T=2
    with torch.no_grad():
        both = head(feats, num_frames=2)
        second = head([f[2:] for f in feats], num_frames=2)
    for key in ('cls', 'obj', 'mask'):
        torch.testing.assert_close(both[-1][key][1:], second[-1][key], rtol=1e-4, atol=1e-4)


def test_given_queries_replace_the_learned_ones(head):
    content, pos = torch.randn(1, 3, C), torch.randn(1, 3, C)
    with torch.no_grad():
        preds = head(backbone_features(1), num_frames=1, queries=(content, pos))
    assert preds[-1]['cls'].shape == (1, 3, K + 1)
    assert preds[-1]['mask'].shape == (1, 3, 1, SIZE // 4, SIZE // 4)


def test_pixel_positions_start_at_zero_and_learn(head, embed_path):
    torch.manual_seed(1)
    pos_head = _build_head(embed_path, pixel_pos_encoding=dict(scale=25.0, temperature=100))
    missing, unexpected = pos_head.load_state_dict(head.state_dict(), strict=False)
    # the option adds one projection per memory level and one for the mask features, nothing else
    assert not unexpected
    assert sorted(missing) == sorted(f'pixel_pos_projs.{i}.{p}' for i in range(4)
                                     for p in ('weight', 'bias'))
    feats = backbone_features(2)
    with torch.no_grad():
        plain, with_pos = head(feats, num_frames=2), pos_head(feats, num_frames=2)
    for a, b in zip(plain, with_pos):         # zero projections: the plain head's outputs
        for key in ('cls', 'obj', 'mask'):
            torch.testing.assert_close(a[key], b[key])
    # ... and the projections get gradients from the masks from the first step
    pos_head.zero_grad()
    pos_head(feats, num_frames=2)[-1]['mask'].square().mean().backward()
    for i, proj in enumerate(pos_head.pixel_pos_projs):
        assert proj.weight.grad.abs().sum() > 0, f'level {i} gets no gradient'
    # once learned, identical features at different places differ
    with torch.no_grad():
        for proj in pos_head.pixel_pos_projs:
            proj.weight.normal_()
        maps = pos_head._add_pixel_pos([torch.zeros(1, C, 6, 6)] * 4)
    for m in maps:
        assert not torch.allclose(m[..., 1, 1], m[..., 4, 4])
        assert not torch.allclose(m[..., 1, 1], m[..., 1, 4])


def test_unknown_pixel_position_keyword_names_the_setting(embed_path):
    with pytest.raises(ValueError, match=r"panoptic_head.pixel_pos_encoding=\{'scael': 2.0\}: "
                                         r".*scael.*keywords of mmdet's SinePositionalEncoding"):
        _build_head(embed_path, pixel_pos_encoding=dict(scael=2.0))


def test_no_pixel_positions_keeps_the_released_keys(head):
    assert head.pixel_pos_projs is None
    assert not any(k.startswith('pixel_pos') for k in head.state_dict())


def test_level_cycle_sets_the_memory_each_layer_attends(head, embed_path):
    feats = backbone_features(1)
    cells = {lvl: (SIZE // s) ** 2 for lvl, s in enumerate((32, 16, 8))}
    with torch.no_grad():
        plain = head(feats, num_frames=1)
    # the original: layer i attends level i % 3, coarse to fine; each prediction's attention
    # mask is sized for the level the next layer attends to
    assert [p['attn_mask'].shape[-1] for p in plain] == [cells[i % 3] for i in range(4)]
    torch.manual_seed(0)
    fine_first = _build_head(embed_path, level_cycle=(2, 1, 0))
    fine_first.load_state_dict(head.state_dict())
    with torch.no_grad():
        preds = fine_first(feats, num_frames=1)
    assert [p['attn_mask'].shape[-1] for p in preds] == [cells[2], cells[1], cells[0],
                                                          cells[2]]
    # the same weights attending other levels give other queries
    assert not torch.allclose(preds[1]['mask'], plain[1]['mask'])
    torch.testing.assert_close(preds[0]['mask'], plain[0]['mask'])  # before any layer


@pytest.mark.parametrize('cycle', [(), (0, 3), (-1,)])
def test_level_cycle_names_the_setting(embed_path, cycle):
    with pytest.raises(ValueError, match=r'panoptic_head\.level_cycle must list memory '
                                         r'levels in 0\.\.2'):
        _build_head(embed_path, level_cycle=cycle)
