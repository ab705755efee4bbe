"""One source through one task: frames streamed into the model, frames out as results.

Every source is a clip (an image is one frame) and goes through the model's streaming video
path, so images and videos share the code: object queries via ``OMGSeg.predict_video``, VOS
via the VOS handler's ``predict_video`` (both hold one clip of frames at a time). Interactive
prompts segment the first frame; in a video each prompted object is then followed as a VOS
object whose first-frame mask is the prompt's mask.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from omgseg.models.tasks import VOSTask
from omgseg.utils.progress import progress_counter

from .infer_inputs import Source
from .infer_results import FrameResult, Segment, Track, VideoResult

FrameCallback = Callable[[VideoResult, FrameResult, np.ndarray], None]


def _resize_bgr(rgb: np.ndarray, scale: tuple[int, int], keep_ratio: bool) -> np.ndarray:
    """Resize one RGB frame as the test pipeline's Resize does; returns BGR."""
    from mmdet.datasets.transforms import Resize

    h, w = rgb.shape[:2]
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    out = Resize(scale=scale, keep_ratio=keep_ratio).transform(
        dict(img=bgr, img_shape=(h, w), ori_shape=(h, w)))
    return out['img']


class FrameFeeder:
    """A source's frames as the model takes them: resized, BGR, (3, h, w) uint8 tensors.

    Args:
        source: the input.
        scale: (w, h) of the test resize.
        keep_ratio: keep the aspect ratio when resizing.
        progress: show a bar over the frames (terminals only).
    """

    def __init__(self, *, source: Source, scale: tuple[int, int], keep_ratio: bool,
                 progress: bool = True) -> None:
        self.source = source
        self.scale, self.keep_ratio, self.progress = scale, keep_ratio, progress

    def meta(self) -> dict:
        """``img_shape`` (resized) and ``ori_shape`` of the source, from its first frame."""
        first = next(iter(self.source.frames))
        resized = _resize_bgr(first, self.scale, self.keep_ratio)
        return dict(img_shape=resized.shape[:2], ori_shape=first.shape[:2])

    def __iter__(self) -> Iterator[torch.Tensor]:
        shape = None
        n = self.source.num_frames
        # counted before each yield: the model stops pulling after the last frame, so a bar
        # advanced on resumption would never reach n
        with progress_counter(total=n, desc=self.source.name, unit='frame',
                              enabled=self.progress) as bar:
            for index, rgb in enumerate(self.source.frames):
                if shape is None:
                    shape = rgb.shape
                elif rgb.shape != shape:
                    raise ValueError(f'{self.source.name}: frame {index} is {rgb.shape[1]}x'
                                     f'{rgb.shape[0]} but the first frame is {shape[1]}x'
                                     f'{shape[0]}; all frames of a video must have one size.')
                bgr = _resize_bgr(rgb, self.scale, self.keep_ratio)
                bar.update(1)
                if index + 1 == n:
                    bar.refresh()
                yield torch.from_numpy(np.ascontiguousarray(bgr.transpose(2, 0, 1)))


class FrameEmitter:
    """Hands finished frames to the caller, with the matching input frame for drawing.

    Args:
        video: the result being filled.
        keep: also append frames to ``video.frames``.
        on_frame: optional ``on_frame(video, frame, rgb)``.
    """

    def __init__(self, *, video: VideoResult, source: Source, keep: bool,
                 on_frame: FrameCallback | None) -> None:
        self.video, self.keep, self.on_frame = video, keep, on_frame
        # a second pass over the input, in step with the model's finished frames
        self._rgb = iter(source.frames) if on_frame is not None else None
        self._names = source.frame_names

    def name(self, index: int) -> str:
        return self._names[index] if index < len(self._names) else f'{index:05d}'

    def emit(self, frame: FrameResult) -> None:
        self.video.num_frames += 1
        if self.keep:
            self.video.frames.append(frame)
        if self.on_frame is not None:
            self.on_frame(self.video, frame, next(self._rgb))


def _objects_test_cfg(task: str) -> dict:
    return dict(objects=dict(panoptic_on=task == 'panoptic', semantic_on=task == 'semantic',
                             instance_on=task == 'instance', instance_masks='rle'))


def run_objects(model, feeder: FrameFeeder, emitter: FrameEmitter, task: str) -> None:
    """Panoptic, instance or semantic segmentation of one source (track ids across frames)."""
    video, names = emitter.video, emitter.video.class_names
    meta = feeder.meta()
    h, w = meta['ori_shape']
    pending: list[list] = []

    def sink(index: int, out: dict) -> None:
        frame = FrameResult(index=index, name=emitter.name(index), height=h, width=w)
        if 'panoptic' in out:
            ids, info = out['panoptic']
            frame.id_map = ids.cpu().numpy().astype(np.int32)
            frame.segments = [Segment(
                id=int(s['id']), label=int(s['category_id']), name=names[s['category_id']],
                score=float(s.get('score', 1.0)), isthing=bool(s['isthing']),
                track_id=int(s['id']) if s['isthing'] else None) for s in info]
        if 'semantic' in out:
            frame.semantic = out['semantic'].cpu().numpy().astype(np.int32)
        if 'instance_masks' in out:
            frame.instances = list(out['instance_masks'])
            pending.append(frame)  # video-level scores come after the last frame
            return
        emitter.emit(frame)

    with model.evaluation_setting(test_cfg=_objects_test_cfg(task)):
        result = model.predict_video(feeder, num_frames=feeder.source.num_frames, meta=meta,
                                     sink=sink)
    if task == 'instance':
        video.tracks = [Track(track_id=int(q) + 1, label=int(lab), name=names[int(lab)],
                              score=float(s))
                        for s, lab, q in zip(result['scores'].tolist(),
                                             result['labels'].tolist(),
                                             result['queries'].tolist())]
        for frame in pending:
            emitter.emit(frame)


def object_segments(id_map: np.ndarray, objects: dict[int, Segment]) -> list[Segment]:
    """The segments of ``objects`` (id -> segment) present in ``id_map``."""
    present = set(np.unique(id_map).tolist())
    return [seg for oid, seg in objects.items() if oid in present]


def run_vos(model, feeder: FrameFeeder, emitter: FrameEmitter, masks: np.ndarray,
            objects: dict[int, Segment], first: np.ndarray | None = None) -> None:
    """Follow first-frame objects through a source.

    Args:
        masks: (N, H, W) bool first-frame masks at the source's size, in ``objects`` order.
        objects: object id -> its segment description.
        first: the (H, W) id map to report for frame 0 instead of the model's (prompts).
    """
    meta = feeder.meta()
    h, w = meta['ori_shape']
    device = next(model.parameters()).device
    handler = model.handlers[VOSTask]

    def sink(index: int, seg: torch.Tensor) -> None:
        ids = first if index == 0 and first is not None else seg.cpu().numpy().astype(np.int32)
        emitter.emit(FrameResult(index=index, name=emitter.name(index), height=h, width=w,
                                 id_map=ids, segments=object_segments(ids, objects)))

    handler.predict_video(model.task_context(), feeder, num_frames=feeder.source.num_frames,
                          meta=meta, objects=torch.from_numpy(masks).to(device),
                          object_ids=torch.tensor(list(objects), device=device), sink=sink)


def run_interactive(model, feeder: FrameFeeder, emitter: FrameEmitter, points: np.ndarray,
                    boxes: np.ndarray) -> None:
    """Prompts on the first frame; in a video, each prompted object is then followed (VOS)."""
    from .inference import segment_prompts

    first_rgb = next(iter(feeder.source.frames))
    results = segment_prompts(model, np.ascontiguousarray(first_rgb[..., ::-1]),
                              points=points, boxes=boxes)
    h, w = first_rgb.shape[:2]
    ids = np.zeros((h, w), np.int32)
    objects: dict[int, Segment] = {}
    # later prompts are painted first so the first prompt stays on top where masks overlap
    for i in reversed(range(len(results))):
        ids[results[i]['mask']] = i + 1
    for i, res in enumerate(results):
        objects[i + 1] = Segment(id=i + 1, label=res['label_id'], name=res['label'],
                                 score=res['score'], track_id=i + 1, isthing=True)
    if feeder.source.num_frames == 1:
        emitter.emit(FrameResult(index=0, name=emitter.name(0), height=h, width=w,
                                 id_map=ids, segments=object_segments(ids, objects)))
        return
    masks = np.stack([ids == oid for oid in objects])
    run_vos(model, feeder, emitter, masks, objects, first=ids)


__all__ = ['FrameEmitter', 'FrameFeeder', 'object_segments', 'run_interactive', 'run_objects',
           'run_vos']
