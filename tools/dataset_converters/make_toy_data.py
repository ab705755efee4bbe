"""Generate the synthetic toy-world datasets in real formats: COCO panoptic / instances /
semantic images, YouTube-VIS videos (plus their COCO-video conversion), VIPSeg videos and DAVIS
2017 sequences.

    python tools/dataset_converters/make_toy_data.py --out data/toy
    python tools/dataset_converters/make_toy_data.py --out data/toy --num-train 300 \
        --num-val 60 --num-train-videos 24 --num-val-videos 6 --video-frames 8 12 \
        --num-davis-train 8 --num-davis-val 4 --davis-frames 10 --seed 0 --size 128 128 \
        [--force]

Writes ``<out>/coco``, ``<out>/youtube_vis`` (official raw layout, then
``<out>/youtube_vis/annotations/youtube_vis_toy_{train,valid}.json`` by the YouTube-VIS
converter), ``<out>/vipseg`` and ``<out>/davis`` (DAVIS 2017
layout: ``JPEGImages/480p``, palette ``Annotations/480p``, ``ImageSets/2017``). Each folder is
skipped (with a log line) when it already holds data from the same generator version and
arguments (its ``.toy_meta.json``), unless ``--force``.

``--cityscapes`` / ``--ade20k`` (off by default) also write ``<out>/cityscapes`` (official
leftImg8bit + gtFine layout) and ``<out>/ade/ADEChallengeData2016`` (images, semantic and
instance maps), 8 train / 4 val images each (``--num-cityscapes``, ``--num-ade20k``), and
convert them as ``cityscapes.py`` / ``ade20k_panoptic.py`` do. The work is
``omgseg.datasets.toy.make_all.make_toy_data``.
"""
from __future__ import annotations

import argparse
import sys
import time

from omgseg.datasets.toy.make_all import make_toy_data


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


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    results = make_toy_data(
        args.out, num_train=args.num_train, num_val=args.num_val,
        num_train_videos=args.num_train_videos, num_val_videos=args.num_val_videos,
        video_frames=tuple(args.video_frames), num_davis_train=args.num_davis_train,
        num_davis_val=args.num_davis_val, davis_frames=args.davis_frames, seed=args.seed,
        size=tuple(args.size), force=args.force, num_sam=tuple(args.num_sam),
        cityscapes_counts=tuple(args.num_cityscapes) if args.cityscapes else None,
        ade20k_counts=tuple(args.num_ade20k) if args.ade20k else None)
    if not all(r['skipped'] for r in results):
        print(f'done in {time.perf_counter() - start:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
