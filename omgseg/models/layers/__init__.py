from .checkpointing import check_with_cp, checkpoint_layers
from .compiling import check_compile, compile_layers
from .mask_pool import mask_pool
from .mask_window import MaskWindow
from .mlp import build_mlp
from .ms_deform_attn import (MSDA_IMPL_ENV, MSDA_IMPLS, MSDeformAttn, mmcv_has_cuda_ops,
                             ms_deform_attn, ms_deform_attn_pytorch, resolve_msda_impl)
from .precision import at_least_fp32, full_precision
from .spatial_prior import SpatialAttentionPrior

__all__ = ['mask_pool', 'build_mlp', 'MSDeformAttn', 'mmcv_has_cuda_ops', 'ms_deform_attn',
           'ms_deform_attn_pytorch', 'resolve_msda_impl', 'MSDA_IMPLS', 'MSDA_IMPL_ENV',
           'at_least_fp32', 'full_precision', 'check_with_cp', 'checkpoint_layers',
           'check_compile', 'compile_layers', 'SpatialAttentionPrior', 'MaskWindow']
