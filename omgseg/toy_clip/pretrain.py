"""Contrastive "web pre-training" of the tiny CLIP on segments of rendered toy scenes.

Pairs: every non-crowd segment of a rendered scene with a ViLD-template caption of its class
(all toy classes, things and stuff). The image side is what the segmentation model computes at
inference (``scenes.pooled_segment_features``), then the CLIP head projection
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
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from omgseg.datasets.toy import CLASSES
from omgseg.models.backbones.clip_factory import load_clip_weights
from omgseg.models.text import CLIPTextEncoder
from omgseg.vocab import VILD_TEMPLATES

from .checkpoint import TINY_CLIP_NAME, load_tiny_clip, save_state
from .scenes import HYPERNYMS, PRETRAIN_SCENE_OFFSET, pooled_segment_features
from .zero_shot import describe, evaluate_zero_shot, zero_shot_accuracy


def contrastive_loss(image_embed, text_embed, labels, logit_scale):
    """Symmetric class-level InfoNCE.

    Args:
        image_embed: (N, D) segment features; text_embed: (K, D) one caption per class;
        labels: (N,) class of each segment; logit_scale: scalar (already exponentiated).
    Returns:
        Scalar: mean of the segment->class cross-entropy and, over the classes present, the
        class->segment term (mean log-probability of a class's own segments among all N).
    """
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


def pretrain_tiny_clip(out: str, *, init: str | None = None, steps: int = 120,
                       pool_scenes: int = 256, batch_segments: int = 256, lr: float = 3e-3,
                       seed: int = 0, eval_scenes: int = 80, size: int = 128,
                       init_eval: bool = True,
                       log: Callable[[str], object] = print) -> dict[str, Any]:
    """Pre-train the tiny CLIP, write it to ``out`` and report its zero-shot accuracy.

    Args:
        out: output .pth (a plain open_clip state dict, the format of ``make_tiny_clip``).
        init: start from this CLIP checkpoint; None: the random init of ``seed`` (the one
            ``make_tiny_clip`` writes for it).
        steps, batch_segments, lr, seed: see :func:`pretrain`.
        pool_scenes: training scenes rendered (their segments are the image side).
        eval_scenes: held-out scenes of the zero-shot report.
        size: scene side in pixels, a multiple of 32 (the stage-4 stride).
        init_eval: also report the zero-shot accuracy of the init.

    Returns:
        ``out``; ``accuracy`` and ``eval`` (zero-shot result of the output, see
        :func:`evaluate_zero_shot`); ``init_accuracy`` and ``init_eval`` (of the init, only
        with ``init_eval``); ``train_segments``, ``train_segments_without_mask`` and the
        statistics of :func:`pretrain`; ``seconds`` (wall time). Deterministic given ``seed``
        (and ``init``) on a given machine and thread count.
    """
    for name, value in (('steps', steps), ('pool_scenes', pool_scenes),
                        ('batch_segments', batch_segments), ('eval_scenes', eval_scenes)):
        if value < 1:
            raise ValueError(f'{name} must be >= 1, got {value}')
    if size < 32 or size % 32:
        raise ValueError(f'size must be a multiple of 32 (the stage-4 stride), got {size}')
    start = time.perf_counter()
    # numpy computes its float limits lazily and warns if that happens while denormals flush.
    np.finfo(np.float32), np.finfo(np.float64)
    # Adam's second moments of rarely-hit weights (e.g. token rows) decay into denormal floats,
    # which make CPU arithmetic 10-50x slower; flushing them to zero changes nothing else.
    torch.set_flush_denormal(True)
    try:
        # Seed, then build: without ``init`` this is the init make_tiny_clip writes for the seed.
        torch.manual_seed(seed)
        trainee = CLIPTextEncoder(model_name=TINY_CLIP_NAME)
        clip = trainee.clip
        if init is not None:
            load_clip_weights(clip, TINY_CLIP_NAME, init)
        report: dict[str, Any] = dict(out=out)
        with tempfile.TemporaryDirectory() as tmp:
            init_path = init
            if init_path is None:
                init_path = os.path.join(tmp, 'init.pth')
                save_state(clip, init_path)
            # Features come from the init's trunk through the inference path; training leaves
            # the trunk as it is, so they stay valid for the trained model.
            backbone, init_encoder = load_tiny_clip(init_path)
        if init_eval:
            report['init_eval'] = evaluate_zero_shot(backbone, init_encoder,
                                                     num_scenes=eval_scenes, size=size)
            report['init_accuracy'] = report['init_eval']['accuracy']
            log(f'init: zero-shot segment accuracy {describe(report["init_eval"])}')
        seeds = [PRETRAIN_SCENE_OFFSET + i for i in range(pool_scenes)]
        pooled, labels, without = pooled_segment_features(backbone, seeds, size)
        if labels.numel() == 0:
            raise ValueError(f'pool_scenes={pool_scenes} gave no segment with a mask at CLIP '
                             f'resolution; use more scenes.')
        report.update(train_segments=int(labels.numel()), train_segments_without_mask=without)
        log(f'{labels.numel()} training segments from {pool_scenes} scenes ({without} '
            f'without a mask at CLIP resolution), {time.perf_counter() - start:.1f}s')
        report.update(pretrain(clip, trainee.tokenizer, pooled, labels, steps=steps,
                               batch_segments=batch_segments, lr=lr, seed=seed, log=log))
        save_state(clip, out)
        report['eval'] = zero_shot_accuracy(out, num_scenes=eval_scenes, size=size)
        report['accuracy'] = report['eval']['accuracy']
        report['seconds'] = time.perf_counter() - start
        per_class = ', '.join(f'{k} {"-" if v is None else f"{v:.2f}"}'
                              for k, v in report['eval']['per_class'].items())
        log(f'wrote pre-trained tiny CLIP to {out} ({report["seconds"]:.1f}s)')
        log(f'per class: {per_class}')
        log(f'zero-shot segment accuracy {describe(report["eval"])}')
        return report
    finally:
        torch.set_flush_denormal(False)  # the default; no getter exists to restore from
