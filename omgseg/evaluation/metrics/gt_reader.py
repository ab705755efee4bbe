"""Ground truth of a predicted frame, read from the dataset's own files at original size."""
from __future__ import annotations

import numpy as np

from omgseg.datasets.transforms.loading import read_image
from omgseg.evaluation.functional import rgb2id
from omgseg.structures import IGNORE_INDEX


def frames_of(sample) -> list:
    """The per-frame samples of a packed clip (a ``TrackDataSample`` or its ``to_dict``)."""
    if isinstance(sample, dict):
        return list(sample['video_data_samples'])
    return list(sample.video_data_samples)


def read_panoptic_gt(frame) -> tuple[np.ndarray, list[dict]]:
    """(H, W) int64 GT ids and segments (``id``, ``category_id`` = label, ``iscrowd``)."""
    png = read_image(frame.metainfo['seg_map_path'], 'ground-truth panoptic PNG', 'rgb')
    segments = [dict(id=s['id'], category_id=s['category'], iscrowd=int(s['iscrowd']))
                for s in frame.metainfo['segments_info']]
    return rgb2id(png), segments


def semantic_from_panoptic(ids: np.ndarray, segments: list[dict]) -> np.ndarray:
    """(H, W) int64 class map from a panoptic id map; void -> ``IGNORE_INDEX``."""
    sem = np.full(ids.shape, IGNORE_INDEX, dtype=np.int64)
    for seg in segments:
        sem[ids == seg['id']] = seg['category_id']
    return sem
