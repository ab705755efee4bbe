"""Browse what a config's training pipeline produces: a few packed samples of each training
dataset (each sub-dataset of a ``JointDataset`` / ``ConcatDataset``) drawn to PNG, frames side
by side, with the labels the model is trained on (merged labels for a ``JointDataset``).
The command line is ``tools/analysis_tools/browse_dataset.py``."""
from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import torch
from mmdet.structures import TrackDataSample
from mmengine.registry import init_default_scope
from PIL import Image

from omgseg.registry import DATASETS
from omgseg.structures import IGNORE_INDEX
from omgseg.visualization.training_sample import (FrameTargets, draw_training_frame,
                                                  tile_frames, upscale)


def _numpy_masks(instances) -> np.ndarray:
    masks = instances.masks
    masks = masks.masks if hasattr(masks, 'masks') else masks
    return np.asarray(masks.cpu() if isinstance(masks, torch.Tensor) else masks).astype(bool)


def frame_targets(frame) -> FrameTargets:
    """The targets of one packed frame (a ``DetDataSample``) as numpy arrays."""
    inst = frame.get('gt_instances')
    crowd = frame.get('ignored_instances')
    prompts = frame.get('prompts')
    empty = np.zeros(0, np.int64)
    sem = frame.get('gt_sem_seg')
    return FrameTargets(
        masks=_numpy_masks(inst) if inst is not None else np.zeros((0, 1, 1), bool),
        labels=inst.labels.numpy() if inst is not None else empty,
        instance_ids=inst.instances_ids.numpy() if inst is not None else empty,
        crowd_masks=_numpy_masks(crowd) if crowd is not None and len(crowd) else None,
        crowd_labels=crowd.labels.numpy() if crowd is not None and len(crowd) else empty,
        semantic=(None if sem is None else
                  np.where(sem.sem_seg[0].numpy() == IGNORE_INDEX, -1, sem.sem_seg[0].numpy())),
        prompt_boxes=None if prompts is None else prompts.boxes.numpy(),
        prompt_kinds=None if prompts is None else prompts.kinds.numpy(),
        prompt_ids=None if prompts is None else prompts.instances_ids.numpy())


def sample_frames(sample: dict) -> list[np.ndarray]:
    """The (H, W, 3) uint8 RGB frames of a packed sample (``inputs`` (T, 3, H, W), BGR)."""
    inputs = sample['inputs']
    return [np.ascontiguousarray(f.permute(1, 2, 0).numpy()[..., ::-1]) for f in inputs]


def render_sample(sample: dict, *, class_names, num_things: int, title: str,
                  min_side: int = 256) -> np.ndarray:
    """A packed training sample drawn: its frames with their targets, side by side; frames
    smaller than ``min_side`` are enlarged by an integer factor first (legible labels)."""
    track = sample['data_samples']
    frames = list(track.video_data_samples) if isinstance(track, TrackDataSample) else [track]
    factor = max(1, -(-min_side // min(sample['inputs'].shape[-2:])))
    drawn = []
    for image, frame in zip(sample_frames(sample), frames):
        image, targets = upscale(image, frame_targets(frame), factor)
        drawn.append(draw_training_frame(image, targets, class_names=class_names,
                                         num_things=num_things))
    return tile_frames(drawn, title)


def _parts(dataset) -> list[tuple[str, object, int]]:
    """(name, sub-dataset, offset of its first index) of a training dataset."""
    subs = getattr(dataset, 'datasets', None)
    if not subs:
        return [(type(dataset).__name__, dataset, 0)]
    # numbered: two sub-datasets may share a name (JointDataset's default: type(vocabulary))
    names = [f'{i}_{n}' for i, n in enumerate(getattr(dataset, 'names', None) or
                                              [type(d).__name__ for d in subs])]
    offsets = [0] + list(dataset.cumulative_sizes[:-1])
    return list(zip(names, subs, offsets))


def _safe(name: str) -> str:
    return re.sub(r'[^\w.-]+', '_', name).strip('_') or 'dataset'


def browse_dataset(cfg, out_dir, *, samples: int = 3, seed: int = 0,
                   log=print) -> dict[str, list[Path]]:
    """Write ``samples`` drawn training samples of each dataset of ``cfg.train_dataloader``.

    Samples are spread evenly over each dataset; augmentations are seeded by ``seed``.

    Returns:
        ``{dataset name: [written PNG paths]}``, files under ``out_dir/<dataset name>/``.
    """
    import omgseg.register  # noqa: F401  (the dataset types a config names)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    written: dict[str, list[Path]] = {}
    for name, part, offset in _parts(dataset):
        # a JointDataset rewrites labels into its merged vocabulary; a ConcatDataset does not
        meta = dataset.metainfo if hasattr(dataset, 'names') else part.metainfo
        classes = list(meta.get('classes') or ())
        num_things = len(meta.get('thing_classes') or classes)
        folder = Path(out_dir) / _safe(name)
        folder.mkdir(parents=True, exist_ok=True)
        picks = np.unique(np.linspace(0, len(part) - 1, max(1, samples)).round().astype(int))
        written[name] = []
        for k, index in enumerate(picks.tolist()):
            sample = dataset[offset + index]
            task = sample['data_samples'].metainfo.get('task', '?')
            title = f'{name} | {task} | sample {index}'
            image = render_sample(sample, class_names=classes, num_things=num_things,
                                  title=title)
            path = folder / f'{k:03d}_sample{index}.png'
            Image.fromarray(image).save(path)
            written[name].append(path)
        log(f'{name}: {len(written[name])} sample(s) -> {folder}')
    return written


__all__ = ['browse_dataset', 'frame_targets', 'render_sample', 'sample_frames']
