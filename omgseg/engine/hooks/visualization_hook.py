"""Write overlays of test predictions for every task (``tools/test.py --show-dir``)."""
from __future__ import annotations

import os
import os.path as osp

import cv2
from mmengine.hooks import Hook

from omgseg.datasets.transforms.loading import read_image
from omgseg.evaluation.metrics.gt_reader import frames_of
from omgseg.registry import HOOKS
from omgseg.visualization.frame import draw_frame, frame_field


def overlay_name(*, img_path: str, video_name: str | None = None,
                 frame_index: int | None = None, ext: str = 'jpg') -> str:
    """A frame's overlay path relative to the show folder.

    Video frames go to ``<video_name>/<frame_index:05d>.<ext>`` (frames of different videos
    often share file names); images to ``<image file stem>.<ext>``.
    """
    if video_name is not None:
        folder = str(video_name).strip('/\\') or 'video'
        return osp.join(folder, f'{int(frame_index or 0):05d}.{ext}')
    return f'{osp.splitext(osp.basename(img_path))[0]}.{ext}'


def _class_names(runner) -> list[str] | None:
    """The vocabulary the model classifies against now (a multi-dataset test loop swaps it
    per entry), else the test set's classes."""
    model = getattr(runner.model, 'module', runner.model)
    classifier = getattr(getattr(model, 'panoptic_head', None), 'classifier', None)
    names = getattr(classifier, 'class_names', None)
    if names:
        return list(names)
    return runner.test_dataloader.dataset.metainfo.get('classes')


@HOOKS.register_module()
class SegVisualizationHook(Hook):
    """Save one overlay per test frame: the prediction that suits the sample's task
    (panoptic, instance, semantic, VOS or prompt masks; see :func:`draw_frame`).

    Files are named by :func:`overlay_name`; an image whose stem was already written in this
    run gets its parent folder's name prepended instead of overwriting the first.

    Args:
        show_dir: output folder (created on first use).
        interval: draw every ``interval``-th test iteration.
        score_thr: instances below this score are not drawn.
        ext: image format of the overlays (``jpg`` or ``png``).
    """

    def __init__(self, *, show_dir: str, interval: int = 1, score_thr: float = 0.3,
                 ext: str = 'jpg') -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}.')
        if ext not in ('jpg', 'png'):
            raise ValueError(f"ext must be 'jpg' or 'png', got {ext!r}.")
        self.show_dir, self.interval = show_dir, interval
        self.score_thr, self.ext = score_thr, ext
        self._written: set[str] = set()

    def before_test(self, runner) -> None:
        self._written = set()

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if outputs is None or batch_idx % self.interval:
            return
        class_names = _class_names(runner)
        for sample in outputs:
            self.draw_sample(sample, class_names)

    def draw_sample(self, sample, class_names=None) -> list[str]:
        """Write the overlays of one ``TrackDataSample``; returns the paths written."""
        meta = sample.metainfo
        video = meta.get('video_name')
        written = []
        for t, frame in enumerate(frames_of(sample)):
            if frame_field(frame, meta.get('task')) is None:
                continue
            img_path = frame.metainfo['img_path']
            image = read_image(img_path, 'test image', 'rgb')
            drawn = draw_frame(image, frame, task=meta.get('task'), class_names=class_names,
                               score_thr=self.score_thr)
            name = overlay_name(img_path=img_path, video_name=video,
                                frame_index=frame.metainfo.get('frame_id', t), ext=self.ext)
            if video is None and name in self._written:
                parent = osp.basename(osp.dirname(osp.abspath(img_path)))
                base, k = name, 1
                while name in self._written:
                    name = f'{parent}_{base}' if k == 1 else f'{parent}_{k}_{base}'
                    k += 1
            self._written.add(name)
            path = osp.join(self.show_dir, name)
            os.makedirs(osp.dirname(path), exist_ok=True)
            if not cv2.imwrite(path, drawn[..., ::-1]):
                raise OSError(f'could not write overlay {path}.')
            written.append(path)
        return written
