"""Models and clips for the measurement tools (FLOPs, training speed): a config's model built
with or without its weights, and random panoptic clips in the pipeline's output format."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData, PixelData

from omgseg.registry import MODELS
from omgseg.structures import IGNORE_INDEX
from omgseg.structures.clip_sample import ClipDataSample


def build_model(cfg: Config, *, random_init: bool) -> torch.nn.Module:
    """Build ``cfg.model`` on the CPU.

    Args:
        cfg: a loaded config.
        random_init: read no file: the CLIP keeps its random initialisation (no
            ``pretrained`` weights) and the classifier gets random unit-norm prototypes of the
            config's K classes instead of the class-embedding file. Speed and FLOPs do not
            depend on the weights; this measures a config whose files are absent.

    Returns:
        The model, with weights as configured (``init_weights``) unless ``random_init``.
    """
    model_cfg = cfg.model.copy()
    if random_init:
        model_cfg.backbone = dict(model_cfg.backbone, pretrained=None)
    model = MODELS.build(model_cfg)
    if not random_init:
        model.init_weights()
        return model
    classifier = model.panoptic_head.classifier
    k, d = classifier.num_classes, model.backbone.clip_dim
    g = torch.Generator().manual_seed(0)
    classifier.set_embeddings(F.normalize(torch.randn(k, 1, d, generator=g), dim=-1),
                              [f'class_{i}' for i in range(k)])
    return model


def random_clip(*, frames: int, height: int, width: int, num_things: int, num_classes: int,
                rng: np.random.Generator, max_things: int = 6) -> dict:
    """One clip as ``PackClipInputs`` would give it: ``inputs`` uint8 (T, 3, H, W) and a
    ``TrackDataSample`` (task 'panoptic') with T frames of rectangular thing instances
    (labels in [0, num_things), linked by ``instances_ids``) and a stuff semantic map."""
    image = torch.from_numpy(rng.integers(0, 256, (frames, 3, height, width), dtype=np.uint8))
    n = int(rng.integers(1, max_things + 1)) if num_things else 0
    labels = torch.as_tensor(rng.integers(0, max(num_things, 1), n), dtype=torch.long)
    stuff = int(rng.integers(num_things, num_classes)) if num_classes > num_things else None
    boxes = []
    for _ in range(n):
        h, w = (int(rng.integers(8, max(9, s // 2))) for s in (height, width))
        boxes.append((int(rng.integers(0, height - h)), int(rng.integers(0, width - w)), h, w))
    track = ClipDataSample()
    samples = []
    for t in range(frames):
        sample = DetDataSample(metainfo=dict(img_shape=(height, width),
                                             ori_shape=(height, width), frame_id=t))
        masks = torch.zeros((n, height, width), dtype=torch.bool)
        for i, (y, x, h, w) in enumerate(boxes):
            masks[i, y + t:y + t + h, x:x + w] = True   # things drift down one row a frame
        sample.gt_instances = InstanceData(labels=labels, masks=masks,
                                           instances_ids=torch.arange(n) + 1)
        sem = torch.full((1, height, width), IGNORE_INDEX, dtype=torch.long)
        if stuff is not None:
            sem[:] = stuff
        sample.gt_sem_seg = PixelData(sem_seg=sem)
        samples.append(sample)
    track.video_data_samples = samples
    track.set_metainfo(dict(task='panoptic'))
    return dict(inputs=image, data_samples=track)


class RandomClips(torch.utils.data.Dataset):
    """``length`` random clips (:func:`random_clip`), clip ``i`` drawn from seed ``i``."""

    def __init__(self, *, length: int, frames: int, height: int, width: int, num_things: int,
                 num_classes: int) -> None:
        self.length = length
        self.kwargs = dict(frames=frames, height=height, width=width, num_things=num_things,
                           num_classes=num_classes)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        return random_clip(rng=np.random.default_rng(i), **self.kwargs)


def pad_training_to(cfg: Config, height: int, width: int) -> None:
    """Make a config's fixed training pad (``data_preprocessor.train_pad_size``, e.g. the COCO
    configs' 1024 x 1024 crops) the measured shape, so that clips of that shape are neither
    refused nor padded beyond it. Configs without a fixed pad keep padding to the divisor."""
    if cfg.model.get('data_preprocessor', {}).get('train_pad_size') is not None:
        cfg.model.data_preprocessor.train_pad_size = (height, width)


def collate_clips(items: list[dict]) -> dict:
    """mmengine's ``pseudo_collate`` layout: lists of inputs and data samples."""
    return dict(inputs=[it['inputs'] for it in items],
                data_samples=[it['data_samples'] for it in items])
