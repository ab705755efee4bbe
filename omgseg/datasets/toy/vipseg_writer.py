"""Write toy videos in the official VIPSeg (720p release) layout, plus its VPQ ground truth.

Layout under ``<out>/vipseg``::

    imgs/<video>/00000000.jpg ...          panomasks/<video>/00000000.png   (16-bit panomask)
    train.txt, val.txt                     (video names, one per line)
    panomasksRGB/<video>/00000000.png      (RGB, id = R + 256 G + 256^2 B = panomask value)
    panoptic_gt_VIPSeg_{train,val}.json    (VPQ ground truth, see below)
    panoVIPSeg_categories.json             (raw categories: id, name, isthing, color)
    .toy_meta.json                         (generator version + arguments)

Panomask values follow :mod:`omgseg.datasets.vipseg_format` with the toy table
``VIPSEG_RAW_CLASS_IDS``: void 0, stuff ``raw + 1``, things ``(raw + 1) * 100 + track_id``.
The VPQ json is ``{"videos": [{"video_id", "images": [{"file_name", "id", "height",
"width"}]}], "annotations": [{"video_id", "annotations": [{"file_name", "image_id",
"segments_info": [{"id", "category_id", "iscrowd", "area", "bbox"}]}]}], "categories":
[{"id", "name", "isthing", "color"}]}`` with raw class ids as category ids, as the official
``create_panoptic_video_labels.py`` + ``splitjson.py`` produce it for ``eval_vpq_vspw.py``.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from omgseg.datasets.vipseg_format import encode_panomask, raw_class_of
from omgseg.vocab.lists.toy import VIPSEG_RAW_CLASS_IDS

from .coco_writer import TOY_VERSION, id2rgb
from .video import is_up_to_date, iter_video_frames, make_video_scene
from .world import CATEGORIES, NUM_THINGS

VIPSEG_STAMP_NAME = '.toy_meta.json'
VIPSEG_SPLITS = ('train', 'val')
VIPSEG_RAW_CATEGORIES = tuple(sorted(
    (dict(id=int(raw), name=c['name'], isthing=int(c['isthing']), color=list(c['color']))
     for raw, c in zip(VIPSEG_RAW_CLASS_IDS, CATEGORIES)), key=lambda c: c['id']))
_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'


def vipseg_video_name(seed: int, split: str, index: int) -> str:
    """``<index>_<11-char YouTube-like id>`` (as in ``0_wHveSGjXyDY``), fixed by the args."""
    digest = hashlib.sha1(f'omgseg-toy-vipseg/{int(seed)}/{split}/{int(index)}'.encode())
    return f'{int(index)}_' + ''.join(_ID_ALPHABET[b % 64] for b in digest.digest()[:11])


def vipseg_frame_stem(t: int) -> str:
    return f'{int(t):08d}'


def panomask_from_render(seg_map: np.ndarray, segments) -> np.ndarray:
    """uint16 (H, W) VIPSeg panomask of one rendered frame (thing instance = track_id)."""
    labels = np.full(seg_map.shape, -1, np.int64)
    instances = np.zeros(seg_map.shape, np.int64)
    for s in segments:
        mask = seg_map == s['id']
        labels[mask] = s['label']
        if s['isthing']:
            if s['iscrowd']:
                raise ValueError('VIPSeg has no crowd segments; toy videos must not have any')
            instances[mask] = s['track_id']
    return encode_panomask(labels, instances, VIPSEG_RAW_CLASS_IDS, NUM_THINGS)


def _segments_info(panomask: np.ndarray) -> list:
    """VPQ ``segments_info`` of a panomask: one entry per non-void value (its RGB id)."""
    info = []
    values, counts = np.unique(panomask, return_counts=True)
    for value, count in zip(values.tolist(), counts.tolist()):
        if value == 0:
            continue
        ys, xs = np.nonzero(panomask == value)
        x0, y0 = int(xs.min()), int(ys.min())
        info.append(dict(id=int(value), category_id=int(raw_class_of(value)), iscrowd=0,
                         area=int(count),
                         bbox=[x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1]))
    return info


def write_vipseg_split(root, split: str, num_videos: int, num_frames: int, seed: int = 0,
                       height: int = 128, width: int = 128) -> dict:
    """Render and write ``num_videos`` videos of ``split``; returns ``dict(videos, frames,
    segments)``. Writes ``<split>.txt`` and ``panoptic_gt_VIPSeg_<split>.json``."""
    if split not in VIPSEG_SPLITS:
        raise ValueError(f'unknown VIPSeg split {split!r}; expected one of {VIPSEG_SPLITS}')
    root = Path(root)
    names, gt_videos, gt_annotations = [], [], []
    stats = dict(videos=0, frames=0, segments=0)
    for index in range(num_videos):
        name = vipseg_video_name(seed, split, index)
        dirs = {k: root / k / name for k in ('imgs', 'panomasks', 'panomasksRGB')}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        scene = make_video_scene(seed, split, index, height, width, num_frames)
        images, frame_anns = [], []
        for t, (image, seg_map, segments) in enumerate(iter_video_frames(scene, num_frames)):
            stem = vipseg_frame_stem(t)
            Image.fromarray(image).save(dirs['imgs'] / f'{stem}.jpg', format='JPEG',
                                        quality=95, subsampling=0)
            panomask = panomask_from_render(seg_map, segments)
            Image.fromarray(panomask).save(dirs['panomasks'] / f'{stem}.png', format='PNG')
            Image.fromarray(id2rgb(panomask)).save(dirs['panomasksRGB'] / f'{stem}.png',
                                                   format='PNG')
            info = _segments_info(panomask)
            images.append(dict(file_name=f'{stem}.png', id=stem, height=height, width=width))
            frame_anns.append(dict(file_name=f'{stem}.png', image_id=stem, segments_info=info))
            stats['segments'] += len(info)
        names.append(name)
        gt_videos.append(dict(video_id=name, images=images))
        gt_annotations.append(dict(video_id=name, annotations=frame_anns))
        stats['videos'] += 1
        stats['frames'] += num_frames
    (root / f'{split}.txt').write_text(''.join(f'{n}\n' for n in names))
    with open(root / f'panoptic_gt_VIPSeg_{split}.json', 'w') as f:
        json.dump(dict(videos=gt_videos, annotations=gt_annotations,
                       categories=[dict(c) for c in VIPSEG_RAW_CATEGORIES]), f,
                  separators=(',', ':'))
    return stats


def _stamp(num_train, num_val, train_frames, val_frames, seed, height, width) -> dict:
    return dict(generator='omgseg.datasets.toy.vipseg_writer', version=TOY_VERSION,
                args=dict(num_train=int(num_train), num_val=int(num_val),
                          train_frames=int(train_frames), val_frames=int(val_frames),
                          seed=int(seed), height=int(height), width=int(width)))


def generate_toy_vipseg(out, num_train: int = 24, num_val: int = 6, train_frames: int = 8,
                        val_frames: int = 12, seed: int = 0, size=(128, 128),
                        force: bool = False, log=print) -> dict:
    """Write the toy VIPSeg dataset under ``<out>/vipseg`` unless an identical one is there.
    Returns ``dict(root, skipped, stamp, stats={split: dict})``."""
    height, width = (int(v) for v in size)
    if min(num_train, num_val) < 0 or min(train_frames, val_frames) < 1:
        raise ValueError(f'need video counts >= 0 and frame counts >= 1, got '
                         f'num_train={num_train}, num_val={num_val}, '
                         f'train_frames={train_frames}, val_frames={val_frames}')
    root = Path(out) / 'vipseg'
    stamp = _stamp(num_train, num_val, train_frames, val_frames, seed, height, width)
    required = [root / f for s in VIPSEG_SPLITS
                for f in (f'{s}.txt', f'panoptic_gt_VIPSeg_{s}.json')]
    if not force and is_up_to_date(root, VIPSEG_STAMP_NAME, stamp, required):
        log(f'toy VIPSeg data in {root} is up to date (version {TOY_VERSION}, '
            f'{stamp["args"]}); skipping (use --force to regenerate)')
        return dict(root=root, skipped=True, stamp=stamp, stats={})
    (root / VIPSEG_STAMP_NAME).unlink(missing_ok=True)
    # '.omgseg_cache' holds the VIPSeg dataset's segment caches derived from the old masks.
    for sub in ('imgs', 'panomasks', 'panomasksRGB', '.omgseg_cache'):
        if (root / sub).is_dir():
            shutil.rmtree(root / sub)
    # ``<split>_annotations.json`` are dataset caches built from the old masks: now stale.
    for path in [*required, root / 'panoVIPSeg_categories.json',
                 *(root / f'{s}_annotations.json' for s in VIPSEG_SPLITS)]:
        path.unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / 'panoVIPSeg_categories.json', 'w') as f:
        json.dump([dict(c) for c in VIPSEG_RAW_CATEGORIES], f)
    stats = {split: write_vipseg_split(root, split, n, frames, seed, height, width)
             for split, n, frames in (('train', num_train, train_frames),
                                      ('val', num_val, val_frames))}
    with open(root / VIPSEG_STAMP_NAME, 'w') as f:
        json.dump(stamp, f)
    log(f'wrote toy VIPSeg data to {root}: {stats}')
    return dict(root=root, skipped=False, stamp=stamp, stats=stats)


__all__ = ['VIPSEG_STAMP_NAME', 'VIPSEG_SPLITS', 'VIPSEG_RAW_CATEGORIES', 'vipseg_video_name',
           'vipseg_frame_stem', 'panomask_from_render', 'write_vipseg_split',
           'generate_toy_vipseg']
