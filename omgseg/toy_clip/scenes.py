"""The image side of tiny-CLIP pre-training and evaluation: toy scenes rendered in memory and
their segments mask-pooled from the stage-4 CLIP map, as the open-vocabulary fusion pools them.

Scenes: training scene ``i`` is ``make_scene(PRETRAIN_SCENE_OFFSET + i)``, the held-out scenes
of the zero-shot report are ``make_scene(HELDOUT_SCENE_OFFSET + i)``. The toy datasets use
seeds ``seed + [0, 3_000_000)`` (``omgseg.datasets.toy.scene_seed`` plus the video/DAVIS index
offsets), so the streams are disjoint for dataset base seeds below 47,000,000.
"""
from __future__ import annotations

import numpy as np
import torch

from omgseg.datasets.toy import make_scene, render
from omgseg.models.layers import mask_pool
from omgseg.models.postprocess import clip_resolution_masks

PRETRAIN_SCENE_OFFSET = 50_000_000
HELDOUT_SCENE_OFFSET = 51_000_000
# ClipDataPreprocessor's defaults (ImageNet statistics, 0-255 RGB), as the toy configs use.
PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)

# Web captions name things at several levels ("a dog", "an animal"): pre-training sees the broader
# words too, so CLIP knows them although no segmentation dataset of the toy world uses them (the
# toy ADE20K's 'animal' is then an unseen class that CLIP can still recognise).
HYPERNYMS = {'bird': ('animal',), 'dog': ('animal',), 'car': ('vehicle',),
             'bicycle': ('vehicle',)}



def render_batch(scene_seeds: list[int], size: int):
    """Render scenes and their non-crowd segments as model inputs.

    Returns:
        ``(images, masks, labels)``: ``images`` float32 (B, 3, H, W) normalised RGB;
        ``masks`` float32 (B, Q, H, W) mask logits, +1 inside a segment and -1 elsewhere
        (padding rows are all -1, i.e. empty); ``labels`` int64 (B, Q) contiguous toy labels,
        -1 on padding rows. Q is the largest segment count of the batch.
    """
    images, seg_maps, segs = [], [], []
    for seed in scene_seeds:
        image, seg_map, segments = render(make_scene(seed, size, size))
        images.append(image)
        seg_maps.append(seg_map)
        segs.append([s for s in segments if not s['iscrowd']])
    q = max(1, max(len(s) for s in segs))
    masks = np.full((len(images), q, size, size), -1.0, np.float32)
    labels = np.full((len(images), q), -1, np.int64)
    for b, (seg_map, segments) in enumerate(zip(seg_maps, segs)):
        for j, seg in enumerate(segments):
            masks[b, j][seg_map == seg['id']] = 1.0
            labels[b, j] = seg['label']
    pixels = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
    mean = torch.tensor(PIXEL_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(PIXEL_STD).view(1, 3, 1, 1)
    return (pixels - mean) / std, torch.from_numpy(masks), torch.from_numpy(labels)


def pooled_segment_features(backbone, scene_seeds: list[int], size: int,
                            batch_scenes: int = 16):
    """Mask-pooled stage-4 features of every non-crowd segment, as inference computes them.

    ``backbone(images)[-1]`` -> ``get_clip_feature`` -> masks resized to the CLIP map as the
    fusion resizes them (``clip_resolution_masks``) -> ``mask_pool``; the CLIP head projection
    is left to the caller.

    Returns:
        ``(pooled, labels, num_without_mask)``: float32 (N, C4) features and int64 (N,) toy
        labels of the N segments with a mask at CLIP resolution, and the count of segments
        left out because none of their pixels survives at that resolution.
    """
    pooled, labels, without = [], [], 0
    with torch.no_grad():
        for first in range(0, len(scene_seeds), batch_scenes):
            images, masks, label = render_batch(scene_seeds[first:first + batch_scenes], size)
            feat = backbone.get_clip_feature(backbone(images)[-1])           # (B, C4, h, w)
            small, has_mask = clip_resolution_masks(masks[:, :, None], tuple(feat.shape[-2:]))
            keep = has_mask & (label >= 0)
            without += int(((label >= 0) & ~has_mask).sum())
            pooled.append(mask_pool(feat[:, None], small)[keep])              # (n, C4)
            labels.append(label[keep])
    return torch.cat(pooled), torch.cat(labels), without
