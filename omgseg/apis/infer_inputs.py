"""What :class:`OMGSegInferencer` accepts as input, turned into frame sources.

An input is an image path or (H, W, 3) uint8 BGR array (as ``cv2.imread`` gives), a video file
(mp4 / avi / mov), a folder (of frames: one video; or of images with ``folder='images'``), or
a list of any of these. Each becomes a :class:`Source` whose frames are read one at a time, as
(H, W, 3) uint8 RGB, every time it is iterated: a video never sits whole in memory.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from omgseg.visualization.video_io import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS,
                                           FrameFolderReader, open_frame_folder, open_video)

FOLDER_MODES = ('video', 'images')


@dataclass(frozen=True)
class Source:
    """One input: an image (a video of one frame) or a video.

    Args:
        name: unique name for output files.
        kind: ``'image'`` or ``'video'``.
        frames: re-iterable frames, (H, W, 3) uint8 RGB, decoded one at a time.
        num_frames: frames it yields.
        fps: frame rate (0 for images).
        frame_names: per-frame names for output files.
    """
    name: str
    kind: str
    frames: Iterable[np.ndarray]
    num_frames: int
    fps: float
    frame_names: tuple[str, ...]


class ArrayFrames:
    """A BGR array as a one-frame, re-iterable RGB source.

    Args:
        image: (H, W, 3) uint8 BGR.
    """

    def __init__(self, *, image: np.ndarray) -> None:
        self.image = image

    def __iter__(self) -> Iterator[np.ndarray]:
        yield np.ascontiguousarray(self.image[..., ::-1])


def count_video_frames(path: str) -> int:
    """Frames of a video, counted by demuxing (containers' own counts can be off)."""
    cap = cv2.VideoCapture(path)
    count = 0
    try:
        while cap.grab():
            count += 1
    finally:
        cap.release()
    return count


def _check_array(image, index: str) -> np.ndarray:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or 0 in image.shape:
        raise ValueError(f'inputs{index}: arrays must be (H, W, 3) uint8 BGR images, got shape '
                         f'{image.shape} dtype {image.dtype}; convert with '
                         f'np.asarray(img, np.uint8) or pass a file path.')
    return image


def _image_source(path: str) -> Source:
    if cv2.imread(path, cv2.IMREAD_COLOR) is None:
        raise ValueError(f'cannot read image {path} (corrupt or not an image); replace it.')
    reader = FrameFolderReader(paths=(path,))
    return Source(name=Path(path).stem, kind='image', frames=reader, num_frames=1, fps=0.0,
                  frame_names=(Path(path).stem,))


def _video_source(path: str) -> Source:
    reader = open_video(path)
    count = count_video_frames(path)
    if count == 0:
        raise ValueError(f'video {path} has no frames; re-encode it, e.g. ffmpeg -i IN -c:v '
                         f'libx264 OUT.mp4.')
    fps = reader.fps or 30.0  # containers without a rate: play overlays at 30 fps
    return Source(name=Path(path).stem, kind='video', frames=reader, num_frames=count,
                  fps=fps, frame_names=tuple(f'{i:05d}' for i in range(count)))


def _folder_sources(path: str, folder: str, fps: float) -> list[Source]:
    reader = open_frame_folder(path, fps=fps)
    if folder == 'images':
        return [_image_source(p) for p in reader.paths]
    return [Source(name=Path(path).name, kind='video', frames=reader,
                   num_frames=reader.num_frames, fps=reader.fps,
                   frame_names=tuple(reader.names))]


def _path_sources(path: str, folder: str, fps: float) -> list[Source]:
    if os.path.isdir(path):
        return _folder_sources(path, folder, fps)
    if not os.path.exists(path):
        raise FileNotFoundError(f'input {path} does not exist; give an image, a video '
                                f'({", ".join(VIDEO_EXTENSIONS)}) or a folder of frames.')
    ext = os.path.splitext(path)[1].lower()
    if ext in VIDEO_EXTENSIONS:
        return [_video_source(path)]
    if ext in IMAGE_EXTENSIONS:
        return [_image_source(path)]
    raise ValueError(f'input {path}: unsupported extension {ext!r}; supported images '
                     f'{", ".join(IMAGE_EXTENSIONS)}, videos {", ".join(VIDEO_EXTENSIONS)}, '
                     f'or a folder of frames.')


def _unique(sources: list[Source]) -> list[Source]:
    """Rename repeated names ``x``, ``x_2``, ``x_3`` so output files never collide."""
    seen: dict[str, int] = {}
    out = []
    for src in sources:
        name = src.name
        if name in seen:
            seen[name] += 1
            name = f'{src.name}_{seen[src.name]}'
            while name in seen:
                name += '_'
        seen.setdefault(name, 1)
        out.append(src if name == src.name else Source(
            name=name, kind=src.kind, frames=src.frames, num_frames=src.num_frames,
            fps=src.fps, frame_names=src.frame_names if src.kind == 'video' else (name,)))
    return out


def resolve_inputs(inputs, *, folder: str = 'video', fps: float = 30.0) -> list[Source]:
    """Turn ``inputs`` into frame sources (see the module docstring).

    Args:
        inputs: a path, an array or a list of them.
        folder: a folder is one video of frames (``'video'``) or separate images
            (``'images'``).
        fps: frame rate assumed for folders of frames.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: unsupported extension, unreadable file, bad array, empty input.
    """
    if folder not in FOLDER_MODES:
        raise ValueError(f'folder must be one of {FOLDER_MODES}, got {folder!r}.')
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not items:
        raise ValueError('inputs is empty; give an image, a video, a folder or a list.')
    sources: list[Source] = []
    for i, item in enumerate(items):
        index = f'[{i}]' if isinstance(inputs, (list, tuple)) else ''
        if isinstance(item, np.ndarray):
            name = f'image{i}' if index else 'image'
            sources.append(Source(name=name, kind='image',
                                  frames=ArrayFrames(image=_check_array(item, index)),
                                  num_frames=1, fps=0.0, frame_names=(name,)))
        elif isinstance(item, (str, os.PathLike)):
            sources.extend(_path_sources(os.fspath(item), folder, fps))
        else:
            raise TypeError(f'inputs{index}: expected a path or an (H, W, 3) uint8 array, got '
                            f'{type(item).__name__}.')
    return _unique(sources)


__all__ = ['ArrayFrames', 'FOLDER_MODES', 'Source', 'count_video_frames', 'resolve_inputs']
