"""Writers of inferencer results in the standard formats, fed frame by frame.

Each writer is called as ``writer.add(video, frame, rgb)`` for every finished frame (the
inferencer's ``on_frame``) and ``writer.finish()`` once at the end; it returns the files it
wrote. Formats:

- :class:`PanopticWriter`: COCO panoptic PNGs (``id = R + 256 G + 256^2 B``) + ``panoptic.json``
  (``annotations`` with ``segments_info``, ``categories``), as the PQ evaluators read them;
- :class:`InstanceWriter`: COCO instance results (``coco_instances.json``, images) and
  YouTube-VIS results (``ytvis_results.json``, videos: one entry per track with an RLE or
  ``None`` per frame);
- :class:`SemanticWriter`: label PNGs (uint8 with 255 = void; uint16 past 255 classes);
- :class:`DavisWriter`: DAVIS palette PNGs ``davis/<video>/<frame>.png`` (vos, interactive);
- :class:`OverlayWriter`: overlays, a PNG per image and an MP4 per video at its frame rate.

Category ids are the contiguous labels unless ``category_ids`` (label -> id) is given; image and
video ids are the input's name when it is a number, else its 1-based order (``index.json``
records name -> id).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from .infer_render import render_frame
from .infer_results import FrameResult, VideoResult


class ResultWriter:
    """Base: output folder, category and input ids.

    Args:
        out_dir: output folder (created on the first write).
        category_ids: label -> category id (default: the label itself).
    """

    def __init__(self, *, out_dir: str | os.PathLike,
                 category_ids: list[int] | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.category_ids = category_ids
        self.ids: dict[str, int] = {}
        self.class_names: list[str] = []
        self.num_things = 0

    def category(self, label: int) -> int:
        return int(self.category_ids[label]) if self.category_ids is not None else int(label)

    def input_id(self, video: VideoResult) -> int:
        """The image / video id of an input (its name as a number, else its order)."""
        if video.name not in self.ids:
            self.ids[video.name] = (int(video.name) if video.name.isdigit()
                                    else len(self.ids) + 1)
            self.class_names, self.num_things = video.class_names, video.num_things
        return self.ids[video.name]

    def categories(self) -> list[dict]:
        return [dict(id=self.category(i), name=n, isthing=int(i < self.num_things))
                for i, n in enumerate(self.class_names)]

    def path(self, *parts: str) -> Path:
        path = self.out_dir.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def frame_path(self, folder: str, video: VideoResult, frame: FrameResult,
                   ext: str) -> tuple[Path, str]:
        """``(path, name relative to folder)``: images ``folder/<name>.ext``, videos
        ``folder/<video>/<frame>.ext``."""
        rel = (f'{video.name}{ext}' if video.kind == 'image'
               else f'{video.name}/{frame.name}{ext}')
        return self.path(folder, rel), rel

    def dump_json(self, name: str, data) -> Path:
        path = self.path(name)
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(data, f)
        return path

    def add(self, video: VideoResult, frame: FrameResult, rgb: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self) -> list[Path]:
        return [self.dump_json('index.json', self.ids)] if self.ids else []


class PanopticWriter(ResultWriter):
    """COCO panoptic PNG + JSON (panoptic task)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.annotations: list[dict] = []

    def add(self, video, frame, rgb) -> None:
        from omgseg.structures.panoptic_ids import id2rgb

        vid = self.input_id(video)
        path, rel = self.frame_path('panoptic', video, frame, '.png')
        Image.fromarray(id2rgb(frame.id_map)).save(path)
        image_id = vid if video.kind == 'image' else f'{vid}/{frame.name}'
        self.annotations.append(dict(
            image_id=image_id, file_name=rel,
            segments_info=[dict(id=s.id, category_id=self.category(s.label),
                                isthing=int(s.isthing), score=s.score,
                                track_id=s.track_id) for s in frame.segments]))

    def finish(self) -> list[Path]:
        data = dict(annotations=self.annotations, categories=self.categories())
        return [self.dump_json('panoptic.json', data), *super().finish()]


class SemanticWriter(ResultWriter):
    """Semantic label PNGs (semantic task)."""

    def add(self, video, frame, rgb) -> None:
        self.input_id(video)
        path, _ = self.frame_path('semantic', video, frame, '.png')
        labels = frame.semantic
        if len(video.class_names) < 255:
            Image.fromarray(labels.astype(np.uint8)).save(path)
        else:
            Image.fromarray(labels.astype(np.uint16)).save(path)


class InstanceWriter(ResultWriter):
    """COCO instance results (images) and YouTube-VIS results (videos)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.coco: list[dict] = []
        self.ytvis: list[dict] = []
        self._tracks: dict[str, list[list]] = {}
        self._videos: dict[str, VideoResult] = {}

    def add(self, video, frame, rgb) -> None:
        from pycocotools import mask as mask_utils

        vid = self.input_id(video)
        if video.kind == 'image':
            for track, rle in zip(video.tracks, frame.instances):
                if rle is None:
                    continue
                self.coco.append(dict(image_id=vid, category_id=self.category(track.label),
                                      segmentation=rle, score=track.score,
                                      bbox=mask_utils.toBbox(dict(
                                          rle, counts=rle['counts'].encode())).tolist()))
            return
        per_track = self._tracks.setdefault(video.name, [[] for _ in video.tracks])
        for rles, rle in zip(per_track, frame.instances):
            rles.append(rle)
        self._videos[video.name] = video  # its entries are made in finish()

    def finish(self) -> list[Path]:
        for name, per_track in self._tracks.items():
            video = self._videos[name]
            for track, rles in zip(video.tracks, per_track):
                self.ytvis.append(dict(video_id=self.ids[name],
                                       category_id=self.category(track.label),
                                       score=track.score, segmentations=rles))
        written = []
        if self.coco or not self.ytvis:
            written.append(self.dump_json('coco_instances.json', self.coco))
        if self.ytvis:
            written.append(self.dump_json('ytvis_results.json', self.ytvis))
        written.append(self.dump_json('categories.json', self.categories()))
        return written + super().finish()


class DavisWriter(ResultWriter):
    """DAVIS palette PNGs of object ids (vos and interactive tasks)."""

    def add(self, video, frame, rgb) -> None:
        from omgseg.datasets.davis_format import save_davis_png

        self.input_id(video)
        if frame.id_map.max(initial=0) > 254:
            raise ValueError(f'{video.name}: object id {frame.id_map.max()} does not fit a '
                             f'DAVIS PNG (ids 1..254).')
        rel = f'{video.name}/{frame.name}.png'
        save_davis_png(frame.id_map.astype(np.uint8), self.path('davis', rel))


class OverlayWriter(ResultWriter):
    """Overlays: ``overlays/<image>.png``, ``overlays/<video>.mp4`` at the input frame rate.

    Args:
        prompts: ``(points, boxes)`` to mark on the first frame (interactive).
    """

    def __init__(self, *, prompts: tuple | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.prompts = prompts
        self._video_writer = None
        self._current: str | None = None
        self.written: list[Path] = []

    def add(self, video, frame, rgb) -> None:
        from omgseg.visualization import VideoWriter

        image = render_frame(video, frame, rgb, prompts=self.prompts)
        if video.kind == 'image':
            path = self.path('overlays', f'{video.name}.png')
            Image.fromarray(image).save(path)
            self.written.append(path)
            return
        if self._current != video.name:
            self._close()
            path = self.path('overlays', f'{video.name}.mp4')
            self._video_writer = VideoWriter(path, fps=video.fps)
            self._current = video.name
            self.written.append(path)
        self._video_writer.write(image)

    def _close(self) -> None:
        if self._video_writer is not None:
            self._video_writer.close()
            self._video_writer = None

    def finish(self) -> list[Path]:
        self._close()
        return list(self.written)


TASK_WRITERS = {
    'panoptic': (PanopticWriter,), 'instance': (InstanceWriter,),
    'semantic': (SemanticWriter,), 'vos': (DavisWriter,), 'interactive': (DavisWriter,),
}


def writers_for(task: str, out_dir: str | os.PathLike, *, overlays: bool = True,
                prompts: tuple | None = None,
                category_ids: list[int] | None = None) -> list[ResultWriter]:
    """The machine-readable writers of ``task`` (and the overlay writer)."""
    writers = [cls(out_dir=out_dir, category_ids=category_ids) for cls in TASK_WRITERS[task]]
    if overlays:
        writers.append(OverlayWriter(out_dir=out_dir, prompts=prompts))
    return writers


__all__ = ['DavisWriter', 'InstanceWriter', 'OverlayWriter', 'PanopticWriter', 'ResultWriter',
           'SemanticWriter', 'TASK_WRITERS', 'writers_for']
