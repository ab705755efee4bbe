"""Hold a video's low-resolution mask logits between linking and post-processing.

Final class scores are known only once every clip is linked, so the per-clip masks must wait.
Kept in host memory they grow with the video (300 queries x 300 frames at stride 4 of 720p is
about 10 GB in float16), so past a memory budget the store spills them to a temporary file and
reads them back one clip at a time: peak memory then stays flat however long the video is.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator

import numpy as np
import torch


class MaskStore:
    """Append-only store of (Q, t, h, w) mask logits, clip by clip, as float16.

    Args:
        budget_mb: keep clips in host memory until they would exceed this many MiB, then
            spill everything that follows to disk (0 = always spill, None = never).
        spill_dir: directory of the temporary spill file (the system default when None).
    """

    def __init__(self, *, budget_mb: float | None = 2048, spill_dir: str | None = None) -> None:
        self.budget = None if budget_mb is None else budget_mb * 2 ** 20
        self.spill_dir = spill_dir
        self._clips: list = []          # torch tensors (in memory) or (offset, shape) on disk
        self._bytes_in_memory = 0
        self._file = None
        self._offset = 0

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def append(self, masks: torch.Tensor) -> None:
        """Args: masks (Q, t, h, w) logits on any device."""
        half = masks.detach().to('cpu', torch.float16)
        size = half.numel() * 2
        if self.budget is None or self._bytes_in_memory + size <= self.budget:
            self._clips.append(half)
            self._bytes_in_memory += size
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self.spill_dir, prefix='omgseg_masks_')
        self._file.seek(self._offset)
        self._file.write(half.numpy().tobytes())
        self._clips.append((self._offset, tuple(half.shape)))
        self._offset += size

    def __len__(self) -> int:
        return len(self._clips)

    def __iter__(self) -> Iterator[torch.Tensor]:
        """Yield each clip's (Q, t, h, w) float16 logits in order (read back from disk when
        spilled)."""
        for clip in self._clips:
            if isinstance(clip, torch.Tensor):
                yield clip
                continue
            offset, shape = clip
            self._file.seek(offset)
            count = int(np.prod(shape))
            data = np.frombuffer(self._file.read(count * 2), dtype=np.float16, count=count)
            yield torch.from_numpy(data.reshape(shape).copy())

    def frames(self, device=None) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield ``(frame index, (Q, h, w) float16 logits)`` through every stored clip, moved to
        ``device``; the store is closed when the iteration ends or is abandoned."""
        t = 0
        try:
            for clip in self:
                clip = clip.to(device) if device is not None else clip
                for j in range(clip.shape[1]):
                    yield t, clip[:, j]
                    t += 1
        finally:
            self.close()

    def close(self) -> None:
        """Release memory and delete the spill file."""
        self._clips.clear()
        self._bytes_in_memory = 0
        if self._file is not None:
            self._file.close()
            self._file = None

