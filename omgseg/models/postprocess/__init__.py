from .clip_postprocess import instance_postprocess, panoptic_postprocess, semantic_postprocess

__all__ = ['instance_postprocess', 'panoptic_postprocess', 'semantic_postprocess']
