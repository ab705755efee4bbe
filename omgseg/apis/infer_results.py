"""Plain result structures of :class:`OMGSegInferencer` (numpy and Python types only).

Every input is a clip: an image gives a :class:`VideoResult` of one frame. Per frame there is
an id map with its segments (panoptic segments, VOS objects or prompted objects), a semantic
map, or RLE instance masks aligned with the video-level :class:`Track` list.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

INFER_TASKS = ('panoptic', 'instance', 'semantic', 'vos', 'interactive')


@dataclass
class Segment:
    """One region of a frame's id map.

    Args:
        id: its value in :attr:`FrameResult.id_map`.
        label: class index into :attr:`VideoResult.class_names` (-1: class-agnostic, e.g. a
            VOS object).
        name: class name (or ``'obj <id>'`` / ``'prompt <i>'``).
        score: confidence in [0, 1].
        track_id: the same object keeps it through a video (``None`` for stuff).
        isthing: a countable object (stuff regions are one per class).
    """
    id: int
    label: int
    name: str
    score: float
    track_id: int | None
    isthing: bool


@dataclass
class Track:
    """A video-level instance (instance task): one class and score for the whole video.

    Args:
        track_id: stable object id (the model's query + 1).
        label: class index.
        name: class name.
        score: video-level score (class probability x mean mask probability).
    """
    track_id: int
    label: int
    name: str
    score: float


@dataclass
class FrameResult:
    """The outputs of one frame, at the input's original resolution.

    Args:
        index: frame index in the video (0 for an image).
        name: frame name for output files (image stem, frame file stem or ``00000``).
        height / width: frame size in pixels.
        id_map: (H, W) int32 segment ids (0 = nothing) for panoptic, vos and interactive.
        segments: the segments of ``id_map`` present in this frame.
        semantic: (H, W) int32 class indices (semantic task).
        instances: one COCO RLE (``counts`` str) or ``None`` (absent here) per
            :attr:`VideoResult.tracks` entry, same order (instance task).
    """
    index: int
    name: str
    height: int
    width: int
    id_map: np.ndarray | None = None
    segments: list[Segment] = field(default_factory=list)
    semantic: np.ndarray | None = None
    instances: list[dict | None] = field(default_factory=list)


@dataclass
class VideoResult:
    """The outputs of one input (an image is a video of one frame).

    Args:
        name: input name for output files (file stem, unique within a call).
        kind: ``'image'`` or ``'video'``.
        task: the task that made it.
        fps: frame rate of the input (images: 0).
        class_names: label -> name of the vocabulary used.
        num_things: labels below are things.
        frames: per-frame results (empty when the caller streamed them with ``on_frame``).
        tracks: video-level instances (instance task).
    """
    name: str
    kind: str
    task: str
    fps: float
    class_names: list[str]
    num_things: int
    frames: list[FrameResult] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    num_frames: int = 0


__all__ = ['INFER_TASKS', 'FrameResult', 'Segment', 'Track', 'VideoResult']
