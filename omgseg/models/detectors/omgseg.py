"""The OMG-Seg meta-architecture: backbone -> query decoder head -> task outputs."""
from __future__ import annotations

import torch
from mmdet.models.detectors.base import BaseDetector
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData, PixelData

from omgseg.models.task_modules import clip_targets
from omgseg.registry import MODELS
from omgseg.structures import (TASK_INSTANCE, TASK_INTERACTIVE, TASK_PANOPTIC, TASK_SEMANTIC,
                               TASK_VOS, TASKS)

from .open_vocab_mixin import OpenVocabMixin
from .prompt_mixin import PromptMixin
from .video_inference import (DEFAULT_TEST_CFG, VideoInferenceMixin, first_frame_objects,
                              output_resizer)

# How each task builds its training targets from a sample; the model never looks at dataset
# names, only at the ``task`` a sample carries.
_TARGETS = {
    TASK_PANOPTIC: dict(use_stuff=True),
    TASK_SEMANTIC: dict(use_stuff=True),
    TASK_INSTANCE: dict(use_stuff=False),
}



@MODELS.register_module()
class OMGSeg(PromptMixin, VideoInferenceMixin, OpenVocabMixin, BaseDetector):
    """One model for every segmentation task; inputs are always clips ``(B, T, 3, H, W)``.

    Args:
        backbone: :class:`OpenCLIPBackbone` config.
        panoptic_head: :class:`OMGQueryHead` config.
        criterion: :class:`OMGCriterion` config (``num_classes`` is filled in).
        data_preprocessor: :class:`ClipDataPreprocessor` config.
        test_cfg: outputs, thresholds, video clip planning and open-vocabulary fusion (see
            ``DEFAULT_TEST_CFG`` in video_inference.py and open_vocab_mixin.py).
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
        unknown = set(test_cfg or {}) - set(DEFAULT_TEST_CFG)
        if unknown:
            raise KeyError(f'unknown model.test_cfg key(s) {sorted(unknown)}; known: '
                           f'{sorted(DEFAULT_TEST_CFG)}.')
        self.test_cfg = dict(DEFAULT_TEST_CFG, **(test_cfg or {}))
        self.open_vocab_settings()  # a bad test_cfg.open_vocab fails at build time
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
        trainable = set(_TARGETS) | {TASK_INTERACTIVE}
        unknown = tasks - trainable
        if unknown:
            known = [t for t in TASKS if t in trainable]
            raise ValueError(f'task(s) {sorted(map(str, unknown))} cannot be trained by OMGSeg '
                             f'yet; samples must carry one of {known}.')
        if TASK_INTERACTIVE in tasks:
            if len(tasks) > 1:
                raise ValueError('a batch mixes interactive (prompted) samples with object-query '
                                 "samples; use train_dataloader.batch_sampler=dict(type="
                                 "'TaskBatchSampler').")
            return self.prompt_loss(inputs, data_samples)
        preds = self._forward(inputs)
        shape = tuple(inputs.shape[-2:])
        targets = [clip_targets(list(s.video_data_samples), self.num_things, self.num_classes,
                                shape, inputs.device, **_TARGETS[s.metainfo['task']])
                   for s in data_samples]
        losses = self.criterion(preds, targets)
        zero = self.prompt_zero_loss()
        if zero is not None:
            losses['loss_mask'] = losses['loss_mask'] + zero
        return losses

    # -- inference -------------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: list, rescale: bool = True) -> list:
        """Attach predictions to every frame of every clip (images are clips of one frame).

        Per frame: ``pred_panoptic_seg`` (segment ids, 0 = void, with ``segments_info`` in its
        metainfo; a thing's id is its query + 1, the same object in every frame),
        ``pred_sem_seg`` and ``pred_instances`` (video-level scores and labels, this frame's
        masks as bool ``masks`` or as ``masks_rle`` when ``test_cfg.instance_masks='rle'``).
        Interactive samples get ``pred_prompt_masks`` per frame (one mask per prompt, see
        :meth:`PromptMixin.predict_prompts`). Samples whose task is ``vos`` get
        ``pred_vos_seg`` per frame instead: object ids (0 = background) following the first
        frame's ``gt_instances`` (``instances_ids``).
        Per clip: ``pred_track_instances`` (``scores``, ``labels``, ``instances_id`` and, with
        RLE masks, ``masks_rle``: N lists of T RLEs).

        Args:
            inputs: (B, T, 3, H, W) normalised float, or (1, T, 3, H, W) uint8 for a long
                video streamed clip by clip (see ClipDataPreprocessor).
            data_samples: B ``TrackDataSample``s with T frames each.
        """
        tasks = {s.metainfo.get('task') for s in data_samples}
        if TASK_INTERACTIVE in tasks:
            if len(tasks) > 1:
                raise ValueError('a test batch mixes interactive samples with others; test them '
                                 'separately.')
            return self.predict_prompts(inputs, data_samples, rescale)
        linkers, pad = self._link_batch(inputs)
        for linker, sample in zip(linkers, data_samples):
            frames = list(sample.video_data_samples)
            resizers = [output_resizer(f.metainfo, pad, rescale) for f in frames]
            if sample.metainfo.get('task') == TASK_VOS:
                objects, ids = first_frame_objects(frames[0], rescale)
                for t, seg in self._vos_frames_out(linker, resizers, objects, ids):
                    frames[t].pred_vos_seg = PixelData(sem_seg=seg[None])
                continue
            inst_masks = []
            for t, out in self._frames_out(linker, resizers):
                if t < 0:
                    self._attach_instances(sample, frames, out, inst_masks)
                    continue
                if 'panoptic' in out:
                    ids, info = out['panoptic']
                    frames[t].pred_panoptic_seg = PixelData(sem_seg=ids[None],
                                                            metainfo=dict(segments_info=info))
                if 'semantic' in out:
                    frames[t].pred_sem_seg = PixelData(sem_seg=out['semantic'][None])
                if 'instance_masks' in out:
                    inst_masks.append(out['instance_masks'])
        return data_samples

    def _attach_instances(self, sample, frames: list, result: dict, masks: list) -> None:
        if not result:
            return
        rle = self.test_cfg['instance_masks'] == 'rle'
        base = dict(scores=result['scores'], labels=result['labels'],
                    instances_id=result['queries'])
        for frame, frame_masks in zip(frames, masks):
            inst = InstanceData(**base)
            if rle:
                inst.masks_rle = frame_masks
            else:
                inst.masks = frame_masks
                inst.bboxes = mask2bbox(frame_masks)
            frame.pred_instances = inst
        track = InstanceData(**base)
        if rle:
            track.masks_rle = [list(per_query) for per_query in zip(*masks)]
        sample.pred_track_instances = track
