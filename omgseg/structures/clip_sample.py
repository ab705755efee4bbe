"""The clip sample every omgseg pipeline packs: mmdet's ``TrackDataSample`` (one
``DetDataSample`` per frame) without the cost of its frame setter."""
from __future__ import annotations

from mmdet.structures import DetDataSample, TrackDataSample


class ClipDataSample(TrackDataSample):
    """A ``TrackDataSample`` whose ``video_data_samples`` setter only checks its input.

    mmdet 3.3's setter builds an f-string of the first frame after its assert, on every call,
    so the whole ``DetDataSample`` (masks and maps included) is formatted to text and thrown
    away each time a clip is packed and each time ``.to(device)`` copies it: 20-30 ms a batch
    of four 128 x 128 clips, measured in the data workers and again in the data preprocessor.
    Everything else is ``TrackDataSample``'s (``isinstance`` checks, ``.to``, indexing).
    """

    @property
    def video_data_samples(self) -> list[DetDataSample]:
        """The frames, in order."""
        return self._video_data_samples

    @video_data_samples.setter
    def video_data_samples(self, value: list[DetDataSample] | DetDataSample) -> None:
        if isinstance(value, DetDataSample):
            value = [value]
        if not isinstance(value, list) or not value or not all(
                isinstance(v, DetDataSample) for v in value):
            got = (type(value).__name__ if not isinstance(value, list) else 'an empty list'
                   if not value else f'a list of {sorted({type(v).__name__ for v in value})}')
            raise TypeError(f'video_data_samples must be a non-empty list of DetDataSample '
                            f'(one per frame), got {got}.')
        self.set_field(value, '_video_data_samples', dtype=list)

    @video_data_samples.deleter
    def video_data_samples(self) -> None:
        del self._video_data_samples
