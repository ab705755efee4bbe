"""Deterministic synthetic toy world (``world``) and its COCO-format writer (``coco_writer``).

Pure numpy / Pillow; no mmdet import, so it is cheap to use from tools and tests.
"""
from .coco_writer import (IMAGE_ID_OFFSETS, SPLITS, STAMP_NAME, TOY_VERSION, generate_toy_coco,
                          id2rgb, rgb2id, semantic_from_panoptic, split_paths, write_split)
from .world import (CATEGORIES, CATEGORY_ID_TO_LABEL, CLASSES, LABEL_TO_CATEGORY_ID,
                    NUM_CLASSES, NUM_THINGS, PALETTE, STUFF_CATEGORIES, STUFF_CLASSES,
                    THING_CATEGORIES, THING_CLASSES, THING_SHAPES, VIPSEG_RAW_CLASS_IDS, Scene, ToyObject,
                    amodal_mask, make_scene, render, render_clip, scene_seed, stuff_label_map)

__all__ = [
    'THING_CLASSES', 'STUFF_CLASSES', 'CLASSES', 'NUM_THINGS', 'NUM_CLASSES', 'CATEGORIES',
    'THING_CATEGORIES', 'STUFF_CATEGORIES', 'LABEL_TO_CATEGORY_ID', 'CATEGORY_ID_TO_LABEL',
    'PALETTE', 'THING_SHAPES', 'VIPSEG_RAW_CLASS_IDS', 'Scene', 'ToyObject', 'make_scene', 'render', 'render_clip',
    'amodal_mask', 'stuff_label_map', 'scene_seed', 'TOY_VERSION', 'STAMP_NAME', 'SPLITS',
    'IMAGE_ID_OFFSETS', 'id2rgb', 'rgb2id', 'split_paths', 'semantic_from_panoptic',
    'write_split', 'generate_toy_coco',
]
