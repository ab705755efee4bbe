from .clip_postprocess import (panoptic_frame, select_instances, select_panoptic,
                               semantic_scores)
from .instance_topk import instance_topk_all_classes
from .open_vocab import clip_resolution_masks, fuse_open_vocab, seen_classes

__all__ = ['select_panoptic', 'panoptic_frame', 'select_instances', 'semantic_scores',
           'seen_classes', 'fuse_open_vocab', 'clip_resolution_masks',
           'instance_topk_all_classes']
