from .clip_postprocess import (panoptic_frame, select_instances, select_panoptic,
                               semantic_scores)

__all__ = ['select_panoptic', 'panoptic_frame', 'select_instances', 'semantic_scores']
