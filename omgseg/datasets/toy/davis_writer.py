"""Write toy videos in the DAVIS 2017 (semi-supervised, 480p) layout.

Layout under ``<out>/davis``::

    JPEGImages/480p/<seq>/00000.jpg, 00001.jpg, ...
    Annotations/480p/<seq>/00000.png, 00001.png, ...   (indexed PNG, mode 'P', DAVIS palette)
    ImageSets/2017/train.txt, val.txt                  (sequence names, one per line)
    .toy_meta.json                                     (generator version + arguments)

Annotation pixels hold object indices: 0 = background, k = object k. The objects are the
things visible in the first frame, numbered 1..N in the raster order of their first pixel
(top row first, then left to right), as semi-supervised DAVIS only follows the objects given
in the first frame. Each keeps its index for the whole sequence (its pixels simply vanish
while it is hidden or outside the frame); things that enter later, stuff and the toy world's
void stay 0. The PNG format (DAVIS palette) is ``omgseg.datasets.davis_format``'s.

Toy DAVIS scenes come from their own index range of the toy video stream, so no sequence
repeats a YouTube-VIS or VIPSeg toy video.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from omgseg.datasets.davis_format import save_davis_png

from .coco_writer import TOY_VERSION
from .video import is_up_to_date, iter_video_frames, make_video_scene
from .world import Scene, render

DAVIS_STAMP_NAME = '.toy_meta.json'
DAVIS_SPLITS = ('train', 'val')
DAVIS_RESOLUTION = '480p'
DAVIS_YEAR = '2017'
# Video indices of the DAVIS scenes (YouTube-VIS / VIPSeg toy videos use 0, 1, ...).
DAVIS_INDEX_OFFSET = 250_000
# A candidate scene whose first frame shows no thing is skipped; give up after this many.
_MAX_CANDIDATES_PER_SEQUENCE = 50


def davis_sequence_name(seed: int, split: str, index: int) -> str:
    """``toy-<8 hex digits>``: lower-case and hyphenated like ``bike-packing``."""
    key = f'omgseg-toy-davis/{int(seed)}/{split}/{int(index)}'.encode()
    return 'toy-' + hashlib.sha1(key).hexdigest()[:8]


def davis_frame_stem(t: int) -> str:
    return f'{int(t):05d}'


def davis_object_indices(seg_map: np.ndarray, segments) -> dict[int, int]:
    """``{track_id: object index}`` of the things visible in a rendered first frame, indices
    1..N in the raster order of each thing's first pixel."""
    flat = seg_map.ravel()
    first_pixel = {}
    for s in segments:
        if s['isthing']:
            first_pixel[s['track_id']] = int(np.flatnonzero(flat == s['id'])[0])
    order = sorted(first_pixel, key=first_pixel.get)
    return {track: k + 1 for k, track in enumerate(order)}


def davis_index_mask(seg_map: np.ndarray, segments,
                     objects: dict[int, int]) -> np.ndarray:
    """(H, W) uint8 object-index map of one rendered frame (0 outside ``objects``)."""
    out = np.zeros(seg_map.shape, np.uint8)
    for s in segments:
        k = objects.get(s['track_id']) if s['isthing'] else None
        if k is not None:
            out[seg_map == s['id']] = k
    return out


def davis_scenes(seed: int, split: str, num_sequences: int, num_frames: int,
                 height: int = 128, width: int = 128) -> Iterator[tuple[str, Scene]]:
    """``(sequence name, video scene)`` of each toy DAVIS sequence of ``split``.

    Candidate scenes whose first frame shows no thing are skipped (every DAVIS sequence has
    an object to follow), so sequence i uses the i-th suitable candidate.
    """
    if split not in DAVIS_SPLITS:
        raise ValueError(f'unknown DAVIS split {split!r}; expected one of {DAVIS_SPLITS}')
    candidate = 0
    for index in range(num_sequences):
        for _ in range(_MAX_CANDIDATES_PER_SEQUENCE):
            scene = make_video_scene(seed, split, DAVIS_INDEX_OFFSET + candidate, height,
                                     width, num_frames)
            candidate += 1
            _, seg_map, segments = render(scene, 0)
            if davis_object_indices(seg_map, segments):
                break
        else:
            raise RuntimeError(f'no toy scene with a visible object in its first frame among '
                               f'{_MAX_CANDIDATES_PER_SEQUENCE} candidates (size '
                               f'{height}x{width}); use a larger --size.')
        yield davis_sequence_name(seed, split, index), scene


def write_davis_split(root, split: str, num_sequences: int, num_frames: int, seed: int = 0,
                      height: int = 128, width: int = 128) -> dict:
    """Render and write ``num_sequences`` sequences of ``split`` under ``root`` and its
    ``ImageSets/2017/<split>.txt``; returns ``dict(sequences, frames, objects)``."""
    root = Path(root)
    names = []
    stats = dict(sequences=0, frames=0, objects=0)
    for name, scene in davis_scenes(seed, split, num_sequences, num_frames, height, width):
        img_dir = root / 'JPEGImages' / DAVIS_RESOLUTION / name
        ann_dir = root / 'Annotations' / DAVIS_RESOLUTION / name
        img_dir.mkdir(parents=True, exist_ok=True)
        ann_dir.mkdir(parents=True, exist_ok=True)
        objects = {}
        for t, (image, seg_map, segments) in enumerate(iter_video_frames(scene, num_frames)):
            if t == 0:
                objects = davis_object_indices(seg_map, segments)
            stem = davis_frame_stem(t)
            Image.fromarray(image).save(img_dir / f'{stem}.jpg', format='JPEG', quality=95,
                                        subsampling=0)
            save_davis_png(davis_index_mask(seg_map, segments, objects),
                           ann_dir / f'{stem}.png')
        names.append(name)
        stats['sequences'] += 1
        stats['frames'] += num_frames
        stats['objects'] += len(objects)
    sets = root / 'ImageSets' / DAVIS_YEAR
    sets.mkdir(parents=True, exist_ok=True)
    (sets / f'{split}.txt').write_text(''.join(f'{n}\n' for n in names))
    return stats


def _stamp(num_train, num_val, num_frames, seed, height, width) -> dict:
    return dict(generator='omgseg.datasets.toy.davis_writer', version=TOY_VERSION,
                args=dict(num_train=int(num_train), num_val=int(num_val),
                          num_frames=int(num_frames), seed=int(seed), height=int(height),
                          width=int(width)))


def generate_toy_davis(out, num_train: int = 8, num_val: int = 4, num_frames: int = 10,
                       seed: int = 0, size=(128, 128), force: bool = False,
                       log=print) -> dict:
    """Write the toy DAVIS 2017 dataset under ``<out>/davis`` unless an identical one is
    there. Returns ``dict(root, skipped, stamp, stats={split: dict})``.

    Regeneration first deletes only what this generator writes there.
    """
    height, width = (int(v) for v in size)
    if min(num_train, num_val) < 0 or num_frames < 1:
        raise ValueError(f'need sequence counts >= 0 and a frame count >= 1, got '
                         f'num_train={num_train}, num_val={num_val}, num_frames={num_frames}')
    root = Path(out) / 'davis'
    stamp = _stamp(num_train, num_val, num_frames, seed, height, width)
    required = [root / 'ImageSets' / DAVIS_YEAR / f'{s}.txt' for s in DAVIS_SPLITS]
    if not force and is_up_to_date(root, DAVIS_STAMP_NAME, stamp, required):
        log(f'toy DAVIS data in {root} is up to date (version {TOY_VERSION}, '
            f'{stamp["args"]}); skipping (use --force to regenerate)')
        return dict(root=root, skipped=True, stamp=stamp, stats={})
    (root / DAVIS_STAMP_NAME).unlink(missing_ok=True)
    for sub in ('JPEGImages', 'Annotations', 'ImageSets'):
        if (root / sub).is_dir():
            shutil.rmtree(root / sub)
    root.mkdir(parents=True, exist_ok=True)
    stats = {split: write_davis_split(root, split, n, num_frames, seed, height, width)
             for split, n in (('train', num_train), ('val', num_val))}
    with open(root / DAVIS_STAMP_NAME, 'w') as f:
        json.dump(stamp, f)
    log(f'wrote toy DAVIS data to {root}: {stats}')
    return dict(root=root, skipped=False, stamp=stamp, stats=stats)


__all__ = ['DAVIS_STAMP_NAME', 'DAVIS_SPLITS', 'DAVIS_RESOLUTION', 'DAVIS_YEAR',
           'DAVIS_INDEX_OFFSET', 'davis_sequence_name', 'davis_frame_stem', 'davis_scenes',
           'davis_object_indices', 'davis_index_mask', 'write_davis_split', 'generate_toy_davis']
