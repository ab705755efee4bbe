"""Toy-world scenes written as a *generic* user dataset: the formats a user brings (COCO
panoptic images, official YouTube-VIS videos) under class names and category ids that no
built-in vocabulary knows, so the custom-dataset path (``docs/custom_dataset.md``) is
exercised end to end.

The toy classes are renamed (``GENERIC_CATEGORIES``: person -> kettle, ..., road ->
table-top with synonyms); category ids are non-contiguous (the vocabulary must come from the
file). Layouts::

    <root>/images/{train,val}/<stem>.jpg                     (COCO panoptic)
    <root>/annotations/panoptic_{train,val}.json, panoptic_{train,val}/<stem>.png
    <root>/annotations/instances_{train,val}.json             (COCO instances, things only)
    <root>/{train,valid}/JPEGImages/<video>/<frame>.jpg       (YouTube-VIS, official)
    <root>/{train,valid}/instances.json
"""
from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from .coco_writer import id2rgb
from .video import iter_video_frames, make_video_scene
from .world import CATEGORIES, make_scene, render, scene_seed
from .ytvis_writer import _rle

# (toy name, generic name, generic id, synonyms); things first, as the toy world's categories
_RENAME = (
    ('person', 'kettle', 101, ()), ('bicycle', 'mug', 103, ('cup',)),
    ('car', 'bowl', 105, ()), ('bird', 'spoon', 107, ()), ('dog', 'jar', 109, ()),
    ('road', 'table-top', 202, ('tabletop', 'counter')), ('sky', 'wall', 204, ()),
    ('grass', 'tablecloth', 206, ()),
)
GENERIC_CATEGORIES = tuple(
    dict(id=gid, name=name, isthing=int(cat['isthing']), supercategory='kitchen',
         **({'synonyms': list(syn)} if syn else {}))
    for (toy, name, gid, syn), cat in zip(_RENAME, CATEGORIES))
_TOY_TO_GENERIC = {cat['id']: gid for (_, _, gid, _), cat in zip(_RENAME, CATEGORIES)}
_SEED_OFFSET = 11


def _dump(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def write_generic_coco_panoptic(root, *, num_train: int = 6, num_val: int = 3,
                                size: tuple[int, int] = (64, 64), seed: int = 0) -> dict:
    """Write a COCO-panoptic dataset of renamed toy scenes under ``root``, and the same
    things as a COCO instances json (RLE, things only).

    Returns ``{split: dict(ann_file, img_dir, seg_dir, instances_file)}`` (paths relative to
    ``root``).
    """
    root, (height, width) = Path(root), size
    out = {}
    for split, count in (('train', num_train), ('val', num_val)):
        img_dir, seg_dir = Path('images') / split, Path('annotations') / f'panoptic_{split}'
        (root / img_dir).mkdir(parents=True, exist_ok=True)
        (root / seg_dir).mkdir(parents=True, exist_ok=True)
        images, annotations, instances = [], [], []
        for index in range(count):
            scene = make_scene(scene_seed(seed + _SEED_OFFSET, split, index), height, width)
            image, seg_map, segments = render(scene, t=0)
            stem = f'{split}_{index:04d}'
            Image.fromarray(image).save(root / img_dir / f'{stem}.jpg', quality=95)
            Image.fromarray(id2rgb(seg_map)).save(root / seg_dir / f'{stem}.png')
            images.append(dict(id=index + 1, file_name=f'{stem}.jpg', height=height,
                               width=width))
            annotations.append(dict(image_id=index + 1, file_name=f'{stem}.png', segments_info=[
                dict(id=s['id'], category_id=_TOY_TO_GENERIC[s['category_id']],
                     iscrowd=s['iscrowd'], bbox=list(s['bbox']), area=s['area'])
                for s in segments]))
            instances += [dict(id=len(instances) + k + 1, image_id=index + 1,
                               category_id=_TOY_TO_GENERIC[s['category_id']],
                               segmentation=_rle(seg_map == s['id']), area=s['area'],
                               bbox=[float(v) for v in s['bbox']], iscrowd=s['iscrowd'])
                          for k, s in enumerate(x for x in segments if x['isthing'])]
        ann_file = Path('annotations') / f'panoptic_{split}.json'
        _dump(dict(images=images, annotations=annotations,
                   categories=[dict(c) for c in GENERIC_CATEGORIES]), root / ann_file)
        inst_file = Path('annotations') / f'instances_{split}.json'
        _dump(dict(images=images, annotations=instances,
                   categories=[{k: v for k, v in c.items() if k != 'isthing'}
                               for c in GENERIC_CATEGORIES if c['isthing']]), root / inst_file)
        out[split] = dict(ann_file=str(ann_file), img_dir=str(img_dir), seg_dir=str(seg_dir),
                          instances_file=str(inst_file))
    return out


def write_generic_ytvis(root, *, num_train: int = 3, num_val: int = 2, num_frames: int = 6,
                        size: tuple[int, int] = (64, 64), seed: int = 0) -> dict:
    """Write an official-layout YouTube-VIS dataset of renamed toy videos (things only, as
    YouTube-VIS) under ``root``; both splits keep their annotations.

    Returns ``{split: path of its instances.json}`` for ``train`` and ``valid``.
    """
    root, (height, width) = Path(root), size
    things = [c for c in GENERIC_CATEGORIES if c['isthing']]
    out = {}
    for split, stream, count in (('train', 'train', num_train), ('valid', 'val', num_val)):
        videos, annotations = [], []
        for index in range(count):
            name = f'{split}_video_{index:03d}'
            scene = make_video_scene(seed + _SEED_OFFSET, stream, index, height, width,
                                     num_frames)
            tracks: dict[int, dict] = {}
            file_names = []
            for t, (image, seg_map, segments) in enumerate(iter_video_frames(scene, num_frames)):
                file_names.append(f'{name}/{t:05d}.jpg')
                frame = root / split / 'JPEGImages' / file_names[-1]
                frame.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(image).save(frame, quality=95)
                for s in segments:
                    if not s['isthing']:
                        continue
                    track = tracks.setdefault(s['track_id'], dict(
                        category_id=_TOY_TO_GENERIC[s['category_id']],
                        segmentations=[None] * num_frames, areas=[None] * num_frames,
                        bboxes=[None] * num_frames))
                    track['segmentations'][t] = _rle(seg_map == s['id'])
                    track['areas'][t] = int(s['area'])
                    track['bboxes'][t] = [float(v) for v in s['bbox']]
            videos.append(dict(id=index + 1, width=width, height=height, length=num_frames,
                               file_names=file_names))
            for track_id in sorted(tracks):
                annotations.append(dict(id=len(annotations) + 1, video_id=index + 1, iscrowd=0,
                                        height=height, width=width, **tracks[track_id]))
        out[split] = root / split / 'instances.json'
        _dump(dict(videos=videos, annotations=annotations,
                   categories=[{k: v for k, v in c.items() if k != 'isthing'} for c in things]),
              out[split])
    return out


__all__ = ['GENERIC_CATEGORIES', 'write_generic_coco_panoptic', 'write_generic_ytvis']
