"""ClipDataSample: packing and moving a clip never formats its tensors to text."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch._tensor_str
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from omgseg.registry import TRANSFORMS
from omgseg.structures.clip_sample import ClipDataSample


def _frame() -> DetDataSample:
    frame = DetDataSample(metainfo=dict(img_shape=(16, 16)))
    frame.gt_instances = InstanceData(labels=torch.tensor([1]),
                                      masks=torch.ones(1, 16, 16, dtype=torch.bool))
    return frame


@pytest.fixture
def no_tensor_text(monkeypatch):
    """Any tensor formatted to text from here on fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError('a tensor was formatted to text')
    monkeypatch.setattr(torch._tensor_str, '_str', refuse)


def test_mmdet_track_sample_formats_its_frames_and_clip_sample_does_not(no_tensor_text):
    # the cost ClipDataSample removes: mmdet's setter formats the first frame on every call
    with pytest.raises(AssertionError, match='formatted to text'):
        TrackDataSample().video_data_samples = [_frame()]
    clip = ClipDataSample()
    clip.video_data_samples = [_frame(), _frame()]
    moved = clip.to('cpu')
    assert type(moved) is ClipDataSample and isinstance(moved, TrackDataSample)
    assert len(moved) == 2 and moved[1].gt_instances.labels.tolist() == [1]
    clip.video_data_samples = _frame()  # one frame becomes a clip of one
    assert len(clip.video_data_samples) == 1
    del clip.video_data_samples
    assert len(clip) == 0


def test_pack_clip_inputs_gives_a_clip_sample_without_formatting(no_tensor_text):
    frame = dict(img=np.zeros((16, 16, 3), np.uint8), img_shape=(16, 16), frame_id=0,
                 gt_masks=BitmapMasks(np.ones((1, 16, 16), np.uint8), 16, 16),
                 gt_bboxes_labels=np.array([2]), gt_instances_ids=np.array([7]))
    packed = TRANSFORMS.build(dict(type='PackClipInputs'))([frame, dict(frame, frame_id=1)])
    sample = packed['data_samples']
    assert type(sample) is ClipDataSample
    assert [f.metainfo['frame_id'] for f in sample.video_data_samples] == [0, 1]
    assert sample.video_data_samples[1].gt_instances.instances_ids.tolist() == [7]


@pytest.mark.parametrize('value, got', [([], 'an empty list'), ([1], "a list of ['int']"),
                                        ('frames', 'str')])
def test_clip_sample_refuses_what_is_not_frames(value, got):
    with pytest.raises(TypeError, match=re.escape(f'DetDataSample (one per frame), got {got}.')):
        ClipDataSample().video_data_samples = value
