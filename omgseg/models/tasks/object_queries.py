"""The object-query tasks: panoptic, instance and semantic segmentation of images and videos.

Training matches the learned object queries to the clip's tube targets (Hungarian) and applies
the full criterion; the task decides the targets (panoptic and semantic samples train stuff
classes too, instance samples things only). Inference runs clips, links them into tubes and
post-processes frame by frame with the video-level class scores.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import torch
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData, PixelData

from omgseg.models.inference import TubeLinker, VideoPostprocessor
from omgseg.models.task_modules import clip_targets
from omgseg.structures import TASK_INSTANCE, TASK_PANOPTIC, TASK_SEMANTIC

from .clips import link_batch, link_stream, output_resizer, video_class_logits
from .context import TaskContext
from .settings import ClipSettings, ObjectSettings

# which targets each task trains: stuff classes or things only
_USE_STUFF = {TASK_PANOPTIC: True, TASK_SEMANTIC: True, TASK_INSTANCE: False}


class ObjectQueryTask:
    """Handler of samples whose task is ``panoptic``, ``instance`` or ``semantic``.

    Args:
        objects: which outputs and their post-processing rules.
        clips: how videos are cut into clips.
    """

    tasks = tuple(_USE_STUFF)

    def __init__(self, *, objects: ObjectSettings, clips: ClipSettings) -> None:
        self.objects = objects
        self.clips = clips

    # -- training --------------------------------------------------------------------------
    def loss(self, ctx: TaskContext, inputs: torch.Tensor,
             data_samples: list) -> dict[str, torch.Tensor]:
        """Args: inputs (B, T, 3, H, W) normalised; data_samples: B ``TrackDataSample``s."""
        preds = ctx.head(ctx.features(inputs), inputs.shape[1])
        shape = tuple(inputs.shape[-2:])
        targets = [clip_targets(list(s.video_data_samples), ctx.num_things, ctx.num_classes,
                                shape, inputs.device,
                                use_stuff=_USE_STUFF[s.metainfo['task']])
                   for s in data_samples]
        losses = ctx.criterion(preds, targets)
        # the prompt encoder gets a zero gradient so DDP sees every parameter used
        zero = ctx.head.unused_parameters_term(prompted=False)
        if zero is not None:
            losses['loss_mask'] = losses['loss_mask'] + zero
        return losses

    # -- inference -------------------------------------------------------------------------
    def _post(self, ctx: TaskContext, linker: TubeLinker) -> VideoPostprocessor:
        cls = video_class_logits(ctx, linker)
        o = self.objects
        return VideoPostprocessor(
            cls_logits=cls, num_things=ctx.num_things, panoptic_on=o.panoptic_on,
            semantic_on=o.semantic_on, instance_on=o.instance_on,
            object_mask_thr=o.object_mask_thr, overlap_thr=o.overlap_thr,
            filter_low_score=o.filter_low_score, max_per_image=o.max_per_image,
            instance_masks=o.instance_masks, instance_topk=o.instance_topk,
            track_score=o.track_score, segment_ids=o.segment_ids)

    def frames_out(self, ctx: TaskContext, linker: TubeLinker, resizers: list[Callable]
                    ) -> Iterator[tuple[int, dict]]:
        """Yield ``(frame index, outputs)`` frame by frame, then ``(-1, instance results)``
        (video-level scores are final only after the last frame)."""
        post = self._post(ctx, linker)
        for t, low in linker.store.frames(post.cls.device):
            yield t, post.frame(low, resizers[t])
        yield -1, post.instance_results() if post.inst is not None else {}

    def predict(self, ctx: TaskContext, inputs: torch.Tensor, data_samples: list,
                rescale: bool = True) -> list:
        """Attach predictions to every frame of every clip (see :meth:`OMGSeg.predict`).

        Args:
            inputs: (B, T, 3, H, W) normalised float, or uint8 for a long video streamed clip
                by clip.
            data_samples: B ``TrackDataSample``s with T frames each.
        """
        linkers, pad = link_batch(ctx, self.clips, inputs)
        for linker, sample in zip(linkers, data_samples):
            frames = list(sample.video_data_samples)
            resizers = [output_resizer(f.metainfo, pad, rescale) for f in frames]
            inst_masks = []
            for t, out in self.frames_out(ctx, linker, resizers):
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
        rle = self.objects.instance_masks == 'rle'
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

    def predict_video(self, ctx: TaskContext, frames: Iterable[torch.Tensor], *,
                      num_frames: int, meta: dict, sink: Callable[[int, dict], None],
                      rescale: bool = True) -> dict:
        """Stream a video of any length without holding its frames.

        Args:
            frames: iterable of ``num_frames`` (3, H, W) uint8 frames as the test pipeline
                makes them (resized, BGR); read lazily, clip by clip.
            num_frames: the video length (clips are planned from it).
            meta: ``img_shape`` (H, W) of the frames and ``ori_shape`` of the outputs.
            sink: called as ``sink(frame_index, outputs)`` when a frame is finished (see
                :meth:`VideoPostprocessor.frame`); it should write the outputs out.
            rescale: resize outputs to ``ori_shape``.

        Returns:
            video-level instance results (``scores``, ``labels``, ``queries``).
        """
        linker, pad = link_stream(ctx, self.clips, frames, num_frames)
        resize = output_resizer(meta, pad, rescale)
        result = {}
        for index, out in self.frames_out(ctx, linker, [resize] * num_frames):
            if index < 0:
                result = out
            else:
                sink(index, out)
        return result


__all__ = ['ObjectQueryTask']
