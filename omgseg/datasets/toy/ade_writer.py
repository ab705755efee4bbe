"""Write toy-world scenes in the raw ADEChallengeData2016 layout (images, SceneParsing
semantic maps, instance-challenge instance maps), for
``tools/dataset_converters/ade20k_panoptic.py`` to convert.

Layout under ``<out>/ade/ADEChallengeData2016``::

    images/{training,validation}/ADE_{train,val}_<8 digits>.jpg
    annotations/{training,validation}/ADE_*.png            uint8 ADE150 class, 0 = other
    annotations_instance/{training,validation}/ADE_*.png   RGB: R = instance class 1..100,
                                                           G = instance id 1.., B = 0
    .toy_meta.json                                  (generator version + arguments; last)

Toy classes become ADE150 classes (``TOY_TO_ADE150``; bird and dog both become ``animal``).
Crowds are drawn in the semantic map only (no instance), like unannotated ADE thing pixels,
so the conversion turns them into void.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from omgseg.vocab.lists.image import ADE20K_INSTANCE_TO_SEMANTIC
from .coco_writer import TOY_VERSION
from .video import is_up_to_date
from .world import NUM_THINGS, make_scene, render, scene_seed

ADE_STAMP_NAME = '.toy_meta.json'
ADE_SPLITS = {'train': 'training', 'val': 'validation'}
ADE_INDEX_OFFSET = 700_000  # scene seeds disjoint from the other toy datasets
# ADE150 class of each toy label: person, bicycle, car, bird -> animal, dog -> animal,
# road, sky, grass
TOY_TO_ADE150 = (13, 128, 21, 127, 127, 7, 3, 10)
ADE_ROOT_NAME = 'ade/ADEChallengeData2016'


def ade_stem(split: str, index: int) -> str:
    """File stem of toy image ``index`` of ``split`` (``ADE_val_00000001``)."""
    return f'ADE_{split}_{index + 1:08d}'


def ade_maps(seg_map: np.ndarray, segments: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Toy panoptic ids ``(H, W)`` + segments -> (semantic uint8 ``(H, W)``, instance uint8
    ``(H, W, 3)``)."""
    sem = np.zeros(seg_map.shape, np.uint8)
    inst = np.zeros(seg_map.shape + (3,), np.uint8)
    n = 0
    for s in segments:
        ade = TOY_TO_ADE150[s['label']]
        mask = seg_map == s['id']
        sem[mask] = ade
        if s['label'] < NUM_THINGS and not s['iscrowd']:
            n += 1
            inst[mask, 0] = ADE20K_INSTANCE_TO_SEMANTIC.index(ade) + 1
            inst[mask, 1] = n
    return sem, inst


def write_ade_split(root, split: str, num_images: int, seed: int = 0, height: int = 128,
                    width: int = 128) -> dict:
    """Generate and write ``num_images`` scenes of ``split``; returns statistics."""
    if split not in ADE_SPLITS:
        raise ValueError(f'unknown split {split!r}; expected one of {sorted(ADE_SPLITS)}')
    root, folder = Path(root), ADE_SPLITS[split]
    dirs = [root / sub / folder for sub in ('images', 'annotations', 'annotations_instance')]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    stats = dict(images=0, things=0, crowd=0)
    for index in range(num_images):
        stem = ade_stem(split, index)
        scene = make_scene(scene_seed(seed, split, ADE_INDEX_OFFSET + index), height, width)
        image, seg_map, segments = render(scene, t=0)
        sem, inst = ade_maps(seg_map, segments)
        Image.fromarray(image).save(dirs[0] / f'{stem}.jpg', format='JPEG', quality=95,
                                    subsampling=0)
        Image.fromarray(sem).save(dirs[1] / f'{stem}.png')
        Image.fromarray(inst).save(dirs[2] / f'{stem}.png')
        stats['images'] += 1
        stats['things'] += sum(s['label'] < NUM_THINGS for s in segments)
        stats['crowd'] += sum(s['iscrowd'] for s in segments)
    return stats


def generate_toy_ade20k(out, num_train: int = 8, num_val: int = 4, seed: int = 0,
                        size=(128, 128), force: bool = False, log=print) -> dict:
    """Write the toy ADEChallengeData2016 under ``<out>/ade/ADEChallengeData2016`` unless an
    identical one is there. Returns ``dict(root, skipped, stamp, stats={split: dict})``;
    regeneration first deletes only the three raw folders."""
    height, width = (int(v) for v in size)
    if min(num_train, num_val) < 0:
        raise ValueError(f'image counts must be >= 0, got num_train={num_train}, '
                         f'num_val={num_val}')
    root = Path(out) / ADE_ROOT_NAME
    stamp = dict(generator='omgseg.datasets.toy.ade_writer', version=TOY_VERSION,
                 args=dict(num_train=int(num_train), num_val=int(num_val), seed=int(seed),
                           height=height, width=width))
    required = [root / 'images' / f for f in ADE_SPLITS.values()]
    if not force and is_up_to_date(root, ADE_STAMP_NAME, stamp, required):
        log(f'toy ADE20K data in {root} is up to date ({stamp["args"]}); skipping '
            f'(use --force to regenerate)')
        return dict(root=root, skipped=True, stamp=stamp, stats={})
    (root / ADE_STAMP_NAME).unlink(missing_ok=True)
    for sub in ('images', 'annotations', 'annotations_instance'):
        if (root / sub).is_dir():
            shutil.rmtree(root / sub)
    stats = {split: write_ade_split(root, split, n, seed, height, width)
             for split, n in (('train', num_train), ('val', num_val))}
    with open(root / ADE_STAMP_NAME, 'w') as f:
        json.dump(stamp, f)
    log(f'wrote toy ADE20K data to {root}: {stats}')
    return dict(root=root, skipped=False, stamp=stamp, stats=stats)


__all__ = ['ADE_STAMP_NAME', 'ADE_SPLITS', 'ADE_INDEX_OFFSET', 'TOY_TO_ADE150', 'ADE_ROOT_NAME',
           'ade_stem', 'ade_maps', 'write_ade_split', 'generate_toy_ade20k']
