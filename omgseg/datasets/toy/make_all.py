"""Every toy dataset in one call: COCO-format images, YouTube-VIS videos (with their COCO-video
conversion), VIPSeg videos, DAVIS 2017 sequences, the interactive (COCO-SAM) set and, on
request, toy Cityscapes and ADE20K with their COCO-panoptic conversion.

Each writer skips a folder that already holds data from the same generator version and
arguments (its ``.toy_meta.json``) unless ``force``. The command line is
``tools/dataset_converters/make_toy_data.py``.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from omgseg.datasets.converters import ade20k_panoptic, cityscapes, youtube_vis

from .ade_writer import generate_toy_ade20k
from .cityscapes_writer import generate_toy_cityscapes
from .coco_writer import generate_toy_coco, generate_toy_sam
from .davis_writer import generate_toy_davis
from .vipseg_writer import generate_toy_vipseg
from .ytvis_writer import generate_toy_ytvis

YTVIS_VERSION = 'toy'


def _image_panoptic(out, *, cityscapes_counts: tuple[int, int] | None,
                    ade20k_counts: tuple[int, int] | None, seed: int, size: tuple[int, int],
                    force: bool, log: Callable[[str], object]) -> list[dict]:
    """Toy Cityscapes / ADE20K (each when its counts are given), then their converters."""
    results = []
    for counts, generate, converter, outputs in (
            (cityscapes_counts, generate_toy_cityscapes, cityscapes,
             'annotations/cityscapes_panoptic_{}.json'),
            (ade20k_counts, generate_toy_ade20k, ade20k_panoptic, 'ade20k_panoptic_{}.json')):
        if counts is None:
            continue
        res = generate(out, num_train=counts[0], num_val=counts[1], seed=seed, size=size,
                       force=force, log=log)
        splits = [s for s, n in zip(('train', 'val'), counts) if n > 0]
        if not res['skipped'] or not all((res['root'] / outputs.format(s)).exists()
                                         for s in splits):
            converter.convert(res['root'], splits, nproc=1, log=log)
        results.append(res)
    return results


def make_toy_data(out: str | Path, *, num_train: int = 300, num_val: int = 60,
                  num_train_videos: int = 24, num_val_videos: int = 6,
                  video_frames: tuple[int, int] = (8, 12), num_davis_train: int = 8,
                  num_davis_val: int = 4, davis_frames: int = 10, seed: int = 0,
                  size: tuple[int, int] = (128, 128), force: bool = False,
                  num_sam: tuple[int, int] = (300, 60),
                  cityscapes_counts: tuple[int, int] | None = None,
                  ade20k_counts: tuple[int, int] | None = None,
                  log: Callable[[str], object] = print) -> list[dict]:
    """Write the toy datasets under ``out`` (``coco``, ``youtube_vis``, ``vipseg``, ``davis``,
    ``sam`` unless ``num_sam`` is ``(0, 0)``, ``cityscapes`` / ``ade`` when their counts are
    given).

    Args:
        video_frames: frames per (train, val) video.
        size: (H, W) of every image and frame.
        num_sam / cityscapes_counts / ade20k_counts: (train, val) image counts.

    Returns:
        the writers' results (``root``, ``skipped``, ...), one per dataset.
    """
    size = tuple(size)
    results = [generate_toy_coco(out, num_train=num_train, num_val=num_val, seed=seed,
                                 size=size, force=force, log=log)]
    video_args = dict(num_train=num_train_videos, num_val=num_val_videos,
                      train_frames=video_frames[0], val_frames=video_frames[1], seed=seed,
                      size=size, force=force, log=log)
    ytvis = generate_toy_ytvis(out, **video_args)
    results.append(ytvis)
    converted = [ytvis['root'] / 'annotations' / f'youtube_vis_{YTVIS_VERSION}_{s}.json'
                 for s in ('train', 'valid')]
    if not ytvis['skipped'] or not all(p.exists() for p in converted):
        youtube_vis.convert(ytvis['root'], YTVIS_VERSION, log=log)
    results.append(generate_toy_vipseg(out, **video_args))
    results.append(generate_toy_davis(out, num_train=num_davis_train, num_val=num_davis_val,
                                      num_frames=davis_frames, seed=seed, size=size,
                                      force=force, log=log))
    if any(num_sam):
        results.append(generate_toy_sam(out, num_train=num_sam[0], num_val=num_sam[1],
                                        seed=seed, size=size, force=force, log=log))
    results += _image_panoptic(out, cityscapes_counts=cityscapes_counts,
                               ade20k_counts=ade20k_counts, seed=seed, size=size, force=force,
                               log=log)
    return results
