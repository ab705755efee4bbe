"""Inference of OMGSeg on clips and videos of any length (one path; an image is one frame).

A video is cut into clips (:func:`plan_clips`); each clip runs backbone and decoder on its own
frames only; clips are linked into tubes (MinVIS); the clip-averaged class logits then drive a
frame-by-frame post-processing whose outputs are handed out as each frame is finished. Model
memory is bounded by one clip; the low-resolution masks waiting for the final class scores go
to a :class:`MaskStore` that spills to disk past ``test_cfg.mask_memory_mb``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import torch
import torch.nn.functional as F

from omgseg.models.inference import MaskStore, TubeLinker, VideoPostprocessor, plan_clips
from omgseg.models.inference.vos import match_objects, paint_objects, select_proposals

DEFAULT_TEST_CFG = dict(
    panoptic_on=True, instance_on=True, semantic_on=True, object_mask_thr=0.0, overlap_thr=0.8,
    filter_low_score=True, max_per_image=100, instance_masks='bitmap',
    # clip planning (original: YouTube-VIS 5 / 3 / 15, VIPSeg 2 / 3 / 15)
    clip_size=5, clip_size_small=3, small_clip_thr=15, whole_clip_thr=0,
    mask_memory_mb=2048, spill_dir=None,
    # video object segmentation (samples with task 'vos'): tube proposals matched to frame 0
    num_proposals=25,
    # None: plain query logits; dict(train_vocabulary=..., alpha=0.4, beta=0.8): fuse them
    # with the frozen CLIP's mask classification (see open_vocab_mixin.py)
    open_vocab=None)
_POST_KEYS = ('panoptic_on', 'instance_on', 'semantic_on', 'object_mask_thr', 'overlap_thr',
              'filter_low_score', 'max_per_image', 'instance_masks')
_PLAN_KEYS = ('clip_size', 'clip_size_small', 'small_clip_thr', 'whole_clip_thr')


def output_resizer(meta: dict, pad_shape: tuple[int, int],
                   rescale: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    """(n, h, w) logits -> (n, H, W): upsample to the padded input, crop the padding, then
    resize to the original image size when ``rescale``."""
    img_h, img_w = meta['img_shape'][:2]
    ori = tuple(meta['ori_shape'][:2])

    def resize(x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x[None], size=pad_shape, mode='bilinear', align_corners=False)[0]
        x = x[..., :img_h, :img_w]
        if rescale and (img_h, img_w) != ori:
            x = F.interpolate(x[None], size=ori, mode='bilinear', align_corners=False)[0]
        return x
    return resize


def first_frame_objects(frame, rescale: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The first frame's ground-truth objects at output resolution.

    Args:
        frame: the first ``DetDataSample`` of a clip, with ``gt_instances`` (``masks`` padded
            by the data preprocessor, ``instances_ids``).

    Returns:
        masks (N, H, W) bool and object ids (N,) long; N = 0 gives an empty result.
    """
    if 'gt_instances' not in frame or 'instances_ids' not in frame.gt_instances:
        raise ValueError('a vos sample needs the first frame\'s objects as gt_instances with '
                         'instances_ids (load its annotation, e.g. LoadDAVISAnnotations).')
    inst = frame.gt_instances
    masks = inst.masks
    if hasattr(masks, 'to_tensor'):
        masks = masks.to_tensor(dtype=torch.bool, device=inst.instances_ids.device)
    img_h, img_w = frame.metainfo['img_shape'][:2]
    masks = masks.bool()[:, :img_h, :img_w].float()
    if rescale and len(masks):
        masks = F.interpolate(masks[None], size=tuple(frame.metainfo['ori_shape'][:2]),
                              mode='nearest')[0]
    return masks > 0.5, inst.instances_ids.long()


class VideoInferenceMixin:
    """Needs ``backbone``/``panoptic_head``/``data_preprocessor``, ``num_things``,
    ``test_cfg`` (see ``DEFAULT_TEST_CFG``) and ``open_vocab_logits`` on the model."""

    def _normalized(self, clip: torch.Tensor) -> torch.Tensor:
        """(B, t, 3, H, W) uint8 (streamed from host memory) or float -> float on the model's
        device."""
        if clip.dtype == torch.uint8:
            return self.data_preprocessor.normalize(clip)
        return clip

    def clip_outputs(self, clip: torch.Tensor) -> dict[str, torch.Tensor]:
        """Last decoder layer on a batch of clips.

        Args:
            clip: (B, t, 3, H, W) padded frames (uint8 or normalised float).

        Returns:
            ``cls`` (B, Q, K+1), ``obj`` (B, Q), ``query`` (B, Q, C), ``mask`` (B, Q, t, h, w)
            and ``pad_shape`` (Hp, Wp) of the normalised input. With ``test_cfg.open_vocab``
            ``cls`` holds the fused logits (:meth:`OpenVocabMixin.open_vocab_logits`).
        """
        clip = self._normalized(clip)
        feats = self.extract_feat(clip)
        last = self.panoptic_head(feats, clip.shape[1])[-1]
        out = {k: last[k] for k in ('cls', 'obj', 'query', 'mask')}
        out['cls'] = self.open_vocab_logits(out['cls'], out['mask'], feats[-1])
        out['pad_shape'] = tuple(clip.shape[-2:])
        return out

    def _new_linker(self) -> TubeLinker:
        return TubeLinker(store=MaskStore(budget_mb=self.test_cfg['mask_memory_mb'],
                                          spill_dir=self.test_cfg['spill_dir']))

    def _link_batch(self, inputs: torch.Tensor) -> tuple[list[TubeLinker], tuple[int, int]]:
        """Run and link every clip of a batch of equally long videos (B, T, 3, H, W).

        Returns the linkers and the padded input size (Hp, Wp)."""
        linkers = [self._new_linker() for _ in range(inputs.shape[0])]
        pad = tuple(inputs.shape[-2:])
        for start, end in plan_clips(inputs.shape[1],
                                     **{k: self.test_cfg[k] for k in _PLAN_KEYS}):
            out = self.clip_outputs(inputs[:, start:end])
            pad = out['pad_shape']
            for b, linker in enumerate(linkers):
                linker.add_clip(cls=out['cls'][b], obj=out['obj'][b], query=out['query'][b],
                                mask=out['mask'][b])
        return linkers, pad

    def _frames_out(self, linker: TubeLinker, resizers: list[Callable]
                    ) -> Iterator[tuple[int, dict]]:
        """Yield ``(frame index, outputs)`` frame by frame, then ``(-1, instance results)``
        (video-level scores are final only after the last frame)."""
        cls, _ = linker.video_logits()
        post = VideoPostprocessor(cls_logits=cls, num_things=self.num_things,
                                  **{k: self.test_cfg[k] for k in _POST_KEYS})
        for t, low in linker.store.frames(cls.device):
            yield t, post.frame(low, resizers[t])
        yield -1, post.instance_results() if post.inst is not None else {}

    def _vos_frames_out(self, linker: TubeLinker, resizers: list[Callable],
                        objects: torch.Tensor, object_ids: torch.Tensor
                        ) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield ``(frame index, (H, W) object-id map)``: the top proposals are matched to the
        first-frame ``objects`` (N, H, W) bool at output resolution, then followed."""
        _, obj = linker.video_logits()
        props = select_proposals(obj, self.test_cfg['num_proposals'])
        assignment = None
        for t, low in linker.store.frames(obj.device):
            masks = resizers[t](low[props].float()) > 0
            if assignment is None:
                assignment = match_objects(masks, objects.to(masks.device))
            yield t, paint_objects(masks, assignment, object_ids)

    @torch.no_grad()
    def predict_video(self, frames: Iterable[torch.Tensor], *, num_frames: int, meta: dict,
                      sink: Callable[[int, dict], None], rescale: bool = True) -> dict:
        """Stream a video of any length through the model without holding its frames.

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
        it = iter(frames)
        linker = self._new_linker()
        pad = None
        for start, end in plan_clips(num_frames, **{k: self.test_cfg[k] for k in _PLAN_KEYS}):
            clip = []
            for index in range(start, end):
                try:
                    clip.append(next(it))
                except StopIteration:
                    raise ValueError(f'the video yielded {index} frames, but num_frames is '
                                     f'{num_frames}.') from None
            out = self.clip_outputs(torch.stack(clip)[None])
            pad = out['pad_shape']
            linker.add_clip(cls=out['cls'][0], obj=out['obj'][0], query=out['query'][0],
                            mask=out['mask'][0])
        resize = output_resizer(meta, pad, rescale)
        result = {}
        for index, out in self._frames_out(linker, [resize] * num_frames):
            if index < 0:
                result = out
            else:
                sink(index, out)
        return result
