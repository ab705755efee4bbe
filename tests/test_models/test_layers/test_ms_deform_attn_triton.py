"""Triton deformable attention: parity with the PyTorch (grid_sample) path in values and
gradients, on CPU through Triton's interpreter and on CUDA; the kernel choice and its errors."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from omgseg.models.layers import (MSDA_IMPL_ENV, MSDeformAttn, mmcv_has_cuda_ops,
                                  ms_deform_attn, ms_deform_attn_pytorch, resolve_msda_impl)

ROOT = Path(__file__).resolve().parents[3]
RUNNER = ROOT / 'tests' / 'test_models' / 'test_layers' / 'msda_interpreter_run.py'
needs_triton = pytest.mark.skipif(importlib.util.find_spec('triton') is None,
                                  reason='triton is not installed')
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
CASE_NAMES = ['fp32_3levels', 'fp32_padded_blocks', 'fp32_borders', 'bf16_3levels']


def reference(value, shapes, loc, weights, grad_out, dtype=torch.float64):
    """PyTorch path in ``dtype``: output and grads of value, locations, weights."""
    inputs = [t.detach().to(dtype).requires_grad_() for t in (value, loc, weights)]
    out = ms_deform_attn_pytorch(inputs[0], shapes, inputs[1], inputs[2])
    out.backward(grad_out.to(dtype))
    return out.detach(), *(t.grad for t in inputs)


@pytest.fixture(scope='module')
def interpreter_results(tmp_path_factory) -> dict:
    """All interpreter cases, computed in one fresh process with TRITON_INTERPRET=1 (Triton
    reads it when the kernels are decorated, so it cannot be switched on in this process)."""
    out = tmp_path_factory.mktemp('msda') / 'cases.pt'
    env = {k: v for k, v in os.environ.items() if k != MSDA_IMPL_ENV}
    env.update(TRITON_INTERPRET='1',
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get('PYTHONPATH')])))
    proc = subprocess.run([sys.executable, str(RUNNER), '--out', str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f'{RUNNER.name} failed:\n{proc.stdout[-3000:]}\n' \
                                 f'{proc.stderr[-3000:]}'
    return {case['name']: case for case in torch.load(out)}


@needs_triton
@pytest.mark.parametrize('name', CASE_NAMES)
def test_interpreter_matches_pytorch(interpreter_results, name):
    case = interpreter_results[name]
    ref_out, *ref_grads = reference(case['value'], case['shapes'], case['loc'], case['weights'],
                                    case['grad_out'])
    got = [case[k] for k in ('out', 'grad_value', 'grad_loc', 'grad_weights')]
    assert [t.dtype for t in got] == [case['value'].dtype, case['value'].dtype,
                                      case['loc'].dtype, case['weights'].dtype]
    if case['value'].dtype == torch.float32:
        torch.testing.assert_close(got[0].double(), ref_out, rtol=1e-5, atol=1e-5)
        for grad, ref in zip(got[1:], ref_grads):
            torch.testing.assert_close(grad.double(), ref, rtol=1e-4, atol=1e-4)
    else:  # bf16 in and out, fp32 accumulation: within a few bf16 roundings of the exact value
        for t, ref in zip(got, (ref_out, *ref_grads)):
            scale = ref.abs().max()
            assert (t.double() - ref).abs().max() <= 2e-2 * scale, (t, ref)
    assert ref_out.abs().max() > 0.1 and ref_grads[1].abs().max() > 0.1  # non-trivial case


@needs_triton
def test_border_case_reaches_every_border(interpreter_results):
    """The border case samples outside every level and exactly on pixel centres."""
    case = interpreter_results['fp32_borders']
    loc = case['loc'].double()
    assert (loc < 0).any() and (loc > 1).any() and (loc == 0).any() and (loc == 1).any()
    w = case['shapes'][0, 1].item()
    centre = loc[..., 0, :, 0] * w - 0.5
    assert (centre == centre.round()).any()


@needs_triton
@pytest.mark.parametrize('dtype', ['fp32', 'bf16'])
def test_kernels_compile_for_hopper_with_vector_accesses(dtype):
    """The compiled path, which the interpreter does not exercise, built for sm_90 without a
    GPU at the pixel decoder's shapes and launch settings: value rows are gathered with 16-byte
    loads and the value gradient added with vector atomics (pointers 16-byte aligned, as
    Triton specialises torch's allocations)."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from omgseg.models.layers import ms_deform_attn_triton as msda
    if msda.triton_interpreted():
        pytest.skip('this process runs Triton in its interpreter (TRITON_INTERPRET=1)')
    value = torch.empty(2, 19320, 8, 32, device='meta')
    loc = torch.empty(2, 19320, 8, 3, 4, 2, device='meta')
    index_ptrs = {'shapes_ptr': '*i64', 'starts_ptr': '*i64', 'grad_value_ptr': '*fp32'}
    for name, kernel in (('fwd', msda._msda_fwd_kernel), ('bwd', msda._msda_bwd_kernel)):
        _, meta = msda._launch(value, loc, None, name)
        constexprs = {k: v for k, v in meta.items() if k.isupper()}
        signature = {arg: 'constexpr' if arg in constexprs else
                     index_ptrs.get(arg, f'*{dtype}') if arg.endswith('_ptr') else 'i32'
                     for arg in kernel.arg_names}
        attrs = {(i,): [['tt.divisibility', 16]]
                 for i, arg in enumerate(kernel.arg_names) if arg.endswith('_ptr')}
        compiled = triton.compile(ASTSource(kernel, signature, constexprs, attrs),
                                  target=GPUTarget('cuda', 90, 32),
                                  options={'num_warps': meta['num_warps']})
        ptx = compiled.asm['ptx']
        assert 'ld.global.v4.b32' in ptx, name
        if name == 'bwd':
            assert 'atom.global.gpu.relaxed.add.v4.f32' in ptx


def _small_inputs():
    g = torch.Generator().manual_seed(0)
    shapes = torch.tensor([[4, 4], [2, 2]])
    value = torch.randn(1, 20, 2, 4, generator=g)
    loc = torch.rand(1, 3, 2, 2, 2, 2, generator=g)
    weights = torch.rand(1, 3, 2, 2, 2, generator=g)
    return value, shapes, torch.tensor([0, 16]), loc, weights


def test_choice_on_cpu(monkeypatch):
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    value = torch.zeros(1, 4, 1, 2)
    assert resolve_msda_impl('auto', value) == 'numba'
    assert resolve_msda_impl('pytorch', value) == 'pytorch'
    monkeypatch.setenv(MSDA_IMPL_ENV, 'pytorch')  # the environment overrides the argument
    assert resolve_msda_impl('triton', value) == 'pytorch'


@needs_triton
def test_triton_on_cpu_is_allowed_under_the_interpreter(monkeypatch):
    from omgseg.models.layers import ms_deform_attn_triton
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    monkeypatch.setattr(ms_deform_attn_triton, 'triton_interpreted', lambda: True)
    value = torch.zeros(1, 4, 1, 2)
    assert resolve_msda_impl('triton', value) == 'triton'
    assert resolve_msda_impl('auto', value) == 'numba'  # the interpreter is only for tests


def test_unknown_impl_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    with pytest.raises(ValueError, match=r"impl='fast' is not a deformable-attention"):
        MSDeformAttn(embed_dims=8, num_heads=2, num_levels=2, num_points=2, impl='fast')
    monkeypatch.setenv(MSDA_IMPL_ENV, 'cuda')
    with pytest.raises(ValueError, match=rf"{MSDA_IMPL_ENV}='cuda' .*auto, pytorch, numba, triton"):
        ms_deform_attn(*_small_inputs())


@needs_triton
def test_triton_on_cpu_without_interpreter_is_a_clear_error(monkeypatch):
    from omgseg.models.layers.ms_deform_attn_triton import triton_interpreted
    if triton_interpreted():
        pytest.skip('this process runs Triton in its interpreter (TRITON_INTERPRET=1)')
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    with pytest.raises(ValueError, match=r"impl='triton' needs CUDA tensors.*TRITON_INTERPRET=1"):
        ms_deform_attn(*_small_inputs(), impl='triton')
    monkeypatch.setenv(MSDA_IMPL_ENV, 'triton')
    with pytest.raises(ValueError, match=rf"{MSDA_IMPL_ENV}='triton' needs CUDA tensors"):
        ms_deform_attn(*_small_inputs())


@needs_triton
def test_triton_entry_rejects_bad_shapes_and_blocks():
    from omgseg.models.layers.ms_deform_attn_triton import ms_deform_attn_triton
    value, shapes, starts, loc, weights = _small_inputs()
    with pytest.raises(ValueError, match=r'attention_weights must be \(1, 3, 2, 2, 2\)'):
        ms_deform_attn_triton(value, shapes, starts, loc, weights[..., :1])
    with pytest.raises(ValueError, match=r'do not match sampling_locations'):
        ms_deform_attn_triton(value[:, :, :1], shapes, starts, loc, weights)
    with pytest.raises(ValueError, match=r'block_rows must be a power of two, got 6'):
        ms_deform_attn_triton(value, shapes, starts, loc, weights, block_rows=6)


def test_mmcv_on_cpu_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    with pytest.raises(ValueError, match=r"impl='mmcv' needs CUDA tensors and an mmcv compiled"):
        ms_deform_attn(*_small_inputs(), impl='mmcv')


def test_module_and_pixel_decoder_pass_their_choice_on(monkeypatch):
    from mmengine.config import ConfigDict

    from omgseg.models import OMGPixelDecoder
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    decoder = OMGPixelDecoder(
        msda_impl='pytorch', in_channels=[8, 16, 32, 64], strides=[4, 8, 16, 32],
        feat_channels=16, out_channels=16, num_outs=3, norm_cfg=dict(type='GN', num_groups=4),
        encoder=ConfigDict(num_layers=2, layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=16, num_heads=2, num_levels=3, num_points=2,
                               batch_first=True),
            ffn_cfg=dict(embed_dims=16, feedforward_channels=32))),
        positional_encoding=ConfigDict(num_feats=8, normalize=True))
    assert [layer.self_attn.impl for layer in decoder.encoder.layers] == ['pytorch', 'pytorch']
    attn = MSDeformAttn(embed_dims=8, num_heads=2, num_levels=2, num_points=2,
                        batch_first=True, impl='mmcv')
    query = torch.randn(1, 20, 8)
    with pytest.raises(ValueError, match=r"impl='mmcv' needs CUDA tensors"):
        attn(query=query, value=query, reference_points=torch.rand(1, 20, 2, 2),
             spatial_shapes=torch.tensor([[4, 4], [2, 2]]), level_start_index=torch.tensor([0, 16]))


def _decoder_inputs(dtype, device='cuda'):
    """The full-size pixel decoder's attention: 1280x736 input at strides 8/16/32, a 2-frame
    clip, 8 heads of 32 channels, 4 points, one query per position."""
    g = torch.Generator().manual_seed(0)
    shapes = torch.tensor([[92, 160], [46, 80], [23, 40]])
    sizes = shapes[:, 0] * shapes[:, 1]
    starts = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    s = int(sizes.sum())
    value = torch.randn(2, s, 8, 32, generator=g)
    loc = torch.rand(2, s, 8, 3, 4, 2, generator=g) * 1.2 - 0.1
    # On a grid of 2^-13, where the kernel's fp32 ``u * w - 0.5`` is exact for these widths:
    # otherwise its rounding (up to 8e-6 px at w = 160) times the jump between neighbouring
    # values (~5) alone exceeds the 1e-5 tolerance, which is about the kernel, not fp32.
    loc = torch.round(loc * 2**13) / 2**13
    weights = torch.rand(2, s, 8, 3, 4, generator=g).softmax(-1)
    grad_out = torch.randn(2, s, 256, generator=g)
    return [t.to(device) for t in (shapes, starts)] + \
        [t.to(device, dtype) for t in (value, loc, weights, grad_out)]


def _run(impl, shapes, starts, value, loc, weights, grad_out):
    inputs = [t.detach().clone().requires_grad_() for t in (value, loc, weights)]
    out = ms_deform_attn(inputs[0], shapes, starts, inputs[1], inputs[2], impl=impl)
    out.backward(grad_out)
    return out.detach(), *(t.grad for t in inputs)


def _assert_close_scaled(got, ref, tol):
    """max |got - ref| within ``tol`` of max |ref| (gradients add thousands of terms)."""
    err = (got.double() - ref.double()).abs().max().item()
    assert err <= tol * ref.abs().max().item(), (err, ref.abs().max().item())


@pytest.mark.cuda
@needs_cuda
@pytest.mark.parametrize('impl', [
    pytest.param('triton', marks=needs_triton),
    pytest.param('mmcv', marks=pytest.mark.skipif(not mmcv_has_cuda_ops(),
                                                  reason='mmcv was built without CUDA ops'))])
def test_kernel_matches_pytorch_on_cuda_at_decoder_shapes(monkeypatch, impl):
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    shapes, starts, value, loc, weights, grad_out = _decoder_inputs(torch.float32)
    got = _run(impl, shapes, starts, value, loc, weights, grad_out)
    ref = reference(value, shapes, loc, weights, grad_out)
    torch.testing.assert_close(got[0].double(), ref[0], rtol=1e-5, atol=1e-5)
    if impl == 'triton':  # mmcv drops the gradient of points less than a pixel outside
        assert resolve_msda_impl('auto', value) == 'triton'
        for g, r in zip(got[1:], ref[1:]):
            _assert_close_scaled(g, r, 1e-5)


@pytest.mark.cuda
@needs_cuda
@needs_triton
def test_triton_bf16_forward_backward_on_cuda(monkeypatch):
    monkeypatch.delenv(MSDA_IMPL_ENV, raising=False)
    shapes, starts, value, loc, weights, grad_out = _decoder_inputs(torch.bfloat16)
    got = _run('triton', shapes, starts, value, loc, weights, grad_out)
    assert [t.dtype for t in got] == [torch.bfloat16] * 4
    ref = reference(value, shapes, loc, weights, grad_out, dtype=torch.float32)
    for g, r in zip(got, ref):
        assert torch.isfinite(g).all()
        _assert_close_scaled(g, r, 2e-2)
