"""Pack a (possibly single-frame) clip into ``inputs`` (T, 3, H, W) and a ``ClipDataSample``
(a ``TrackDataSample``)."""
from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData, PixelData

from omgseg.registry import TRANSFORMS
from omgseg.structures.clip_sample import ClipDataSample

_FRAME_META = ('img_id', 'img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'scale_factor',
               'flip', 'flip_direction', 'frame_id', 'segments_info')


def _frame_sample(results: dict) -> DetDataSample:
    sample = DetDataSample(metainfo={k: results[k] for k in _FRAME_META if k in results})
    if 'gt_masks' in results:
        masks = results['gt_masks']
        keep = np.asarray(masks.areas) > 0 if len(masks) else np.zeros(0, bool)
        ignore = results.get('gt_ignore_flags', np.zeros(len(masks), bool))
        ids = results.get('gt_instances_ids', np.arange(len(masks)))
        labels = results['gt_bboxes_labels']
        for name, sel in (('gt_instances', keep & ~ignore), ('ignored_instances', keep & ignore)):
            inst = InstanceData()
            index = np.nonzero(sel)[0]
            inst.labels = torch.as_tensor(labels[index], dtype=torch.long)
            inst.masks = masks[index]
            inst.instances_ids = torch.as_tensor(ids[index], dtype=torch.long)
            setattr(sample, name, inst)
    if 'prompt_boxes' in results:
        # visual prompts (interactive task): boxes (P, 4) xyxy in input pixels, kinds (P,)
        # 0 = box / 1 = point, and the instance id each prompt asks for
        sample.prompts = InstanceData(
            boxes=torch.as_tensor(np.asarray(results['prompt_boxes'], np.float32)).view(-1, 4),
            kinds=torch.as_tensor(np.asarray(results['prompt_kinds'], np.int64)),
            instances_ids=torch.as_tensor(np.asarray(results['prompt_instances_ids'],
                                                     np.int64)))
    if 'gt_seg_map' in results:
        sem = torch.from_numpy(results['gt_seg_map'].astype(np.int64))[None]
        sample.gt_sem_seg = PixelData(sem_seg=sem)
    return sample


@TRANSFORMS.register_module()
class PackClipInputs(BaseTransform):
    """Pack one frame (a dict) or a clip (a list of per-frame dicts) for the model.

    The packed ``ClipDataSample`` carries ``task`` (from the dataset) so the model routes on
    it; instances whose mask was cropped away are dropped; crowd instances go to
    ``ignored_instances``.
    """

    def transform(self, results: dict | list[dict]) -> dict:
        frames = results if isinstance(results, list) else [results]
        imgs = []
        for frame in frames:
            img = frame['img']
            if img.ndim == 2:
                img = img[..., None]
            imgs.append(torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))))
        shapes = {tuple(i.shape) for i in imgs}
        if len(shapes) != 1:
            raise ValueError(f'frames of one clip differ in size: {sorted(shapes)}.')
        track = ClipDataSample()
        track.video_data_samples = [_frame_sample(f) for f in frames]
        first = frames[0]
        meta = dict(task=first.get('task', 'panoptic'),
                    video_id=first.get('video_id', first.get('img_id')), num_frames=len(frames))
        # video clips also say which video and how long it is (single images have neither)
        meta.update({k: first[k] for k in ('video_name', 'video_length') if k in first})
        track.set_metainfo(meta)
        return dict(inputs=torch.stack(imgs), data_samples=track)
