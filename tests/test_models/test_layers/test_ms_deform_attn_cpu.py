"""The fused CPU deformable-attention kernels (numba) against the PyTorch ``grid_sample`` path
and the per-point reference: values, gradients, zero padding, threads, dtypes and dispatch."""
import pytest
import torch
from mmengine.config import ConfigDict

from omgseg.models.layers import MSDA_IMPL_ENV, ms_deform_attn, ms_deform_attn_pytorch
from omgseg.models.layers.ms_deform_attn import resolve_msda_impl
from omgseg.models.layers.ms_deform_attn_cpu import ms_deform_attn_cpu
from omgseg.models.pixel_decoders import OMGPixelDecoder

from .test_ms_deform_attn import _inputs, reference_ms_deform_attn


def _starts(shapes):
    return torch.cat([shapes.new_zeros(1), (shapes[:, 0] * shapes[:, 1]).cumsum(0)[:-1]])


def _grads(fn, value, shapes, loc, w, grad):
    value, loc, w = (t.detach().requires_grad_() for t in (value, loc, w))
    out = fn(value, shapes, loc, w)
    return (out, *torch.autograd.grad(out, (value, loc, w), grad))


def test_values_and_gradients_match_the_pytorch_path():
    value, shapes, loc, w = (t.float() if t.is_floating_point() else t for t in _inputs())
    grad = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(1))
    ours = _grads(lambda v, s, l, a: ms_deform_attn_cpu(v, s, _starts(s), l, a),
                  value, shapes, loc, w, grad)
    ref = _grads(ms_deform_attn_pytorch, value, shapes, loc, w, grad)
    for name, a, b, tol in zip(('out', 'value', 'locations', 'weights'), ours, ref,
                               (1e-5, 1e-4, 1e-4, 1e-4)):
        torch.testing.assert_close(a, b, rtol=0, atol=tol, msg=lambda m, n=name: f'{n}: {m}')
    # the points outside [0, 1] read zeros, as in the per-point reference
    torch.testing.assert_close(ours[0].double(), reference_ms_deform_attn(*_inputs()),
                               rtol=0, atol=1e-5)


def test_results_do_not_depend_on_the_thread_count():
    value, shapes, loc, w = (t.float() if t.is_floating_point() else t for t in _inputs())
    grad = torch.randn(2, 5, 8)
    fn = lambda v, s, l, a: ms_deform_attn_cpu(v, s, _starts(s), l, a)  # noqa: E731
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _grads(fn, value, shapes, loc, w, grad)
        torch.set_num_threads(2)
        two = _grads(fn, value, shapes, loc, w, grad)
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(a, b) for a, b in zip(one, two))


def test_low_precision_inputs_keep_their_dtype():
    value, shapes, loc, w = _inputs(dtype=torch.float32)
    out = ms_deform_attn_cpu(value.bfloat16(), shapes, _starts(shapes), loc.bfloat16(),
                             w.bfloat16())
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), ms_deform_attn_pytorch(value, shapes, loc, w),
                               rtol=0, atol=0.05)


def test_dispatch_picks_it_on_cpu_and_refuses_other_devices(monkeypatch):
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    assert resolve_msda_impl('auto', torch.zeros(1, 4, 1, 2)) == 'numba'
    with pytest.raises(ValueError, match=r"impl='numba' runs on CPU tensors, got meta"):
        resolve_msda_impl('numba', torch.zeros(1, 4, 1, 2, device='meta'))
    with pytest.raises(ValueError, match='CPU tensors only'):
        ms_deform_attn_cpu(*[t.to('meta') for t in (torch.zeros(1, 4, 1, 2),)],
                           torch.tensor([[2, 2]]), torch.tensor([0]),
                           torch.zeros(1, 1, 1, 1, 1, 2), torch.zeros(1, 1, 1, 1, 1))
    value, shapes, loc, w = _inputs(dtype=torch.float32)
    monkeypatch.setenv(MSDA_IMPL_ENV, 'pytorch')  # the environment still overrides
    assert torch.equal(ms_deform_attn(value, shapes, _starts(shapes), loc, w, impl='numba'),
                       ms_deform_attn_pytorch(value, shapes, loc, w))


def test_pixel_decoder_trains_alike_with_either_kernel(monkeypatch):
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    cfg = dict(in_channels=[8, 16, 32, 64], strides=[4, 8, 16, 32], feat_channels=32,
               out_channels=32, num_outs=3, norm_cfg=dict(type='GN', num_groups=8),
               act_cfg=dict(type='ReLU'),
               encoder=ConfigDict(num_layers=2, layer_cfg=dict(
                   self_attn_cfg=dict(embed_dims=32, num_heads=4, num_levels=3, num_points=2,
                                      dropout=0.0, batch_first=True),
                   ffn_cfg=dict(embed_dims=32, feedforward_channels=64, ffn_drop=0.0))),
               positional_encoding=dict(num_feats=16, normalize=True))
    decoders = []
    for impl in ('auto', 'pytorch'):  # 'auto': the numba kernels on the CPU
        torch.manual_seed(0)
        decoders.append(OMGPixelDecoder(msda_impl=impl, **cfg))
        # mmcv's initialisation: zero offset weights, so every sampling point sits on a pixel
        # centre, where the bilinear gradient jumps and fp32 rounding picks the side
        decoders[-1].init_weights()
    fast, slow = decoders
    feats = [torch.randn(2, c, 64 // s, 64 // s) for c, s in zip([8, 16, 32, 64], [4, 8, 16, 32])]
    outs = [dec(feats) for dec in (fast, slow)]
    torch.testing.assert_close(outs[0][0], outs[1][0], rtol=0, atol=1e-4)
    for out, dec in zip(outs, (fast, slow)):
        (out[0].square().mean() + sum(m.square().mean() for m in out[1])).backward()
    for (name, a), b in zip(fast.named_parameters(), slow.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-3, atol=1e-4,
                                   msg=lambda m, n=name: f'{n}: {m}')
