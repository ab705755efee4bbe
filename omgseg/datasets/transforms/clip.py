"""Clip steps: sample frames of a video, copy an image into a pseudo-video, map per frame.

A *clip* is a list of per-frame result dicts; ``PackClipInputs`` packs it.
"""
from __future__ import annotations

import copy
from contextlib import nullcontext

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_random_params
from mmengine.logging import print_log

from omgseg.registry import TRANSFORMS

# keys of a video entry that every frame dict inherits
_VIDEO_KEYS = ('task', 'video_id', 'video_name', 'video_length', 'sample_idx')


@TRANSFORMS.register_module()
class ClipSample(BaseTransform):
    """Turn a video entry (``images`` = per-frame dicts) into a clip (list of frame dicts).

    Training: frames ``t, t + interval, ..., t + (num_frames - 1) * interval`` from a random
    start ``t``; a video shorter than that span is skipped with a log line (returns None, and
    mmengine's dataset draws another index). ``all_frames=True`` (or ``test_mode=True``): every
    frame, in order.

    Each frame dict carries ``task``, ``video_id``, ``video_name``, ``video_length`` and
    ``frame_id`` (its index in the video) besides its own keys.

    Args:
        num_frames: frames per training clip (T).
        interval: frame step between them.
        all_frames: take the whole video (inference).
        test_mode: same as ``all_frames``.
    """

    def __init__(self, *, num_frames: int = 2, interval: int = 2, all_frames: bool = False,
                 test_mode: bool = False) -> None:
        if num_frames < 1 or interval < 1:
            raise ValueError(f'ClipSample needs num_frames >= 1 and interval >= 1, got '
                             f'{num_frames} and {interval}.')
        self.num_frames = num_frames
        self.interval = interval
        self.all_frames = all_frames or test_mode

    def transform(self, results: dict) -> list[dict] | None:
        if 'images' not in results:
            raise KeyError('ClipSample needs a video entry with an "images" list (from a video '
                           'dataset such as OMGVIPSegDataset / OMGYouTubeVISDataset); for a '
                           'single image use ImageToClip.')
        frames = results['images']
        n = len(frames)
        if self.all_frames:
            index = list(range(n))
        else:
            span = (self.num_frames - 1) * self.interval + 1
            if n < span:
                print_log(f'skipped video {results.get("video_name", results.get("video_id"))!r}'
                          f': {n} frame(s) < {span} needed for {self.num_frames} frames at '
                          f'interval {self.interval}.', logger='current', level=30)
                return None
            start = int(np.random.randint(0, n - span + 1))
            index = [start + k * self.interval for k in range(self.num_frames)]
        shared = {k: results[k] for k in _VIDEO_KEYS if k in results}
        shared.setdefault('video_length', n)
        clip = []
        for i in index:
            frame = copy.deepcopy(frames[i])
            frame.update(shared)
            frame['frame_id'] = i
            clip.append(frame)
        return clip

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'interval={self.interval}, all_frames={self.all_frames})')


@TRANSFORMS.register_module()
class ImageToClip(BaseTransform):
    """A pseudo-video of ``num_frames`` deep copies of one loaded image and its annotations.

    Instance ids (``gt_instances_ids``, e.g. panoptic segment ids) are the same in every copy,
    so each object is one tube; later steps (``ForEachFrame``) decide which random
    augmentations the copies share.
    """

    def __init__(self, *, num_frames: int = 2) -> None:
        if num_frames < 1:
            raise ValueError(f'ImageToClip needs num_frames >= 1, got {num_frames}.')
        self.num_frames = num_frames

    def transform(self, results: dict) -> list[dict]:
        if 'gt_masks' in results and 'gt_instances_ids' not in results:
            results['gt_instances_ids'] = np.arange(len(results['gt_masks']), dtype=np.int64)
        clip = []
        for k in range(self.num_frames):
            frame = copy.deepcopy(results)
            frame.update(frame_id=k, video_length=self.num_frames,
                         video_id=results.get('video_id', results.get('img_id')))
            clip.append(frame)
        return clip


@TRANSFORMS.register_module()
class ForEachFrame(BaseTransform):
    """Apply mmcv transforms to every frame dict of a clip.

    With ``share_random_params=True`` every frame gets the same random draws (flip direction,
    resize scale, crop offset: the methods mmcv marks with ``cache_randomness``), so frames of a
    video stay aligned; with False each frame draws its own. A frame for which a step returns
    None makes the whole clip None (the dataset then draws another sample).

    Args:
        transforms: transform configs or callables, applied in order to each frame.
        share_random_params: share the random parameters across frames.
    """

    def __init__(self, *, transforms: list, share_random_params: bool = True) -> None:
        self.transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms]
        self.share_random_params = share_random_params
        if share_random_params:
            for t in self.transforms:
                if getattr(t, 'avoid_cache_randomness', False):
                    raise ValueError(f'{type(t).__name__} cannot share random parameters across '
                                     f'frames; put it in a ForEachFrame with '
                                     f'share_random_params=False.')

    def _one(self, frame: dict) -> dict | None:
        for t in self.transforms:
            frame = t(frame)
            if frame is None:
                return None
        return frame

    def transform(self, results: list[dict] | dict) -> list[dict] | dict | None:
        single = isinstance(results, dict)
        frames = [results] if single else results
        ctx = cache_random_params(self.transforms) if self.share_random_params else nullcontext()
        out = []
        with ctx:
            for frame in frames:
                frame = self._one(frame)
                if frame is None:
                    return None
                out.append(frame)
        return out[0] if single else out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'share_random_params={self.share_random_params})')
