"""The OMG-Seg meta-architecture: backbone -> query decoder head -> task outputs."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmdet.models.detectors.base import BaseDetector
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData, PixelData

from omgseg.models.postprocess import (instance_postprocess, panoptic_postprocess,
                                       semantic_postprocess)
from omgseg.models.task_modules import clip_targets
from omgseg.registry import MODELS
from omgseg.structures import TASK_INSTANCE, TASK_PANOPTIC, TASK_SEMANTIC, TASKS

# How each task builds its training targets from a sample; the model never looks at dataset
# names, only at the ``task`` a sample carries.
_TARGETS = {
    TASK_PANOPTIC: dict(use_stuff=True),
    TASK_SEMANTIC: dict(use_stuff=True),
    TASK_INSTANCE: dict(use_stuff=False),
}

DEFAULT_TEST_CFG = dict(panoptic_on=True, instance_on=True, semantic_on=True,
                        object_mask_thr=0.0, overlap_thr=0.8, filter_low_score=True,
                        max_per_image=100)


@MODELS.register_module()
class OMGSeg(BaseDetector):
    """One model for every segmentation task; inputs are always clips ``(B, T, 3, H, W)``.

    Args:
        backbone: :class:`OpenCLIPBackbone` config.
        panoptic_head: :class:`OMGQueryHead` config.
        criterion: :class:`OMGCriterion` config (``num_classes`` is filled in).
        data_preprocessor: :class:`ClipDataPreprocessor` config.
        test_cfg: which outputs to produce and their thresholds (see ``DEFAULT_TEST_CFG``).
        train_cfg: unused, kept for mmdet's interface.
        init_cfg: mmengine init config.
    """

    def __init__(self, *, backbone: dict, panoptic_head: dict, criterion: dict | None = None,
                 data_preprocessor: dict | None = None, test_cfg: dict | None = None,
                 train_cfg: dict | None = None, init_cfg: dict | None = None) -> None:
        if isinstance(data_preprocessor, dict):
            # built from mmdet's registry so no default scope is needed outside a Runner
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.panoptic_head = MODELS.build(dict(panoptic_head,
                                               in_channels=self.backbone.out_channels,
                                               clip_dim=self.backbone.clip_dim))
        self.num_things = self.panoptic_head.num_things_classes
        self.num_classes = self.panoptic_head.num_classes
        self.criterion = MODELS.build(dict(criterion or dict(type='OMGCriterion'),
                                           num_classes=self.num_classes))
        self.test_cfg = dict(DEFAULT_TEST_CFG, **(test_cfg or {}))
        self.train_cfg = train_cfg

    # -- features --------------------------------------------------------------------------
    def extract_feat(self, inputs: torch.Tensor) -> list[torch.Tensor]:
        """Args: inputs (B, T, 3, H, W). Returns 4 maps (B*T, C_i, H/s_i, W/s_i)."""
        if inputs.dim() != 5:
            raise ValueError(f'OMGSeg expects clips (B, T, 3, H, W), got {tuple(inputs.shape)}; '
                             f'use ClipDataPreprocessor.')
        return list(self.backbone(inputs.flatten(0, 1)))

    def _forward(self, inputs: torch.Tensor, data_samples=None) -> list[dict]:
        return self.panoptic_head(self.extract_feat(inputs), inputs.shape[1])

    # -- training --------------------------------------------------------------------------
    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict[str, torch.Tensor]:
        """Args: inputs (B, T, 3, H, W); data_samples: B ``TrackDataSample``s with a ``task``."""
        tasks = {s.metainfo.get('task') for s in data_samples}
        unknown = tasks - set(_TARGETS)
        if unknown:
            known = [t for t in TASKS if t in _TARGETS]
            raise ValueError(f'task(s) {sorted(map(str, unknown))} cannot be trained by OMGSeg '
                             f'yet; samples must carry one of {known}.')
        preds = self._forward(inputs)
        shape = tuple(inputs.shape[-2:])
        targets = [clip_targets(list(s.video_data_samples), self.num_things, self.num_classes,
                                shape, inputs.device, **_TARGETS[s.metainfo['task']])
                   for s in data_samples]
        return self.criterion(preds, targets)

    # -- inference -------------------------------------------------------------------------
    def predict(self, inputs: torch.Tensor, data_samples: list, rescale: bool = True) -> list:
        """Attach ``pred_panoptic_seg`` / ``pred_instances`` / ``pred_sem_seg`` to every frame.

        Panoptic maps are segment ids (0 = void) with ``segments_info`` in their metainfo.
        """
        last = self._forward(inputs)[-1]
        pad_h, pad_w = inputs.shape[-2:]
        for b, sample in enumerate(data_samples):
            frames = list(sample.video_data_samples)
            meta = frames[0].metainfo
            masks = last['mask'][b]                                        # (Q, T, h, w)
            masks = F.interpolate(masks, size=(pad_h, pad_w), mode='bilinear',
                                  align_corners=False)
            img_h, img_w = meta['img_shape'][:2]
            masks = masks[..., :img_h, :img_w]
            if rescale:
                masks = F.interpolate(masks, size=tuple(meta['ori_shape'][:2]), mode='bilinear',
                                      align_corners=False)
            self._attach(frames, last['cls'][b], masks)
        return data_samples

    def _attach(self, frames: list, cls: torch.Tensor, masks: torch.Tensor) -> None:
        cfg = self.test_cfg
        if cfg['panoptic_on']:
            ids, segments = panoptic_postprocess(
                cls, masks, self.num_things, object_mask_thr=cfg['object_mask_thr'],
                overlap_thr=cfg['overlap_thr'], filter_low_score=cfg['filter_low_score'])
            for t, frame in enumerate(frames):
                present = set(torch.unique(ids[t]).tolist())
                info = [s for s in segments if s['id'] in present]
                frame.pred_panoptic_seg = PixelData(sem_seg=ids[t][None],
                                                    metainfo=dict(segments_info=info))
        if cfg['instance_on']:
            inst = instance_postprocess(cls, masks, self.num_things,
                                        max_per_image=cfg['max_per_image'])
            for t, frame in enumerate(frames):
                result = InstanceData(scores=inst['scores'], labels=inst['labels'],
                                      masks=inst['masks'][:, t],
                                      instances_id=inst['queries'])
                result.bboxes = mask2bbox(result.masks)
                frame.pred_instances = result
        if cfg['semantic_on']:
            sem = semantic_postprocess(cls, masks)
            for t, frame in enumerate(frames):
                frame.pred_sem_seg = PixelData(sem_seg=sem[t][None])
