"""torch.compile of the decoder layers: the config switch, its errors, and a compiled head that
computes what the plain one does (values and gradients, same checkpoint keys)."""
from __future__ import annotations

import pytest
import torch

from omgseg.models.layers import check_compile
from tests.test_models.test_heads.test_query_decoder_head import (  # noqa: F401
    _build_head, embed_path)
from tests.test_models.tiny_modules import backbone_features


@pytest.mark.parametrize('value, expected', [(None, None), (False, None), (True, {}),
                                             (dict(dynamic=True), dict(dynamic=True))])
def test_check_compile_accepts(value, expected):
    assert check_compile(value, 'head.compile_decoder') == expected


@pytest.mark.parametrize('value, match', [
    ('yes', r'head\.compile_decoder must be True, False or a dict'),
    (dict(modee='max-autotune'), r"head\.compile_decoder: unknown torch\.compile option\(s\) "
                                 r"\['modee'\]"),
])
def test_check_compile_names_the_setting(value, match):
    with pytest.raises(ValueError, match=match):
        check_compile(value, 'head.compile_decoder')


def test_compiled_decoder_matches_the_plain_one(embed_path):  # noqa: F811
    torch.manual_seed(0)
    plain = _build_head(embed_path).train()
    # aot_eager traces the layers and their backward as inductor does, without generating C++
    compiled = _build_head(embed_path, compile_decoder=dict(backend='aot_eager')).train()
    assert compiled.state_dict().keys() == plain.state_dict().keys()
    compiled.load_state_dict(plain.state_dict())
    torch._dynamo.reset()
    feats = backbone_features(2)
    outs = []
    for head in (plain, compiled):
        head.zero_grad()
        preds = head([f.clone().requires_grad_() for f in feats], num_frames=2)
        (preds[-1]['mask'].sigmoid().mean() + preds[-1]['cls'].logsumexp(-1).mean()).backward()
        grads = {n: p.grad.clone() for n, p in head.named_parameters() if p.grad is not None}
        outs.append((preds[-1], grads))
    (a, ga), (b, gb) = outs
    for key in ('cls', 'obj', 'mask'):
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-5)
    assert ga.keys() == gb.keys()
    for name in ga:
        torch.testing.assert_close(ga[name], gb[name], rtol=1e-4, atol=1e-5, msg=name)
    # the layers really went through dynamo (a plain module has no compiled call)
    assert all(layer._compiled_call_impl is not None
               for layer in compiled.transformer_decoder.layers)
