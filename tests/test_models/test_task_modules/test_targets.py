"""clip_targets on a hand-made two-frame clip: a thing that moves, a thing that enters in frame
2, two stuff classes and ignored pixels; panoptic (with stuff) and instance (without)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData, PixelData

from omgseg.models.task_modules import clip_targets
from omgseg.structures import IGNORE_INDEX

I = IGNORE_INDEX  # noqa: E741
NUM_THINGS, NUM_CLASSES = 2, 4      # things 0, 1; stuff 2, 3
SHAPE = (4, 4)

# frame 0: thing id 7 (class 0) top-left, stuff 2, an ignored bottom row
SEM0 = np.array([[0, 0, 2, 2],
                 [0, 0, 2, 2],
                 [2, 2, 2, 2],
                 [I, I, I, I]])
# frame 1: id 7 moved right, id 9 (class 1) enters bottom-right, stuff 3 appears
SEM1 = np.array([[2, 0, 0, 2],
                 [2, 0, 0, 2],
                 [3, 3, 1, 1],
                 [3, 3, 1, 1]])


def frame(ids: list[int], labels: list[int], sem: np.ndarray | None, *, bitmap: bool = False,
          with_ids: bool = True, sem_of_masks: np.ndarray | None = None) -> DetDataSample:
    """A frame whose instance masks are read from a semantic-like map (``sem_of_masks``,
    default ``sem``): instance i is where that map equals its class."""
    source = sem if sem_of_masks is None else sem_of_masks
    masks = np.stack([source == lab for lab in labels]) if labels else np.zeros((0, *SHAPE),
                                                                                 bool)
    inst = InstanceData(labels=torch.tensor(labels, dtype=torch.long))
    inst.masks = BitmapMasks(masks.astype(np.uint8), *SHAPE) if bitmap else torch.tensor(masks)
    if with_ids:
        inst.instances_ids = torch.tensor(ids, dtype=torch.long)
    sample = DetDataSample()
    sample.gt_instances = inst
    if sem is not None:
        sample.gt_sem_seg = PixelData(sem_seg=torch.tensor(sem[None], dtype=torch.long))
    return sample


def clip(bitmap: bool = False) -> list[DetDataSample]:
    # frame 1 lists the new instance first: tubes are linked by id, not by position
    return [frame([7], [0], SEM0, bitmap=bitmap), frame([9, 7], [1, 0], SEM1, bitmap=bitmap)]


def run(frames, use_stuff=True):
    return clip_targets(frames, NUM_THINGS, NUM_CLASSES, SHAPE, torch.device('cpu'),
                        use_stuff=use_stuff)


@pytest.mark.parametrize('bitmap', [False, True])
def test_panoptic_tubes(bitmap):
    labels, masks = run(clip(bitmap))
    assert labels.tolist() == [0, 1, 2, 3]
    assert masks.dtype == torch.bool and masks.shape == (4, 2, *SHAPE)
    expected = np.stack([
        np.stack([SEM0 == 0, SEM1 == 0]),                  # id 7 in both frames
        np.stack([np.zeros(SHAPE, bool), SEM1 == 1]),      # id 9: empty before it enters
        np.stack([SEM0 == 2, SEM1 == 2]),                  # stuff 2 in both frames
        np.stack([np.zeros(SHAPE, bool), SEM1 == 3]),      # stuff 3 in frame 1 only
    ])
    np.testing.assert_array_equal(masks.numpy(), expected)
    # ignored pixels belong to no tube
    assert not masks[:, 0, 3].any()


def test_instance_tubes_leave_stuff_out():
    labels, masks = run(clip(), use_stuff=False)
    assert labels.tolist() == [0, 1]
    np.testing.assert_array_equal(masks[0].numpy(), np.stack([SEM0 == 0, SEM1 == 0]))
    np.testing.assert_array_equal(masks[1, 0].numpy(), np.zeros(SHAPE, bool))


def test_frame_without_instances_and_without_semantics():
    frames = [frame([], [], None), frame([9], [1], None, sem_of_masks=SEM1)]
    labels, masks = run(frames)      # no semantic maps: no stuff tubes even with use_stuff
    assert labels.tolist() == [1]
    np.testing.assert_array_equal(masks[0].numpy(),
                                  np.stack([np.zeros(SHAPE, bool), SEM1 == 1]))


def test_empty_clip():
    labels, masks = run([frame([], [], None), frame([], [], None)])
    assert labels.shape == (0,) and labels.dtype == torch.long
    assert masks.shape == (0, 2, *SHAPE) and masks.dtype == torch.bool


def test_single_image_needs_no_ids():
    labels, masks = run([frame([], [0, 1], SEM1, with_ids=False)], use_stuff=False)
    assert labels.tolist() == [0, 1]
    np.testing.assert_array_equal(masks[:, 0].numpy(), np.stack([SEM1 == 0, SEM1 == 1]))


@pytest.mark.parametrize('frames, message', [
    (lambda: [frame([7], [0], SEM0), frame([7], [1], SEM1)], 'changes class'),
    (lambda: [frame([], [0], SEM0, with_ids=False)] * 2, 'instances_ids'),
    (lambda: [frame([7], [2], SEM1, sem_of_masks=SEM1)], 'not a thing'),
    (lambda: [frame([], [], np.full(SHAPE, 5))], 'num_classes'),
])
def test_bad_annotations_are_clear_errors(frames, message):
    with pytest.raises(ValueError, match=message):
        run(frames())


def test_unpadded_masks_are_a_clear_error():
    with pytest.raises(ValueError, match='pad'):
        clip_targets(clip(), NUM_THINGS, NUM_CLASSES, (8, 8), torch.device('cpu'))
