"""Multi-scale deformable attention on the CPU: fused numba kernels (forward and backward).

The ``grid_sample`` path (:func:`~.ms_deform_attn.ms_deform_attn_pytorch`, also what mmcv and
mmdet run on the CPU) materialises every sampled value, ``(B * heads, Dh, Q, L * P)``, then
weights and sums it, and its backward scatters through ``grid_sample``'s generic kernel: on the
pixel decoder's shapes most of that time is memory traffic. These kernels read the four
neighbours of a sampling point, weight them by the bilinear and attention weights and add them
into the output in one pass, with the conventions of mmcv's kernels (pixel centres at
``loc * size - 0.5``, zero outside the map). Parity with the PyTorch path (values and
gradients) is tested.

Numba compiles the kernels at the first call (cached on disk); they compute in fp32, on one
thread: numba's parallel loops made 2-process CPU training 3-4x slower (its thread pool
competes with torch's and the other process for the cores), so they are serial, which also
makes them safe to call from several Python threads (e.g. a web demo's workers).
"""
from __future__ import annotations

import numba
import numpy as np
import torch
from torch.autograd.function import once_differentiable


@numba.njit(cache=True, nogil=True, inline='always')
def _corners(loc_x, loc_y, height, width):  # pragma: no cover - compiled
    """Top-left neighbour (x0, y0) and fractional offsets (lx, ly) of a normalised point.

    The coordinate is computed in fp32 exactly as ``grid_sample`` does it for the PyTorch path
    (``grid = loc * 2 - 1``, then ``((grid + 1) * size - 1) / 2``): sampling points start at
    pixel centres (zero offsets at initialisation), where the bilinear gradient jumps, so the
    side a rounding error picks must be the reference's.
    """
    one, two = np.float32(1.0), np.float32(2.0)
    x = ((np.float32(loc_x * two) - one + one) * np.float32(width) - one) / two
    y = ((np.float32(loc_y * two) - one + one) * np.float32(height) - one) / two
    x0 = int(np.floor(x))
    y0 = int(np.floor(y))
    return x0, y0, np.float32(x - np.float32(x0)), np.float32(y - np.float32(y0))


@numba.njit(cache=True, nogil=True, inline='always')
def _point(loc, shapes, starts, b, q, h, lvl, p):  # pragma: no cover - compiled
    """:func:`_corners` of point ``loc[b, q, h, lvl, p]`` and its level's (h, w, first row)."""
    height, width = shapes[lvl, 0], shapes[lvl, 1]
    x0, y0, lx, ly = _corners(loc[b, q, h, lvl, p, 0], loc[b, q, h, lvl, p, 1], height, width)
    return x0, y0, lx, ly, height, width, starts[lvl]


@numba.njit(cache=True, nogil=True, inline='always')
def _tap(start, step, frac, size):  # pragma: no cover - compiled
    """Index and bilinear weight of neighbour ``step`` (0 or 1) along one axis; -1 outside."""
    index = start + step
    if index < 0 or index >= size:
        return -1, np.float32(0.0)
    return index, frac if step else np.float32(1.0) - frac


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _forward(value, shapes, starts, loc, attn, out):  # pragma: no cover - compiled
    """value (B, S, nH, D), loc (B, Q, nH, L, P, 2), attn (B, Q, nH, L, P) -> out (B, Q, nH, D)."""
    batch, n_query, n_heads, n_levels, n_points, _ = loc.shape
    dim = value.shape[3]
    for b in range(batch):
        for q in range(n_query):
            for h in range(n_heads):
                acc = out[b, q, h]
                acc[:] = 0.0
                for lvl in range(n_levels):
                    for p in range(n_points):
                        x0, y0, lx, ly, height, width, start = _point(loc, shapes, starts, b, q, h,
                                                                      lvl, p)
                        a = attn[b, q, h, lvl, p]
                        for dy in range(2):
                            yy, wy = _tap(y0, dy, ly, height)
                            for dx in range(2):
                                xx, wx = _tap(x0, dx, lx, width)
                                if yy < 0 or xx < 0:
                                    continue
                                w = np.float32(a * wy * wx)
                                row = value[b, start + yy * width + xx, h]
                                for d in range(dim):
                                    acc[d] += w * row[d]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _backward(value, shapes, starts, loc, attn, grad_out, grad_value, grad_loc,
              grad_attn):  # pragma: no cover - compiled
    """Gradients of :func:`_forward` for value (zero-initialised), locations and weights."""
    batch, n_query, n_heads, n_levels, n_points, _ = loc.shape
    dim = value.shape[3]
    for b in range(batch):
        for h in range(n_heads):
            for q in range(n_query):
                g = grad_out[b, q, h]
                for lvl in range(n_levels):
                    for p in range(n_points):
                        x0, y0, lx, ly, height, width, start = _point(loc, shapes, starts, b, q, h,
                                                                      lvl, p)
                        a = attn[b, q, h, lvl, p]
                        sampled = 0.0  # bilinear sample . g
                        d_lx = 0.0     # d(sample . g) / d lx
                        d_ly = 0.0
                        for dy in range(2):
                            yy, wy = _tap(y0, dy, ly, height)
                            sy = 1.0 if dy else -1.0  # d wy / d ly
                            for dx in range(2):
                                xx, wx = _tap(x0, dx, lx, width)
                                if yy < 0 or xx < 0:
                                    continue
                                sx = 1.0 if dx else -1.0
                                row = value[b, start + yy * width + xx, h]
                                grow = grad_value[b, start + yy * width + xx, h]
                                w = np.float32(a * wy * wx)
                                dot = 0.0
                                for d in range(dim):
                                    dot += g[d] * row[d]
                                    grow[d] += w * g[d]
                                sampled += wy * wx * dot
                                d_lx += sx * wy * dot
                                d_ly += sy * wx * dot
                        grad_attn[b, q, h, lvl, p] = sampled
                        # x = loc_x * width - 0.5, so d/d loc_x = width * d/dx
                        grad_loc[b, q, h, lvl, p, 0] = a * d_lx * width
                        grad_loc[b, q, h, lvl, p, 1] = a * d_ly * height


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


class MSDeformAttnCPUFunction(torch.autograd.Function):
    """Autograd wrapper of the two kernels; arguments as :func:`ms_deform_attn_cpu`."""

    @staticmethod
    def forward(ctx, value: torch.Tensor, spatial_shapes: torch.Tensor,
                level_start_index: torch.Tensor, sampling_locations: torch.Tensor,
                attention_weights: torch.Tensor) -> torch.Tensor:
        b, _, num_heads, head_dim = value.shape
        out = value.new_empty(b, sampling_locations.shape[1], num_heads, head_dim)
        _forward(_numpy(value), _numpy(spatial_shapes), _numpy(level_start_index),
                 _numpy(sampling_locations), _numpy(attention_weights), _numpy(out))
        ctx.save_for_backward(value, spatial_shapes, level_start_index, sampling_locations,
                              attention_weights)
        return out.view(b, -1, num_heads * head_dim)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor):
        value, spatial_shapes, level_start_index, locations, weights = ctx.saved_tensors
        grad_value = torch.zeros_like(value)
        grad_loc = torch.empty_like(locations)
        grad_attn = torch.empty_like(weights)
        grad_out = grad_out.float().contiguous().view(value.shape[0], -1, *value.shape[2:])
        _backward(_numpy(value), _numpy(spatial_shapes), _numpy(level_start_index),
                  _numpy(locations), _numpy(weights), _numpy(grad_out), _numpy(grad_value),
                  _numpy(grad_loc), _numpy(grad_attn))
        return grad_value, None, None, grad_loc, grad_attn


def ms_deform_attn_cpu(value: torch.Tensor, spatial_shapes: torch.Tensor,
                       level_start_index: torch.Tensor, sampling_locations: torch.Tensor,
                       attention_weights: torch.Tensor) -> torch.Tensor:
    """Deformable attention by the fused CPU kernels, differentiable in value, locations and
    weights.

    Args:
        value: (B, S, nH, Dh) CPU tensor, S = sum of h_l * w_l; any float dtype (computed in
            fp32, returned in ``value``'s dtype).
        spatial_shapes: (L, 2) int, (h_l, w_l) per level, in the order of ``value``.
        level_start_index: (L,) int, first row of each level in ``value``.
        sampling_locations: (B, Q, nH, L, P, 2) normalised (x, y); outside [0, 1] reads zeros.
        attention_weights: (B, Q, nH, L, P).

    Returns:
        (B, Q, nH * Dh).
    """
    devices = {t.device.type for t in (value, sampling_locations, attention_weights)}
    if devices != {'cpu'}:
        raise ValueError(f'ms_deform_attn_cpu: CPU tensors only, got {sorted(devices)}; CUDA '
                         f'tensors use the Triton or mmcv kernel (impl="auto").')
    index = dict(dtype=torch.int64)
    out = MSDeformAttnCPUFunction.apply(
        value.float().contiguous(), spatial_shapes.to(**index).contiguous(),
        level_start_index.to(**index).contiguous(), sampling_locations.float().contiguous(),
        attention_weights.float().contiguous())
    return out.to(value.dtype)
