"""Toy videos: scenes whose objects enter, leave and pass behind each other over time.

A video scene is a regular :class:`~omgseg.datasets.toy.world.Scene` (static background,
linearly moving things) whose trajectories are re-planned for ``num_frames`` frames so that the
hard cases of video segmentation occur: some objects start outside the frame and enter, some
leave before the end, and some small objects pass fully behind a larger one and reappear.
Identity across frames is ``ToyObject.track_id`` (and its panoptic ``seg_id``), both stable.

Videos never contain crowd objects (neither YouTube-VIS nor VIPSeg has crowd annotations).
Also holds the up-to-date stamp helpers shared by the video writers.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Iterator

import numpy as np

from .world import MAX_OBJECTS, Scene, ToyObject, make_scene, render, scene_seed

# Videos draw their scenes from a separate stream of each split, so video ``i`` is never the
# same scene as toy COCO image ``i`` (image indices stay far below this offset).
VIDEO_INDEX_OFFSET = 500_000
# Shapes that contain a centred disc of radius min(half_w, half_h): safe occluders.
_CONVEX_SHAPES = ('ellipse', 'rect', 'blob')
_BLOB_INNER = 0.7  # the blob's radius never drops below 0.85 - 0.15 of its half extent


def video_scene_seed(seed: int, split: str, index: int) -> int:
    """Seed of video ``index`` of ``split`` (disjoint from the image scenes' seeds)."""
    return scene_seed(seed, split, VIDEO_INDEX_OFFSET + int(index))


def _radius(obj: ToyObject) -> float:
    """Bound on the distance from the centre to any pixel of the (rotated) shape."""
    return float(np.hypot(obj.half_w, obj.half_h)) + 1.0


def _plan_enter(rng, obj: ToyObject, H: int, W: int, T: int) -> ToyObject:
    """Start fully outside one side and move inwards, first visible at about frame k."""
    r = _radius(obj)
    k = int(rng.integers(1, max(2, T // 2) + 1))
    gap = float(rng.uniform(1.0, 6.0))           # distance outside at t = 0
    speed = (gap + 2 * r * rng.uniform(0.3, 0.8)) / k
    side = int(rng.integers(4))
    drift = float(rng.uniform(-0.3, 0.3)) * speed
    if side == 0:    # from the left
        cx, cy, vx, vy = -r - gap, rng.uniform(0.2, 0.8) * H, speed, drift
    elif side == 1:  # from the right
        cx, cy, vx, vy = W + r + gap, rng.uniform(0.2, 0.8) * H, -speed, drift
    elif side == 2:  # from the top
        cx, cy, vx, vy = rng.uniform(0.2, 0.8) * W, -r - gap, drift, speed
    else:            # from the bottom
        cx, cy, vx, vy = rng.uniform(0.2, 0.8) * W, H + r + gap, drift, -speed
    return dataclasses.replace(obj, cx=float(cx), cy=float(cy), vx=float(vx), vy=float(vy))


def _plan_exit(rng, obj: ToyObject, H: int, W: int, T: int) -> ToyObject:
    """Start inside near one side and be fully outside from about frame k on."""
    r = _radius(obj)
    k = int(rng.integers(max(1, T // 2), max(2, T - 1) + 1))
    depth = float(rng.uniform(0.1, 0.35))
    side = int(rng.integers(4))
    if side == 0:    # leaves on the left
        cx, cy = depth * W, rng.uniform(0.2, 0.8) * H
        vx, vy = -(cx + r + 1) / k, 0.0
    elif side == 1:  # right
        cx, cy = (1 - depth) * W, rng.uniform(0.2, 0.8) * H
        vx, vy = (W + r + 1 - cx) / k, 0.0
    elif side == 2:  # top
        cx, cy = rng.uniform(0.2, 0.8) * W, depth * H
        vx, vy = 0.0, -(cy + r + 1) / k
    else:            # bottom
        cx, cy = rng.uniform(0.2, 0.8) * W, (1 - depth) * H
        vx, vy = 0.0, (H + r + 1 - cy) / k
    return dataclasses.replace(obj, cx=float(cx), cy=float(cy), vx=float(vx), vy=float(vy))


def _plan_hide(rng, obj: ToyObject, occluder: ToyObject, T: int) -> ToyObject:
    """Shrink ``obj`` and send it straight through ``occluder``'s centre at a middle frame.

    At that frame the whole object lies inside the occluder's inscribed disc, so it is fully
    hidden (the caller paints it below the occluder); at the first and last frames it is clear
    of the occluder again.
    """
    inner = min(occluder.half_w, occluder.half_h)
    inner *= _BLOB_INNER if occluder.shape == 'blob' else 1.0
    scale = 0.8 * inner / (_radius(obj) - 1.0)
    small = dataclasses.replace(obj, half_w=obj.half_w * scale, half_h=obj.half_h * scale)
    t_mid = int(rng.integers(1, T - 1))
    span = min(t_mid, T - 1 - t_mid)
    clear = (_radius(occluder) + _radius(small) + 1.0) / span  # relative speed to clear it
    theta = float(rng.uniform(0, 2 * np.pi))
    vx = occluder.vx + clear * np.cos(theta)
    vy = occluder.vy + clear * np.sin(theta)
    ox, oy = occluder.center(t_mid)
    return dataclasses.replace(small, cx=float(ox - vx * t_mid), cy=float(oy - vy * t_mid),
                               vx=float(vx), vy=float(vy))


def make_video_scene(seed: int, split: str, index: int, height: int = 128, width: int = 128,
                     num_frames: int = 8, *, max_objects: int = MAX_OBJECTS) -> Scene:
    """Video ``index`` of ``split``: a crowd-free scene with trajectories planned for
    ``num_frames`` frames (deterministic in ``(seed, split, index)`` and the sizes).

    Each object independently keeps the base scene's motion, enters, exits or, when a
    large convex object that does not hide itself exists, passes fully behind it for some
    middle frames.
    """
    if num_frames < 1:
        raise ValueError(f'num_frames must be >= 1, got {num_frames}')
    vseed = video_scene_seed(seed, split, index)
    base = make_scene(vseed, height, width, max_objects=max_objects, crowd_prob=0.0)
    T, H, W = int(num_frames), int(height), int(width)
    if T < 3:  # too short to plan entering / leaving / hiding
        return base
    rng = np.random.default_rng([vseed, 3])
    order = [o.track_id for o in sorted(base.objects, key=lambda o: o.z)]  # paint order
    by_track = {o.track_id: o for o in base.objects}
    roles = {tid: float(rng.random()) for tid in order}
    for tid in order:  # enter / exit first, so the occluders' paths below are final
        if roles[tid] < 0.2:
            by_track[tid] = _plan_enter(rng, by_track[tid], H, W, T)
        elif roles[tid] < 0.4:
            by_track[tid] = _plan_exit(rng, by_track[tid], H, W, T)
    hiders = [tid for tid in order if 0.4 <= roles[tid] < 0.7]
    for tid in hiders:
        occluders = [o for o in order if o not in hiders
                     and by_track[o].shape in _CONVEX_SHAPES
                     and min(by_track[o].half_w, by_track[o].half_h) >= 5]
        if not occluders:
            continue  # keeps its base-scene motion
        occ = occluders[int(rng.integers(len(occluders)))]
        by_track[tid] = _plan_hide(rng, by_track[tid], by_track[occ], T)
        order.remove(tid)  # painted just below its occluder
        order.insert(order.index(occ), tid)
    new = tuple(dataclasses.replace(by_track[tid], z=z) for z, tid in enumerate(order))
    return dataclasses.replace(base, objects=new)


def iter_video_frames(scene: Scene, num_frames: int, start: int = 0) -> Iterator[tuple]:
    """Lazily yield :func:`~omgseg.datasets.toy.world.render` outputs for frames
    ``start .. start + num_frames - 1`` (one frame in memory at a time)."""
    for t in range(int(start), int(start) + int(num_frames)):
        yield render(scene, t)


# ---- up-to-date stamps of generated folders (shared by the video writers) -----------------

def read_stamp(path: Path) -> dict | None:
    """The stamp json at ``path``, or None when missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def is_up_to_date(folder: Path, stamp_name: str, stamp: dict, required) -> bool:
    """True when ``folder/stamp_name`` equals ``stamp`` and every ``required`` path exists."""
    return read_stamp(Path(folder) / stamp_name) == stamp and all(
        Path(p).exists() for p in required)


__all__ = ['VIDEO_INDEX_OFFSET', 'video_scene_seed', 'make_video_scene', 'iter_video_frames',
           'read_stamp', 'is_up_to_date']
