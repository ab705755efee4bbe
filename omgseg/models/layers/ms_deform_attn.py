"""Multi-scale deformable attention with an explicit choice of kernel that never assumes CUDA.

Implementations (``impl`` of :class:`MSDeformAttn`, overridden by the environment variable
``OMGSEG_MSDA_IMPL`` when it is set):

- ``'auto'`` (default): the Triton kernel for CUDA tensors when Triton is installed (else
  PyTorch), the fused numba kernels for CPU tensors.
- ``'pytorch'``: bilinear ``grid_sample``; any device and dtype, no compiled code (the reference;
  what mmcv and mmdet run on the CPU).
- ``'numba'``: :mod:`omgseg.models.layers.ms_deform_attn_cpu`, fused CPU kernels (fp32 compute),
  about 3x faster than ``'pytorch'`` for forward + backward at the pixel decoder's shapes.
- ``'triton'``: :mod:`omgseg.models.layers.ms_deform_attn_triton`, compiled at first use. CPU
  tensors only under Triton's interpreter (``TRITON_INTERPRET=1``, for tests).
- ``'mmcv'``: mmcv's CUDA kernel, only when mmcv was compiled with CUDA ops (computed in fp32).

All give the same result up to float rounding (tests check parity).
"""
from __future__ import annotations

import functools
import importlib.util
import os
import shutil

import torch
import torch.nn.functional as F
from mmcv.ops import MultiScaleDeformableAttention

MSDA_IMPLS = ('auto', 'pytorch', 'numba', 'triton', 'mmcv')
MSDA_IMPL_ENV = 'OMGSEG_MSDA_IMPL'


@functools.lru_cache(maxsize=1)
def mmcv_has_cuda_ops() -> bool:
    """True when the installed mmcv was compiled with its CUDA kernels."""
    from mmcv.ops import get_compiling_cuda_version
    version = get_compiling_cuda_version()
    return bool(version) and version != 'not available'


def ms_deform_attn_pytorch(value: torch.Tensor, spatial_shapes: torch.Tensor,
                           sampling_locations: torch.Tensor,
                           attention_weights: torch.Tensor) -> torch.Tensor:
    """Deformable attention by bilinear ``grid_sample`` (zero padding, pixel-centre convention).

    Args:
        value: (B, S, nH, Dh) with S = sum over levels of h_l * w_l.
        spatial_shapes: (L, 2) int, (h_l, w_l) per level, in the order of ``value``.
        sampling_locations: (B, Q, nH, L, P, 2) normalised (x, y) in [0, 1].
        attention_weights: (B, Q, nH, L, P), softmax-normalised over L * P.

    Returns:
        (B, Q, nH * Dh).
    """
    b, _, n_heads, d_head = value.shape
    _, n_query, _, n_levels, n_points, _ = sampling_locations.shape
    sizes = [int(h) * int(w) for h, w in spatial_shapes.tolist()]
    grids = sampling_locations * 2 - 1  # grid_sample wants [-1, 1]
    sampled = []
    for lvl, value_l in enumerate(value.split(sizes, dim=1)):
        h, w = (int(s) for s in spatial_shapes[lvl].tolist())
        # (B, h*w, nH, Dh) -> (B*nH, Dh, h, w)
        value_l = value_l.permute(0, 2, 3, 1).reshape(b * n_heads, d_head, h, w)
        # (B, Q, nH, P, 2) -> (B*nH, Q, P, 2)
        grid_l = grids[:, :, :, lvl].transpose(1, 2).reshape(b * n_heads, n_query, n_points, 2)
        sampled.append(F.grid_sample(value_l, grid_l, mode='bilinear', padding_mode='zeros',
                                     align_corners=False))  # (B*nH, Dh, Q, P)
    # (B*nH, Dh, Q, L*P) weighted by (B*nH, 1, Q, L*P)
    stacked = torch.cat(sampled, dim=-1)
    weights = attention_weights.transpose(1, 2).reshape(b * n_heads, 1, n_query,
                                                          n_levels * n_points)
    out = (stacked * weights).sum(-1).view(b, n_heads * d_head, n_query)
    return out.transpose(1, 2).contiguous()


@functools.lru_cache(maxsize=1)
def triton_missing() -> str | None:
    """Why the Triton kernel cannot be built here, or None when it can.

    Triton ships with torch's CUDA wheels and needs no CUDA compiler, but it builds a small
    host-side launcher with the system C compiler (``CC``, else gcc or clang) at first use.
    """
    if importlib.util.find_spec('triton') is None:
        return 'the triton package is not installed (pip install triton)'
    if not (os.environ.get('CC') or shutil.which('gcc') or shutil.which('clang')):
        return 'Triton finds no C compiler for its launcher (install gcc or set CC)'
    return None


def check_msda_impl(impl: str, setting: str = 'impl') -> str:
    """Return ``impl`` if it names an implementation; ``setting`` names where it came from."""
    if impl not in MSDA_IMPLS:
        raise ValueError(f'{setting}={impl!r} is not a deformable-attention implementation; '
                         f'use one of {", ".join(MSDA_IMPLS)}.')
    return impl


def resolve_msda_impl(impl: str, value: torch.Tensor) -> str:
    """The implementation that runs for ``value`` ('pytorch', 'numba', 'triton' or 'mmcv').

    ``OMGSEG_MSDA_IMPL``, when set and non-empty, overrides ``impl``. Raises ValueError when
    the requested one cannot run here, naming the setting and the fix.
    """
    setting = 'impl'
    if os.environ.get(MSDA_IMPL_ENV):
        impl, setting = os.environ[MSDA_IMPL_ENV], MSDA_IMPL_ENV
    check_msda_impl(impl, setting)
    if impl == 'auto':
        if not value.is_cuda:
            return 'numba' if value.device.type == 'cpu' else 'pytorch'
        return 'triton' if triton_missing() is None else 'pytorch'
    if impl == 'numba' and value.device.type != 'cpu':
        raise ValueError(f"{setting}='numba' runs on CPU tensors, got {value.device}: use "
                         f"'auto' (Triton on CUDA) or 'pytorch'.")
    if impl == 'triton':
        if triton_missing() is not None:
            raise ValueError(f"{setting}='triton' cannot run: {triton_missing()}; or use "
                             f"'auto'/'pytorch'.")
        from .ms_deform_attn_triton import triton_interpreted
        if not value.is_cuda and not triton_interpreted():
            raise ValueError(f"{setting}='triton' needs CUDA tensors, got {value.device}: use "
                             f"'auto' or 'pytorch' on the CPU, or set TRITON_INTERPRET=1 in the "
                             f"environment before starting Python to run Triton's (slow) CPU "
                             f"interpreter.")
    if impl == 'mmcv' and not (value.is_cuda and mmcv_has_cuda_ops()):
        raise ValueError(f"{setting}='mmcv' needs CUDA tensors and an mmcv compiled with its CUDA "
                         f"ops (tensors on {value.device}, mmcv CUDA ops: "
                         f"{mmcv_has_cuda_ops()}): rebuild mmcv with CUDA ops or use 'auto'.")
    return impl


def ms_deform_attn(value: torch.Tensor, spatial_shapes: torch.Tensor,
                   level_start_index: torch.Tensor, sampling_locations: torch.Tensor,
                   attention_weights: torch.Tensor, im2col_step: int = 64, *,
                   impl: str = 'auto') -> torch.Tensor:
    """Deformable attention by the implementation :func:`resolve_msda_impl` picks.

    Shapes as in :func:`ms_deform_attn_pytorch`; ``level_start_index`` (L,) is the first row
    of each level in ``value``; ``im2col_step`` is mmcv's batch chunk. Returns (B, Q, nH * Dh).
    """
    chosen = resolve_msda_impl(impl, value)
    if chosen == 'numba':
        from .ms_deform_attn_cpu import ms_deform_attn_cpu  # numba: imported on first use
        return ms_deform_attn_cpu(value, spatial_shapes, level_start_index, sampling_locations,
                                  attention_weights)
    if chosen == 'triton':
        from .ms_deform_attn_triton import ms_deform_attn_triton
        return ms_deform_attn_triton(value, spatial_shapes, level_start_index,
                                     sampling_locations, attention_weights)
    if chosen == 'mmcv':
        from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttnFunction
        # The kernel has no half-precision path for every build; compute it in fp32.
        dtype = value.dtype
        out = MultiScaleDeformableAttnFunction.apply(
            value.float(), spatial_shapes, level_start_index, sampling_locations.float(),
            attention_weights.float(), im2col_step)
        return out.to(dtype)
    return ms_deform_attn_pytorch(value, spatial_shapes, sampling_locations, attention_weights)


class MSDeformAttn(MultiScaleDeformableAttention):
    """mmcv's ``MultiScaleDeformableAttention`` (same parameters and state-dict keys) with the
    kernel choice of :func:`ms_deform_attn`.

    Args:
        impl: 'auto', 'pytorch', 'numba', 'triton' or 'mmcv' (see the module docstring);
            ``OMGSEG_MSDA_IMPL`` overrides it at run time.
        **kwargs: as mmcv's module (embed_dims, num_heads, num_levels, num_points,
            im2col_step, dropout, batch_first, norm_cfg, init_cfg, value_proj_ratio).
    """

    def __init__(self, *, impl: str = 'auto', **kwargs) -> None:
        super().__init__(**kwargs)
        self.impl = check_msda_impl(impl)

    def forward(self, query: torch.Tensor, key: torch.Tensor | None = None,
                value: torch.Tensor | None = None, identity: torch.Tensor | None = None,
                query_pos: torch.Tensor | None = None,
                key_padding_mask: torch.Tensor | None = None,
                reference_points: torch.Tensor | None = None,
                spatial_shapes: torch.Tensor | None = None,
                level_start_index: torch.Tensor | None = None,
                **kwargs) -> torch.Tensor:
        """Args (batch_first): query (B, Q, C); value (B, S, C); reference_points (B, Q, L, 2)
        or (B, Q, L, 4) normalised; key_padding_mask (B, S) True = padded.
        Returns (B, Q, C)."""
        if value is None:
            value = query
        if identity is None:
            identity = query
        if query_pos is not None:
            query = query + query_pos
        if not self.batch_first:
            query, value = query.permute(1, 0, 2), value.permute(1, 0, 2)
        b, n_query, _ = query.shape
        n_value = value.shape[1]
        if int((spatial_shapes[:, 0] * spatial_shapes[:, 1]).sum()) != n_value:
            raise ValueError(f'MSDeformAttn: spatial_shapes cover '
                             f'{int((spatial_shapes[:, 0] * spatial_shapes[:, 1]).sum())} '
                             f'positions but value has {n_value}.')
        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        value = value.view(b, n_value, self.num_heads, -1)
        offsets = self.sampling_offsets(query).view(b, n_query, self.num_heads, self.num_levels,
                                                    self.num_points, 2)
        weights = self.attention_weights(query).view(b, n_query, self.num_heads,
                                                     self.num_levels * self.num_points)
        weights = weights.softmax(-1).view(b, n_query, self.num_heads, self.num_levels,
                                           self.num_points)
        if reference_points.shape[-1] == 2:
            # offsets are in pixels of each level: normalise by (w, h)
            normalizer = torch.stack([spatial_shapes[..., 1], spatial_shapes[..., 0]], -1)
            locations = reference_points[:, :, None, :, None, :] \
                + offsets / normalizer[None, None, None, :, None, :]
        elif reference_points.shape[-1] == 4:
            locations = reference_points[:, :, None, :, None, :2] \
                + offsets / self.num_points * reference_points[:, :, None, :, None, 2:] * 0.5
        else:
            raise ValueError(f'reference_points must end in 2 or 4 values, got '
                             f'{reference_points.shape[-1]}.')
        output = ms_deform_attn(value, spatial_shapes, level_start_index, locations, weights,
                                self.im2col_step, impl=self.impl)
        output = self.output_proj(output)
        if not self.batch_first:
            output = output.permute(1, 0, 2)
        return self.dropout(output) + identity


