"""Hand-made batches of clips for model tests: two things linked across frames, one stuff
class, an explicit task."""
import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData, PixelData

from omgseg.structures import IGNORE_INDEX


def make_batch(batch: int, frames: int, size=(64, 96), with_gt=True, task='panoptic'):
    """A batch of clips: two things linked across frames and one stuff class."""
    h, w = size
    inputs, samples = [], []
    for _ in range(batch):
        inputs.append(torch.randint(0, 255, (frames, 3, h, w), dtype=torch.uint8))
        track = TrackDataSample()
        frame_samples = []
        for t in range(frames):
            s = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), frame_id=t))
            masks = np.zeros((2, h, w), np.uint8)
            masks[0, 5 + t:20 + t, 5:30] = 1
            masks[1, 30:60, 40:90] = 1
            n = 2 if with_gt else 0
            s.gt_instances = InstanceData(labels=torch.tensor([0, 3])[:n],
                                          masks=torch.from_numpy(masks[:n]).bool(),
                                          instances_ids=torch.tensor([11, 12])[:n])
            sem = torch.full((1, h, w), IGNORE_INDEX, dtype=torch.long)
            if with_gt:
                sem[0, :, :] = 6
                sem[0, 30:60, 40:90] = 3
            s.gt_sem_seg = PixelData(sem_seg=sem)
            frame_samples.append(s)
        track.video_data_samples = frame_samples
        track.set_metainfo(dict(task=task))
        samples.append(track)
    return dict(inputs=inputs, data_samples=samples)
