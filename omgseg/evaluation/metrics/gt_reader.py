"""Ground truth of a predicted frame, read from the dataset's own files at original size."""
from __future__ import annotations

import numpy as np
from mmengine.fileio import get

from omgseg.evaluation.functional.files import decode_id_png
from omgseg.structures import IGNORE_INDEX


def sample_field(obj, key: str, default=None):
    """``key`` of a data sample's metainfo or data, or of its ``to_dict()`` form."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    if key in obj.metainfo_keys():
        return obj.metainfo[key]
    return getattr(obj, key, default)


def frames_of(sample) -> list:
    """The per-frame samples of a packed clip (a ``TrackDataSample`` or its ``to_dict``)."""
    frames = sample_field(sample, 'video_data_samples')
    if frames is None:
        frames = sample_field(sample, '_video_data_samples')
    if frames is None:
        raise ValueError('metrics expect TrackDataSample-like samples with '
                         '"video_data_samples" (one DetDataSample per frame)')
    return list(frames)


def video_name_of(sample) -> str:
    """A video's folder name (``video_name``), else its ``video_id``, as a string."""
    # datasets keep an int video_id and the folder name as video_name; files use the name
    name = sample_field(sample, 'video_name')
    if name is None:
        name = sample_field(sample, 'video_id')
    if name is None:
        raise ValueError('a video sample has neither video_name nor video_id in its metainfo')
    return str(name)


def read_panoptic_gt(frame) -> tuple[np.ndarray, list[dict]]:
    """(H, W) int64 GT ids and segments (``id``, ``category_id`` = label, ``iscrowd``)."""
    path = frame.metainfo['seg_map_path']
    try:
        data = get(path)
    except FileNotFoundError as err:
        raise FileNotFoundError(f'ground-truth panoptic PNG {path} does not exist.') from err
    segments = [dict(id=s['id'], category_id=s['category'], iscrowd=int(s['iscrowd']))
                for s in frame.metainfo['segments_info']]
    return decode_id_png(data, f'ground-truth panoptic PNG {path}').astype(np.int64), segments


def semantic_from_panoptic(ids: np.ndarray, segments: list[dict]) -> np.ndarray:
    """(H, W) int64 class map from a panoptic id map; void -> ``IGNORE_INDEX``."""
    sem = np.full(ids.shape, IGNORE_INDEX, dtype=np.int64)
    for seg in segments:
        sem[ids == seg['id']] = seg['category_id']
    return sem
