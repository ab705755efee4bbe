"""Write toy videos in the official YouTube-VIS (2021 release) raw layout.

Layout under ``<out>/youtube_vis``::

    train/JPEGImages/<video>/00000.jpg, 00005.jpg, ...   train/instances.json
    valid/JPEGImages/<video>/...                          valid/instances.json
    .toy_meta.json                                        (generator version + arguments)

``instances.json`` = ``{"info", "videos": [{"id", "width", "height", "length", "file_names"}],
"annotations": [{"id", "video_id", "category_id", "segmentations", "areas", "bboxes",
"iscrowd", "height", "width", "length"}], "categories": [{"id", "name", "supercategory"}]}``
with one annotation per object track and ``None`` in the per-frame lists where the object is
not visible. Only the toy thing classes are annotated (ids 1..5); stuff is painted but, as in
YouTube-VIS, not labelled. Unlike the official valid split, the toy one keeps its annotations
so it can serve as local ground truth.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from .coco_writer import TOY_VERSION
from .video import is_up_to_date, iter_video_frames, make_video_scene
from .world import THING_CATEGORIES

YTVIS_STAMP_NAME = '.toy_meta.json'
# YouTube-VIS split name -> toy scene stream.
YTVIS_SPLITS = {'train': 'train', 'valid': 'val'}
# Real YouTube-VIS frames are every 5th frame of the source video: 00000.jpg, 00005.jpg, ...
YTVIS_FRAME_STEP = 5
YTVIS_CATEGORIES = tuple(dict(id=label + 1, name=c['name'], supercategory=c['supercategory'])
                         for label, c in enumerate(THING_CATEGORIES))


def ytvis_video_name(seed: int, split: str, index: int) -> str:
    """A 10-hex-digit name like the real ones (``003234408d``), fixed by (seed, split, index)."""
    key = f'omgseg-toy-ytvis/{int(seed)}/{split}/{int(index)}'.encode()
    return hashlib.sha1(key).hexdigest()[:10]


def ytvis_frame_name(t: int) -> str:
    """File name of frame ``t`` (0-based): ``00000.jpg``, ``00005.jpg``, ..."""
    return f'{YTVIS_FRAME_STEP * int(t):05d}.jpg'


def _rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return rle


def _save_jpeg(image: np.ndarray, path: Path):
    Image.fromarray(image).save(path, format='JPEG', quality=95, subsampling=0)


def write_ytvis_split(root, split: str, num_videos: int, num_frames: int, seed: int = 0,
                      height: int = 128, width: int = 128) -> dict:
    """Render and write ``num_videos`` videos of ``num_frames`` frames into ``root/split``.

    Returns statistics ``dict(videos, frames, tracks, track_frames)``.
    """
    if split not in YTVIS_SPLITS:
        raise ValueError(f'unknown YouTube-VIS split {split!r}; expected one of '
                         f'{sorted(YTVIS_SPLITS)}')
    split_dir = Path(root) / split
    (split_dir / 'JPEGImages').mkdir(parents=True, exist_ok=True)
    videos, annotations = [], []
    stats = dict(videos=0, frames=0, tracks=0, track_frames=0)
    for index in range(num_videos):
        name = ytvis_video_name(seed, split, index)
        video_id = index + 1
        frame_dir = split_dir / 'JPEGImages' / name
        frame_dir.mkdir(parents=True, exist_ok=True)
        scene = make_video_scene(seed, YTVIS_SPLITS[split], index, height, width, num_frames)
        # per track: per-frame RLE / area / bbox, None where the object is not visible
        tracks = {o.track_id: dict(category_id=o.label + 1, segmentations=[None] * num_frames,
                                   areas=[None] * num_frames, bboxes=[None] * num_frames)
                  for o in sorted(scene.objects, key=lambda o: o.track_id)}
        file_names = []
        for t, (image, seg_map, segments) in enumerate(iter_video_frames(scene, num_frames)):
            file_names.append(f'{name}/{ytvis_frame_name(t)}')
            _save_jpeg(image, frame_dir / ytvis_frame_name(t))
            for s in segments:
                if not s['isthing']:
                    continue
                track = tracks[s['track_id']]
                track['segmentations'][t] = _rle(seg_map == s['id'])
                track['areas'][t] = int(s['area'])
                track['bboxes'][t] = [float(v) for v in s['bbox']]
                stats['track_frames'] += 1
        videos.append(dict(id=video_id, width=width, height=height, length=num_frames,
                           file_names=file_names))
        for track in tracks.values():
            if all(a is None for a in track['areas']):
                continue  # never visible: real YouTube-VIS has no such annotations
            annotations.append(dict(id=len(annotations) + 1, video_id=video_id, iscrowd=0,
                                    height=height, width=width, length=num_frames, **track))
            stats['tracks'] += 1
        stats['videos'] += 1
        stats['frames'] += num_frames
    info = dict(description='omgseg toy world videos (synthetic)', version=TOY_VERSION)
    with open(split_dir / 'instances.json', 'w') as f:
        json.dump(dict(info=info, videos=videos, annotations=annotations,
                       categories=[dict(c) for c in YTVIS_CATEGORIES]), f,
                  separators=(',', ':'))
    return stats


def _stamp(num_train, num_val, train_frames, val_frames, seed, height, width) -> dict:
    return dict(generator='omgseg.datasets.toy.ytvis_writer', version=TOY_VERSION,
                args=dict(num_train=int(num_train), num_val=int(num_val),
                          train_frames=int(train_frames), val_frames=int(val_frames),
                          seed=int(seed), height=int(height), width=int(width)))


def generate_toy_ytvis(out, num_train: int = 24, num_val: int = 6, train_frames: int = 8,
                       val_frames: int = 12, seed: int = 0, size=(128, 128),
                       force: bool = False, log=print) -> dict:
    """Write the toy YouTube-VIS dataset under ``<out>/youtube_vis`` unless an identical one
    is there. Returns ``dict(root, skipped, stamp, stats={split: dict})``.

    Regeneration first deletes only what this generator (and the converter, ``annotations/``)
    writes there.
    """
    height, width = (int(v) for v in size)
    if min(num_train, num_val) < 0 or min(train_frames, val_frames) < 1:
        raise ValueError(f'need video counts >= 0 and frame counts >= 1, got '
                         f'num_train={num_train}, num_val={num_val}, '
                         f'train_frames={train_frames}, val_frames={val_frames}')
    root = Path(out) / 'youtube_vis'
    stamp = _stamp(num_train, num_val, train_frames, val_frames, seed, height, width)
    required = [root / s / 'instances.json' for s in YTVIS_SPLITS]
    if not force and is_up_to_date(root, YTVIS_STAMP_NAME, stamp, required):
        log(f'toy YouTube-VIS data in {root} is up to date (version {TOY_VERSION}, '
            f'{stamp["args"]}); skipping (use --force to regenerate)')
        return dict(root=root, skipped=True, stamp=stamp, stats={})
    (root / YTVIS_STAMP_NAME).unlink(missing_ok=True)
    for sub in (*YTVIS_SPLITS, 'annotations'):
        if (root / sub).is_dir():
            shutil.rmtree(root / sub)
    stats = {split: write_ytvis_split(root, split, n, frames, seed, height, width)
             for split, n, frames in (('train', num_train, train_frames),
                                      ('valid', num_val, val_frames))}
    with open(root / YTVIS_STAMP_NAME, 'w') as f:
        json.dump(stamp, f)
    log(f'wrote toy YouTube-VIS data to {root}: {stats}')
    return dict(root=root, skipped=False, stamp=stamp, stats=stats)


__all__ = ['YTVIS_STAMP_NAME', 'YTVIS_SPLITS', 'YTVIS_FRAME_STEP', 'YTVIS_CATEGORIES',
           'ytvis_video_name', 'ytvis_frame_name', 'write_ytvis_split', 'generate_toy_ytvis']
