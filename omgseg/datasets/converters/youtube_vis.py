"""Convert official YouTube-VIS annotations to the COCO-video layout the video datasets read.

The command line is ``tools/dataset_converters/youtube_vis.py``.

Inputs per split (train, valid, test; the first one found is used):
``<root>/<split>/instances.json`` (2021 layout, also used by some 2019 copies) or
``<root>/<split>.json`` (the original 2019 layout), or an explicit ``ann_files={split: path}``.
Frames are expected in ``<root>/<split>/JPEGImages/<video>/``.

Outputs ``<root>/annotations/youtube_vis_<version>_<split>.json`` = {"videos": [{"id",
"name", "width", "height", "length"}], "images": [{"id", "video_id", "frame_id", "file_name",
"width", "height"}], "annotations": [{"id", "video_id", "image_id", "instance_id",
"category_id", "segmentation", "bbox", "area", "iscrowd"}] (one per frame where the object is
present), "categories": [{"id", "name"} (+ "synonyms" where given)]}. Only train keeps annotations (the official valid /
test annotations are private). ``holdout=N`` moves N seeded-random train videos into a
``holdout`` split (annotated COCO-video json plus ``youtube_vis_<version>_holdout_gt.json`` in
the official raw format, for local AP) and removes them from the train json.

No torch import: numpy and the json module only (pycocotools only to fill a missing box).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from omgseg.datasets.converters.common import ConversionError

SPLITS = ('train', 'valid', 'test')
ANNOTATED_SPLITS = ('train', 'holdout')
LAYOUT_HELP = ('expected the official layout: <root>/<split>/instances.json (2021) or '
               '<root>/<split>.json (2019), frames in <root>/<split>/JPEGImages/<video>/; '
               'or pass --ann-file <split>=<path>')


def candidate_paths(root, split: str) -> list:
    root = Path(root)
    return [root / split / 'instances.json', root / f'{split}.json']


def find_annotation_file(root, split: str) -> Path | None:
    """The first existing official annotation file of ``split`` under ``root``, else None."""
    return next((p for p in candidate_paths(root, split) if p.is_file()), None)


def load_raw(path) -> dict:
    """Read and validate the structure of an official annotation json."""
    path = Path(path)
    if not path.is_file():
        raise ConversionError(f'annotation file {path} does not exist; {LAYOUT_HELP}')
    try:
        with open(path) as f:
            raw = json.load(f)
    except ValueError as err:
        raise ConversionError(f'{path} is not valid json ({err})') from None
    for key in ('videos', 'categories'):
        if not isinstance(raw, dict) or key not in raw:
            raise ConversionError(f'{path} has no "{key}" list; is it a YouTube-VIS '
                                  f'instances json?')
    raw.setdefault('annotations', [])
    return raw


def video_name(video: dict, source) -> str:
    names = video.get('file_names') or []
    if not names:
        raise ConversionError(f'{source}: video id {video.get("id")} has no "file_names"')
    return names[0].replace('\\', '/').split('/')[0]


def validate(raw: dict, source, frame_root=None):
    """Check lengths, category ids and (if ``frame_root`` is given) frame directories."""
    cat_ids = {c['id'] for c in raw['categories']}
    videos = {}
    for v in raw['videos']:
        n = len(v.get('file_names') or [])
        if v.get('length', n) != n:
            raise ConversionError(f'{source}: video id {v["id"]} has length {v["length"]} but '
                                  f'{n} file_names; fix the json (they must agree)')
        if v['id'] in videos:
            raise ConversionError(f'{source}: video id {v["id"]} appears twice')
        videos[v['id']] = v
        if frame_root is not None:
            folder = Path(frame_root) / video_name(v, source)
            if not folder.is_dir():
                raise ConversionError(
                    f'{source}: frame directory {folder} of video id {v["id"]} is missing; '
                    f'extract the JPEGImages archive there ({LAYOUT_HELP})')
    for a in raw['annotations']:
        where = f'{source}: annotation id {a.get("id")} (video id {a.get("video_id")})'
        if a.get('video_id') not in videos:
            raise ConversionError(f'{where} refers to an unknown video')
        if a.get('category_id') not in cat_ids:
            raise ConversionError(f'{where} has unknown category_id {a.get("category_id")}; '
                                  f'known ids: {sorted(cat_ids)}')
        length = len(videos[a['video_id']]['file_names'])
        for key in ('segmentations', 'areas', 'bboxes'):
            if key in a and len(a[key]) != length:
                raise ConversionError(f'{where}: "{key}" has {len(a[key])} entries but the '
                                      f'video has {length} frames; one entry (or null) per '
                                      f'frame is required')
        if 'segmentations' not in a:
            raise ConversionError(f'{where} has no "segmentations" list')


def _box_area(segm, height, width):
    """(bbox [x, y, w, h], area) of a per-frame segmentation (RLE or polygons)."""
    from pycocotools import mask as mask_utils
    if isinstance(segm, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    elif isinstance(segm.get('counts'), list):
        rle = mask_utils.frPyObjects(segm, height, width)
    else:
        rle = dict(segm, counts=segm['counts'].encode('ascii'))
    return [float(v) for v in mask_utils.toBbox(rle)], float(mask_utils.area(rle))


def _category(cat: dict) -> dict:
    """id and name of a category, and its synonyms where given (a custom dataset's
    vocabulary, ``from_annotations``, reads them)."""
    out = dict(id=cat['id'], name=cat['name'])
    if cat.get('synonyms'):
        out['synonyms'] = list(cat['synonyms'])
    return out


def to_cocovid(raw: dict, with_annotations: bool, source='<json>') -> dict:
    """Official raw dict -> COCO-video dict (ids of videos kept; images / annotations /
    instance ids numbered from 1 in video order)."""
    out = dict(videos=[], images=[], annotations=[],
               categories=[_category(c) for c in raw['categories']])
    by_video = {}
    for a in raw['annotations'] if with_annotations else ():
        by_video.setdefault(a['video_id'], []).append(a)
    next_instance = 1
    for v in raw['videos']:
        name, n = video_name(v, source), len(v['file_names'])
        out['videos'].append(dict(id=v['id'], name=name, width=v['width'], height=v['height'],
                                  length=n))
        first_image = len(out['images']) + 1
        for t, fname in enumerate(v['file_names']):
            out['images'].append(dict(id=first_image + t, video_id=v['id'], frame_id=t,
                                      file_name=fname.replace('\\', '/'), width=v['width'],
                                      height=v['height']))
        for a in by_video.get(v['id'], ()):
            instance_id, next_instance = next_instance, next_instance + 1
            for t, segm in enumerate(a['segmentations']):
                if segm is None:
                    continue  # object absent in this frame
                bbox = (a.get('bboxes') or [None] * n)[t]
                area = (a.get('areas') or [None] * n)[t]
                if bbox is None or area is None:
                    bbox, area = _box_area(segm, v['height'], v['width'])
                out['annotations'].append(dict(
                    id=len(out['annotations']) + 1, video_id=v['id'], image_id=first_image + t,
                    instance_id=instance_id, category_id=a['category_id'], segmentation=segm,
                    bbox=bbox, area=area, iscrowd=a.get('iscrowd', 0)))
    return out


def split_holdout(raw: dict, num: int, seed: int = 0) -> tuple:
    """Move ``num`` seeded-random videos (and their annotations) out of ``raw``.

    Returns ``(rest, holdout)``, two raw dicts that keep the input order of videos."""
    n_videos = len(raw['videos'])
    if not 0 <= num <= n_videos:
        raise ConversionError(f'--holdout {num}: the train split has {n_videos} videos')
    picked = np.random.default_rng(seed).choice(n_videos, size=num, replace=False)
    held_ids = {raw['videos'][i]['id'] for i in picked.tolist()}

    def subset(keep):
        return dict({k: v for k, v in raw.items() if k not in ('videos', 'annotations')},
                    videos=[v for v in raw['videos'] if (v['id'] in held_ids) == keep],
                    annotations=[a for a in raw['annotations']
                                 if (a['video_id'] in held_ids) == keep])
    return subset(False), subset(True)


def _dump(obj, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def convert(root, version: str, *, holdout: int = 0, seed: int = 0, ann_files=None,
            check_frames: bool = True, log=print) -> dict:
    """Convert every split found under ``root``; returns ``{split: output path}``
    (``holdout_gt`` for the raw holdout ground truth)."""
    root = Path(root)
    if not re.fullmatch(r'[A-Za-z0-9_]+', str(version)):
        raise ConversionError(f'--version {version!r}: use letters, digits or _ (2019, 2021)')
    ann_files = {k: Path(v) for k, v in (ann_files or {}).items()}
    unknown = set(ann_files) - set(SPLITS)
    if unknown:
        raise ConversionError(f'--ann-file: unknown split(s) {sorted(unknown)}; use {SPLITS}')
    found = {s: ann_files.get(s) or find_annotation_file(root, s) for s in SPLITS}
    if not any(found.values()):
        tried = [str(p) for s in SPLITS for p in candidate_paths(root, s)]
        raise ConversionError(f'no YouTube-VIS annotation file found; tried {tried}; '
                              f'{LAYOUT_HELP}')
    if holdout and not found['train']:
        raise ConversionError(f'--holdout needs the train split; tried '
                              f'{[str(p) for p in candidate_paths(root, "train")]}')
    outputs = {}
    out_dir = root / 'annotations'
    for split, path in found.items():
        if path is None:
            log(f'{split}: no annotation file at {[str(p) for p in candidate_paths(root, split)]}'
                f', skipped')
            continue
        raw = load_raw(path)
        frame_root = root / split / 'JPEGImages' if check_frames else None
        validate(raw, path, frame_root)
        parts = [(split, raw)]
        if split == 'train' and holdout:
            rest, held = split_holdout(raw, holdout, seed)
            parts = [('train', rest), ('holdout', held)]
            outputs['holdout_gt'] = out_dir / f'youtube_vis_{version}_holdout_gt.json'
            _dump(held, outputs['holdout_gt'])
        for name, part in parts:
            coco = to_cocovid(part, with_annotations=name in ANNOTATED_SPLITS, source=path)
            outputs[name] = out_dir / f'youtube_vis_{version}_{name}.json'
            _dump(coco, outputs[name])
            log(f'{name}: {len(coco["videos"])} videos, {len(coco["images"])} frames, '
                f'{len(coco["annotations"])} frame annotations -> {outputs[name]}')
    return outputs
