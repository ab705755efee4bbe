"""Run OMG-Seg on your own images and videos, for every task, from Python.

    inferencer = OMGSegInferencer('configs/toy/omgseg_tiny_toy-coco-panoptic.py', 'model.pth')
    videos = inferencer('street.mp4', task='panoptic', vocabulary=['car', 'person', 'road'])
    frame = videos[0].frames[10]
    frame.id_map, [(s.name, s.track_id) for s in frame.segments]

Inputs (see :mod:`omgseg.apis.infer_inputs`): image paths or BGR arrays, lists, video files and
folders of frames. Tasks: ``panoptic``, ``instance``, ``semantic`` (track ids across frames),
``vos`` (objects of a first-frame DAVIS mask PNG followed through the video) and
``interactive`` (points / boxes on the first frame; in a video each prompted object is then
followed as a VOS object). An open ``vocabulary`` is embedded by the model's CLIP text tower
and cached on disk (:mod:`omgseg.apis.embedding_cache`).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

import numpy as np
import torch

from .infer_inputs import Source, resolve_inputs
from .infer_results import INFER_TASKS, Segment, VideoResult
from .infer_tasks import (FrameCallback, FrameEmitter, FrameFeeder, run_interactive,
                          run_objects, run_vos)
from .infer_vocab import parse_vocabulary


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device``, or CUDA when available, else the CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def parse_prompts(prompts) -> tuple[np.ndarray, np.ndarray]:
    """``dict(points=[[x, y(, label)], ...], boxes=[[x1, y1, x2, y2], ...])`` -> (N, 2)
    points and (M, 4) boxes in pixels of the first frame.

    Raises:
        ValueError: no prompt, wrong shapes, or a negative click (label 0): the model was
            trained on positive clicks only.
    """
    if not isinstance(prompts, dict) or not set(prompts) <= {'points', 'boxes'}:
        raise ValueError(f'prompts must be dict(points=[[x, y], ...], boxes=[[x1, y1, x2, '
                         f'y2], ...]), got {prompts!r}.')
    points = np.asarray(prompts.get('points') or np.zeros((0, 2)), np.float64)
    boxes = np.asarray(prompts.get('boxes') or np.zeros((0, 4)), np.float64)
    points = points.reshape(-1, points.shape[-1]) if points.size else np.zeros((0, 2))
    boxes = boxes.reshape(-1, 4) if boxes.size else np.zeros((0, 4))
    if points.shape[1] not in (2, 3):
        raise ValueError(f'prompts points must be rows of x, y or x, y, label; got shape '
                         f'{points.shape}.')
    if points.shape[1] == 3:
        if (points[:, 2] != 1).any():
            raise ValueError('prompts points: only positive clicks (label 1) are supported; '
                             'OMG-Seg was trained on positive points and boxes. Drop the '
                             'negative clicks or draw a box.')
        points = points[:, :2]
    if len(points) + len(boxes) == 0:
        raise ValueError('the interactive task needs prompts: give points (x, y) and/or boxes '
                         '(x1, y1, x2, y2).')
    return points, boxes


def first_frame_objects(path: str, source: Source) -> tuple[np.ndarray, dict[int, Segment]]:
    """The objects of a DAVIS first-frame mask PNG: (N, H, W) bool masks and id -> segment."""
    from omgseg.datasets.davis_format import mask_object_ids, read_davis_mask

    if not os.path.isfile(path):
        raise FileNotFoundError(f'first_frame_mask {path} does not exist; give the first '
                                f"frame's DAVIS palette PNG (0 background, k object k).")
    mask = read_davis_mask(path)
    first = next(iter(source.frames))
    if mask.shape != first.shape[:2]:
        raise ValueError(f'first_frame_mask {path} is {mask.shape[1]}x{mask.shape[0]} but '
                         f'{source.name} is {first.shape[1]}x{first.shape[0]} (WxH); give '
                         f'the mask of its first frame, at the same size.')
    ids = mask_object_ids(mask)
    if not ids:
        raise ValueError(f'first_frame_mask {path} holds no object (only background / void); '
                         f'paint each object with its index 1, 2, ...')
    objects = {i: Segment(id=i, label=-1, name=f'obj {i}', score=1.0, track_id=i,
                          isthing=True) for i in ids}
    return np.stack([mask == i for i in ids]), objects


class OMGSegInferencer:
    """One model for every task on arbitrary images and videos.

    Args:
        config: config file or mmengine ``Config``.
        checkpoint: ``.pth`` weights (``None``: the config's initial weights).
        device: ``None`` picks CUDA when available, else the CPU (when the model loads).
        cfg_options: ``{dotted.key: value}`` config overrides.
        cache_dir: root of the class-embedding cache (default ``~/.cache/omgseg``).
        progress: progress bars over frames and text prompts (terminals only).
    """

    def __init__(self, config, checkpoint: str | None = None, *,
                 device: str | torch.device | None = None, cfg_options: dict | None = None,
                 cache_dir: str | os.PathLike | None = None, progress: bool = True) -> None:
        self.config, self.checkpoint, self.device = config, checkpoint, device
        self.cfg_options, self.cache_dir, self.progress = cfg_options, cache_dir, progress
        self._model = None

    @property
    def model(self):
        """The :class:`OMGSeg`, built and loaded on first use."""
        if self._model is None:
            from .inference import init_model
            self._model = init_model(self.config, self.checkpoint,
                                     device=pick_device(self.device),
                                     cfg_options=self.cfg_options)
        return self._model

    def class_embeddings(self, names: Sequence[str]) -> tuple[torch.Tensor, bool]:
        """(K, P, D) text embeddings of ``names`` (cached on disk) and whether the cache hit."""
        from .embedding_cache import cached_class_embeddings

        model = self.model
        return cached_class_embeddings(model.cfg.model.backbone, list(names),
                                       cache_dir=self.cache_dir,
                                       device=next(model.parameters()).device,
                                       progress=self.progress)

    def _vocabulary(self, vocabulary, stuff):
        if vocabulary is None:
            if stuff is not None:
                raise ValueError('stuff needs a vocabulary of things too (or put every class '
                                 'in vocabulary=dict(things=[...], stuff=[...])).')
            return contextlib.nullcontext()
        vocab = parse_vocabulary(vocabulary, stuff)
        embeddings, _ = self.class_embeddings(vocab.names)
        return self.model.evaluation_setting(class_embeddings=embeddings,
                                             class_names=list(vocab.names),
                                             num_things=vocab.num_things)

    def __call__(self, inputs, *, task: str = 'panoptic', vocabulary=None, stuff=None,
                 prompts: dict | None = None, first_frame_mask: str | None = None,
                 folder: str = 'video', fps: float = 30.0,
                 on_frame: FrameCallback | None = None,
                 keep_frames: bool = True) -> list[VideoResult]:
        """Segment every input.

        Args:
            inputs: image path / BGR array, video file, folder, or a list of them.
            task: one of :data:`INFER_TASKS`.
            vocabulary: class names to classify with instead of the model's own (list, comma
                list, text file, or ``dict(things=..., stuff=...)``); all are things unless
                ``stuff`` names the stuff classes.
            stuff: stuff class names (see ``vocabulary``).
            prompts: ``dict(points=..., boxes=...)`` in pixels of the first frame
                (interactive task only).
            first_frame_mask: DAVIS palette PNG of the first frame (vos task only).
            folder: a folder is one video of frames (``'video'``) or images (``'images'``).
            fps: frame rate of folders of frames.
            on_frame: called as ``on_frame(video, frame, rgb)`` for every finished frame, with
                the input frame (H, W, 3) uint8 RGB, e.g. to write files as frames finish.
            keep_frames: keep every frame's results in the returned videos (``False`` with
                ``on_frame`` keeps memory flat on long videos).

        Returns:
            one :class:`VideoResult` per input (an image is a video of one frame).
        """
        if task not in INFER_TASKS:
            raise ValueError(f'task {task!r} is unknown; choose one of {", ".join(INFER_TASKS)}.')
        if prompts is not None and task != 'interactive':
            raise ValueError(f'prompts are for task interactive, not {task!r}; drop them or '
                             f'use task="interactive".')
        if first_frame_mask is not None and task != 'vos':
            raise ValueError(f'first_frame_mask is for task vos, not {task!r}; drop it or use '
                             f'task="vos".')
        if task == 'vos' and first_frame_mask is None:
            raise ValueError('task vos needs first_frame_mask: the DAVIS palette PNG of the '
                             'first frame (0 background, k object k).')
        points, boxes = parse_prompts(prompts) if task == 'interactive' else (None, None)
        sources = resolve_inputs(inputs, folder=folder, fps=fps)
        model = self.model
        from .inference import pipeline_resize
        scale, keep_ratio = pipeline_resize(model.cfg)
        videos = []
        from omgseg.utils.progress import progress_bar

        # one bar over the inputs when there are several, one over the frames of each video
        inputs_bar = progress_bar(sources, desc='inputs', unit='input',
                                  enabled=self.progress and len(sources) > 1)
        with self._vocabulary(vocabulary, stuff), torch.no_grad():
            for source in inputs_bar:
                video = VideoResult(name=source.name, kind=source.kind, task=task,
                                    fps=source.fps, class_names=list(model.scorer.class_names
                                                                     or []),
                                    num_things=model.num_things)
                feeder = FrameFeeder(source=source, scale=scale, keep_ratio=keep_ratio,
                                     progress=self.progress and source.num_frames > 1)
                emitter = FrameEmitter(video=video, source=source, keep=keep_frames,
                                       on_frame=on_frame)
                if task == 'vos':
                    masks, objects = first_frame_objects(first_frame_mask, source)
                    run_vos(model, feeder, emitter, masks, objects)
                elif task == 'interactive':
                    run_interactive(model, feeder, emitter, points, boxes)
                else:
                    run_objects(model, feeder, emitter, task)
                videos.append(video)
        return videos


__all__ = ['INFER_TASKS', 'OMGSegInferencer', 'parse_prompts', 'pick_device']
