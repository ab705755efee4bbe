"""Convert the official Cityscapes gtFine release to COCO panoptic format (19 classes, things
first), the layout ``OMGCocoPanopticDataset`` reads with the ``cityscapes_panoptic`` vocabulary.

The command line is ``tools/dataset_converters/cityscapes.py``.

Input (the official ``leftImg8bit_trainvaltest.zip`` and ``gtFine_trainvaltest.zip``)::

    <root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_instanceIds.png

Every image needs its ``*_gtFine_instanceIds.png`` (16-bit: ``label id`` for pixels without an
instance, ``label id * 1000 + k`` for instance k). Output::

    <root>/annotations/cityscapes_panoptic_<split>.json
    <root>/annotations/cityscapes_panoptic_<split>/<city>/<city>_<seq>_<frame>_gtFine_panoptic.png

The json follows cityscapesScripts' ``createPanopticImgs.py --use-train-id`` with OMG-Seg's
modified trainIds: categories are the 19 evaluated classes, things first (category id = our
label 0..18: person .. bicycle, road .. sky); image ids are ``<city>_<seq>_<frame>``;
``file_name`` is the image path relative to ``leftImg8bit/<split>/``; the panoptic id of a
segment is its instanceIds value (PNG colour ``[id % 256, id // 256 % 256, id // 65536]``).
A value below 1000 of an instance class (a group of people or cars) is a crowd segment
(``iscrowd=1``); classes with ``ignoreInEval`` (parking, caravan, ego vehicle, ...) become void
(id 0). numpy and Pillow only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from omgseg.structures.panoptic_ids import id2rgb
from omgseg.vocab.lists.image import (CITYSCAPES_LABEL_IDS,
                                                    CITYSCAPES_STUFF_CLASSES,
                                                    CITYSCAPES_THING_CLASSES)
from omgseg.datasets.converters.common import (ConversionError, convert_panoptic_split,
                                               segment_box)

CLASSES = CITYSCAPES_THING_CLASSES + CITYSCAPES_STUFF_CLASSES
NUM_THINGS = len(CITYSCAPES_THING_CLASSES)
# cityscapesScripts helpers/labels.py: (label id, name) of every label; only the 19 ids in
# CITYSCAPES_LABEL_IDS are evaluated, all others (ignoreInEval) are void here.
LABEL_NAMES = {
    0: 'unlabeled', 1: 'ego vehicle', 2: 'rectification border', 3: 'out of roi', 4: 'static',
    5: 'dynamic', 6: 'ground', 7: 'road', 8: 'sidewalk', 9: 'parking', 10: 'rail track',
    11: 'building', 12: 'wall', 13: 'fence', 14: 'guard rail', 15: 'bridge', 16: 'tunnel',
    17: 'pole', 18: 'polegroup', 19: 'traffic light', 20: 'traffic sign', 21: 'vegetation',
    22: 'terrain', 23: 'sky', 24: 'person', 25: 'rider', 26: 'car', 27: 'truck', 28: 'bus',
    29: 'caravan', 30: 'trailer', 31: 'train', 32: 'motorcycle', 33: 'bicycle'}
# official label id -> our label (things first); ids missing here are void
LABEL_ID_TO_LABEL = {lid: label for label, lid in enumerate(CITYSCAPES_LABEL_IDS)}
# labels.py colours of the 19 classes (things first), for visualisation tools
COLORS = ((220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100),
          (0, 0, 230), (119, 11, 32), (128, 64, 128), (244, 35, 232), (70, 70, 70),
          (102, 102, 156), (190, 153, 153), (153, 153, 153), (250, 170, 30), (220, 220, 0),
          (107, 142, 35), (152, 251, 152), (70, 130, 180))
IMAGE_SUFFIX = '_leftImg8bit.png'
INSTANCE_SUFFIX = '_gtFine_instanceIds.png'
PANOPTIC_SUFFIX = '_gtFine_panoptic.png'
LAYOUT_HELP = ('expected the official layout <root>/leftImg8bit/<split>/<city>/*_leftImg8bit.png '
               'and <root>/gtFine/<split>/<city>/*_gtFine_instanceIds.png (unzip '
               'leftImg8bit_trainvaltest.zip and gtFine_trainvaltest.zip into <root>)')


def categories() -> list[dict]:
    """COCO-panoptic categories: id = our label (things first)."""
    return [dict(id=label, name=name, isthing=int(label < NUM_THINGS), color=list(COLORS[label]),
                 supercategory='cityscapes') for label, name in enumerate(CLASSES)]


def panoptic_from_instance_ids(inst: np.ndarray, source) -> tuple[np.ndarray, list[dict]]:
    """``*_instanceIds.png`` values ``(H, W)`` -> (panoptic ids ``(H, W)`` int64 with void 0,
    ``segments_info``), following ``createPanopticImgs.py``."""
    pan = np.zeros(inst.shape, np.int64)
    segments = []
    for value in np.unique(inst).tolist():
        label_id, crowd = (value, True) if value < 1000 else (value // 1000, False)
        if label_id not in LABEL_NAMES:
            raise ConversionError(f'{source}: value {value} is not a Cityscapes label id (0..33) '
                                  f'nor label id * 1000 + instance; is it an *_instanceIds.png?')
        if label_id not in LABEL_ID_TO_LABEL:
            continue  # ignoreInEval label: void
        label = LABEL_ID_TO_LABEL[label_id]
        mask = inst == value
        pan[mask] = value
        segments.append(dict(id=int(value), category_id=label, area=int(mask.sum()),
                             bbox=segment_box(mask), iscrowd=int(crowd and label < NUM_THINGS)))
    return pan, segments


def _convert_one(job: tuple) -> tuple[dict, dict]:
    """One image: read instanceIds, write the panoptic PNG; returns (image, annotation)."""
    image_path, inst_path, pan_path, image_id, file_name, pan_name = job
    if not inst_path.is_file():
        raise ConversionError(f'ground truth {inst_path} of image {image_path} is missing; '
                              f'{LAYOUT_HELP}')
    try:
        with Image.open(inst_path) as im:
            inst = np.asarray(im).astype(np.int64)
        with Image.open(image_path) as im:
            width, height = im.size
    except OSError as err:
        raise ConversionError(f'cannot read {inst_path} or {image_path} ({err}); re-extract '
                              f'the archive') from None
    if inst.ndim != 2:
        raise ConversionError(f'{inst_path}: expected a single-channel 16-bit instanceIds PNG, '
                              f'got an array of shape {inst.shape}')
    if inst.shape != (height, width):
        raise ConversionError(f'{inst_path} is {inst.shape[1]}x{inst.shape[0]} but its image '
                              f'{image_path} is {width}x{height}')
    pan, segments = panoptic_from_instance_ids(inst, inst_path)
    pan_path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(id2rgb(pan)).save(pan_path)
    return (dict(id=image_id, file_name=file_name, height=height, width=width),
            dict(image_id=image_id, file_name=pan_name, segments_info=segments))


def list_jobs(root: Path, split: str, out_png_dir: Path) -> list[tuple]:
    """One job per ``leftImg8bit/<split>/<city>/*_leftImg8bit.png``, sorted by path."""
    img_dir = root / 'leftImg8bit' / split
    images = sorted(img_dir.glob(f'*/*{IMAGE_SUFFIX}'))
    if not images:
        raise ConversionError(f'no images {img_dir}/<city>/*{IMAGE_SUFFIX}; {LAYOUT_HELP}')
    jobs = []
    for path in images:
        city, image_id = path.parent.name, path.name[:-len(IMAGE_SUFFIX)]
        inst = root / 'gtFine' / split / city / f'{image_id}{INSTANCE_SUFFIX}'
        pan_name = f'{city}/{image_id}{PANOPTIC_SUFFIX}'
        jobs.append((path, inst, out_png_dir / pan_name, image_id, f'{city}/{path.name}',
                     pan_name))
    return jobs


def convert_split(root, split: str, *, nproc: int = 1, out_dir=None, log=print) -> Path:
    """Convert one split; returns the written json path."""
    root = Path(root)
    out_dir = Path(out_dir) if out_dir else root / 'annotations'
    out_json = out_dir / f'cityscapes_panoptic_{split}.json'
    jobs = list_jobs(root, split, out_dir / f'cityscapes_panoptic_{split}')
    convert_panoptic_split(jobs, _convert_one, out_json, categories(), nproc=nproc, split=split,
                           log=log)
    return out_json


def convert(root, splits=('train', 'val'), *, nproc: int = 1, out_dir=None,
            log=print) -> dict:
    """Convert every split in ``splits``; returns ``{split: json path}``."""
    root = Path(root)
    if not root.is_dir():
        raise ConversionError(f'Cityscapes root {root} does not exist; {LAYOUT_HELP}')
    if nproc < 1:
        raise ConversionError(f'--nproc must be >= 1, got {nproc}')
    return {s: convert_split(root, s, nproc=nproc, out_dir=out_dir, log=log) for s in splits}
