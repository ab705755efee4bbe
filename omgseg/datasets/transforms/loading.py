"""Loading steps: images (with a logged skip for unreadable training files) and panoptic PNGs."""
from __future__ import annotations

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.fileio import get
from mmengine.logging import print_log

from omgseg.registry import TRANSFORMS
from omgseg.structures import IGNORE_INDEX


def rgb2id(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) int64 panoptic ids (R + 256 G + 256^2 B)."""
    rgb = rgb.astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def read_image(path: str, what: str, channel_order: str = 'bgr',
               backend_args: dict | None = None) -> np.ndarray:
    """Read a colour image (H, W, 3) uint8; errors name the file and what it is.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file cannot be decoded (corrupt or not an image).
    """
    try:
        buf = get(path, backend_args=backend_args)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'{what} {path} does not exist.') from err
    img = mmcv.imfrombytes(buf, flag='color', channel_order=channel_order)
    if img is None:
        raise ValueError(f'{what} {path} cannot be decoded (corrupt or not an image); replace '
                         f'it or remove it from the annotation file.')
    return img


@TRANSFORMS.register_module()
class LoadImageSafe(BaseTransform):
    """Read an image as BGR uint8 (H, W, 3).

    A missing or unreadable file raises a ``FileNotFoundError``/``ValueError`` naming it; with
    ``skip_bad=True`` (training) it is logged and skipped instead (the dataset then draws another
    sample), so one corrupt file does not stop a long run.
    """

    def __init__(self, *, skip_bad: bool = False, backend_args: dict | None = None) -> None:
        self.skip_bad = skip_bad
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict | None:
        path = results['img_path']
        try:
            img = read_image(path, 'image file', 'bgr', self.backend_args)
        except (FileNotFoundError, ValueError) as err:
            if not self.skip_bad:
                raise
            print_log(f'skipped sample: {err}', logger='current', level=30)
            return None
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadPanopticAnnotationsPNG(BaseTransform):
    """Read a COCO panoptic PNG into instance masks and a semantic map.

    Adds ``gt_masks`` (BitmapMasks of thing segments, crowd ones flagged in
    ``gt_ignore_flags``), ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_instances_ids`` (the PNG
    segment ids) and ``gt_seg_map`` (H, W) uint16 with every labelled pixel's class and
    ``IGNORE_INDEX`` for void.

    Args:
        all_segments: every segment, stuff included, becomes an instance (the class-agnostic
            "COCO-SAM" targets of interactive segmentation); crowd ones stay flagged.
        backend_args: mmengine file backend arguments.
    """

    def __init__(self, *, all_segments: bool = False,
                 backend_args: dict | None = None) -> None:
        self.all_segments = all_segments
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        ids = rgb2id(read_image(path, 'panoptic PNG', 'rgb', self.backend_args))
        segments = {s['id']: s for s in results['segments_info']}
        present = np.unique(ids)
        unknown = [int(i) for i in present if i != 0 and i not in segments]
        if unknown:
            raise ValueError(f'panoptic PNG {path} holds segment id(s) {unknown[:5]} that its '
                             f'json entry does not list; the PNG and json disagree.')
        sem = np.full(ids.shape, IGNORE_INDEX, dtype=np.uint16)
        masks, labels, ignore, inst_ids = [], [], [], []
        for sid, seg in segments.items():
            region = ids == sid
            sem[region] = seg['category']
            if seg['is_thing'] or self.all_segments:
                masks.append(region.astype(np.uint8))
                labels.append(seg['category'])
                ignore.append(bool(seg['iscrowd']))
                inst_ids.append(sid)
        h, w = ids.shape
        bitmap = BitmapMasks(masks, h, w) if masks else BitmapMasks(
            np.zeros((0, h, w), np.uint8), h, w)
        results['gt_masks'] = bitmap
        results['gt_bboxes'] = HorizontalBoxes(bitmap.get_bboxes(dst_type='hbox').tensor
                                               if masks else np.zeros((0, 4), np.float32))
        results['gt_bboxes_labels'] = np.asarray(labels, dtype=np.int64)
        results['gt_ignore_flags'] = np.asarray(ignore, dtype=bool)
        results['gt_instances_ids'] = np.asarray(inst_ids, dtype=np.int64)
        results['gt_seg_map'] = sem
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results
