"""Generate the synthetic toy-world datasets in real formats: COCO panoptic / instances /
semantic images, YouTube-VIS videos (plus their COCO-video conversion), VIPSeg videos and DAVIS
2017 sequences.

    python tools/dataset_converters/make_toy_data.py --out data/toy
    python tools/dataset_converters/make_toy_data.py --out data/toy --num-train 300 \
        --num-val 60 --num-train-videos 24 --num-val-videos 6 --video-frames 8 12 \
        --num-davis-train 8 --num-davis-val 4 --davis-frames 10 --seed 0 --size 128 128 \
        [--force]

Writes ``<out>/coco``, ``<out>/youtube_vis`` (official raw layout, then
``<out>/youtube_vis/annotations/youtube_vis_toy_{train,valid}.json`` from
``tools/dataset_converters/youtube_vis.py``), ``<out>/vipseg`` and ``<out>/davis`` (DAVIS 2017
layout: ``JPEGImages/480p``, palette ``Annotations/480p``, ``ImageSets/2017``). Each folder is
skipped (with a log line) when it already holds data from the same generator version and
arguments (its ``.toy_meta.json``), unless ``--force``.

``--cityscapes`` / ``--ade20k`` (off by default) also write ``<out>/cityscapes`` (official
leftImg8bit + gtFine layout) and ``<out>/ade/ADEChallengeData2016`` (images, semantic and
instance maps), 8 train / 4 val images each (``--num-cityscapes``, ``--num-ade20k``), and run
``cityscapes.py`` / ``ade20k_panoptic.py`` on them.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import omgseg.datasets.toy as toy  # numpy / Pillow only: no torch import

YTVIS_VERSION = 'toy'


def _youtube_vis_converter():
    return _sibling_converter('youtube_vis')


def _sibling_converter(name: str):
    """A sibling converter script, loaded by path (tools/ is not a package)."""
    path = Path(__file__).resolve().with_name(f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'omgseg_tools_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='data/toy',
                   help='output root; files go to <out>/coco, <out>/youtube_vis, <out>/vipseg, '
                        '<out>/davis')
    p.add_argument('--num-train', type=int, default=300, help='number of train images')
    p.add_argument('--num-val', type=int, default=60, help='number of val images')
    p.add_argument('--num-train-videos', type=int, default=24, help='number of train videos')
    p.add_argument('--num-val-videos', type=int, default=6, help='number of val videos')
    p.add_argument('--video-frames', type=int, nargs=2, default=(8, 12),
                   metavar=('TRAIN', 'VAL'), help='frames per train / val video')
    p.add_argument('--num-davis-train', type=int, default=8,
                   help='number of DAVIS train sequences (0 allowed)')
    p.add_argument('--num-davis-val', type=int, default=4,
                   help='number of DAVIS val sequences (0 allowed)')
    p.add_argument('--davis-frames', type=int, default=10, help='frames per DAVIS sequence')
    p.add_argument('--seed', type=int, default=0, help='base seed (val uses a disjoint stream)')
    p.add_argument('--size', type=int, nargs=2, default=(128, 128), metavar=('H', 'W'),
                   help='image / frame height and width')
    p.add_argument('--force', action='store_true', help='regenerate even if up to date')
    p.add_argument('--cityscapes', action='store_true',
                   help='also write <out>/cityscapes (official gtFine layout) and convert it')
    p.add_argument('--num-cityscapes', type=int, nargs=2, default=(8, 4),
                   metavar=('TRAIN', 'VAL'), help='toy Cityscapes train / val images')
    p.add_argument('--ade20k', action='store_true',
                   help='also write <out>/ade/ADEChallengeData2016 and convert it')
    p.add_argument('--num-ade20k', type=int, nargs=2, default=(8, 4),
                   metavar=('TRAIN', 'VAL'), help='toy ADE20K train / val images')
    p.add_argument('--num-sam', type=int, nargs=2, default=(300, 60), metavar=('TRAIN', 'VAL'),
                   help='toy interactive (COCO-SAM) train / val images, written to <out>/sam '
                        '(COCO layout, fewer and larger objects; 0 0 skips it)')
    return p.parse_args(argv)


def _image_panoptic(args, size) -> list:
    """Toy Cityscapes / ADE20K (behind --cityscapes / --ade20k), then their converters."""
    from omgseg.datasets.toy.ade_writer import generate_toy_ade20k
    from omgseg.datasets.toy.cityscapes_writer import generate_toy_cityscapes
    results = []
    for flag, counts, generate, converter, outputs in (
            (args.cityscapes, args.num_cityscapes, generate_toy_cityscapes, 'cityscapes',
             'annotations/cityscapes_panoptic_{}.json'),
            (args.ade20k, args.num_ade20k, generate_toy_ade20k, 'ade20k_panoptic',
             'ade20k_panoptic_{}.json')):
        if not flag:
            continue
        res = generate(args.out, num_train=counts[0], num_val=counts[1], seed=args.seed,
                       size=size, force=args.force)
        splits = [s for s, n in zip(('train', 'val'), counts) if n > 0]
        if not res['skipped'] or not all((res['root'] / outputs.format(s)).exists()
                                         for s in splits):
            _sibling_converter(converter).convert(res['root'], splits, nproc=1)
        results.append(res)
    return results


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    size = tuple(args.size)
    results = [toy.generate_toy_coco(args.out, num_train=args.num_train,
                                     num_val=args.num_val, seed=args.seed, size=size,
                                     force=args.force)]
    video_args = dict(num_train=args.num_train_videos, num_val=args.num_val_videos,
                      train_frames=args.video_frames[0], val_frames=args.video_frames[1],
                      seed=args.seed, size=size, force=args.force)
    ytvis = toy.generate_toy_ytvis(args.out, **video_args)
    results.append(ytvis)
    converted = [ytvis['root'] / 'annotations' / f'youtube_vis_{YTVIS_VERSION}_{s}.json'
                 for s in ('train', 'valid')]
    if not ytvis['skipped'] or not all(p.exists() for p in converted):
        _youtube_vis_converter().convert(ytvis['root'], YTVIS_VERSION)
    results.append(toy.generate_toy_vipseg(args.out, **video_args))
    results.append(toy.generate_toy_davis(args.out, num_train=args.num_davis_train,
                                          num_val=args.num_davis_val,
                                          num_frames=args.davis_frames, seed=args.seed,
                                          size=size, force=args.force))
    if any(args.num_sam):
        results.append(toy.generate_toy_sam(args.out, num_train=args.num_sam[0],
                                            num_val=args.num_sam[1], seed=args.seed, size=size,
                                            force=args.force))
    results += _image_panoptic(args, size)
    if not all(r['skipped'] for r in results):
        print(f'done in {time.perf_counter() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
