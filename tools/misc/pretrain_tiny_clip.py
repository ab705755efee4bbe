"""Give the tiny test CLIP a "web pre-training" on the toy world, then report zero-shot accuracy.

Real CLIP knows every class from web pre-training, which is what open-vocabulary fusion relies
on. The tiny CLIP (``TINY_CLIP_CFG``) is random, so this tool trains it contrastively on
image-text pairs rendered on the fly from the toy world::

    python tools/misc/pretrain_tiny_clip.py --out data/toy/tiny_clip_pretrained.pth \
        [--init data/toy/tiny_clip.pth] [--steps 120] [--seed 0] [--force]

Pairs: every non-crowd segment of a rendered scene (``--pool-scenes`` scenes, rendered in
memory) with a ViLD-template caption of its class (all toy classes, things and stuff). The
image side is what the segmentation model computes at inference: the stage-4 map of the whole
image (``OpenCLIPBackbone`` loaded from the init), mask-pooled over the segment at CLIP
resolution like the open-vocabulary fusion does, then the CLIP head projection
(``project_pooled``). Same-class pairs are deduplicated with class-level targets: the text side
holds the K class captions (a random template each, per step) and the loss is a symmetric
cross-entropy (segments over classes, classes over their segments) with CLIP's learnable,
clamped logit scale.

Trained: the CLIP head (timm norm head + MLP projection, i.e. the ``project_pooled`` weights),
the whole text tower and the logit scale. The ConvNeXt trunk keeps its init: on a CPU, the
backward pass of its depthwise convolutions costs several times the forward, which would not
fit the budget (< 90 s on 2 cores); a frozen trunk also lets the pooled features be computed
once per scene and reused for every step. Random ConvNeXt features already separate the toy
classes (colour, texture, shape), so the projection learns to align them with the captions.
Segments that vanish at CLIP resolution (stride 32: a 128 x 128 image gives a 4 x 4 map) have
no CLIP feature at inference either, and are left out of training and the report.

Scenes: training scene ``i`` is ``make_scene(PRETRAIN_SCENE_OFFSET + i)``, the held-out scenes
of the report are ``make_scene(HELDOUT_SCENE_OFFSET + i)``. The toy datasets use seeds
``seed + [0, 3_000_000)`` (``omgseg.datasets.toy.scene_seed`` plus the video/DAVIS index
offsets), so the streams are disjoint for dataset base seeds below 47,000,000.

The output has the same format as ``make_tiny_clip.py`` (a plain open_clip state dict), so
``pretrained=<path>`` loads it. Deterministic given ``--seed`` (and ``--init``) on a given
machine and thread count.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

PRETRAIN_SCENE_OFFSET = 50_000_000
HELDOUT_SCENE_OFFSET = 51_000_000
# ClipDataPreprocessor's defaults (ImageNet statistics, 0-255 RGB), as the toy configs use.
PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
# Model name the toy configs give the backbone; it resolves to TINY_CLIP_CFG.
TINY_CLIP_NAME = 'omgseg_tiny_convnext'


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/toy/tiny_clip_pretrained.pth',
                        help='output .pth (open_clip state dict)')
    parser.add_argument('--init', help='start from this CLIP checkpoint (e.g. '
                        'data/toy/tiny_clip.pth); default: the random init of --seed')
    parser.add_argument('--steps', type=int, default=120, help='optimisation steps')
    parser.add_argument('--pool-scenes', type=int, default=256,
                        help='training scenes rendered (their segments are the image side)')
    parser.add_argument('--batch-segments', type=int, default=256, help='segments per step')
    parser.add_argument('--lr', type=float, default=3e-3, help='peak AdamW learning rate')
    parser.add_argument('--seed', type=int, default=0, help='torch seed of the init (without '
                        '--init; as make_tiny_clip.py) and seed of minibatches and captions')
    parser.add_argument('--eval-scenes', type=int, default=80,
                        help='held-out scenes of the zero-shot report')
    parser.add_argument('--size', type=int, default=128,
                        help='scene side in pixels (the toy datasets use 128)')
    parser.add_argument('--no-init-eval', action='store_true',
                        help='skip the zero-shot accuracy of the init (saves a few seconds)')
    parser.add_argument('--force', action='store_true', help='overwrite an existing file')
    args = parser.parse_args(argv)
    for key in ('steps', 'pool_scenes', 'batch_segments', 'eval_scenes'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")} must be >= 1, got {getattr(args, key)}')
    if args.size < 32 or args.size % 32:
        parser.error(f'--size must be a multiple of 32 (the stage-4 stride), got {args.size}')
    if args.init is not None and not os.path.isfile(args.init):
        parser.error(f'--init {args.init} does not exist; make it with '
                     f'tools/misc/make_tiny_clip.py or leave --init out.')
    return args


def render_batch(scene_seeds: list[int], size: int):
    """Render scenes and their non-crowd segments as model inputs.

    Returns:
        ``(images, masks, labels)``: ``images`` float32 (B, 3, H, W) normalised RGB;
        ``masks`` float32 (B, Q, H, W) mask logits, +1 inside a segment and -1 elsewhere
        (padding rows are all -1, i.e. empty); ``labels`` int64 (B, Q) contiguous toy labels,
        -1 on padding rows. Q is the largest segment count of the batch.
    """
    import numpy as np
    import torch

    from omgseg.datasets.toy import make_scene, render

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
    import torch

    from omgseg.models.layers import mask_pool
    from omgseg.models.postprocess import clip_resolution_masks

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


# Web captions name things at several levels ("a dog", "an animal"): pre-training sees the broader
# words too, so CLIP knows them although no segmentation dataset of the toy world uses them (the
# toy ADE20K's 'animal' is then an unseen class that CLIP can still recognise).
HYPERNYMS = {'bird': ('animal',), 'dog': ('animal',), 'car': ('vehicle',),
             'bicycle': ('vehicle',)}


def contrastive_loss(image_embed, text_embed, labels, logit_scale):
    """Symmetric class-level InfoNCE.

    Args:
        image_embed: (N, D) segment features; text_embed: (K, D) one caption per class;
        labels: (N,) class of each segment; logit_scale: scalar (already exponentiated).
    Returns:
        Scalar: mean of the segment->class cross-entropy and, over the classes present, the
        class->segment term (mean log-probability of a class's own segments among all N).
    """
    import torch.nn.functional as F

    logits = logit_scale * F.normalize(image_embed, dim=-1) @ F.normalize(text_embed, dim=-1).T
    image_to_text = F.cross_entropy(logits, labels)
    log_prob = logits.T.log_softmax(dim=-1)                                    # (K, N)
    positive = F.one_hot(labels, text_embed.shape[0]).T.to(log_prob.dtype)     # (K, N)
    count = positive.sum(dim=-1)
    present = count > 0
    text_to_image = -((log_prob * positive).sum(-1)[present] / count[present]).mean()
    return (image_to_text + text_to_image) / 2


def pretrain(clip, tokenizer, pooled, labels, *, steps: int, batch_segments: int, lr: float,
             seed: int, log=print) -> dict[str, float]:
    """Train ``clip``'s CLIP head, text tower and logit scale in place on pooled features.

    Args:
        clip: open_clip CLIP (``TINY_CLIP_CFG``); its trunk stays as it is.
        tokenizer: the text encoder's tokenizer (strings -> (N, context) int64).
        pooled: (N, C4) mask-pooled stage-4 features; labels: (N,) their toy classes.
        steps / batch_segments / lr / seed: optimisation schedule; the seed draws the
            minibatches and the caption template of every class at every step.
    Returns:
        dict(final_loss, logit_scale, train_seconds).
    """
    import numpy as np
    import torch
    from torch import nn

    from omgseg.vocab import VILD_TEMPLATES
    from omgseg.vocab.lists.toy import CLASSES

    # The projection the backbone applies in project_pooled: timm norm head, then CLIP's MLP.
    head = nn.Sequential(clip.visual.trunk.head, clip.visual.head)
    for param in clip.parameters():
        param.requires_grad = False
    params = [*head.parameters(), *(p for n, p in clip.named_parameters()
                                    if not n.startswith('visual.'))]
    for param in params:
        param.requires_grad = True
    # No weight decay: with a few hundred steps it only matters for the unused token rows.
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0, fused=True)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(
        (s + 1) / warmup, 0.5 * (1 + np.cos(np.pi * min(s, steps) / steps)) + 0.02))
    # Every caption tokenised once: row n * T + t is template t filled with name n, where the
    # names are the classes, then the broader words of HYPERNYMS.
    extra = sorted({h for names in HYPERNYMS.values() for h in names})
    names = list(CLASSES) + extra
    tokens = tokenizer([t.format(c) for c in names for t in VILD_TEMPLATES])
    alternatives = [[k] + [len(CLASSES) + extra.index(h) for h in HYPERNYMS.get(c, ())]
                    for k, c in enumerate(CLASSES)]
    num_k, num_t = len(CLASSES), len(VILD_TEMPLATES)
    rng = np.random.default_rng(seed)
    start, loss_val = time.perf_counter(), float('nan')
    clip.train()
    for step in range(steps):
        idx = torch.from_numpy(rng.choice(len(labels), min(batch_segments, len(labels)),
                                          replace=False))
        c = pooled.shape[1]
        embed = head(pooled[idx].reshape(-1, c, 1, 1))                         # (n, D)
        # a class is captioned by its own name or, half the time, by a broader word
        name = [alt[0] if len(alt) == 1 or rng.random() < 0.5 else int(rng.choice(alt[1:]))
                for alt in alternatives]
        rows = torch.from_numpy(np.asarray(name) * num_t + rng.integers(0, num_t, num_k))
        text = clip.encode_text(tokens[rows])                                  # (K, D)
        scale = clip.logit_scale.exp().clamp(max=100.0)
        loss = contrastive_loss(embed, text, labels[idx], scale)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        with torch.no_grad():  # CLIP's clamp: the temperature may not exceed 100
            clip.logit_scale.clamp_(max=float(np.log(100.0)))
        loss_val = float(loss.detach())
        if step == 0 or (step + 1) % max(1, steps // 5) == 0 or step + 1 == steps:
            log(f'step {step + 1}/{steps}: loss {loss_val:.3f}, logit scale '
                f'{float(scale.detach()):.1f}, {time.perf_counter() - start:.1f}s')
    clip.eval()
    for param in clip.parameters():
        param.requires_grad = False
    return dict(final_loss=loss_val, logit_scale=float(clip.logit_scale.exp()),
                train_seconds=time.perf_counter() - start)


def save_state(clip, out: str) -> None:
    """Write ``clip``'s state dict like make_tiny_clip.py does, atomically."""
    import torch

    state = {k: v.detach().cpu().contiguous() for k, v in clip.state_dict().items()}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = f'{out}.tmp{os.getpid()}'
    try:
        torch.save(state, tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_tiny_clip(checkpoint: str):
    """The tiny CLIP of ``checkpoint`` as the project loads it: ``(backbone, text_encoder)``.

    ``OpenCLIPBackbone(pretrained=...)`` as the segmentation model, ``CLIPTextEncoder`` as
    ``tools/gen_class_embeddings.py``; both in eval mode with weights loaded.
    """
    from omgseg.models.backbones import OpenCLIPBackbone
    from omgseg.models.text import CLIPTextEncoder

    backbone = OpenCLIPBackbone(model_name=TINY_CLIP_NAME, pretrained=checkpoint)
    backbone.init_weights()
    backbone.eval()
    encoder = CLIPTextEncoder(model_name=TINY_CLIP_NAME, pretrained=checkpoint)
    encoder.load_weights()
    return backbone, encoder


def evaluate_zero_shot(backbone, encoder, *, num_scenes: int = 80,
                       size: int = 128) -> dict[str, Any]:
    """Zero-shot classification of the segments of held-out scenes.

    Each non-crowd segment of ``make_scene(HELDOUT_SCENE_OFFSET + i)``, ``i < num_scenes``,
    with a mask at CLIP resolution is mask-pooled (:func:`pooled_segment_features`),
    projected with ``backbone.project_pooled`` and given the class of highest cosine (max
    over synonyms) to the ViLD-template class embeddings of ``compute_class_embeddings``.

    Returns:
        dict(accuracy, num_segments, num_without_mask, chance (1/K), majority (frequency of
        the most common class among the segments), per_class {name: accuracy or None}).
    """
    import torch
    import torch.nn.functional as F

    from omgseg.models.text import compute_class_embeddings
    from omgseg.vocab import VILD_TEMPLATES
    from omgseg.vocab.lists.toy import CLASSES

    seeds = [HELDOUT_SCENE_OFFSET + i for i in range(num_scenes)]
    pooled, gt, without = pooled_segment_features(backbone, seeds, size)
    if gt.numel() == 0:
        raise ValueError(f'no held-out segment has a mask at CLIP resolution (size {size}, '
                         f'{num_scenes} scenes); evaluate more scenes (--eval-scenes).')
    with torch.no_grad():
        class_embed, _ = compute_class_embeddings(encoder, CLASSES, VILD_TEMPLATES)  # (K,P,D)
        embed = F.normalize(backbone.project_pooled(pooled[None])[0], dim=-1)    # (N, D)
        pred = torch.einsum('nd,kpd->nkp', embed, class_embed).amax(-1).argmax(-1)
        # The same segments against a vocabulary where each class with a HYPERNYMS entry is
        # named by its broader word only (bird, dog -> 'animal'), as in the toy ADE20K.
        broad = [HYPERNYMS.get(c, (c,))[0] for c in CLASSES]
        broad_names = list(dict.fromkeys(broad))
        broad_embed, _ = compute_class_embeddings(encoder, broad_names, VILD_TEMPLATES)
        broad_pred = torch.einsum('nd,kpd->nkp', embed, broad_embed).amax(-1).argmax(-1)
        broad_gt = torch.tensor([broad_names.index(broad[k]) for k in gt.tolist()])
        renamed = torch.tensor([CLASSES[k] in HYPERNYMS for k in gt.tolist()])
    counts = torch.bincount(gt, minlength=len(CLASSES))
    per_class = {name: (float((pred[gt == k] == k).float().mean()) if counts[k] else None)
                 for k, name in enumerate(CLASSES)}
    hypernym = (float((broad_pred == broad_gt)[renamed].float().mean()) if renamed.any()
                else None)
    return dict(accuracy=float((pred == gt).float().mean()), num_segments=int(gt.numel()),
                num_without_mask=without, chance=1.0 / len(CLASSES),
                majority=float(counts.max()) / gt.numel(), per_class=per_class,
                hypernym_accuracy=hypernym)


def zero_shot_accuracy(checkpoint: str, *, num_scenes: int = 80,
                       size: int = 128) -> dict[str, Any]:
    """:func:`evaluate_zero_shot` of a CLIP checkpoint file (see :func:`load_tiny_clip`)."""
    backbone, encoder = load_tiny_clip(checkpoint)
    return evaluate_zero_shot(backbone, encoder, num_scenes=num_scenes, size=size)


def describe(res: dict[str, Any]) -> str:
    """One line for a :func:`evaluate_zero_shot` result."""
    return (f'{res["accuracy"]:.2f} over {res["num_segments"]} segments of held-out scenes '
            f'(chance {res["chance"]:.2f}, most frequent class {res["majority"]:.2f}; '
            f'{res["num_without_mask"]} segments without a mask at CLIP resolution left out); '
            f'named by their broader word (bird, dog -> animal, ...): '
            f'{res["hypernym_accuracy"]:.2f}')


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the tool and return its report.

    Keys: ``out``; ``skipped`` (True when ``out`` existed and --force was not given; nothing
    else is then reported); ``accuracy`` and ``eval`` (zero-shot result of the output, see
    :func:`evaluate_zero_shot`); ``init_accuracy`` and ``init_eval`` (of the init, absent
    with --no-init-eval); ``train_segments``, ``train_segments_without_mask`` and the
    statistics of :func:`pretrain`; ``seconds`` (wall time).
    """
    args = parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        print(f'{args.out} exists; skipping (use --force to overwrite).')
        return dict(out=args.out, skipped=True)
    start = time.perf_counter()
    import numpy as np
    import torch

    # numpy computes its float limits lazily and warns if that happens while denormals flush.
    np.finfo(np.float32), np.finfo(np.float64)
    # Adam's second moments of rarely-hit weights (e.g. token rows) decay into denormal floats,
    # which make CPU arithmetic 10-50x slower; flushing them to zero changes nothing else.
    torch.set_flush_denormal(True)
    try:
        return _run(args, start)
    finally:
        torch.set_flush_denormal(False)  # the default; no getter exists to restore from


def _run(args: argparse.Namespace, start: float) -> dict[str, Any]:
    import torch

    from omgseg.models.backbones.clip_factory import load_clip_weights
    from omgseg.models.text import CLIPTextEncoder

    # Seed, then build: without --init this is the init make_tiny_clip.py writes for the seed.
    torch.manual_seed(args.seed)
    trainee = CLIPTextEncoder(model_name=TINY_CLIP_NAME)
    clip = trainee.clip
    if args.init is not None:
        load_clip_weights(clip, TINY_CLIP_NAME, args.init)
    report: dict[str, Any] = dict(out=args.out, skipped=False)
    with tempfile.TemporaryDirectory() as tmp:
        init_path = args.init
        if init_path is None:
            init_path = os.path.join(tmp, 'init.pth')
            save_state(clip, init_path)
        # Features come from the init's trunk through the inference path; training leaves
        # the trunk as it is, so they stay valid for the trained model.
        backbone, init_encoder = load_tiny_clip(init_path)
    if not args.no_init_eval:
        report['init_eval'] = evaluate_zero_shot(backbone, init_encoder,
                                                 num_scenes=args.eval_scenes, size=args.size)
        report['init_accuracy'] = report['init_eval']['accuracy']
        print(f'init: zero-shot segment accuracy {describe(report["init_eval"])}')
    seeds = [PRETRAIN_SCENE_OFFSET + i for i in range(args.pool_scenes)]
    pooled, labels, without = pooled_segment_features(backbone, seeds, args.size)
    if labels.numel() == 0:
        raise ValueError(f'--pool-scenes {args.pool_scenes} gave no segment with a mask at '
                         f'CLIP resolution; use more scenes.')
    report.update(train_segments=int(labels.numel()), train_segments_without_mask=without)
    print(f'{labels.numel()} training segments from {args.pool_scenes} scenes ({without} '
          f'without a mask at CLIP resolution), {time.perf_counter() - start:.1f}s')
    report.update(pretrain(clip, trainee.tokenizer, pooled, labels, steps=args.steps,
                           batch_segments=args.batch_segments, lr=args.lr, seed=args.seed))
    save_state(clip, args.out)
    report['eval'] = zero_shot_accuracy(args.out, num_scenes=args.eval_scenes, size=args.size)
    report['accuracy'] = report['eval']['accuracy']
    report['seconds'] = time.perf_counter() - start
    per_class = ', '.join(f'{k} {"-" if v is None else f"{v:.2f}"}'
                          for k, v in report['eval']['per_class'].items())
    print(f'wrote pre-trained tiny CLIP to {args.out} ({report["seconds"]:.1f}s)')
    print(f'per class: {per_class}')
    print(f'zero-shot segment accuracy {describe(report["eval"])}')
    return report


if __name__ == '__main__':
    main()
    sys.exit(0)
