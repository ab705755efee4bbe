"""Deterministic synthetic toy world (``world``, ``video``) and its writers: COCO images
(``coco_writer``), YouTube-VIS videos (``ytvis_writer``), VIPSeg videos (``vipseg_writer``) and
DAVIS 2017 sequences (``davis_writer``).

Pure numpy / Pillow; no mmdet import, so it is cheap to use from tools and tests. The class
lists are the vocabulary layer's (``omgseg.vocab.lists.toy``).
"""
from omgseg.vocab.lists.toy import VIPSEG_RAW_CLASS_IDS

from .coco_writer import (IMAGE_ID_OFFSETS, SAM_SCENE_KWARGS, SPLITS, STAMP_NAME, TOY_VERSION,
                          generate_toy_coco, generate_toy_sam, id2rgb, rgb2id,
                          semantic_from_panoptic, split_paths, write_split)
from .davis_writer import (DAVIS_INDEX_OFFSET, DAVIS_RESOLUTION, DAVIS_SPLITS, DAVIS_YEAR,
                           davis_frame_stem, davis_index_mask, davis_object_indices, davis_scenes,
                           davis_sequence_name, generate_toy_davis, write_davis_split)
from .video import (VIDEO_INDEX_OFFSET, is_up_to_date, iter_video_frames, make_video_scene,
                    read_stamp, video_scene_seed)
from .vipseg_writer import (VIPSEG_RAW_CATEGORIES, VIPSEG_SPLITS, generate_toy_vipseg,
                            panomask_from_render, vipseg_frame_stem, vipseg_video_name,
                            write_vipseg_split)
from .world import (CATEGORIES, CATEGORY_ID_TO_LABEL, CLASSES, LABEL_TO_CATEGORY_ID,
                    NUM_CLASSES, NUM_THINGS, PALETTE, STUFF_CATEGORIES, STUFF_CLASSES,
                    THING_CATEGORIES, THING_CLASSES, THING_SHAPES, Scene, ToyObject, amodal_mask,
                    make_scene, render, render_clip, scene_seed, stuff_label_map)
from .ytvis_writer import (YTVIS_CATEGORIES, YTVIS_FRAME_STEP, YTVIS_SPLITS, generate_toy_ytvis,
                           write_ytvis_split, ytvis_frame_name, ytvis_video_name)

__all__ = [
    'THING_CLASSES', 'STUFF_CLASSES', 'CLASSES', 'NUM_THINGS', 'NUM_CLASSES', 'CATEGORIES',
    'THING_CATEGORIES', 'STUFF_CATEGORIES', 'LABEL_TO_CATEGORY_ID', 'CATEGORY_ID_TO_LABEL',
    'PALETTE', 'THING_SHAPES', 'VIPSEG_RAW_CLASS_IDS', 'Scene', 'ToyObject', 'make_scene',
    'render', 'render_clip', 'amodal_mask', 'stuff_label_map', 'scene_seed', 'TOY_VERSION',
    'STAMP_NAME', 'SPLITS', 'IMAGE_ID_OFFSETS', 'id2rgb', 'rgb2id', 'split_paths',
    'semantic_from_panoptic', 'write_split', 'generate_toy_coco', 'generate_toy_sam',
    'SAM_SCENE_KWARGS',
    # videos
    'VIDEO_INDEX_OFFSET', 'video_scene_seed', 'make_video_scene', 'iter_video_frames',
    'read_stamp', 'is_up_to_date',
    'YTVIS_SPLITS', 'YTVIS_FRAME_STEP', 'YTVIS_CATEGORIES', 'ytvis_video_name',
    'ytvis_frame_name', 'write_ytvis_split', 'generate_toy_ytvis',
    'VIPSEG_SPLITS', 'VIPSEG_RAW_CATEGORIES', 'vipseg_video_name', 'vipseg_frame_stem',
    'panomask_from_render', 'write_vipseg_split', 'generate_toy_vipseg',
    'DAVIS_SPLITS', 'DAVIS_RESOLUTION', 'DAVIS_YEAR', 'DAVIS_INDEX_OFFSET',
    'davis_scenes', 'davis_sequence_name', 'davis_frame_stem', 'davis_object_indices',
    'davis_index_mask', 'write_davis_split', 'generate_toy_davis',
]
