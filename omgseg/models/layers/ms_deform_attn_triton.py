"""Multi-scale deformable attention in Triton: forward and backward, no compiler at install time.

Same arithmetic as ``grid_sample(mode='bilinear', padding_mode='zeros', align_corners=False)``
(and mmcv's kernel): a normalised location ``u`` on a level of width ``w`` samples pixel
coordinate ``x = u * w - 0.5``; each of the four neighbours outside the map contributes zero.
Every input dtype (fp32, bf16, fp16) is read as is and accumulated in fp32; the value gradient
is summed with fp32 atomic adds and cast back to ``value``'s dtype.

Kernels run on CUDA tensors. On CPU they run only in Triton's interpreter, which Triton selects
when ``TRITON_INTERPRET=1`` is in the environment at the moment this module is first imported
(the decorator reads it); :func:`triton_interpreted` tells which mode this process got.
"""
from __future__ import annotations

import contextlib

import torch
import triton
import triton.language as tl
from torch.autograd.function import once_differentiable
from triton.runtime.interpreter import InterpretedFunction

# Elements of one (rows, points, channels) tile on the GPU, with 4 warps. Compiled for sm_90 at
# the pixel decoder's shapes (4 points, 32 channels) they take 104 (forward) and 78 (backward)
# registers per thread, no spills; a backward tile of 2048 would take 164.
_GPU_TILE = {'fwd': 2048, 'bwd': 1024}
_GPU_WARPS = 4
# The interpreter costs per operation, not per element: one program covers up to this many rows.
_INTERPRETER_ROWS = 1024


@triton.jit
def _row_tile(num_rows, num_keys, num_queries, NUM_HEADS: tl.constexpr,
              NUM_POINTS: tl.constexpr, BLOCK_ROWS: tl.constexpr, BLOCK_P: tl.constexpr):
    """This program's rows, (batch, query, head) triples numbered as the output rows of
    (B*Q*nH, Dh): row ids (R,), points (P,), validity (R, P), first key row of the batch
    item (R, 1) and head (R, 1)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_ROWS + tl.arange(0, BLOCK_ROWS)
    pts = tl.arange(0, BLOCK_P)
    valid = (rows < num_rows)[:, None] & (pts < NUM_POINTS)[None, :]
    key_row0 = ((rows // (num_queries * NUM_HEADS)) * num_keys)[:, None]
    return rows, pts, valid, key_row0, (rows % NUM_HEADS)[:, None]


@triton.jit
def _level_points(shapes_ptr, starts_ptr, loc_ptr, attn_ptr, lvl, rows, pts, valid, key_row0,
                  NUM_LEVELS: tl.constexpr, NUM_POINTS: tl.constexpr):
    """The (rows, points) sampling points of level ``lvl``: their index in the attention
    weights, the level's size and first key row, top-left neighbour (x0, y0), fractional
    offsets (lx, ly) in pixels and attention weight in fp32."""
    height = tl.load(shapes_ptr + 2 * lvl)
    width = tl.load(shapes_ptr + 2 * lvl + 1)
    level_row0 = key_row0 + tl.load(starts_ptr + lvl)
    point_idx = (rows[:, None] * NUM_LEVELS + lvl) * NUM_POINTS + pts[None, :]
    u = tl.load(loc_ptr + 2 * point_idx, mask=valid, other=0.0).to(tl.float32)
    v = tl.load(loc_ptr + 2 * point_idx + 1, mask=valid, other=0.0).to(tl.float32)
    weight = tl.load(attn_ptr + point_idx, mask=valid, other=0.0).to(tl.float32)
    x = u * width.to(tl.float32) - 0.5
    y = v * height.to(tl.float32) - 0.5
    x0f = tl.floor(x)
    y0f = tl.floor(y)
    return (point_idx, height, width, level_row0, x0f.to(tl.int64), y0f.to(tl.int64),
            x - x0f, y - y0f, weight)


@triton.jit
def _tile_mask(inside, chan, HEAD_DIM: tl.constexpr, BLOCK_C: tl.constexpr):
    """(rows, points, channels) mask of a gather. Channels are tested only when padded: a mask
    that may vary along channels stops Triton from vectorising the loads."""
    if HEAD_DIM == BLOCK_C:
        return inside[:, :, None]
    else:
        return inside[:, :, None] & (chan < HEAD_DIM)


@triton.jit
def _neighbour(value_ptr, x0, y0, DX: tl.constexpr, DY: tl.constexpr, lx, ly, valid, height,
               width, key_row0, head, chan, NUM_HEADS: tl.constexpr, HEAD_DIM: tl.constexpr,
               BLOCK_C: tl.constexpr):
    """Neighbour (y0 + DY, x0 + DX) of each sampling point: bilinear weight and its
    derivatives in x and y (rows, points); element offsets in ``value``, mask (zero outside
    the map) and the values in fp32 (rows, points, channels)."""
    x_idx = x0 + DX
    y_idx = y0 + DY
    wx = lx if DX == 1 else 1.0 - lx
    wy = ly if DY == 1 else 1.0 - ly
    dwx = wy if DX == 1 else -wy
    dwy = wx if DY == 1 else -wx
    inside = valid & (x_idx >= 0) & (x_idx < width) & (y_idx >= 0) & (y_idx < height)
    offset = ((key_row0 + y_idx * width + x_idx) * NUM_HEADS + head) * HEAD_DIM
    offsets = offset[:, :, None] + chan
    mask = _tile_mask(inside, chan, HEAD_DIM, BLOCK_C)
    v = tl.load(value_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
    return wx * wy, dwx, dwy, offsets, mask, v


@triton.jit
def _msda_fwd_kernel(value_ptr, shapes_ptr, starts_ptr, loc_ptr, attn_ptr, out_ptr,
                     num_rows, num_keys, num_queries,
                     NUM_HEADS: tl.constexpr, HEAD_DIM: tl.constexpr, NUM_LEVELS: tl.constexpr,
                     NUM_POINTS: tl.constexpr, BLOCK_ROWS: tl.constexpr, BLOCK_P: tl.constexpr,
                     BLOCK_C: tl.constexpr):
    rows, pts, valid, key_row0, head = _row_tile(num_rows, num_keys, num_queries, NUM_HEADS,
                                                 NUM_POINTS, BLOCK_ROWS, BLOCK_P)
    chan = tl.arange(0, BLOCK_C)[None, None, :]
    acc = tl.zeros((BLOCK_ROWS, BLOCK_P, BLOCK_C), dtype=tl.float32)
    for lvl in range(NUM_LEVELS):
        point_idx, height, width, level_row0, x0, y0, lx, ly, weight = _level_points(
            shapes_ptr, starts_ptr, loc_ptr, attn_ptr, lvl, rows, pts, valid, key_row0,
            NUM_LEVELS, NUM_POINTS)
        for corner in tl.static_range(4):
            w_bil, _, _, _, _, v = _neighbour(
                value_ptr, x0, y0, corner % 2, corner // 2, lx, ly, valid, height, width,
                level_row0, head, chan, NUM_HEADS, HEAD_DIM, BLOCK_C)
            acc += (weight * w_bil)[:, :, None] * v
    out = tl.sum(acc, axis=1)
    out_mask = (rows < num_rows)[:, None] & (tl.arange(0, BLOCK_C) < HEAD_DIM)[None, :]
    tl.store(out_ptr + rows[:, None] * HEAD_DIM + tl.arange(0, BLOCK_C)[None, :],
             out.to(out_ptr.dtype.element_ty), mask=out_mask)


@triton.jit
def _msda_bwd_kernel(value_ptr, shapes_ptr, starts_ptr, loc_ptr, attn_ptr, grad_out_ptr,
                     grad_value_ptr, grad_loc_ptr, grad_attn_ptr,
                     num_rows, num_keys, num_queries,
                     NUM_HEADS: tl.constexpr, HEAD_DIM: tl.constexpr, NUM_LEVELS: tl.constexpr,
                     NUM_POINTS: tl.constexpr, BLOCK_ROWS: tl.constexpr, BLOCK_P: tl.constexpr,
                     BLOCK_C: tl.constexpr):
    rows, pts, valid, key_row0, head = _row_tile(num_rows, num_keys, num_queries, NUM_HEADS,
                                                 NUM_POINTS, BLOCK_ROWS, BLOCK_P)
    chan = tl.arange(0, BLOCK_C)[None, None, :]
    grad_out = tl.load(grad_out_ptr + rows[:, None, None] * HEAD_DIM + chan,
                       mask=_tile_mask((rows < num_rows)[:, None], chan, HEAD_DIM, BLOCK_C),
                       other=0.0).to(tl.float32)  # (rows, 1, channels)
    for lvl in range(NUM_LEVELS):
        point_idx, height, width, level_row0, x0, y0, lx, ly, weight = _level_points(
            shapes_ptr, starts_ptr, loc_ptr, attn_ptr, lvl, rows, pts, valid, key_row0,
            NUM_LEVELS, NUM_POINTS)
        # d out / d weight is the sampled value; g_x, g_y: d sampled / d x, d y in pixels
        g_weight = tl.zeros((BLOCK_ROWS, BLOCK_P), dtype=tl.float32)
        g_x = tl.zeros((BLOCK_ROWS, BLOCK_P), dtype=tl.float32)
        g_y = tl.zeros((BLOCK_ROWS, BLOCK_P), dtype=tl.float32)
        for corner in tl.static_range(4):
            w_bil, dw_dx, dw_dy, offsets, mask, v = _neighbour(
                value_ptr, x0, y0, corner % 2, corner // 2, lx, ly, valid, height, width,
                level_row0, head, chan, NUM_HEADS, HEAD_DIM, BLOCK_C)
            dot = tl.sum(grad_out * v, axis=2)  # grad_out . value, per point
            g_weight += w_bil * dot
            g_x += dw_dx * dot
            g_y += dw_dy * dot
            tl.atomic_add(grad_value_ptr + offsets,
                          (weight * w_bil)[:, :, None] * grad_out, mask=mask, sem='relaxed')
        tl.store(grad_attn_ptr + point_idx, g_weight.to(grad_attn_ptr.dtype.element_ty),
                 mask=valid)
        # x = u * width - 0.5, so d / du = width * d / dx (and the same in y)
        g_u = weight * width.to(tl.float32) * g_x
        g_v = weight * height.to(tl.float32) * g_y
        tl.store(grad_loc_ptr + 2 * point_idx, g_u.to(grad_loc_ptr.dtype.element_ty), mask=valid)
        tl.store(grad_loc_ptr + 2 * point_idx + 1, g_v.to(grad_loc_ptr.dtype.element_ty),
                 mask=valid)


def triton_interpreted() -> bool:
    """True when this process built the kernels for Triton's CPU interpreter."""
    return isinstance(_msda_fwd_kernel, InterpretedFunction)


def _launch(value: torch.Tensor, locations: torch.Tensor, block_rows: int | None,
            kernel: str) -> tuple[tuple[int], dict]:
    """Grid and keyword arguments shared by both kernels."""
    b, num_keys, num_heads, head_dim = value.shape
    num_queries, _, num_levels, num_points = locations.shape[1:5]
    num_rows = b * num_queries * num_heads
    block_p = triton.next_power_of_2(num_points)
    block_c = triton.next_power_of_2(head_dim)
    if block_rows is None:
        if triton_interpreted():
            block_rows = min(triton.next_power_of_2(max(num_rows, 1)), _INTERPRETER_ROWS)
        else:
            block_rows = max(1, _GPU_TILE[kernel] // (block_p * block_c))
    meta = dict(num_rows=num_rows, num_keys=num_keys, num_queries=num_queries,
                NUM_HEADS=num_heads, HEAD_DIM=head_dim, NUM_LEVELS=num_levels,
                NUM_POINTS=num_points, BLOCK_ROWS=block_rows, BLOCK_P=block_p, BLOCK_C=block_c)
    if not triton_interpreted():
        meta['num_warps'] = _GPU_WARPS
    return (triton.cdiv(num_rows, block_rows),), meta


def _run(kernel, name: str, value: torch.Tensor, locations: torch.Tensor,
         block_rows: int | None, *args: torch.Tensor) -> None:
    """Launch ``kernel`` on ``value``'s device (Triton launches on the current one)."""
    grid, meta = _launch(value, locations, block_rows, name)
    if grid[0] == 0:  # no queries
        return
    with torch.cuda.device(value.device) if value.is_cuda else contextlib.nullcontext():
        kernel[grid](*args, **meta)


class MSDeformAttnTritonFunction(torch.autograd.Function):
    """Autograd wrapper of the two kernels; arguments as :func:`ms_deform_attn_triton`."""

    @staticmethod
    def forward(ctx, value: torch.Tensor, spatial_shapes: torch.Tensor,
                level_start_index: torch.Tensor, sampling_locations: torch.Tensor,
                attention_weights: torch.Tensor, block_rows: int | None) -> torch.Tensor:
        b, _, num_heads, head_dim = value.shape
        out = value.new_empty(b, sampling_locations.shape[1], num_heads * head_dim)
        _run(_msda_fwd_kernel, 'fwd', value, sampling_locations, block_rows, value,
             spatial_shapes, level_start_index, sampling_locations, attention_weights, out)
        ctx.save_for_backward(value, spatial_shapes, level_start_index, sampling_locations,
                              attention_weights)
        ctx.block_rows = block_rows
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: torch.Tensor):
        value, spatial_shapes, level_start_index, locations, weights = ctx.saved_tensors
        grad_value = torch.zeros(value.shape, dtype=torch.float32, device=value.device)
        grad_loc = torch.empty_like(locations)
        grad_attn = torch.empty_like(weights)
        _run(_msda_bwd_kernel, 'bwd', value, locations, ctx.block_rows, value, spatial_shapes,
             level_start_index, locations, weights, grad_out.contiguous(), grad_value, grad_loc,
             grad_attn)
        return grad_value.to(value.dtype), None, None, grad_loc, grad_attn, None


def _check_inputs(value: torch.Tensor, spatial_shapes: torch.Tensor,
                  sampling_locations: torch.Tensor, attention_weights: torch.Tensor,
                  block_rows: int | None) -> None:
    if value.dim() != 4 or sampling_locations.dim() != 6 or sampling_locations.shape[-1] != 2:
        raise ValueError(f'ms_deform_attn_triton: value must be (B, S, heads, C) and '
                         f'sampling_locations (B, Q, heads, levels, points, 2); got '
                         f'{tuple(value.shape)} and {tuple(sampling_locations.shape)}.')
    b, q, heads, levels, points, _ = sampling_locations.shape
    if tuple(attention_weights.shape) != (b, q, heads, levels, points):
        raise ValueError(f'ms_deform_attn_triton: attention_weights must be '
                         f'{(b, q, heads, levels, points)}, got {tuple(attention_weights.shape)}.')
    if value.shape[0] != b or value.shape[2] != heads or tuple(spatial_shapes.shape) != (levels, 2):
        raise ValueError(f'ms_deform_attn_triton: value {tuple(value.shape)} and spatial_shapes '
                         f'{tuple(spatial_shapes.shape)} do not match sampling_locations '
                         f'{tuple(sampling_locations.shape)} (batch, heads, levels).')
    if {sampling_locations.device, attention_weights.device} != {value.device}:
        raise ValueError(f'ms_deform_attn_triton: value, sampling_locations and '
                         f'attention_weights must be on one device, got {value.device}, '
                         f'{sampling_locations.device}, {attention_weights.device}.')
    if block_rows is not None and (block_rows < 1 or block_rows & (block_rows - 1)):
        raise ValueError(f'ms_deform_attn_triton: block_rows must be a power of two, got '
                         f'{block_rows}.')
    if not value.is_cuda and not triton_interpreted():
        raise ValueError('ms_deform_attn_triton: CPU tensors run only in Triton\'s interpreter '
                         '(TRITON_INTERPRET=1 set before this module is imported); use '
                         'ms_deform_attn_pytorch on the CPU.')


def ms_deform_attn_triton(value: torch.Tensor, spatial_shapes: torch.Tensor,
                          level_start_index: torch.Tensor, sampling_locations: torch.Tensor,
                          attention_weights: torch.Tensor, *,
                          block_rows: int | None = None) -> torch.Tensor:
    """Deformable attention by the Triton kernels, differentiable in value, locations, weights.

    Args:
        value: (B, S, nH, Dh), S = sum of h_l * w_l; fp32, bf16 or fp16.
        spatial_shapes: (L, 2) int, (h_l, w_l) per level, in the order of ``value``.
        level_start_index: (L,) int, first row of each level in ``value``.
        sampling_locations: (B, Q, nH, L, P, 2) normalised (x, y); outside [0, 1] reads zeros.
        attention_weights: (B, Q, nH, L, P).
        block_rows: (query, head) rows per program, a power of two; None picks one for the
            GPU (or a single program in the interpreter). Tests set it to cover block edges.

    Returns:
        (B, Q, nH * Dh) in ``value``'s dtype.
    """
    _check_inputs(value, spatial_shapes, sampling_locations, attention_weights, block_rows)
    index = dict(device=value.device, dtype=torch.int64)
    return MSDeformAttnTritonFunction.apply(
        value.contiguous(), spatial_shapes.to(**index).contiguous(),
        level_start_index.to(**index).contiguous(), sampling_locations.contiguous(),
        attention_weights.contiguous(), block_rows)
