"""Read videos and frame folders one frame at a time; write MP4s.

Readers are opened by :func:`open_video`, :func:`open_frame_folder` or :func:`open_frames`
(which probe the file or folder and fail early with a message naming it); iterating a reader
decodes one frame at a time, so memory does not grow with the video's length, and every
iteration starts again from the first frame. Frames are (H, W, 3) uint8 RGB unless
``channel_order='bgr'`` is asked for.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
_ORDERS = ('rgb', 'bgr')
# output extension -> codec: mp4v for files, VP8 WebM for browsers (they do not play mp4v)
WRITE_CODECS = {'.mp4': 'mp4v', '.webm': 'VP80'}


def _check_order(channel_order: str) -> None:
    if channel_order not in _ORDERS:
        raise ValueError(f'channel_order must be one of {_ORDERS}, got {channel_order!r}.')


def _natural_key(name: str) -> list:
    """``frame2`` before ``frame10``: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', name)]


@dataclass(frozen=True)
class VideoReader:
    """A video file's metadata, iterable frame by frame (build it with :func:`open_video`).

    Args:
        path: the video file.
        fps: frames per second from the container (0.0 when it does not say).
        num_frames: frame count from the container (some codecs report it inexactly;
            iteration yields what decodes).
        width: frame width in pixels.
        height: frame height in pixels.
        channel_order: ``'rgb'`` or ``'bgr'`` for the yielded frames.
    """

    path: str
    fps: float
    num_frames: int
    width: int
    height: int
    channel_order: str = 'rgb'

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return self.width, self.height

    @property
    def names(self) -> list[str]:
        """Per-frame names for output files: ``00000``, ``00001``, ..."""
        return [f'{i:05d}' for i in range(self.num_frames)]

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        """Yield (H, W, 3) uint8 frames in ``channel_order``, decoding one at a time."""
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            raise ValueError(f'cannot open video {self.path} (moved or deleted since it was '
                             f'probed?).')
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    return
                yield frame[..., ::-1].copy() if self.channel_order == 'rgb' else frame
        finally:
            cap.release()


def open_video(path: str | os.PathLike, *, channel_order: str = 'rgb') -> VideoReader:
    """Probe a video file (mp4, avi, mov) and return its :class:`VideoReader`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: unsupported extension (the message lists the supported ones), or a file
            OpenCV cannot decode a first frame from (unreadable or corrupt).
    """
    _check_order(channel_order)
    path = str(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'video file not found: {path}')
    ext = os.path.splitext(path)[1].lower()
    if ext not in VIDEO_EXTENSIONS:
        raise ValueError(f'{path}: unsupported video extension {ext!r}; supported: '
                         f'{", ".join(VIDEO_EXTENSIONS)} (or pass a folder of frames).')
    cap = cv2.VideoCapture(path)
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok or frame is None:
            raise ValueError(f'cannot read video {path}: OpenCV decodes no frame from it (the '
                             f'file is corrupt, truncated or uses a codec this OpenCV build '
                             f'lacks); re-encode it, e.g. ffmpeg -i IN -c:v libx264 OUT.mp4.')
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = fps if math.isfinite(fps) and fps > 0 else 0.0
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    return VideoReader(path=path, fps=fps, num_frames=max(count, 1), width=frame.shape[1],
                       height=frame.shape[0], channel_order=channel_order)


@dataclass(frozen=True)
class FrameFolderReader:
    """A folder of frame images in natural name order (build it with
    :func:`open_frame_folder`).

    Args:
        paths: the image files, in frame order.
        fps: the frame rate to assume when writing a video of these frames.
        channel_order: ``'rgb'`` or ``'bgr'`` for the yielded frames.
    """

    paths: tuple[str, ...]
    fps: float = 30.0
    channel_order: str = 'rgb'

    @property
    def num_frames(self) -> int:
        return len(self.paths)

    @property
    def names(self) -> list[str]:
        """Per-frame names for output files: the image file stems."""
        return [Path(p).stem for p in self.paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[np.ndarray]:
        """Yield (H, W, 3) uint8 frames in ``channel_order``, reading one file at a time."""
        for path in self.paths:
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is None:
                raise ValueError(f'cannot read frame image {path} (corrupt or not an image).')
            yield frame[..., ::-1].copy() if self.channel_order == 'rgb' else frame


def open_frame_folder(folder: str | os.PathLike, *, fps: float = 30.0,
                      channel_order: str = 'rgb') -> FrameFolderReader:
    """List the images of ``folder`` (non-images and hidden files are skipped).

    Raises:
        FileNotFoundError: no such folder.
        ValueError: the folder holds no image, or ``fps`` is not positive.
    """
    _check_order(channel_order)
    folder = str(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f'frame folder not found: {folder}')
    if fps <= 0:
        raise ValueError(f'fps must be positive, got {fps}.')
    names = [n for n in os.listdir(folder) if not n.startswith('.')
             and os.path.splitext(n)[1].lower() in IMAGE_EXTENSIONS
             and os.path.isfile(os.path.join(folder, n))]
    if not names:
        raise ValueError(f'frame folder {folder} holds no image (looked for '
                         f'{", ".join(IMAGE_EXTENSIONS)}).')
    paths = tuple(os.path.join(folder, n) for n in sorted(names, key=_natural_key))
    return FrameFolderReader(paths=paths, fps=float(fps), channel_order=channel_order)


def open_frames(source: str | os.PathLike, *, fps: float = 30.0,
                channel_order: str = 'rgb') -> VideoReader | FrameFolderReader:
    """A reader for a video file or a folder of frames (``fps`` applies to folders only)."""
    if os.path.isdir(source):
        return open_frame_folder(source, fps=fps, channel_order=channel_order)
    return open_video(source, channel_order=channel_order)


class VideoWriter:
    """Write frames to an MP4 (``mp4v``) or a WebM (VP8, plays in browsers); the size is
    fixed by the first frame.

    Use as a context manager; the file is created on the first :meth:`write`.

    Args:
        path: output ``.mp4`` or ``.webm`` path (parent folders are created).
        fps: frame rate, > 0.
        channel_order: ``'rgb'`` or ``'bgr'`` of the frames passed to :meth:`write`.
    """

    def __init__(self, path: str | os.PathLike, *, fps: float,
                 channel_order: str = 'rgb') -> None:
        _check_order(channel_order)
        self.codec = WRITE_CODECS.get(os.path.splitext(str(path))[1].lower())
        if self.codec is None:
            raise ValueError(f'VideoWriter writes {" or ".join(WRITE_CODECS)} files; got '
                             f'{path}.')
        if not fps or fps <= 0:
            raise ValueError(f'fps must be positive, got {fps} (for {path}).')
        self.path, self.fps, self.channel_order = str(path), float(fps), channel_order
        self.num_frames = 0
        self._writer = None
        self._size: tuple[int, int] | None = None

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 frame."""
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f'{self.path}: frames must be (H, W, 3) uint8, got shape '
                             f'{frame.shape} dtype {frame.dtype}.')
        size = (frame.shape[1], frame.shape[0])
        if self._writer is None:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            self._writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*self.codec),
                                           self.fps, size)
            if not self._writer.isOpened():
                raise OSError(f'OpenCV cannot open {self.path} for writing (folder not '
                              f'writable, or no {self.codec} encoder in this OpenCV build).')
            self._size = size
        elif size != self._size:
            raise ValueError(f'{self.path}: frame {self.num_frames} is {size[0]}x{size[1]} '
                             f'but the video is {self._size[0]}x{self._size[1]} (WxH).')
        bgr = frame[..., ::-1] if self.channel_order == 'rgb' else frame
        self._writer.write(np.ascontiguousarray(bgr))
        self.num_frames += 1

    def close(self) -> None:
        """Finish the file (idempotent)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> 'VideoWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ['FrameFolderReader', 'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'VideoReader',
           'VideoWriter', 'open_frame_folder', 'open_frames', 'open_video']
