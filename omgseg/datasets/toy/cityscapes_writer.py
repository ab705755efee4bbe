"""Write toy-world scenes in the raw official Cityscapes layout (leftImg8bit + gtFine), for
``tools/dataset_converters/cityscapes.py`` to convert.

Layout under ``<out>/cityscapes``::

    leftImg8bit/{train,val}/<city>/<city>_<seq>_000019_leftImg8bit.png      RGB
    gtFine/{train,val}/<city>/<city>_<seq>_000019_gtFine_instanceIds.png    uint16
    gtFine/{train,val}/<city>/<city>_<seq>_000019_gtFine_labelIds.png       uint8
    .toy_meta.json                                  (generator version + arguments; last)

Toy classes become Cityscapes labels (``TOY_TO_CITYSCAPES_ID``); ``instanceIds`` holds
``label id * 1000 + k`` (k counts from 0 per class) for single things, the bare label id for
crowds and stuff, and the ignored label ``static`` (4) on the toy world's void pixels, so a
conversion sees crowds and ignoreInEval labels as the real data has them.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from .coco_writer import TOY_VERSION
from .video import is_up_to_date
from .world import NUM_THINGS, make_scene, render, scene_seed

CITYSCAPES_STAMP_NAME = '.toy_meta.json'
CITYSCAPES_SPLITS = ('train', 'val')
CITYSCAPES_TOY_CITIES = {'train': ('aachen', 'bochum'), 'val': ('frankfurt', 'lindau')}
CITYSCAPES_INDEX_OFFSET = 600_000  # scene seeds disjoint from the other toy datasets
# Cityscapes label id of each toy label: person, bicycle, car, bird -> rider, dog -> truck,
# road, sky, grass -> vegetation
TOY_TO_CITYSCAPES_ID = (24, 33, 26, 25, 27, 7, 23, 21)
TOY_VOID_LABEL_ID = 4  # 'static': ignoreInEval, so void after conversion
FRAME = 19  # gtFine annotates the 20th frame of each snippet


def cityscapes_stem(split: str, index: int) -> tuple[str, str]:
    """``(city, '<city>_<seq>_000019')`` of toy image ``index`` of ``split``."""
    cities = CITYSCAPES_TOY_CITIES[split]
    city = cities[index % len(cities)]
    return city, f'{city}_{index:06d}_{FRAME:06d}'


def cityscapes_maps(seg_map: np.ndarray, segments: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Toy panoptic ids ``(H, W)`` + segments -> (instanceIds uint16, labelIds uint8)."""
    inst = np.full(seg_map.shape, TOY_VOID_LABEL_ID, np.uint16)
    counts: dict[int, int] = {}
    for s in segments:
        label_id = TOY_TO_CITYSCAPES_ID[s['label']]
        value = label_id
        if s['label'] < NUM_THINGS and not s['iscrowd']:
            k = counts.get(label_id, 0)
            counts[label_id] = k + 1
            value = label_id * 1000 + k
        inst[seg_map == s['id']] = value
    label_ids = np.where(inst >= 1000, inst // 1000, inst).astype(np.uint8)
    return inst, label_ids


def write_cityscapes_split(root, split: str, num_images: int, seed: int = 0,
                           height: int = 128, width: int = 128) -> dict:
    """Generate and write ``num_images`` scenes of ``split``; returns statistics."""
    if split not in CITYSCAPES_SPLITS:
        raise ValueError(f'unknown split {split!r}; expected one of {CITYSCAPES_SPLITS}')
    root = Path(root)
    stats = dict(images=0, things=0, crowd=0)
    for index in range(num_images):
        city, stem = cityscapes_stem(split, index)
        scene = make_scene(scene_seed(seed, split, CITYSCAPES_INDEX_OFFSET + index),
                           height, width)
        image, seg_map, segments = render(scene, t=0)
        inst, label_ids = cityscapes_maps(seg_map, segments)
        img_dir, gt_dir = (root / 'leftImg8bit' / split / city, root / 'gtFine' / split / city)
        img_dir.mkdir(parents=True, exist_ok=True)
        gt_dir.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(img_dir / f'{stem}_leftImg8bit.png')
        Image.fromarray(inst).save(gt_dir / f'{stem}_gtFine_instanceIds.png')
        Image.fromarray(label_ids).save(gt_dir / f'{stem}_gtFine_labelIds.png')
        stats['images'] += 1
        stats['things'] += sum(s['label'] < NUM_THINGS for s in segments)
        stats['crowd'] += sum(s['iscrowd'] for s in segments)
    return stats


def generate_toy_cityscapes(out, num_train: int = 8, num_val: int = 4, seed: int = 0,
                            size=(128, 128), force: bool = False, log=print) -> dict:
    """Write the toy Cityscapes release under ``<out>/cityscapes`` unless an identical one is
    there. Returns ``dict(root, skipped, stamp, stats={split: dict})``; regeneration first
    deletes only ``leftImg8bit/`` and ``gtFine/``."""
    height, width = (int(v) for v in size)
    if min(num_train, num_val) < 0:
        raise ValueError(f'image counts must be >= 0, got num_train={num_train}, '
                         f'num_val={num_val}')
    root = Path(out) / 'cityscapes'
    stamp = dict(generator='omgseg.datasets.toy.cityscapes_writer', version=TOY_VERSION,
                 args=dict(num_train=int(num_train), num_val=int(num_val), seed=int(seed),
                           height=height, width=width))
    required = [root / 'leftImg8bit' / s for s in CITYSCAPES_SPLITS]
    if not force and is_up_to_date(root, CITYSCAPES_STAMP_NAME, stamp, required):
        log(f'toy Cityscapes data in {root} is up to date ({stamp["args"]}); skipping '
            f'(use --force to regenerate)')
        return dict(root=root, skipped=True, stamp=stamp, stats={})
    (root / CITYSCAPES_STAMP_NAME).unlink(missing_ok=True)
    for sub in ('leftImg8bit', 'gtFine'):
        if (root / sub).is_dir():
            shutil.rmtree(root / sub)
    stats = {}
    for split, n in (('train', num_train), ('val', num_val)):
        (root / 'leftImg8bit' / split).mkdir(parents=True, exist_ok=True)
        stats[split] = write_cityscapes_split(root, split, n, seed, height, width)
    with open(root / CITYSCAPES_STAMP_NAME, 'w') as f:
        json.dump(stamp, f)
    log(f'wrote toy Cityscapes data to {root}: {stats}')
    return dict(root=root, skipped=False, stamp=stamp, stats=stats)


__all__ = ['CITYSCAPES_STAMP_NAME', 'CITYSCAPES_SPLITS', 'CITYSCAPES_TOY_CITIES',
           'CITYSCAPES_INDEX_OFFSET', 'TOY_TO_CITYSCAPES_ID', 'TOY_VOID_LABEL_ID',
           'cityscapes_stem', 'cityscapes_maps', 'write_cityscapes_split',
           'generate_toy_cityscapes']
