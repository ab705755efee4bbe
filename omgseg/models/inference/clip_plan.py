"""How a video is cut into clips for inference (MinVIS-style tube linking)."""
from __future__ import annotations

import math


def video_split(num_frames: int, clip_size: int) -> list[tuple[int, int]]:
    """Cut ``num_frames`` into ``ceil(num_frames / clip_size)`` consecutive clips.

    Clip lengths differ by at most one, the longer ones first, instead of leaving a tiny final
    clip (22 frames in clips of 5 -> 5, 5, 4, 4, 4), so every clip gives the decoder a few
    frames of temporal context.

    Returns:
        ``[(start, end), ...]`` half-open frame ranges covering ``0 .. num_frames``.
    """
    if num_frames < 1:
        raise ValueError(f'a video needs at least one frame, got {num_frames}.')
    if clip_size < 1:
        raise ValueError(f'clip_size must be >= 1, got {clip_size}.')
    n = math.ceil(num_frames / clip_size)
    base, longer = divmod(num_frames, n)
    spans, start = [], 0
    for i in range(n):
        length = base + (1 if i < longer else 0)
        spans.append((start, start + length))
        start += length
    return spans


def plan_clips(num_frames: int, *, clip_size: int = 5, clip_size_small: int = 3,
               small_clip_thr: int = 15, whole_clip_thr: int = 0) -> list[tuple[int, int]]:
    """Clip ranges for a video of ``num_frames`` frames.

    Videos of at most ``whole_clip_thr`` frames run as one clip; videos of at most
    ``small_clip_thr`` frames use ``clip_size_small``; longer ones use ``clip_size`` (the
    original's YouTube-VIS setting is 5 / 3 / 15, VIPSeg's 2 / 3 / 15). An image is one clip of
    one frame.
    """
    if num_frames <= max(whole_clip_thr, 0):
        return [(0, num_frames)]
    size = clip_size_small if num_frames <= small_clip_thr else clip_size
    return video_split(num_frames, size)
