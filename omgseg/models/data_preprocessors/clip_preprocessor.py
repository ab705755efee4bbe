"""Batch clips of T frames into a normalised, padded ``(B, T, 3, H, W)`` tensor."""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData

from omgseg.registry import MODELS
from omgseg.structures import IGNORE_INDEX


@MODELS.register_module()
class ClipDataPreprocessor(BaseDataPreprocessor):
    """Normalise and pad clips; pad ground-truth masks and semantic maps to the batch shape.

    Args:
        mean / std: per-channel statistics in 0-255 RGB (ImageNet's, as the original).
        bgr_to_rgb: images are loaded as BGR by mmcv; the CLIP backbone wants RGB.
        pad_size_divisor: pad H and W up to a multiple of this (32 = the coarsest stride).
        train_pad_size: optional fixed (H, W) every *training* batch is padded to, as the
            original's ``BatchFixedSizePad`` (736, 1280 for its co-training clips, 1024 x 1024
            for LSJ images): positional encodings are normalised over, and losses sample
            points from, the same padded canvas whatever the crop. Test batches are padded to
            a multiple of ``pad_size_divisor`` only.
        seg_pad_value: fill of padded semantic pixels (void).
        non_blocking: asynchronous host-to-device copies.
        stream_frames: at test time, a single clip longer than this stays uint8 in host
            memory; the model normalises and moves it to the device clip by clip, so device
            memory does not grow with the video length.
    """

    def __init__(self, *, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), bgr_to_rgb: bool = True,
                 pad_size_divisor: int = 32, train_pad_size: Sequence[int] | None = None,
                 seg_pad_value: int = IGNORE_INDEX, non_blocking: bool = False,
                 stream_frames: int = 8) -> None:
        super().__init__(non_blocking=non_blocking)
        self.register_buffer('mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.bgr_to_rgb = bgr_to_rgb
        self.pad_size_divisor = pad_size_divisor
        if train_pad_size is not None and (len(train_pad_size) != 2
                                           or min(int(v) for v in train_pad_size) < 1):
            raise ValueError(f'data_preprocessor.train_pad_size must be (H, W), got '
                             f'{train_pad_size!r}.')
        self.train_pad_size = (tuple(int(v) for v in train_pad_size)
                               if train_pad_size is not None else None)
        self.seg_pad_value = seg_pad_value
        self.stream_frames = stream_frames

    def _batch_shape(self, clips: list[torch.Tensor], training: bool = False
                     ) -> tuple[int, int]:
        h = max(c.shape[-2] for c in clips)
        w = max(c.shape[-1] for c in clips)
        if training and self.train_pad_size is not None:
            if h > self.train_pad_size[0] or w > self.train_pad_size[1]:
                raise ValueError(f'a training image of {h}x{w} exceeds data_preprocessor.'
                                 f'train_pad_size {self.train_pad_size} (H, W); crop it in the '
                                 f'pipeline or raise train_pad_size.')
            h, w = self.train_pad_size
        d = self.pad_size_divisor
        return math.ceil(h / d) * d, math.ceil(w / d) * d

    def _normalize_pad(self, clip: torch.Tensor, hp: int, wp: int) -> torch.Tensor:
        clip = clip.to(self.device).float()
        if self.bgr_to_rgb:
            clip = clip.flip(-3)
        clip = (clip - self.mean) / self.std
        # padding after normalisation: padded pixels are zero (the mean colour)
        return F.pad(clip, (0, wp - clip.shape[-1], 0, hp - clip.shape[-2]))

    def normalize(self, clips: torch.Tensor) -> torch.Tensor:
        """(B, t, 3, H, W) uint8 on any device -> normalised, padded float on the model's
        device (the streaming path of long videos)."""
        hp, wp = self._batch_shape([clips])
        return self._normalize_pad(clips, hp, wp)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Args: data with ``inputs`` (list of (T, 3, H, W) uint8) and ``data_samples``
        (list of ``TrackDataSample``). Returns ``inputs`` (B, T, 3, Hp, Wp) float, or at test
        time for one clip of more than ``stream_frames`` frames (1, T, 3, H, W) uint8 left in
        host memory (see :meth:`normalize`)."""
        clips = data['inputs']
        if isinstance(clips, torch.Tensor):
            clips = list(clips)
        num_frames = {c.shape[0] for c in clips}
        if len(num_frames) != 1:
            raise ValueError(f'clips of one batch must have the same number of frames, got '
                             f'{sorted(num_frames)}.')
        hp, wp = self._batch_shape(clips, training)
        if not training and len(clips) == 1 and clips[0].shape[0] > self.stream_frames:
            inputs = clips[0][None]
            data = self.cast_data(dict(data_samples=data.get('data_samples')))
        else:
            data = self.cast_data(dict(data, inputs=clips))
            inputs = torch.stack([self._normalize_pad(c, hp, wp) for c in data['inputs']])
        samples = data.get('data_samples')
        if samples is not None:
            for sample in samples:
                for frame in sample.video_data_samples:
                    frame.set_metainfo(dict(batch_input_shape=(hp, wp), pad_shape=(hp, wp)))
                    self._pad_gt(frame, hp, wp)
        return dict(inputs=inputs, data_samples=samples)

    def _pad_gt(self, frame, hp: int, wp: int) -> None:
        if 'gt_instances' in frame and 'masks' in frame.gt_instances:
            masks = frame.gt_instances.masks
            size = (masks.height, masks.width) if hasattr(masks, 'pad') else masks.shape[-2:]
            if 'img_shape' in frame and tuple(size) != tuple(frame.img_shape[:2]):
                # annotations loaded after Resize stay at the original size (the original's
                # DAVIS protocol matches first-frame objects there); they are not padded
                if hasattr(masks, 'to_tensor'):
                    frame.gt_instances.masks = masks.to_tensor(dtype=torch.bool,
                                                               device=self.device)
            elif hasattr(masks, 'pad'):
                frame.gt_instances.masks = masks.pad((hp, wp), pad_val=0).to_tensor(
                    dtype=torch.bool, device=self.device)
            else:
                frame.gt_instances.masks = F.pad(masks, (0, wp - masks.shape[-1],
                                                         0, hp - masks.shape[-2]))
        if 'gt_sem_seg' in frame:
            sem = frame.gt_sem_seg.sem_seg
            # PixelData fixes its shape on creation, so padding needs a new one
            frame.gt_sem_seg = PixelData(sem_seg=F.pad(
                sem, (0, wp - sem.shape[-1], 0, hp - sem.shape[-2]), value=self.seg_pad_value))
