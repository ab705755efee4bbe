"""Convert ADEChallengeData2016 (SceneParsing semantic maps + the instance-challenge instance
maps) to COCO panoptic format with 150 classes, things first, the layout
``OMGCocoPanopticDataset`` reads with the ``ade20k_panoptic`` vocabulary.

The command line is ``tools/dataset_converters/ade20k_panoptic.py``.

Input (``ADEChallengeData2016.zip`` plus ``annotations_instance.tar`` of the ADE20K instance
challenge, extracted into the same folder)::

    <root>/images/{training,validation}/ADE_*.jpg
    <root>/annotations/{training,validation}/ADE_*.png            uint8: ADE150 class 1..150,
                                                                   0 = other (void)
    <root>/annotations_instance/{training,validation}/ADE_*.png   RGB: R = instance-challenge
                                                                   class 1..100, G = instance
                                                                   id (0 = no instance)

Output::

    <root>/ade20k_panoptic_{train,val}.json
    <root>/ade20k_panoptic_{train,val}/ADE_*.png      (id = R + 256 G + 256^2 B)

The rule is Mask2Former's ``datasets/prepare_ade20k_pan_seg.py``: stuff segments come from
the semantic map (one per stuff class present); thing segments come from the instance map (one
per non-zero G value, its class from R through ``ade20k_instance_catid_mapping.txt``) and are
pasted over the stuff. Semantic pixels of a thing class that no instance covers stay void.
Unlike Mask2Former's json (category ids 0..149 in ADE150 order) and mmdet's converter (which
skips the R-channel mapping), category ids here are our labels: things 0..99 then stuff
100..149, as OMG-Seg's ``ADEPanopticOVDataset`` expects. Segment ids: stuff
``label + 1``, the n-th thing ``1000 n + label + 1``. Image ids are the file stems
(``ADE_val_00000001``). numpy and Pillow only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from omgseg.structures.panoptic_ids import id2rgb
from omgseg.vocab.lists.image import (ADE20K_INSTANCE_TO_SEMANTIC,
                                                    ADE20K_SEMANTIC_IDS, ADE20K_STUFF,
                                                    ADE20K_THINGS)
from omgseg.datasets.converters.common import (ConversionError, convert_panoptic_split,
                                               segment_box)

CLASSES = tuple(n for _, n in ADE20K_THINGS + ADE20K_STUFF)
NUM_THINGS = len(ADE20K_THINGS)
SPLITS = {'train': 'training', 'val': 'validation'}
# ADE150 index (0..150) -> our label, -1 = void; instance class (0..255) -> our label, -1 = none
SEMANTIC_TO_LABEL = np.full(256, -1, np.int64)
SEMANTIC_TO_LABEL[list(ADE20K_SEMANTIC_IDS)] = np.arange(len(CLASSES))
INSTANCE_TO_LABEL = np.full(256, -1, np.int64)
INSTANCE_TO_LABEL[1:len(ADE20K_INSTANCE_TO_SEMANTIC) + 1] = SEMANTIC_TO_LABEL[
    list(ADE20K_INSTANCE_TO_SEMANTIC)]
LAYOUT_HELP = ('expected <root>/images/<training|validation>/*.jpg, '
               '<root>/annotations/<...>/*.png (ADEChallengeData2016.zip) and '
               '<root>/annotations_instance/<...>/*.png (annotations_instance.tar of the ADE20K '
               'instance challenge) with the same stems')


def categories() -> list[dict]:
    """COCO-panoptic categories: id = our label (things first)."""
    return [dict(id=label, name=name, isthing=int(label < NUM_THINGS),
                 supercategory='ade20k') for label, name in enumerate(CLASSES)]


def panoptic_from_ade(sem: np.ndarray, inst: np.ndarray,
                      source) -> tuple[np.ndarray, list[dict]]:
    """Semantic ``(H, W)`` uint8 and instance ``(H, W, 3)`` uint8 maps -> (panoptic ids
    ``(H, W)`` int64 with void 0, ``segments_info``)."""
    pan = np.zeros(sem.shape, np.int64)
    stuff_labels = SEMANTIC_TO_LABEL[sem]
    bad = np.unique(sem[(stuff_labels < 0) & (sem != 0)])
    if bad.size:
        raise ConversionError(f'{source}: semantic values {bad.tolist()} are not ADE150 classes '
                              f'(0..150)')
    for label in np.unique(stuff_labels[stuff_labels >= NUM_THINGS]).tolist():
        pan[stuff_labels == label] = label + 1
    inst_cls, inst_ids = inst[..., 0], inst[..., 1]
    things = []
    for k in np.unique(inst_ids[inst_ids > 0]).tolist():
        mask = inst_ids == k
        classes = np.unique(inst_cls[mask]).tolist()
        if len(classes) != 1 or INSTANCE_TO_LABEL[classes[0]] < 0:
            raise ConversionError(f'{source}: instance {k} (G channel) has R-channel class(es) '
                                  f'{classes}; expected exactly one instance-challenge class '
                                  f'1..100')
        label = int(INSTANCE_TO_LABEL[classes[0]])
        pan[mask] = 1000 * (len(things) + 1) + label + 1
        things.append(label)
    segments = []
    for value in np.unique(pan[pan > 0]).tolist():
        mask = pan == value
        segments.append(dict(id=int(value), category_id=int(value % 1000 - 1),
                             area=int(mask.sum()), bbox=segment_box(mask), iscrowd=0))
    return pan, segments


def _read(path: Path, what: str) -> np.ndarray:
    if not path.is_file():
        raise ConversionError(f'{what} {path} is missing; {LAYOUT_HELP}')
    try:
        with Image.open(path) as im:
            return np.asarray(im)
    except OSError as err:
        raise ConversionError(f'cannot read {what} {path} ({err}); re-extract it') from None


def _convert_one(job: tuple) -> tuple[dict, dict]:
    """One image: read both maps, write the panoptic PNG; returns (image, annotation)."""
    image_path, sem_path, inst_path, pan_path = job
    try:
        with Image.open(image_path) as im:  # reads the header only
            width, height = im.size
    except OSError as err:
        raise ConversionError(f'cannot read image {image_path} ({err}); re-extract it') from None
    sem = _read(sem_path, 'semantic PNG')
    inst = _read(inst_path, 'instance PNG')
    if sem.ndim != 2 or sem.dtype != np.uint8:
        raise ConversionError(f'{sem_path}: expected a single-channel uint8 PNG of ADE150 '
                              f'classes, got {sem.dtype} of shape {sem.shape}')
    if inst.ndim != 3 or inst.shape[-1] < 3 or inst.dtype != np.uint8:
        raise ConversionError(f'{inst_path}: expected an RGB uint8 instance PNG (R = class, '
                              f'G = instance), got {inst.dtype} of shape {inst.shape}')
    for path, arr in ((sem_path, sem), (inst_path, inst)):
        if arr.shape[:2] != (height, width):
            raise ConversionError(f'{path} is {arr.shape[1]}x{arr.shape[0]} but its image '
                                  f'{image_path} is {width}x{height}')
    pan, segments = panoptic_from_ade(sem, inst[..., :3], inst_path)
    Image.fromarray(id2rgb(pan)).save(pan_path)
    stem = image_path.stem
    return (dict(id=stem, file_name=image_path.name, height=height, width=width),
            dict(image_id=stem, file_name=f'{stem}.png', segments_info=segments))


def convert_split(root, split: str, *, nproc: int = 1, log=print) -> Path:
    """Convert one split (``train`` or ``val``); returns the written json path."""
    root = Path(root)
    if split not in SPLITS:
        raise ConversionError(f'unknown split {split!r}; use {sorted(SPLITS)}')
    folder = SPLITS[split]
    images = sorted((root / 'images' / folder).glob('*.jpg'))
    if not images:
        raise ConversionError(f'no images {root / "images" / folder}/*.jpg; {LAYOUT_HELP}')
    out_dir = root / f'ade20k_panoptic_{split}'
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(p, root / 'annotations' / folder / f'{p.stem}.png',
             root / 'annotations_instance' / folder / f'{p.stem}.png', out_dir / f'{p.stem}.png')
            for p in images]
    out_json = root / f'ade20k_panoptic_{split}.json'
    convert_panoptic_split(jobs, _convert_one, out_json, categories(), nproc=nproc, split=split,
                           log=log, chunksize=8)
    return out_json


def convert(root, splits=('train', 'val'), *, nproc: int = 1, log=print) -> dict:
    """Convert every split in ``splits``; returns ``{split: json path}``."""
    root = Path(root)
    if not root.is_dir():
        raise ConversionError(f'ADEChallengeData2016 root {root} does not exist; {LAYOUT_HELP}')
    if nproc < 1:
        raise ConversionError(f'--nproc must be >= 1, got {nproc}')
    return {s: convert_split(root, s, nproc=nproc, log=log) for s in splits}
