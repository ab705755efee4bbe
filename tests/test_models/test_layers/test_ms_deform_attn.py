"""Deformable attention: PyTorch path vs a direct per-point reference (CPU), and vs the kernel
'auto' picks on a GPU (tests/test_models/test_ms_deform_attn_triton.py covers each kernel)."""
import pytest
import torch

from omgseg.models.layers import (MSDeformAttn, mmcv_has_cuda_ops, ms_deform_attn,
                                  ms_deform_attn_pytorch, resolve_msda_impl)


def reference_ms_deform_attn(value, shapes, locations, weights):
    """Explicit bilinear sampling, one point at a time (pixel-centre convention, zeros outside)."""
    b, _, n_heads, d = value.shape
    _, q, _, n_levels, n_points, _ = locations.shape
    out = torch.zeros(b, q, n_heads, d, dtype=value.dtype)
    starts = [0]
    for h, w in shapes.tolist():
        starts.append(starts[-1] + h * w)
    for bi in range(b):
        for qi in range(q):
            for hd in range(n_heads):
                for lv in range(n_levels):
                    h, w = shapes[lv].tolist()
                    v = value[bi, starts[lv]:starts[lv + 1], hd].view(h, w, d)
                    for p in range(n_points):
                        x = locations[bi, qi, hd, lv, p, 0] * w - 0.5
                        y = locations[bi, qi, hd, lv, p, 1] * h - 0.5
                        x0, y0 = int(torch.floor(x)), int(torch.floor(y))
                        acc = torch.zeros(d, dtype=value.dtype)
                        for yy, xx in ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)):
                            wgt = (1 - abs(x - xx)) * (1 - abs(y - yy))
                            if 0 <= yy < h and 0 <= xx < w:
                                acc = acc + wgt * v[yy, xx]
                        out[bi, qi, hd] += weights[bi, qi, hd, lv, p] * acc
    return out.flatten(2)


def _inputs(device='cpu', dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    shapes = torch.tensor([[6, 5], [3, 4], [2, 2]])
    s = int((shapes[:, 0] * shapes[:, 1]).sum())
    value = torch.randn(2, s, 2, 4, generator=g, dtype=dtype)
    # some points fall outside [0, 1] to exercise zero padding
    loc = torch.rand(2, 5, 2, 3, 4, 2, generator=g, dtype=dtype) * 1.2 - 0.1
    w = torch.rand(2, 5, 2, 3, 4, generator=g, dtype=dtype)
    w = w / w.flatten(-2).sum(-1)[..., None, None]
    return [t.to(device) for t in (value, shapes, loc, w)]


def test_pytorch_path_matches_direct_reference():
    value, shapes, loc, w = _inputs()
    ours = ms_deform_attn_pytorch(value, shapes, loc, w)
    ref = reference_ms_deform_attn(value, shapes, loc, w)
    assert ours.shape == (2, 5, 8)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)


def test_module_runs_on_cpu_and_keeps_mmcv_keys():
    attn = MSDeformAttn(embed_dims=16, num_heads=2, num_levels=2, num_points=2,
                        batch_first=True)
    attn.init_weights()
    keys = set(attn.state_dict())
    assert {'sampling_offsets.weight', 'attention_weights.weight', 'value_proj.weight',
            'output_proj.weight'} <= keys
    shapes = torch.tensor([[4, 4], [2, 2]])
    value = torch.randn(1, 20, 16)
    ref = torch.rand(1, 20, 2, 2)
    out = attn(query=value, value=value, reference_points=ref, spatial_shapes=shapes,
               level_start_index=torch.tensor([0, 16]))
    assert out.shape == (1, 20, 16) and torch.isfinite(out).all()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_kernel_matches_pytorch():
    from omgseg.models.layers import ms_deform_attn
    value, shapes, loc, w = _inputs('cuda', torch.float32)
    start = torch.cat([shapes.new_zeros(1), (shapes[:, 0] * shapes[:, 1]).cumsum(0)[:-1]])
    out = ms_deform_attn(value, shapes, start, loc, w)
    ref = ms_deform_attn_pytorch(value, shapes, loc, w)
    # 'auto' runs the Triton kernel on CUDA (PyTorch without triton), never mmcv's
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
    print('kernel used:', resolve_msda_impl('auto', value), '| mmcv CUDA ops:',
          mmcv_has_cuda_ops())


@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=[
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')])])
def test_hand_values_of_one_level(device):
    """Through the dispatch: PyTorch on CPU, the Triton kernel on CUDA."""
    # one 3x4 level, one head, value of pixel (y, x) = [s, 10 s] with s = 4 y + x
    h, w = 3, 4
    s = torch.arange(h * w, dtype=torch.float64)
    value = torch.stack([s, 10 * s], dim=-1)[None, :, None]            # (1, 12, 1, 2)
    shapes = torch.tensor([[h, w]])

    def at(x, y):
        """Normalised location of the pixel-coordinate point (x, y) (pixel centres)."""
        return [(x + 0.5) / w, (y + 0.5) / h]

    # query 0: one point on pixel (1, 2); query 1: pixels (1, 2) and (2, 0) weighted .25 / .75;
    # query 2: halfway between (0, 2) and (0, 3); query 3: half a pixel right of (0, 3), where
    # the other half of the bilinear weight falls on zero padding
    loc = torch.tensor([[at(2, 1), at(2, 1)], [at(2, 1), at(0, 2)], [at(2.5, 0), at(2.5, 0)],
                        [at(3.5, 0), at(3.5, 0)]], dtype=torch.float64)
    weights = torch.tensor([[1.0, 0.0], [0.25, 0.75], [0.5, 0.5], [0.5, 0.5]],
                           dtype=torch.float64)
    out = ms_deform_attn(value.to(device), shapes.to(device), torch.zeros(1, dtype=torch.long,
                                                                          device=device),
                         loc[None, :, None, None].to(device),
                         weights[None, :, None, None].to(device)).cpu()
    pixel = value[0, :, 0]
    expected = torch.stack([pixel[6], 0.25 * pixel[6] + 0.75 * pixel[8],
                            0.5 * (pixel[2] + pixel[3]), 0.5 * pixel[3]])
    assert out.shape == (1, 4, 2)
    torch.testing.assert_close(out[0], expected, rtol=0, atol=1e-5)
    torch.testing.assert_close(expected, torch.tensor(
        [[6., 60.], [7.5, 75.], [2.5, 25.], [1.5, 15.]], dtype=torch.float64))
