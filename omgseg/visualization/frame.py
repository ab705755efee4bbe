"""Draw whatever predictions one frame's data sample carries (the test hook's renderer).

Works on any object with the ``DetDataSample`` layout (``pred_*`` fields holding tensors or
arrays), so it needs neither the model nor mmengine.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from omgseg.structures import (IGNORE_INDEX, TASK_INSTANCE, TASK_INTERACTIVE, TASK_PANOPTIC,
                               TASK_SEMANTIC, TASK_VOS)

from .draw import check_image
from .instances import draw_instances
from .panoptic import draw_panoptic
from .prompts import draw_prompts
from .semantic import draw_semantic
from .vos import draw_vos

# the field each task's overlay shows; a frame without it falls back to the first present
TASK_FIELDS = {TASK_PANOPTIC: 'pred_panoptic_seg', TASK_SEMANTIC: 'pred_sem_seg',
               TASK_INSTANCE: 'pred_instances', TASK_VOS: 'pred_vos_seg',
               TASK_INTERACTIVE: 'pred_prompt_masks'}
FIELD_ORDER = ('pred_prompt_masks', 'pred_vos_seg', 'pred_panoptic_seg', 'pred_instances',
               'pred_sem_seg')
_POINT = 1  # prompt kind of a click (omgseg.structures.prompts.POINT)


def _np(value) -> np.ndarray:
    """A tensor (any device) or array as a numpy array."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _has(frame, name: str) -> bool:
    return name in frame if hasattr(frame, '__contains__') else hasattr(frame, name)


def frame_field(frame, task: str | None = None) -> str | None:
    """The prediction field an overlay of ``frame`` shows: its task's, else the first of
    :data:`FIELD_ORDER` present; ``None`` when it carries no prediction."""
    preferred = TASK_FIELDS.get(task)
    if preferred is not None and _has(frame, preferred):
        return preferred
    return next((f for f in FIELD_ORDER if _has(frame, f)), None)


def _prompt_marks(frame, shape: tuple[int, int]) -> dict:
    """The frame's prompts (input pixels) mapped to the prediction's pixels."""
    if not _has(frame, 'prompts'):
        return {}
    prompts = frame.prompts
    boxes, kinds = _np(prompts.boxes).reshape(-1, 4), _np(prompts.kinds).reshape(-1)
    ids = _np(prompts.instances_ids).reshape(-1)
    img_h, img_w = frame.metainfo.get('img_shape', shape)[:2]
    boxes = boxes * np.array([shape[1] / img_w, shape[0] / img_h] * 2)
    clicks = kinds == _POINT
    return dict(points=boxes[clicks, :2], boxes=boxes[~clicks], prompt_ids=ids[~clicks])


def draw_frame(image: np.ndarray, frame, *, task: str | None = None,
               class_names: Sequence[str] | None = None, score_thr: float = 0.3,
               alpha: float = 0.5) -> np.ndarray | None:
    """Overlay the prediction of ``frame`` that suits ``task`` (see :func:`frame_field`).

    Track colours: a thing's panoptic segment id and an instance's ``instances_id + 1`` (both
    its query + 1), a VOS object's id and a prompt's ``instances_ids``.

    Args:
        image: (H, W, 3) uint8 RGB; resized to the prediction's size if they differ.
        frame: a ``DetDataSample``-like object with ``pred_*`` fields.
        task: the sample's task (``panoptic``, ``instance``, ``semantic``, ``vos``,
            ``interactive``).
        class_names: label -> name.
        score_thr: instances below it are not drawn.
        alpha: mask opacity.

    Returns:
        (h, w, 3) uint8 RGB at the prediction's size, or ``None`` without a prediction.
    """
    field = frame_field(frame, task)
    if field is None:
        return None
    pred = getattr(frame, field)
    image = check_image(image)
    if field in ('pred_panoptic_seg', 'pred_sem_seg', 'pred_vos_seg'):
        shape = _np(pred.sem_seg).shape[-2:]
    elif 'masks' in pred:
        shape = _np(pred.masks).shape[-2:]
    else:
        shape = tuple(pred.masks_rle[0]['size']) if len(pred.masks_rle) else image.shape[:2]
    if tuple(shape) != image.shape[:2]:
        image = cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    if field == 'pred_panoptic_seg':
        return draw_panoptic(image, _np(pred.sem_seg)[0], pred.metainfo['segments_info'],
                             class_names, alpha=alpha)
    if field == 'pred_sem_seg':
        return draw_semantic(image, _np(pred.sem_seg)[0], class_names,
                             ignore_index=IGNORE_INDEX, alpha=alpha)
    if field == 'pred_vos_seg':
        return draw_vos(image, _np(pred.sem_seg)[0], alpha=alpha)
    masks = _np(pred.masks) if 'masks' in pred else list(pred.masks_rle)
    if field == 'pred_instances':
        return draw_instances(image, masks, _np(pred.labels), class_names,
                              scores=_np(pred.scores), track_ids=_np(pred.instances_id) + 1,
                              score_thr=score_thr, alpha=alpha)
    out = draw_instances(image, masks, _np(pred.labels), class_names, scores=_np(pred.scores),
                         track_ids=_np(pred.instances_ids), score_thr=0.0, alpha=alpha)
    return draw_prompts(out, **_prompt_marks(frame, out.shape[:2]))


__all__ = ['FIELD_ORDER', 'TASK_FIELDS', 'draw_frame', 'frame_field']
