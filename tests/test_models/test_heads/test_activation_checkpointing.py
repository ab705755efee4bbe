"""Activation checkpointing of the pixel decoder's and the decoder's layers: same parameter
names, same outputs and gradients, and the layers really are recomputed in the backward pass."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from omgseg.registry import MODELS
from omgseg.vocab.embedding_file import save_class_embeddings
from tests.test_models.tiny_modules import C, IN_CHANNELS, backbone_features, pixel_decoder_cfg

D = 8


@pytest.fixture(scope='module')
def embed_path(tmp_path_factory):
    path = tmp_path_factory.mktemp('emb') / 'tiny.pth'
    names = ['cat', 'dog', 'sky']
    save_class_embeddings(path, F.normalize(torch.randn(3, 1, D), dim=-1), names,
                          synonyms=[[n] for n in names], clip_model=None, clip_pretrained=None,
                          templates=['{}'], num_things=2, num_stuff=1)
    return path


def _head(embed_path, pixel_decoder=None, **kwargs):
    attn = dict(embed_dims=C, num_heads=2, dropout=0.0, batch_first=True)
    head = MODELS.build(dict(
        type='OMGQueryHead', in_channels=IN_CHANNELS, feat_channels=C, num_queries=5,
        num_things_classes=2, num_stuff_classes=1, clip_dim=D, class_embed_path=str(embed_path),
        pixel_decoder=pixel_decoder or dict(type='OMGPixelDecoder', **pixel_decoder_cfg()),
        transformer_decoder=dict(
            num_layers=3, return_intermediate=True, init_cfg=None,
            layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn,
                           ffn_cfg=dict(embed_dims=C, feedforward_channels=32, num_fcs=2,
                                        ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
        **kwargs))
    head.init_weights()
    return head.train()


def _grads(head):
    feats = [f.requires_grad_() for f in backbone_features(4, seed=3)]  # 2 clips of 2 frames
    preds = head(feats, num_frames=2)
    # every output of every prediction set takes part, as in the criterion
    loss = sum(p['mask'].sigmoid().mean() + p['cls'].logsumexp(-1).mean() + p['obj'].mean()
               for p in preds)
    loss.backward()
    out = {n: p.grad.clone() for n, p in head.named_parameters() if p.grad is not None}
    out['input'] = feats[0].grad.clone()
    return loss.detach(), out


def test_checkpointing_keeps_names_outputs_and_gradients(embed_path):
    torch.manual_seed(0)
    plain = _head(embed_path)
    cp = _head(embed_path, with_cp=True)
    assert list(plain.state_dict()) == list(cp.state_dict())
    cp.load_state_dict(plain.state_dict())
    assert cp.pixel_decoder.with_cp and cp.with_cp
    # count forward runs of one sub-module per layer kind: recomputation runs them again
    calls = {'encoder': 0, 'decoder': 0}
    for key, layer in (('encoder', cp.pixel_decoder.encoder.layers[0]),
                       ('decoder', cp.transformer_decoder.layers[0])):
        layer.ffn.register_forward_hook(
            lambda *_, key=key: calls.__setitem__(key, calls[key] + 1))
    loss_plain, grads_plain = _grads(plain)
    loss_cp, grads_cp = _grads(cp)
    assert calls == {'encoder': 2, 'decoder': 2}  # forward + recomputation in backward
    torch.testing.assert_close(loss_cp, loss_plain)
    assert grads_cp.keys() == grads_plain.keys() and len(grads_cp) > 20
    for name, grad in grads_plain.items():
        torch.testing.assert_close(grads_cp[name], grad, rtol=1e-5, atol=1e-6, msg=name)


def test_no_recomputation_without_autograd(embed_path):
    cp = _head(embed_path, with_cp=True).eval()
    calls = []
    cp.transformer_decoder.layers[0].ffn.register_forward_hook(lambda *_: calls.append(1))
    with torch.no_grad():
        cp(backbone_features(1), num_frames=1)
    assert len(calls) == 1


def test_pixel_decoder_setting_wins_and_bad_values_are_refused(embed_path):
    head = _head(embed_path, with_cp=True,
                 pixel_decoder=dict(type='OMGPixelDecoder', with_cp=False, **pixel_decoder_cfg()))
    assert head.with_cp and not head.pixel_decoder.with_cp
    with pytest.raises(ValueError, match='panoptic_head.with_cp must be True or False'):
        _head(embed_path, with_cp='yes')
