"""One training step of omgseg's query head + criterion against mmdet's ``Mask2FormerHead``.

Both heads are built in this process at identical widths (4 input levels of 256/512/1024/2048
channels, 256-wide pixel decoder with 6 deformable encoder layers, 9 decoder layers, 8 heads,
feed-forward 1024 / 2048, 80 thing + 53 stuff classes): mmdet's with its standard COCO
panoptic loss (CE x 2 with no-object weight 0.1, mask BCE x 5, dice x 5 on 12544 importance-
sampled points, Hungarian matching on 12544 random points), omgseg's with ``OMGCriterion``
(the same plus its objectness loss and CLIP text classifier). They get the same random
multi-scale features and the same ground truth (thing instances + stuff from a semantic map),
and each step (targets, forward, loss, backward) is timed in alternating order after warm-up;
the medians and their ratio are printed, in wall time and in the process's CPU time (with
``--threads 1`` the CPU time is what to compare on a machine that other jobs share).

    python tools/analysis_tools/benchmark_head.py [--size 384] [--batch 2] [--queries 100] \
        [--repeats 7] [--profile omgseg|mmdet]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

import omgseg.register  # noqa: F401  (registers omgseg's modules)
from omgseg.models.task_modules.targets import clip_targets
from omgseg.vocab.embedding_file import save_class_embeddings
from omgseg.registry import MODELS
from omgseg.structures import IGNORE_INDEX

IN_CHANNELS = [256, 512, 1024, 2048]
STRIDES = [4, 8, 16, 32]
NUM_THINGS, NUM_STUFF = 80, 53
CLIP_DIM = 768  # ConvNeXt-L CLIP embeddings

PIXEL_DECODER = dict(
    num_outs=3, norm_cfg=dict(type='GN', num_groups=32), act_cfg=dict(type='ReLU'),
    encoder=dict(num_layers=6, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=256, num_heads=8, num_levels=3, num_points=4,
                           dropout=0.0, batch_first=True),
        ffn_cfg=dict(embed_dims=256, feedforward_channels=1024, num_fcs=2, ffn_drop=0.0,
                     act_cfg=dict(type='ReLU', inplace=True)))),
    positional_encoding=dict(num_feats=128, normalize=True))
TRANSFORMER_DECODER = dict(
    return_intermediate=True, num_layers=9, layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.0, batch_first=True),
        cross_attn_cfg=dict(embed_dims=256, num_heads=8, dropout=0.0, batch_first=True),
        ffn_cfg=dict(embed_dims=256, feedforward_channels=2048, num_fcs=2, ffn_drop=0.0,
                     act_cfg=dict(type='ReLU', inplace=True))),
    init_cfg=None)


def build_mmdet_head(num_queries: int, num_points: int) -> torch.nn.Module:
    """mmdet's Mask2FormerHead with the loss and matching of its COCO panoptic config."""
    num_classes = NUM_THINGS + NUM_STUFF
    head = MODELS.build(ConfigDict(
        type='mmdet.Mask2FormerHead', in_channels=IN_CHANNELS, strides=STRIDES,
        feat_channels=256, out_channels=256, num_things_classes=NUM_THINGS,
        num_stuff_classes=NUM_STUFF, num_queries=num_queries, num_transformer_feat_level=3,
        pixel_decoder=dict(PIXEL_DECODER, type='mmdet.MSDeformAttnPixelDecoder'),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=128, normalize=True),
        transformer_decoder=TRANSFORMER_DECODER,
        loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0,
                      reduction='mean', class_weight=[1.0] * num_classes + [0.1]),
        loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                       loss_weight=5.0),
        loss_dice=dict(type='mmdet.DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                       naive_dice=True, eps=1.0, loss_weight=5.0),
        train_cfg=dict(
            num_points=num_points, oversample_ratio=3.0, importance_sample_ratio=0.75,
            assigner=dict(type='mmdet.HungarianAssigner', match_costs=[
                dict(type='mmdet.ClassificationCost', weight=2.0),
                dict(type='mmdet.CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                dict(type='mmdet.DiceCost', weight=5.0, pred_act=True, eps=1.0)]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))))
    head.init_weights()
    return head


def build_omgseg_head(num_queries: int, num_points: int, embed_dir: Path):
    """omgseg's OMGQueryHead + OMGCriterion at the same widths, with random unit-norm class
    embeddings written to ``embed_dir``."""
    num_classes = NUM_THINGS + NUM_STUFF
    names = [f'class{i}' for i in range(num_classes)]
    embed = torch.nn.functional.normalize(torch.randn(num_classes, 1, CLIP_DIM), dim=-1)
    path, _ = save_class_embeddings(
        embed_dir / 'classes.pth', embed, names, synonyms=[[n] for n in names], clip_model=None,
        clip_pretrained=None, templates=['{}'], num_things=NUM_THINGS, num_stuff=NUM_STUFF)
    head = MODELS.build(ConfigDict(
        type='OMGQueryHead', in_channels=IN_CHANNELS, feat_channels=256,
        num_queries=num_queries, num_things_classes=NUM_THINGS, num_stuff_classes=NUM_STUFF,
        clip_dim=CLIP_DIM, class_embed_path=path, num_transformer_feat_level=3,
        pixel_decoder=dict(PIXEL_DECODER, type='OMGPixelDecoder'),
        transformer_decoder=TRANSFORMER_DECODER))
    head.init_weights()
    criterion = MODELS.build(dict(
        type='OMGCriterion', num_classes=num_classes,
        matcher=dict(type='HungarianMatcher', num_points=num_points), num_points=num_points))
    return head, criterion


def make_inputs(batch: int, size: int, seed: int):
    """Random features (one map per level) and data samples with 8-15 thing instances and
    the rest of the image split into 3-6 stuff classes (from a 16 x 16 block layout)."""
    rng = np.random.default_rng(seed)
    feats = [torch.randn(batch, c, size // s, size // s,
                         generator=torch.Generator().manual_seed(seed + i))
             for i, (c, s) in enumerate(zip(IN_CHANNELS, STRIDES))]
    samples = []
    for _ in range(batch):
        stuff = rng.choice(np.arange(NUM_THINGS, NUM_THINGS + NUM_STUFF),
                           size=int(rng.integers(3, 7)), replace=False)
        blocks = rng.choice(stuff, size=(16, 16))
        sem = np.kron(blocks, np.ones((size // 16, size // 16), dtype=np.int64))
        masks, labels = [], []
        for _ in range(int(rng.integers(8, 16))):
            y, x = rng.integers(0, size - 64, size=2)
            h, w = rng.integers(16, 96, size=2)
            mask = np.zeros((size, size), dtype=np.uint8)
            mask[y:y + h, x:x + w] = 1
            masks.append(mask)
            labels.append(int(rng.integers(0, NUM_THINGS)))
        for mask in masks:
            sem[mask.astype(bool)] = IGNORE_INDEX  # things are not stuff
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), pad_shape=(size, size),
                                             batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(labels=torch.tensor(labels),
                                           masks=BitmapMasks(np.stack(masks), size, size))
        sample.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(sem)[None])
        samples.append(sample)
    return feats, samples


def omgseg_step(head, criterion, feats, samples) -> float:
    """Targets, forward, loss and backward of omgseg's head; returns the total loss."""
    shape = tuple(samples[0].metainfo['batch_input_shape'])
    targets = [clip_targets([s], NUM_THINGS, NUM_THINGS + NUM_STUFF, shape,
                            feats[0].device) for s in samples]
    losses = criterion(head(feats, num_frames=1), targets)
    total = sum(losses.values())
    total.backward()
    return total.item()


def mmdet_step(head, feats, samples) -> float:
    """The same for mmdet's head (its ``loss`` builds its targets from the samples)."""
    losses = head.loss(tuple(feats), samples)
    total = sum(v for v in losses.values())
    total.backward()
    return total.item()


def profile(name: str, step, rows: int) -> None:
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    print(f'--- profile of one {name} step (self CPU time) ---')
    print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=rows))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, default=384, help='input size (square)')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--queries', type=int, default=100)
    parser.add_argument('--points', type=int, default=12544)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--threads', type=int, default=None, help='torch threads')
    parser.add_argument('--profile', choices=['omgseg', 'mmdet'], default=None,
                        help='print a torch.profiler table of one step instead of timing')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix='benchmark_head_') as tmp:
        omg_head, criterion = build_omgseg_head(args.queries, args.points, Path(tmp))
        mm_head = build_mmdet_head(args.queries, args.points)
    feats, samples = make_inputs(args.batch, args.size, seed=0)
    n_omg = sum(p.numel() for p in omg_head.parameters())
    n_mm = sum(p.numel() for p in mm_head.parameters())
    print(f'{args.batch} images {args.size}x{args.size}, {args.queries} queries, {args.points} '
          f'points, {torch.get_num_threads()} threads; parameters: omgseg {n_omg / 1e6:.2f} M, '
          f'mmdet {n_mm / 1e6:.2f} M')

    def run_omg():
        omg_head.zero_grad(set_to_none=True)
        return omgseg_step(omg_head, criterion, feats, samples)

    def run_mm():
        mm_head.zero_grad(set_to_none=True)
        return mmdet_step(mm_head, feats, samples)

    if args.profile:
        run_omg() if args.profile == 'omgseg' else run_mm()  # warm-up
        profile(args.profile, run_omg if args.profile == 'omgseg' else run_mm, 30)
        return 0
    # wall time, and the process's CPU time: with one thread the latter hardly moves when other
    # jobs share the machine, so it gives the ratio on a loaded machine too
    times: dict[str, list[float]] = {'omgseg': [], 'mmdet': []}
    cpu: dict[str, list[float]] = {'omgseg': [], 'mmdet': []}
    for i in range(args.warmup + args.repeats):
        # alternate which head goes first so that drifting machine load hits both alike
        order = [('omgseg', run_omg), ('mmdet', run_mm)]
        for name, run in (order if i % 2 == 0 else order[::-1]):
            torch.manual_seed(i)
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            if i >= args.warmup:
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
    for label, values in (('wall', times), ('CPU', cpu)):
        ratios = [a / b for a, b in zip(values['omgseg'], values['mmdet'])]
        for name, steps in values.items():
            print(f'{label:4s} {name:7s}: median {statistics.median(steps):.3f} s per step '
                  f'(min {min(steps):.3f}, max {max(steps):.3f}, {len(steps)} steps)')
        ratio = statistics.median(values['omgseg']) / statistics.median(values['mmdet'])
        print(f'{label:4s} omgseg / mmdet: {ratio:.3f} (per-step ratios {min(ratios):.3f}..'
              f'{max(ratios):.3f})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
