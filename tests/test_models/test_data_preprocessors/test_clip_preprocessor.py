"""ClipDataPreprocessor: normalisation, BGR -> RGB, padding of images, masks and semantic maps,
the streaming path of long clips, and its errors; values worked out by hand."""
from __future__ import annotations

import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData, PixelData

from omgseg.models.data_preprocessors import ClipDataPreprocessor
from omgseg.structures import IGNORE_INDEX

MEAN, STD = (10.0, 20.0, 30.0), (1.0, 2.0, 5.0)
BGR = (50, 60, 70)          # stored channel order B, G, R
RGB_NORM = [(70 - 10) / 1.0, (60 - 20) / 2.0, (50 - 30) / 5.0]


def clip(t: int, h: int, w: int) -> torch.Tensor:
    """(t, 3, h, w) uint8 of one colour."""
    return torch.tensor(BGR, dtype=torch.uint8).view(1, 3, 1, 1).expand(t, 3, h, w).clone()


def sample(t: int, h: int, w: int) -> TrackDataSample:
    frames = []
    for _ in range(t):
        frame = DetDataSample()
        frame.gt_instances = InstanceData(labels=torch.tensor([0]),
                                          masks=torch.ones((1, h, w), dtype=torch.bool))
        frame.gt_sem_seg = PixelData(sem_seg=torch.zeros((1, h, w), dtype=torch.long))
        frames.append(frame)
    return TrackDataSample(video_data_samples=frames)


def preprocessor(**kwargs) -> ClipDataPreprocessor:
    return ClipDataPreprocessor(mean=MEAN, std=STD, pad_size_divisor=4, **kwargs)


def test_normalise_and_pad_a_batch():
    data = dict(inputs=[clip(2, 3, 5), clip(2, 4, 3)], data_samples=[sample(2, 3, 5),
                                                                      sample(2, 4, 3)])
    out = preprocessor()(data, training=True)
    x = out['inputs']
    # largest H, W = 4, 5, padded up to multiples of 4 -> 4, 8
    assert x.shape == (2, 2, 3, 4, 8) and x.dtype == torch.float32
    for c, v in enumerate(RGB_NORM):
        assert torch.all(x[0, :, c, :3, :5] == v) and torch.all(x[1, :, c, :4, :3] == v)
    # padding comes after normalisation: zero, the mean colour
    assert torch.all(x[0, :, :, 3:] == 0) and torch.all(x[0, :, :, :, 5:] == 0)
    assert torch.all(x[1, :, :, :, 3:] == 0)
    frame = out['data_samples'][0].video_data_samples[1]
    assert frame.batch_input_shape == (4, 8) and frame.pad_shape == (4, 8)
    masks = frame.gt_instances.masks
    assert masks.shape == (1, 4, 8) and int(masks.sum()) == 15 and masks[0, :3, :5].all()
    sem = frame.gt_sem_seg.sem_seg
    assert sem.shape == (1, 4, 8)
    assert torch.all(sem[0, :3, :5] == 0) and int((sem == IGNORE_INDEX).sum()) == 32 - 15


def test_fixed_training_pad_size_and_its_error():
    pre = preprocessor(train_pad_size=(6, 9))
    out = pre(dict(inputs=[clip(1, 3, 5)]), training=True)
    assert out['inputs'].shape == (1, 1, 3, 8, 12)   # (6, 9) rounded up to multiples of 4
    # test batches are padded to the divisor only, as the original pads training batches only
    assert pre(dict(inputs=[clip(1, 3, 5)]), training=False)['inputs'].shape == (1, 1, 3, 4, 8)
    with pytest.raises(ValueError, match='train_pad_size'):
        preprocessor(train_pad_size=(2, 2))(dict(inputs=[clip(1, 3, 5)]), training=True)
    with pytest.raises(ValueError, match=r'train_pad_size must be \(H, W\)'):
        preprocessor(train_pad_size=(8,))


def test_clips_of_different_lengths_are_an_error():
    with pytest.raises(ValueError, match='same number of frames'):
        preprocessor()(dict(inputs=[clip(2, 4, 4), clip(3, 4, 4)]), training=True)


def test_long_clip_stays_uint8_and_normalises_later():
    pre = preprocessor(stream_frames=2)
    out = pre(dict(inputs=[clip(3, 3, 5)], data_samples=[sample(3, 3, 5)]), training=False)
    raw = out['inputs']
    assert raw.dtype == torch.uint8 and raw.shape == (1, 3, 3, 3, 5)
    assert out['data_samples'][0].video_data_samples[0].batch_input_shape == (4, 8)
    streamed = pre.normalize(raw)
    direct = preprocessor()(dict(inputs=[clip(3, 3, 5)]), training=False)['inputs']
    torch.testing.assert_close(streamed, direct, rtol=0, atol=0)
    # training never streams
    assert pre(dict(inputs=[clip(3, 3, 5)]), training=True)['inputs'].dtype == torch.float32
