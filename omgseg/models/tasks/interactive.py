"""The interactive task: visual prompts (points / boxes) as decoder queries.

A prompt batch replaces the learned object queries with one encoded query per prompt; each
prompt attends only to itself, so its mask does not depend on the other prompts. Targets are
class-agnostic: only mask and dice losses train prompts.
"""
from __future__ import annotations

import torch
from mmengine.structures import InstanceData

from omgseg.structures import TASK_INTERACTIVE

from .clips import output_resizer
from .context import TaskContext
from .settings import InteractiveSettings


def frame_prompts(sample) -> InstanceData:
    """The prompts of a clip (carried by its first frame)."""
    frame = sample.video_data_samples[0]
    if 'prompts' not in frame:
        raise ValueError("an interactive sample carries no prompts; add SamplePrompts to its "
                         "pipeline (after the geometric transforms).")
    return frame.prompts


def batch_prompts(data_samples: list, device: torch.device
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[int]]:
    """Stack the samples' prompts, padding short lists with a copy of their first prompt (or a
    whole-image box when a sample has none); padded prompts get no target.

    Returns:
        boxes (B, P, 4) xyxy pixels, kinds (B, P), image shapes (B, 2) as (h, w), and the
        number of real prompts per sample.
    """
    prompts = [frame_prompts(s) for s in data_samples]
    counts = [len(p) for p in prompts]
    num = max(max(counts), 1)
    boxes, kinds, shapes = [], [], []
    for sample, p in zip(data_samples, prompts):
        h, w = sample.video_data_samples[0].metainfo['img_shape'][:2]
        b, k = p.boxes.to(device).float(), p.kinds.to(device).long()
        if len(b) == 0:
            b = torch.tensor([[0.0, 0.0, float(w), float(h)]], device=device)
            k = torch.zeros(1, dtype=torch.long, device=device)
        pad = num - len(b)
        boxes.append(torch.cat([b, b[:1].expand(pad, 4)]))
        kinds.append(torch.cat([k, k[:1].expand(pad)]))
        shapes.append((h, w))
    return (torch.stack(boxes), torch.stack(kinds), torch.tensor(shapes, device=device),
            counts)


def prompt_targets(sample, ids: torch.Tensor, shape: tuple[int, int],
                   device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Class-agnostic tube targets of the prompted instance ids.

    Returns:
        labels (N,) all -1 and masks (N, T, H, W) bool.
    """
    frames = list(sample.video_data_samples)
    masks = torch.zeros((len(ids), len(frames), *shape), dtype=torch.bool, device=device)
    for t, frame in enumerate(frames):
        inst = frame.gt_instances
        if len(inst) == 0:
            continue
        frame_masks = inst.masks
        if hasattr(frame_masks, 'to_tensor'):
            frame_masks = frame_masks.to_tensor(dtype=torch.bool, device=device)
        frame_ids = inst.instances_ids.to(device)
        for n, iid in enumerate(ids.tolist()):
            hit = (frame_ids == iid).nonzero()
            if len(hit):
                masks[n, t] = frame_masks[hit[0, 0]].to(device).bool()
    return torch.full((len(ids),), -1, dtype=torch.long, device=device), masks


class InteractiveTask:
    """Handler of samples whose task is ``interactive``.

    Args:
        settings: prompt mask threshold.
    """

    tasks = (TASK_INTERACTIVE,)

    def __init__(self, *, settings: InteractiveSettings) -> None:
        self.settings = settings

    def _decode(self, ctx: TaskContext, inputs: torch.Tensor, data_samples: list):
        boxes, kinds, shapes, counts = batch_prompts(data_samples, inputs.device)
        content, positional, attn = ctx.head.encode_prompts(boxes, kinds, shapes)
        feats = ctx.features(inputs)
        # each prompt's reference point (where the spatial prior and the mask window start):
        # the point, or the box centre, normalised to the padded input
        canvas = boxes.new_tensor([inputs.shape[-1], inputs.shape[-2]])
        ref = (boxes[..., :2] + boxes[..., 2:]) / 2 / canvas
        preds = ctx.head(feats, inputs.shape[1], queries=(content, positional),
                         self_attn_mask=attn, query_ref=ref)
        return preds, feats, counts

    def loss(self, ctx: TaskContext, inputs: torch.Tensor, data_samples: list) -> dict:
        """Mask and dice losses of prompted queries against their own instances."""
        device = inputs.device
        preds, _, counts = self._decode(ctx, inputs, data_samples)
        shape = tuple(inputs.shape[-2:])
        targets, matched = [], []
        for sample, n in zip(data_samples, counts):
            ids = frame_prompts(sample).instances_ids[:n].to(device)
            targets.append(prompt_targets(sample, ids, shape, device))
            idx = torch.arange(n, device=device)
            matched.append((idx, idx))
        losses = ctx.criterion(preds, targets, matched)
        # class-agnostic targets: no class / objectness training, but every parameter stays in
        # the graph (with zero gradient) so DDP works whichever batch kind a rank draws
        for key in losses:
            if key.endswith('loss_cls') or key.endswith('loss_obj'):
                losses[key] = losses[key] * 0.0
        losses['loss_mask'] = losses['loss_mask'] + ctx.head.unused_parameters_term(
            prompted=True)
        return losses

    def predict(self, ctx: TaskContext, inputs: torch.Tensor, data_samples: list,
                rescale: bool = True) -> list:
        """One mask per prompt on every frame: ``pred_prompt_masks`` = InstanceData with
        ``masks`` (P, H, W) bool, ``instances_ids`` (the prompted ids), ``labels`` /
        ``scores`` (best non-void class of the prompt and its probability).

        Args: inputs (B, T, 3, H, W) normalised; data_samples with ``prompts`` on frame 0.
        """
        preds, feats, counts = self._decode(ctx, inputs, data_samples)
        last = preds[-1]
        # prompts are classified by the same text classifier, so open-vocab fusion applies
        cls = ctx.scorer(last['cls'], last['mask'], feats[-1])
        pad = tuple(inputs.shape[-2:])
        thr = self.settings.mask_thr
        for b, (sample, n) in enumerate(zip(data_samples, counts)):
            probs = cls[b, :n].softmax(-1)[:, :-1]
            scores, labels = (probs.max(-1) if probs.shape[-1] else
                              (probs.new_zeros(n), probs.new_zeros(n, dtype=torch.long)))
            ids = frame_prompts(sample).instances_ids[:n]
            for t, frame in enumerate(sample.video_data_samples):
                resize = output_resizer(frame.metainfo, pad, rescale)
                low = last['mask'][b, :n, t].float()
                masks = (resize(low) > thr if n else
                         torch.zeros((0, *resize(last['mask'][b, :1, t].float()).shape[-2:]),
                                     dtype=torch.bool, device=low.device))
                frame.pred_prompt_masks = InstanceData(masks=masks, instances_ids=ids,
                                                       labels=labels, scores=scores)
        return data_samples


__all__ = ['InteractiveTask', 'frame_prompts', 'batch_prompts', 'prompt_targets']
