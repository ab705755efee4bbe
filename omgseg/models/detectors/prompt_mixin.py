"""The interactive task: visual prompts (points / boxes) as decoder queries.

A prompt batch replaces the learned object queries with one encoded query per prompt; each
prompt attends only to itself, so its mask does not depend on the other prompts. Targets are
class-agnostic: only mask and dice losses train prompts.
"""
from __future__ import annotations

import torch
from mmengine.structures import InstanceData

from .video_inference import output_resizer


def _frame_prompts(sample) -> InstanceData:
    frame = sample.video_data_samples[0]
    if 'prompts' not in frame:
        raise ValueError("an interactive sample carries no prompts; add SamplePrompts to its "
                         "pipeline (after the geometric transforms).")
    return frame.prompts


class PromptMixin:
    """Needs ``panoptic_head`` (with ``prompt_encoder``), ``criterion``, ``extract_feat`` and
    ``open_vocab_logits``."""

    def _encode_prompts(self, data_samples: list, device) -> tuple:
        """Batch the samples' prompts, padding short lists with a copy of their first prompt
        (or a whole-image box when a sample has none); padded prompts get no target.

        Returns:
            (content, positional, self_attn_mask) and the number of real prompts per sample.
        """
        head = self.panoptic_head
        if head.prompt_encoder is None:
            raise ValueError('interactive samples need model.panoptic_head.prompt_encoder '
                             "(e.g. dict(type='PromptEncoder')).")
        prompts = [_frame_prompts(s) for s in data_samples]
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
        queries = head.prompt_encoder(torch.stack(boxes), torch.stack(kinds),
                                      torch.tensor(shapes, device=device), head.num_heads)
        return queries, counts

    def _prompt_targets(self, sample, ids: torch.Tensor, shape: tuple[int, int],
                        device) -> tuple[torch.Tensor, torch.Tensor]:
        """Class-agnostic tube targets (labels -1, masks (N, T, H, W)) of the prompted ids."""
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

    def prompt_loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """Mask and dice losses of prompted queries against their own instances."""
        device = inputs.device
        queries, counts = self._encode_prompts(data_samples, device)
        content, positional, attn = queries
        preds = self.panoptic_head(self.extract_feat(inputs), inputs.shape[1],
                                   queries=(content, positional), self_attn_mask=attn)
        shape = tuple(inputs.shape[-2:])
        targets, matched = [], []
        for sample, n in zip(data_samples, counts):
            ids = _frame_prompts(sample).instances_ids[:n].to(device)
            targets.append(self._prompt_targets(sample, ids, shape, device))
            idx = torch.arange(n, device=device)
            matched.append((idx, idx))
        losses = self.criterion(preds, targets, matched)
        head = self.panoptic_head
        # class-agnostic targets: no class / objectness training, but every parameter stays in
        # the graph (with zero gradient) so DDP works whichever batch kind a rank draws
        unused = head.query_feat.weight.sum() + head.query_embed.weight.sum()
        for key in losses:
            if key.endswith('loss_cls') or key.endswith('loss_obj'):
                losses[key] = losses[key] * 0.0
        losses['loss_mask'] = losses['loss_mask'] + unused * 0.0
        return losses

    def prompt_zero_loss(self) -> torch.Tensor:
        """0 x the prompt encoder's parameters, for object-query batches (DDP)."""
        enc = self.panoptic_head.prompt_encoder
        if enc is None:
            return None
        return sum(p.sum() for p in enc.parameters()) * 0.0

    @torch.no_grad()
    def predict_prompts(self, inputs: torch.Tensor, data_samples: list,
                        rescale: bool = True) -> list:
        """One mask per prompt on every frame: ``pred_prompt_masks`` = InstanceData with
        ``masks`` (P, H, W) bool (sigmoid > 0.5), ``instances_ids`` (the prompted ids),
        ``labels`` / ``scores`` (best non-void class of the prompt and its probability).

        Args: inputs (B, T, 3, H, W) normalised; data_samples with ``prompts`` on frame 0.
        """
        queries, counts = self._encode_prompts(data_samples, inputs.device)
        content, positional, attn = queries
        feats = self.extract_feat(inputs)
        last = self.panoptic_head(feats, inputs.shape[1],
                                  queries=(content, positional), self_attn_mask=attn)[-1]
        # prompts are classified by the same text classifier, so open-vocab fusion applies
        cls = self.open_vocab_logits(last['cls'], last['mask'], feats[-1])
        pad = tuple(inputs.shape[-2:])
        for b, (sample, n) in enumerate(zip(data_samples, counts)):
            probs = cls[b, :n].softmax(-1)[:, :-1]
            scores, labels = (probs.max(-1) if probs.shape[-1] else
                              (probs.new_zeros(n), probs.new_zeros(n, dtype=torch.long)))
            ids = _frame_prompts(sample).instances_ids[:n]
            for t, frame in enumerate(sample.video_data_samples):
                resize = output_resizer(frame.metainfo, pad, rescale)
                low = last['mask'][b, :n, t].float()
                masks = (resize(low) > 0 if n else
                         torch.zeros((0, *resize(last['mask'][b, :1, t].float()).shape[-2:]),
                                     dtype=torch.bool, device=low.device))
                frame.pred_prompt_masks = InstanceData(masks=masks, instances_ids=ids,
                                                       labels=labels, scores=scores)
        return data_samples


__all__ = ['PromptMixin']
