"""A deterministic synthetic "toy world" for fast, CPU-sized segmentation experiments.

A :class:`Scene` is a static background of stuff regions (sky / grass / road with irregular
borders), a few void regions, and a list of :class:`ToyObject` s that move linearly in time.
:func:`render` draws the scene at any time ``t`` (images use ``t = 0``; video, VOS and
interactive data render ``t = 0..N`` of the same scene), returning the RGB image, the panoptic
segment-id map and per-segment annotations. Every segment keeps the same panoptic id and
``track_id`` across frames, so a clip of renders is already a consistent video annotation.

Each thing class has its own shape, colour family and surface pattern, so a small CNN can
tell them apart quickly. Everything is a pure function of the scene seed (and ``t``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omgseg.vocab.lists.toy import CLASSES, STUFF_CLASSES, THING_CLASSES

# The class lists live in the vocabulary layer (omgseg.vocab.lists.toy): things first, then
# stuff; the contiguous label of a class is its index in ``CLASSES``.
NUM_THINGS = len(THING_CLASSES)
NUM_CLASSES = len(CLASSES)

# Category ids are the real (non-contiguous) COCO ids, in increasing order along the tuples.
_CATEGORY_SPECS = (  # name, coco id, supercategory, base colour (RGB)
    ('person', 1, 'person', (205, 45, 45)),
    ('bicycle', 2, 'vehicle', (235, 205, 35)),
    ('car', 3, 'vehicle', (150, 45, 185)),
    ('bird', 16, 'animal', (250, 135, 20)),
    ('dog', 18, 'animal', (115, 70, 30)),
    ('road', 149, 'ground', (105, 105, 112)),
    ('sky', 187, 'sky', (145, 195, 240)),
    ('grass', 193, 'plant', (70, 150, 55)),
)
CATEGORIES = tuple(
    dict(id=cid, name=name, isthing=int(name in THING_CLASSES), color=list(color),
         supercategory=sup) for name, cid, sup, color in _CATEGORY_SPECS)
THING_CATEGORIES = CATEGORIES[:NUM_THINGS]
STUFF_CATEGORIES = CATEGORIES[NUM_THINGS:]
LABEL_TO_CATEGORY_ID = tuple(c['id'] for c in CATEGORIES)
CATEGORY_ID_TO_LABEL = {cid: label for label, cid in enumerate(LABEL_TO_CATEGORY_ID)}
PALETTE = tuple(tuple(c['color']) for c in CATEGORIES)

# Shape of each thing class (by contiguous label) and its (min, max) height / width ratio.
THING_SHAPES = ('ellipse', 'cross', 'rect', 'triangle', 'blob')
_ASPECT = ((1.8, 2.4), (0.85, 1.0), (0.45, 0.6), (0.6, 0.8), (0.7, 0.9))
_ROAD, _SKY, _GRASS = (NUM_THINGS + STUFF_CLASSES.index(n) for n in ('road', 'sky', 'grass'))
_VOID_BLOTCH_RGB = (28, 28, 30)
_SPLIT_OFFSETS = {'train': 0, 'val': 1_000_000, 'test': 2_000_000}
# Things of 19-51 px (longest side) in 128 px images, at most 4 per scene, a quarter of them
# placed on an earlier one: large enough for the stride-8..32 memory the decoder attends to
# (cells of 8-32 px at 128 px; the first world's 6-58 px things, up to 7, were mostly below
# one cell, and thing PQ stayed near 10 on the toy budget; docs/results.md).
SIZE_RANGE = (0.15, 0.4)
MAX_OBJECTS = 4
OVERLAP_PROB = 0.25


def scene_seed(seed: int, split: str, index: int) -> int:
    """Seed of scene ``index`` of ``split``; splits use disjoint streams (``seed + offset``)."""
    if split not in _SPLIT_OFFSETS:
        raise ValueError(f'unknown split {split!r}; expected one of {sorted(_SPLIT_OFFSETS)}')
    return int(seed) + _SPLIT_OFFSETS[split] + int(index)


@dataclass(frozen=True)
class ToyObject:
    """One thing (or one crowd of things, annotated as a single ``iscrowd`` segment).

    Geometry is in pixels: the centre at ``t`` is ``(cx + vx * t, cy + vy * t)``; ``half_w``
    and ``half_h`` are half extents before rotation by ``angle`` (radians). ``parts`` holds a
    crowd's members as ``(dx, dy, scale)`` relative to the centre; empty for single objects.
    """
    label: int           # contiguous thing label (index into THING_CLASSES)
    instance: int        # index among the scene's objects of the same class
    track_id: int        # identity across frames, 1..len(objects)
    seg_id: int          # panoptic segment id (stable across frames)
    cx: float
    cy: float
    half_w: float
    half_h: float
    angle: float
    vx: float
    vy: float
    z: int               # paint order: higher z occludes lower z
    color: tuple         # per-instance RGB base colour
    phase: float = 0.0   # shape / pattern variation
    iscrowd: bool = False
    parts: tuple = ()

    @property
    def shape(self) -> str:
        return THING_SHAPES[self.label]

    @property
    def category_id(self) -> int:
        return LABEL_TO_CATEGORY_ID[self.label]

    def center(self, t: float = 0) -> tuple:
        return self.cx + self.vx * t, self.cy + self.vy * t


@dataclass(frozen=True)
class Scene:
    """Static background (stuff layout, void) plus moving objects; see :func:`render`."""
    seed: int
    height: int
    width: int
    sky_bottom: np.ndarray   # (W,) float: rows y < sky_bottom[x] are sky
    road_top: np.ndarray     # (W,) float: road_top[x] <= y < road_bottom[x] is road
    road_bottom: np.ndarray  # (W,) float; everything else below the sky is grass
    stuff_seg_ids: tuple     # panoptic id per stuff class, in STUFF_CLASSES order
    objects: tuple           # ToyObject, sorted by z
    void_blobs: tuple = ()   # (cx, cy, radius) unlabeled blotches painted under things
    void_border: int = 0     # width of an unlabeled frame painted over everything


def _wavy(rng, base, amp, width):
    """An irregular border: base + two sines + a smoothed random walk, shape (W,)."""
    x = np.arange(width, dtype=np.float64)
    curve = base + amp * np.sin(2 * np.pi * x / rng.uniform(0.5, 1.5) / width
                                + rng.uniform(0, 2 * np.pi))
    curve += 0.4 * amp * np.sin(2 * np.pi * x / rng.uniform(0.1, 0.25) / width
                                + rng.uniform(0, 2 * np.pi))
    walk = np.cumsum(rng.normal(0, 0.6, width))
    return curve + np.convolve(walk - walk.mean(), np.ones(5) / 5, mode='same')


def _unique_ids(rng, n):
    """``n`` distinct random non-zero 24-bit panoptic ids (like real COCO, not contiguous)."""
    ids = []
    while len(ids) < n:
        v = int(rng.integers(1, 2 ** 24))
        if v not in ids:
            ids.append(v)
    return ids


def _jitter_colour(rng, label):
    base = np.array(PALETTE[label], dtype=np.float64)
    return tuple(int(c) for c in np.clip(base + rng.uniform(-25, 25, 3), 0, 255))


def make_scene(seed: int, height: int = 128, width: int = 128, *,
               max_objects: int = MAX_OBJECTS, crowd_prob: float = 0.2, max_speed: float = 3.0,
               size_range: tuple[float, float] = SIZE_RANGE,
               overlap_prob: float = OVERLAP_PROB) -> Scene:
    """Sample a scene from ``numpy.random.default_rng(seed)`` (deterministic).

    Object sizes (longest side) are log-uniform in ``size_range * min(height, width)``;
    objects repeat classes, overlap (each one, with probability ``overlap_prob``, is placed on
    an earlier one: occlusion), may be truncated by the frame, and move with up to
    ``max_speed`` px/frame per axis. With probability ``crowd_prob`` a cluster of small
    objects of one class is added as one crowd object behind the others.
    """
    if height < 16 or width < 16:
        raise ValueError(f'toy scenes need height, width >= 16, got {(height, width)}')
    if not 0 <= overlap_prob <= 1:
        raise ValueError(f'overlap_prob must lie in [0, 1], got {overlap_prob}')
    if not 0 < size_range[0] <= size_range[1]:
        raise ValueError(f'size_range must satisfy 0 < low <= high, got {size_range}')
    rng = np.random.default_rng(seed)
    H, W, S = height, width, min(height, width)

    # Background: optional sky band on top, optional road band, grass elsewhere.
    has_sky, has_road = rng.random() < 0.85, rng.random() < 0.7
    horizon = rng.uniform(0.2, 0.5) * H if has_sky else -1.0
    sky_bottom = _wavy(rng, horizon, 0.04 * H, W) if has_sky else np.full(W, -1.0)
    if has_road:
        top = rng.uniform(max(horizon, 0) + 0.08 * H, 0.8 * H)
        road_top = np.maximum(_wavy(rng, top, 0.03 * H, W), sky_bottom)
        road_bottom = (np.full(W, H + 1.0) if rng.random() < 0.5
                       else road_top + rng.uniform(0.15, 0.3) * H + _wavy(rng, 0, 0.02 * H, W))
    else:
        road_top = road_bottom = np.full(W, H + 1.0)
    void_blobs = tuple((float(rng.uniform(0, W)), float(rng.uniform(0, H)),
                        float(rng.uniform(1.5, 0.05 * S)))
                       for _ in range(rng.integers(1, 3) if rng.random() < 0.5 else 0))
    void_border = int(rng.integers(1, 3)) if rng.random() < 0.3 else 0

    # Things: a few classes per scene, so several instances of one class are common.
    n_obj = int(rng.integers(1, max_objects + 1)) if rng.random() < 0.95 else 0
    classes = rng.choice(NUM_THINGS, size=int(rng.integers(1, 4)), replace=False)
    has_crowd = rng.random() < crowd_prob
    ids = _unique_ids(rng, len(STUFF_CLASSES) + n_obj + int(has_crowd))
    stuff_ids, obj_ids = tuple(ids[:len(STUFF_CLASSES)]), ids[len(STUFF_CLASSES):]
    counts = [0] * NUM_THINGS
    objects = []

    def new_object(label, cx, cy, size, crowd=False, parts=()):
        lo, hi = _ASPECT[label]
        ratio = rng.uniform(lo, hi)  # height / width
        half_w, half_h = (size / 2 / ratio, size / 2) if ratio > 1 else (size / 2,
                                                                          size / 2 * ratio)
        angle = rng.uniform(-0.3, 0.3) + (np.pi if label == 3 and rng.random() < 0.5 else 0)
        moving = rng.random() < 0.8
        vx, vy = (rng.uniform(-max_speed, max_speed, 2) if moving else (0.0, 0.0))
        obj = ToyObject(label=int(label), instance=counts[label], track_id=len(objects) + 1,
                        seg_id=obj_ids[len(objects)], cx=float(cx), cy=float(cy),
                        half_w=float(half_w), half_h=float(half_h), angle=float(angle),
                        vx=float(vx), vy=float(vy), z=len(objects),
                        color=_jitter_colour(rng, label),
                        phase=float(rng.uniform(0, 2 * np.pi)), iscrowd=crowd, parts=parts)
        counts[label] += 1
        objects.append(obj)

    if has_crowd:  # behind everything else: z = 0
        n_parts = int(rng.integers(5, 11))
        spread = rng.uniform(0.08, 0.15) * S
        parts = tuple((float(dx), float(dy), float(rng.uniform(0.7, 1.0)))
                      for dx, dy in rng.uniform(-spread, spread, (n_parts, 2)))
        new_object(rng.integers(NUM_THINGS), rng.uniform(0.2, 0.8) * W, rng.uniform(0.3, 0.8) * H,
                   rng.uniform(0.035, 0.06) * S, crowd=True, parts=parts)
    for _ in range(n_obj):
        size = float(np.exp(rng.uniform(np.log(size_range[0] * S), np.log(size_range[1] * S))))
        prev = [o for o in objects if not o.iscrowd]
        if prev and rng.random() < overlap_prob:  # deliberately overlap an earlier object
            ref = prev[int(rng.integers(len(prev)))]
            off = rng.uniform(-0.6, 0.6, 2) * max(ref.half_w, ref.half_h) * 2
            cx, cy = ref.cx + off[0], ref.cy + off[1]
        else:
            cx, cy = rng.uniform(-0.05, 1.05) * W, rng.uniform(0.1, 1.0) * H
        new_object(rng.choice(classes), cx, cy, size)
    return Scene(seed=int(seed), height=H, width=W, sky_bottom=sky_bottom, road_top=road_top,
                 road_bottom=road_bottom, stuff_seg_ids=stuff_ids, objects=tuple(objects),
                 void_blobs=void_blobs, void_border=void_border)


def _inside(shape, u, v, phase):
    """Membership of normalised local coordinates (unit half extents) in a class shape."""
    if shape == 'ellipse':
        return u * u + v * v <= 1.0
    if shape == 'rect':
        return (np.abs(u) <= 1) & (np.abs(v) <= 1)
    if shape == 'triangle':  # apex at u = +1, base at u = -1
        return (u >= -1) & (u <= 1) & (np.abs(v) <= (1 - u) / 2)
    if shape == 'cross':
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.3) & (av <= 1)) | ((av <= 0.3) & (au <= 1))
    if shape == 'blob':
        return np.hypot(u, v) <= 0.85 + 0.15 * np.sin(3 * np.arctan2(v, u) + phase)
    raise ValueError(f'unknown toy shape {shape!r}')


def _pattern(label, u, v, phase):
    """Per-pixel brightness factor of a class's surface pattern (moves with the object)."""
    name = THING_CLASSES[label]
    if name == 'person':   # darker lower half ("trousers")
        return np.where(v > 0.15, 0.55, 1.0)
    if name == 'car':      # bright window strip on top
        return np.where(v < -0.35, 1.45, 1.0)
    if name == 'bird':     # brightness gradient towards the head
        return 0.7 + 0.25 * (u + 1)
    if name == 'dog':      # dark spots
        return np.where(np.sin(5 * u + phase) * np.sin(5 * v) > 0.55, 0.6, 1.0)
    return np.where(np.sin(7 * (u + v)) > 0, 1.0, 0.8)  # bicycle: diagonal stripes


def _paint_parts(obj: ToyObject, t, H, W):
    """Yield ``(rows, cols, mask, rgb)`` windows of the object's (crowd members') shapes."""
    cx, cy = obj.center(t)
    parts = obj.parts or ((0.0, 0.0, 1.0),)
    cos, sin = np.cos(obj.angle), np.sin(obj.angle)
    for dx, dy, scale in parts:
        px, py, hw, hh = cx + dx, cy + dy, obj.half_w * scale, obj.half_h * scale
        r = np.hypot(hw, hh) + 1
        y0, y1 = max(int(np.floor(py - r)), 0), min(int(np.ceil(py + r)) + 1, H)
        x0, x1 = max(int(np.floor(px - r)), 0), min(int(np.ceil(px + r)) + 1, W)
        if y0 >= y1 or x0 >= x1:
            continue
        ys = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5 - py
        xs = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5 - px
        u = (cos * xs + sin * ys) / hw
        v = (-sin * xs + cos * ys) / hh
        mask = _inside(obj.shape, u, v, obj.phase)
        rgb = np.asarray(obj.color, np.float64) * _pattern(obj.label, u, v, obj.phase)[..., None]
        yield slice(y0, y1), slice(x0, x1), mask, rgb


def amodal_mask(scene: Scene, obj: ToyObject, t: float = 0) -> np.ndarray:
    """Full (un-occluded) mask of ``obj`` at time ``t``, clipped to the frame, bool (H, W)."""
    full = np.zeros((scene.height, scene.width), bool)
    for rows, cols, mask, _ in _paint_parts(obj, t, scene.height, scene.width):
        full[rows, cols] |= mask
    return full


def stuff_label_map(scene: Scene) -> np.ndarray:
    """Contiguous stuff label of every pixel before things / void, int32 (H, W)."""
    y = np.arange(scene.height, dtype=np.float64)[:, None] + 0.5
    labels = np.full((scene.height, scene.width), _GRASS, np.int32)
    labels[(y >= scene.road_top[None]) & (y < scene.road_bottom[None])] = _ROAD
    labels[y < scene.sky_bottom[None]] = _SKY
    return labels


def _background(scene: Scene, stuff: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng([scene.seed, 1])  # static texture, same in every frame
    H, W = stuff.shape
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    img = np.asarray(PALETTE, np.float64)[stuff]
    sky, grass, road = stuff == _SKY, stuff == _GRASS, stuff == _ROAD
    img[sky] *= (0.85 + 0.25 * y[sky] / H)[:, None]                        # lighter to horizon
    img[grass] += (rng.normal(0, 14, H * W).reshape(H, W)[grass]
                   + 10 * np.sin(1.7 * x[grass]))[:, None]                 # blades
    img[road] += (rng.normal(0, 5, H * W).reshape(H, W)[road]
                  + 6 * np.sin(0.9 * y[road] + np.sin(0.2 * x[road])))[:, None]  # streaks
    return img


def render(scene: Scene, t: float = 0):
    """Draw ``scene`` at time ``t``.

    Returns ``(image, seg_map, segments)``: ``image`` uint8 (H, W, 3) RGB; ``seg_map`` int32
    (H, W) of panoptic ids, 0 = void; ``segments`` a list (stuff first, then things by z) of
    dicts with ``id, category_id, label`` (contiguous), ``isthing, iscrowd, area, bbox``
    ([x, y, w, h] ints), ``full_area`` (amodal area inside the frame; ``area < full_area``
    means occluded or hidden by void) and ``track_id`` (0 for stuff). Only segments with
    visible pixels are listed.
    """
    H, W = scene.height, scene.width
    stuff = stuff_label_map(scene)
    img = _background(scene, stuff)
    seg = np.zeros((H, W), np.int32)
    for k, sid in enumerate(scene.stuff_seg_ids):
        seg[stuff == NUM_THINGS + k] = sid
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64) + 0.5
    for bx, by, br in scene.void_blobs:
        blob = np.hypot(xx - bx, (yy - by) * 1.3) <= br
        seg[blob] = 0
        img[blob] = _VOID_BLOTCH_RGB
    full_area = {sid: int((stuff == NUM_THINGS + k).sum())
                 for k, sid in enumerate(scene.stuff_seg_ids)}
    for obj in sorted(scene.objects, key=lambda o: o.z):
        area = np.zeros((H, W), bool)
        for rows, cols, mask, rgb in _paint_parts(obj, t, H, W):
            seg[rows, cols][mask] = obj.seg_id
            img[rows, cols][mask] = rgb[mask]
            area[rows, cols] |= mask
        full_area[obj.seg_id] = int(area.sum())
    if scene.void_border:
        b = scene.void_border
        border = np.ones((H, W), bool)
        border[b:H - b, b:W - b] = False
        seg[border] = 0
        img[border] = 0
    frame_key = int(round(t * 1000)) & 0xFFFFFFFF  # per-frame sensor noise
    img += np.random.default_rng([scene.seed, 2, frame_key]).normal(0, 4, img.shape)
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)

    entries = [(sid, NUM_THINGS + k, False, 0) for k, sid in enumerate(scene.stuff_seg_ids)]
    entries += [(o.seg_id, o.label, o.iscrowd, o.track_id)
                for o in sorted(scene.objects, key=lambda o: o.z)]
    segments = []
    for sid, label, iscrowd, track_id in entries:
        ys, xs = np.nonzero(seg == sid)
        if ys.size == 0:
            continue
        x0, y0 = int(xs.min()), int(ys.min())
        segments.append(dict(
            id=int(sid), category_id=LABEL_TO_CATEGORY_ID[label], label=int(label),
            isthing=int(label < NUM_THINGS), iscrowd=int(iscrowd), area=int(ys.size),
            bbox=[x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1],
            full_area=full_area[sid], track_id=int(track_id)))
    return image, seg, segments


def render_clip(scene: Scene, num_frames: int, start: int = 0):
    """Render frames ``start .. start + num_frames - 1``; a list of :func:`render` outputs."""
    return [render(scene, t) for t in range(start, start + num_frames)]
