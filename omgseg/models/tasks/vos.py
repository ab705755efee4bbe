"""The video object segmentation task (DAVIS 2017 semi-supervised).

The model is not prompted with the first-frame masks: its linked object-query tubes are
proposals; the ``vos.num_proposals`` most object-like are matched to the first-frame objects
(:mod:`omgseg.models.inference.vos`) and each object then follows its tube through the video.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from omgseg.models.inference import TubeLinker
from omgseg.models.inference.vos import match_objects, paint_objects, select_proposals
from omgseg.structures import TASK_VOS

from .clips import link_batch, link_stream, output_resizer
from .context import TaskContext
from .settings import ClipSettings, VOSSettings


def first_frame_objects(frame) -> tuple[torch.Tensor, torch.Tensor]:
    """The first frame's ground-truth objects as loaded.

    Args:
        frame: the first ``DetDataSample`` of a clip, with ``gt_instances`` (``masks``,
            ``instances_ids``). Masks loaded after ``Resize`` are at the original size
            (the original's DAVIS pipeline); masks resized with the image are at the network
            size (padded by the data preprocessor).

    Returns:
        masks (N, h, w) bool at the original size or cropped to the network size
        ``img_shape``, and object ids (N,) long; N = 0 gives an empty result.
    """
    if 'gt_instances' not in frame or 'instances_ids' not in frame.gt_instances:
        raise ValueError('a vos sample needs the first frame\'s objects as gt_instances with '
                         'instances_ids (load its annotation, e.g. LoadDAVISAnnotations).')
    inst = frame.gt_instances
    masks = inst.masks
    if hasattr(masks, 'to_tensor'):
        masks = masks.to_tensor(dtype=torch.bool, device=inst.instances_ids.device)
    img_h, img_w = frame.metainfo['img_shape'][:2]
    ori = tuple(frame.metainfo['ori_shape'][:2])
    at_original = tuple(masks.shape[-2:]) == ori and ori != (img_h, img_w)
    if not at_original:
        masks = masks[:, :img_h, :img_w]
    return masks.bool(), inst.instances_ids.long()


def resize_objects(masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, h, w) bool -> (N, H, W) bool by nearest-neighbour resizing (a no-op at size)."""
    if len(masks) == 0:
        return masks.new_zeros((0, *size))
    if tuple(masks.shape[-2:]) == tuple(size):
        return masks
    return F.interpolate(masks[None].float(), size=size, mode='nearest')[0] > 0.5


class VOSTask:
    """Handler of samples whose task is ``vos`` (inference only).

    Args:
        vos: proposal count and matching resolution.
        clips: how videos are cut into clips.
    """

    tasks = (TASK_VOS,)

    def __init__(self, *, vos: VOSSettings, clips: ClipSettings) -> None:
        self.vos = vos
        self.clips = clips

    def loss(self, ctx: TaskContext, inputs: torch.Tensor, data_samples: list) -> dict:
        raise ValueError("task 'vos' cannot be trained: OMG-Seg learns VOS from object-query "
                         'and interactive training; give training samples another task.')

    def _frames_out(self, linker: TubeLinker, resizers: list[Callable],
                    objects: torch.Tensor, object_ids: torch.Tensor,
                    match_resizer: Callable | None = None
                    ) -> Iterator[tuple[int, torch.Tensor]]:
        """Yield ``(frame index, (H, W) object-id map)`` at the ``resizers``' output size.

        The top proposals of the first frame are matched to ``objects`` (N, h, w) bool, given
        at the size ``match_resizer`` makes (``resizers[0]``'s when ``None``), then followed.
        """
        _, obj = linker.video_logits()
        props = select_proposals(obj, self.vos.num_proposals)
        assignment = None
        for t, low in linker.store.frames(obj.device):
            masks = resizers[t](low[props].float()) > 0
            if assignment is None:
                first = masks if match_resizer is None else \
                    match_resizer(low[props].float()) > 0
                assignment = match_objects(first, objects.to(masks.device))
            yield t, paint_objects(masks, assignment, object_ids)

    def predict(self, ctx: TaskContext, inputs: torch.Tensor, data_samples: list,
                rescale: bool = True) -> list:
        """Attach ``pred_vos_seg`` to every frame: object ids (0 = background) following the
        first frame's ``gt_instances`` (``instances_ids``).

        Args:
            inputs: (B, T, 3, H, W) normalised float or uint8.
            data_samples: B ``TrackDataSample``s with T frames each.
        """
        linkers, pad = link_batch(ctx, self.clips, inputs)
        for linker, sample in zip(linkers, data_samples):
            frames = list(sample.video_data_samples)
            resizers = [output_resizer(f.metainfo, pad, rescale) for f in frames]
            objects, ids = first_frame_objects(frames[0])
            meta = frames[0].metainfo
            if self.vos.match_resolution == 'original':
                # proposals upsampled to the original size meet the objects there
                match = output_resizer(meta, pad, rescale=True)
                size = tuple(meta['ori_shape'][:2])
            else:
                match = output_resizer(meta, pad, rescale=False)
                size = tuple(meta['img_shape'][:2])
            objects = resize_objects(objects, size)
            for t, seg in self._frames_out(linker, resizers, objects, ids, match):
                frames[t].pred_vos_seg = PixelData(sem_seg=seg[None])
        return data_samples

    def predict_video(self, ctx: TaskContext, frames: Iterable[torch.Tensor], *,
                      num_frames: int, meta: dict, objects: torch.Tensor,
                      object_ids: torch.Tensor, sink: Callable[[int, torch.Tensor], None],
                      rescale: bool = True) -> None:
        """Follow first-frame objects through a video read lazily, clip by clip.

        Args:
            frames: iterable of ``num_frames`` (3, H, W) uint8 frames as the test pipeline
                makes them (resized, BGR).
            num_frames: the video length.
            meta: ``img_shape`` (H, W) of the frames and ``ori_shape`` of the outputs.
            objects: (N, H', W') bool first-frame masks at output resolution (``ori_shape``
                when ``rescale``).
            object_ids: (N,) their ids (> 0).
            sink: called as ``sink(frame_index, (H', W') object-id map)`` per frame, in order.
            rescale: outputs at ``ori_shape``.
        """
        linker, pad = link_stream(ctx, self.clips, frames, num_frames)
        resize = output_resizer(meta, pad, rescale)
        for t, seg in self._frames_out(linker, [resize] * num_frames, objects, object_ids):
            sink(t, seg)


__all__ = ['VOSTask', 'first_frame_objects', 'resize_objects']
