from .clip_factory import TINY_CLIP_CFG, build_clip_model, load_clip_weights
from .openclip_backbone import OpenCLIPBackbone

__all__ = ['TINY_CLIP_CFG', 'build_clip_model', 'load_clip_weights', 'OpenCLIPBackbone']
