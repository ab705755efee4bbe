"""Per-frame annotation loading for video datasets (VIPSeg panomasks, YouTube-VIS instances,
DAVIS index masks)."""
from __future__ import annotations

import numpy as np
import pycocotools.mask as mask_utils
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from omgseg.datasets.davis_format import mask_object_ids, read_davis_mask
from omgseg.datasets.vipseg_cache import read_panomask
from omgseg.registry import TRANSFORMS
from omgseg.structures import IGNORE_INDEX


def _check_size(results: dict, shape: tuple[int, int], what: str, path: str) -> None:
    """Raise when an annotation of ``shape`` (H, W) does not fit the loaded image."""
    img_shape = results.get('ori_shape', results.get('img_shape'))
    if img_shape is not None and tuple(img_shape[:2]) != tuple(shape):
        raise ValueError(f'{what} {path} is {shape[1]}x{shape[0]} (WxH) but its frame '
                         f'{results.get("img_path")} is {img_shape[1]}x{img_shape[0]}; the two '
                         f'must have the same size (re-export one of them).')


def _pack_instances(results: dict, masks: list[np.ndarray], labels: list[int],
                    ignore: list[bool], ids: list[int], h: int, w: int) -> None:
    bitmap = BitmapMasks(np.stack(masks) if masks else np.zeros((0, h, w), np.uint8), h, w)
    results['gt_masks'] = bitmap
    results['gt_bboxes'] = HorizontalBoxes(bitmap.get_bboxes(dst_type='hbox').tensor
                                           if masks else np.zeros((0, 4), np.float32))
    results['gt_bboxes_labels'] = np.asarray(labels, dtype=np.int64)
    results['gt_ignore_flags'] = np.asarray(ignore, dtype=bool)
    results['gt_instances_ids'] = np.asarray(ids, dtype=np.int64)


@TRANSFORMS.register_module()
class LoadVIPSegAnnotations(BaseTransform):
    """Read one VIPSeg panomask into instances and a semantic map.

    Needs ``seg_map_path`` and ``segments`` (from ``OMGVIPSegDataset``). Adds ``gt_masks``
    (BitmapMasks (N, H, W) of thing segments), ``gt_bboxes``, ``gt_bboxes_labels``,
    ``gt_instances_ids`` (the panomask value, the same in every frame of the video),
    ``gt_ignore_flags`` (thing regions without an instance id) and ``gt_seg_map`` (H, W) uint16
    (labels; ``IGNORE_INDEX`` for void and for values the vocabulary leaves out), as
    ``LoadPanopticAnnotationsPNG`` does. A panomask whose size differs from the loaded image
    is an error naming both files.
    """

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        values = read_panomask(path)
        h, w = values.shape[:2]
        _check_size(results, (h, w), 'panomask', path)
        sem = np.full((h, w), IGNORE_INDEX, dtype=np.uint16)
        masks, labels, ignore, ids = [], [], [], []
        for seg in results['segments']:
            region = values == seg['id']
            sem[region] = seg['label']
            if seg['is_thing']:
                masks.append(region.astype(np.uint8))
                labels.append(seg['label'])
                ignore.append(bool(seg['iscrowd']))
                ids.append(seg['id'])
        _pack_instances(results, masks, labels, ignore, ids, h, w)
        results['gt_seg_map'] = sem
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results


def _decode(segm, h: int, w: int, source: str) -> np.ndarray:
    """(H, W) uint8 mask of a COCO segmentation (polygons, RLE or compressed RLE)."""
    if isinstance(segm, list):
        polys = [p for p in segm if len(p) >= 6 and len(p) % 2 == 0]
        if not polys:
            return np.zeros((h, w), np.uint8)
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
    elif isinstance(segm, dict) and 'counts' in segm:
        if tuple(segm['size']) != (h, w):
            raise ValueError(f'{source}: RLE size {segm["size"]} (HxW) differs from the frame '
                             f'size {[h, w]}; the annotation and the image disagree.')
        rle = mask_utils.frPyObjects(segm, h, w) if isinstance(segm['counts'], list) else segm
    else:
        raise ValueError(f'{source}: segmentation must be polygons or RLE, got '
                         f'{type(segm).__name__}.')
    return mask_utils.decode(rle).astype(np.uint8)


@TRANSFORMS.register_module()
class LoadTrackInstances(BaseTransform):
    """Decode the ``instances`` of one YouTube-VIS frame (from ``OMGYouTubeVISDataset``).

    Adds ``gt_masks`` (BitmapMasks (N, H, W)), ``gt_bboxes`` (from the masks),
    ``gt_bboxes_labels``, ``gt_instances_ids`` (the json ``instance_id``, the same in every
    frame) and ``gt_ignore_flags`` (crowd). There is no stuff: with ``with_seg=True`` (the
    default, as OMG-Seg's ``AddSemSeg``) ``gt_seg_map`` is all ``IGNORE_INDEX`` so clips mix
    with panoptic data in one batch.

    Args:
        with_seg: add the all-void ``gt_seg_map``.
    """

    def __init__(self, *, with_seg: bool = True) -> None:
        self.with_seg = with_seg

    def transform(self, results: dict) -> dict:
        h, w = results['height'], results['width']
        _check_size(results, (h, w), 'json height/width of frame',
                    results.get('img_path', '<frame>'))
        source = f'frame {results.get("img_path")}'
        masks, labels, ignore, ids = [], [], [], []
        for inst in results.get('instances', []):
            masks.append(_decode(inst['mask'], h, w, source))
            labels.append(inst['bbox_label'])
            ignore.append(bool(inst.get('ignore_flag', 0)))
            ids.append(inst['instance_id'])
        _pack_instances(results, masks, labels, ignore, ids, h, w)
        if self.with_seg:
            results['gt_seg_map'] = np.full((h, w), IGNORE_INDEX, dtype=np.uint16)
            results.setdefault('seg_fields', []).append('gt_seg_map')
        return results


@TRANSFORMS.register_module()
class LoadDAVISAnnotations(BaseTransform):
    """Read one DAVIS annotation (indexed PNG, from ``OMGDAVISDataset``) into objects.

    Pixel values are palette indices: 0 background, k = object k, 255 void (``DAVIS_VOID``),
    which belongs to no object. Adds ``gt_masks`` (BitmapMasks (N, H, W), one per object
    index present in this frame, ascending), ``gt_bboxes``, ``gt_bboxes_labels`` (all 0: the
    class-agnostic ``'object'``), ``gt_instances_ids`` (the object index, the same in every
    frame), ``gt_ignore_flags`` (all False) and, with ``with_seg=True``, an all-
    ``IGNORE_INDEX`` ``gt_seg_map`` (DAVIS has no stuff). A frame without an annotation
    (``seg_map_path`` None) gets no objects. An annotation whose size differs from the loaded
    frame is an error naming both files.

    Args:
        with_seg: add the all-void ``gt_seg_map``.
    """

    def __init__(self, *, with_seg: bool = True) -> None:
        self.with_seg = with_seg

    def transform(self, results: dict) -> dict:
        path = results.get('seg_map_path')
        masks, ids = [], []
        if path is None:
            shape = results.get('ori_shape', results.get('img_shape'))
            h, w = shape[:2] if shape is not None else (results['height'], results['width'])
        else:
            values = read_davis_mask(path)
            h, w = values.shape[:2]
            _check_size(results, (h, w), 'DAVIS annotation', path)
            for k in mask_object_ids(values):
                masks.append((values == k).astype(np.uint8))
                ids.append(k)
        _pack_instances(results, masks, [0] * len(ids), [False] * len(ids), ids, h, w)
        if self.with_seg:
            results['gt_seg_map'] = np.full((h, w), IGNORE_INDEX, dtype=np.uint16)
            results.setdefault('seg_fields', []).append('gt_seg_map')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(with_seg={self.with_seg})'
