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
    """The sibling converter script, loaded by path (tools/ is not a package)."""
    path = Path(__file__).resolve().with_name('youtube_vis.py')
    spec = importlib.util.spec_from_file_location('omgseg_tools_youtube_vis', path)
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
    return p.parse_args(argv)


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
    if not all(r['skipped'] for r in results):
        print(f'done in {time.perf_counter() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
