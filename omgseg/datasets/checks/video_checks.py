"""Checks of video datasets against their config: YouTube-VIS (COCO-video json) and the VIPSeg
layout. Every frame is decoded; training videos shorter than the training clip are reported."""
from __future__ import annotations

import os
import os.path as osp
from collections import defaultdict

import numpy as np

from omgseg.datasets.vipseg_format import STUFF_MAX_VALUE, label_lookup, raw_class_of
from omgseg.datasets.youtube_vis import track_category_label

from .files import check_size, read_json, read_pixels
from .report import DataReport

_IMG_EXTS = ('.jpg', '.jpeg', '.png')


def _check_length(video: str, length: int, clip_span: int | None, report: DataReport,
                  name: str) -> None:
    if clip_span is not None and length < clip_span:
        report.add(name, 'video shorter than clip', video,
                   f'{length} frame(s), a training clip spans {clip_span}')


def _check_rle(ann: dict, size: tuple[int, int], where: str, report: DataReport,
               name: str) -> None:
    segm = ann.get('segmentation')
    if isinstance(segm, dict) and 'size' in segm and tuple(segm['size']) != tuple(size):
        report.add(name, 'size mismatch', where,
                   f'instance {ann.get("instance_id")}: RLE size {segm["size"]} (HxW), frame '
                   f'{list(size)}')


def check_youtube_vis(dataset, name: str, report: DataReport, *, clip_span: int | None,
                      training: bool) -> str:
    """Check a (lazily built) ``OMGYouTubeVISDataset``; returns what it holds, one line.

    Args:
        clip_span: frames a training clip spans (None: not sampled in clips).
        training: also report videos without annotated instances.
    """
    ann_file = dataset.ann_file
    data = read_json(ann_file, report, name)
    if data is None:
        return f'{name}: {ann_file} (not read)'
    if 'images' not in data and any('file_names' in v for v in data.get('videos', [])):
        report.add(name, 'bad annotation file', ann_file,
                   'an official YouTube-VIS json: convert it with '
                   'tools/dataset_converters/youtube_vis.py and point ann_file at the output')
        return f'{name}: {ann_file} (not read)'
    missing_keys = [k for k in ('videos', 'images', 'categories') if k not in data]
    if missing_keys:
        report.add(name, 'bad annotation file', ann_file, f'no {missing_keys} list')
        return f'{name}: {ann_file} (not read)'
    known = {}
    for cat in data['categories']:
        label, error = track_category_label(cat, dataset.metainfo)
        if error:
            report.add(name, 'class not in vocabulary', ann_file, error)
        known[cat['id']] = label
    anns_of = defaultdict(list)
    for ann in data.get('annotations', []):
        anns_of[ann['image_id']].append(ann)
    frames_of = defaultdict(list)
    for img in data['images']:
        frames_of[img['video_id']].append(img)
    for video in data['videos']:
        frames = frames_of.get(video['id'], [])
        _check_length(video.get('name', str(video['id'])), len(frames), clip_span, report,
                      name)
        annotated = False
        for img in frames:
            path = osp.join(dataset.data_prefix['img'], img['file_name'])
            size = (img['height'], img['width'])
            pixels = read_pixels(path, report, name, 'frame')
            if pixels is not None:
                check_size(pixels.shape, size, report, name, path, 'frame (json height/width)')
            for ann in anns_of.get(img['id'], []):
                if ann['category_id'] not in known:
                    report.add(name, 'unknown category id', path,
                               f'annotation {ann.get("id")} has category_id '
                               f'{ann["category_id"]}')
                    continue
                _check_rle(ann, size, path, report, name)
                annotated |= not ann.get('iscrowd', 0)
        if training and frames and not annotated:
            report.add(name, 'empty image', video.get('name', str(video['id'])),
                       'a video without annotated instances')
    return (f'{name}: {ann_file}, {len(data["videos"])} video(s), {len(data["images"])} '
            f'frame(s)')


def _stems(folder: str) -> dict[str, str]:
    return {osp.splitext(n)[0]: n for n in sorted(os.listdir(folder))
            if n.lower().endswith(_IMG_EXTS) and not n.startswith('.')}


def _check_panomask(path: str, frame_shape, lookup: dict, num_things: int,
                    report: DataReport, name: str) -> None:
    values = read_pixels(path, report, name, 'panomask')
    if values is None:
        return
    if values.ndim != 2:
        report.add(name, 'unreadable file', path,
                   f'a panomask is single-channel (16-bit), got shape {values.shape}')
        return
    if frame_shape is not None:
        check_size(values.shape, frame_shape[:2], report, name, path, 'panomask')
    for value in np.unique(values).tolist():
        if value == 0 or value == 200:  # void; 200 is the release's known broken value
            continue
        raw = raw_class_of(value)
        label = lookup.get(raw)
        if label is None:
            report.add(name, 'class not in vocabulary', path,
                       f'value {value} = raw class {raw}, which raw_class_ids lacks (its '
                       f'pixels would become void)')
        elif value > STUFF_MAX_VALUE and label >= num_things:
            report.add(name, 'class not in vocabulary', path,
                       f'value {value} encodes an instance of raw class {raw}, a stuff class '
                       f'of the vocabulary')


def check_vipseg(dataset, name: str, report: DataReport, *, clip_span: int | None) -> str:
    """Check a (lazily built) ``OMGVIPSegDataset``: split file, frame / panomask pairs, every
    panomask value against the vocabulary's raw classes; returns what it holds, one line."""
    split = dataset.ann_file
    if not osp.isfile(split):
        report.add(name, 'missing file', split, 'split file (video list)')
        return f'{name}: {split} (not read)'
    with open(split) as f:
        videos = [line.strip() for line in f if line.strip()]
    lookup = label_lookup(dataset.metainfo['raw_class_ids'])
    num_things = len(dataset.metainfo['thing_classes'])
    with_masks = getattr(dataset, 'with_masks', True)
    num_frames = 0
    for video in videos:
        img_dir = osp.join(dataset.data_prefix['img'], video)
        seg_dir = osp.join(dataset.data_prefix['seg'], video)
        if not osp.isdir(img_dir):
            report.add(name, 'missing file', img_dir, f'frame folder of video {video!r}')
            continue
        imgs = _stems(img_dir)
        masks = _stems(seg_dir) if with_masks and osp.isdir(seg_dir) else {}
        if with_masks and not osp.isdir(seg_dir):
            report.add(name, 'missing file', seg_dir, f'panomask folder of video {video!r}')
        _check_length(video, len(imgs), clip_span, report, name)
        num_frames += len(imgs)
        for stem, file in imgs.items():
            pixels = read_pixels(osp.join(img_dir, file), report, name, 'frame')
            if with_masks and osp.isdir(seg_dir):
                if stem not in masks:
                    report.add(name, 'missing file', osp.join(seg_dir, stem + '.png'),
                               'panomask of a frame')
                    continue
                _check_panomask(osp.join(seg_dir, masks[stem]),
                                None if pixels is None else pixels.shape, lookup, num_things,
                                report, name)
        for stem in sorted(set(masks) - set(imgs)):
            report.add(name, 'missing file', osp.join(img_dir, stem + '.jpg'),
                       'frame of a panomask')
    return f'{name}: {split}, {len(videos)} video(s), {num_frames} frame(s)'


__all__ = ['check_youtube_vis', 'check_vipseg']
