"""Checks of a COCO-panoptic-format dataset (``OMGCocoPanopticDataset``) against its config:
every file, every category, every segment of every PNG."""
from __future__ import annotations

import os.path as osp

import numpy as np

from omgseg.datasets.coco_panoptic import panoptic_category_label
from omgseg.datasets.transforms.loading import rgb2id

from .files import check_size, read_json, read_pixels
from .report import DataReport


def _category_labels(coco: dict, meta: dict, ann_file: str, report: DataReport,
                     name: str) -> dict[int, int]:
    cat2label = {}
    for cat in coco['categories']:
        label, error = panoptic_category_label(cat, meta)
        if error:
            report.add(name, 'class not in vocabulary', ann_file, error)
        else:
            cat2label[cat['id']] = label
    return cat2label


def _check_png(ann: dict, seg_path: str, size: tuple[int, int], known_cats: set,
               report: DataReport, name: str) -> list[dict]:
    """Check one panoptic PNG against its json entry; returns the entry's usable segments."""
    segments = []
    for seg in ann.get('segments_info', []):
        if seg.get('category_id') not in known_cats:
            report.add(name, 'unknown category id', seg_path,
                       f'segment {seg.get("id")} has category_id {seg.get("category_id")}')
        else:
            segments.append(seg)
    pixels = read_pixels(seg_path, report, name, 'panoptic PNG')
    if pixels is None:
        return segments
    if pixels.ndim != 3 or pixels.shape[2] < 3:
        report.add(name, 'unreadable file', seg_path,
                   f'panoptic PNG must be RGB (id = R + 256 G + 256^2 B), got shape '
                   f'{pixels.shape}')
        return segments
    check_size(pixels.shape, size, report, name, seg_path, 'panoptic PNG')
    present = set(np.unique(rgb2id(pixels[..., :3])).tolist()) - {0}
    listed = {int(s['id']) for s in ann.get('segments_info', [])}
    for sid in sorted(listed - present):
        report.add(name, 'segment id absent from PNG', seg_path, f'segment id {sid}')
    extra = sorted(present - listed)
    if extra:
        report.add(name, 'PNG id not in json', seg_path,
                   f'{len(extra)} id(s), e.g. {extra[:3]}')
    return segments


def check_coco_panoptic(dataset, name: str, report: DataReport, *, training: bool) -> str:
    """Check a (lazily built) ``OMGCocoPanopticDataset``; returns what it holds, one line.

    Args:
        dataset: the dataset, built with ``lazy_init=True`` (paths already joined).
        name: how the report names it.
        report: receives the problems.
        training: also report images without annotated segments (training skips them).
    """
    ann_file = dataset.ann_file
    coco = read_json(ann_file, report, name)
    if coco is None:
        return f'{name}: {ann_file} (not read)'
    missing_keys = [k for k in ('images', 'annotations', 'categories') if k not in coco]
    if missing_keys:
        report.add(name, 'bad annotation file', ann_file,
                   f'no {missing_keys} list; is it a COCO *panoptic* json?')
        return f'{name}: {ann_file} (not read)'
    cat2label = _category_labels(coco, dataset.metainfo, ann_file, report, name)
    known_cats = {c['id'] for c in coco['categories']}
    anns = {a['image_id']: a for a in coco['annotations']}
    img_prefix, seg_prefix = dataset.data_prefix['img'], dataset.data_prefix['seg']
    for img in coco['images']:
        ann = anns.get(img['id'])
        if ann is None:
            continue  # the dataset skips (and logs) images without an annotation entry
        size = (img['height'], img['width'])
        img_path = osp.join(img_prefix, img['file_name'])
        pixels = read_pixels(img_path, report, name, 'image')
        if pixels is not None:
            check_size(pixels.shape, size, report, name, img_path, 'image (json height/width)')
        segments = _check_png(ann, osp.join(seg_prefix, ann['file_name']), size, known_cats,
                              report, name)
        if training and not any(s['category_id'] in cat2label and not s.get('iscrowd', 0)
                                for s in segments):
            report.add(name, 'empty image', img_path)
    return f'{name}: {ann_file}, {len(coco["images"])} image(s), {len(known_cats)} categories'


__all__ = ['check_coco_panoptic']
