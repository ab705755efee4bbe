"""Box / point prompts -> decoder queries (OMG-Seg's interactive, SAM-like mode).

Each prompt becomes one query of :class:`OMGQueryHead`: the content part says what kind of
prompt it is, the positional part where it is (a sine encoding of its normalised cxcywh box),
and the self-attention mask keeps prompts independent of one another, so a prompt's mask does
not depend on which other prompts share the batch.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from mmdet.models.layers import coordinate_to_encoding, inverse_sigmoid
from torch import nn

from omgseg.registry import MODELS
from omgseg.structures.prompts import BOX, POINT


@MODELS.register_module()
class PromptEncoder(nn.Module):
    """Encode boxes and points as (content, positional) queries plus a self-attention mask.

    Parameter names follow the released checkpoints' box-query weights (there they sit directly
    on the head): ``mask_tokens`` (Embedding num_mask_tokens x C), ``pb_embedding``
    (Embedding 2 x C, row 0 = box, row 1 = point) and ``pos_linear`` (Linear 2C -> C).

    A point is a box of zero size at the point (kind 1), or, as the original trains and
    evaluates, a +-3 px box around it with kind 0 (see ``omgseg.structures.prompts.point_boxes``).

    Args:
        feat_channels: C, the decoder width.
        num_mask_tokens: rows of ``mask_tokens`` (the original has 1; only row 0 is used).
        jitter: add the original's tiny training noise to the boxes in training mode (the
            original always does; ``False`` trains on the exact boxes).
        noise_scale: jitter amplitude; the noise is uniform in +-(w/2, h/2, w, h) of the
            cxcywh box times ``noise_scale * 0.01`` (the original's 0.4 and 0.01).
        pos_temperature: temperature of the sine encoding (the original's 10000): the C/2
            features per coordinate have wavelengths from one image side up to
            ``pos_temperature`` times longer.
        pos_scale: the normalised coordinate is multiplied by this (the original's 2 pi) before
            the sine encoding; larger values give shorter wavelengths (2 pi / ``pos_scale`` of
            the image side at the shortest), so nearby points are told apart.
    """

    def __init__(self, *, feat_channels: int = 256, num_mask_tokens: int = 1,
                 jitter: bool = True, noise_scale: float = 0.4,
                 pos_temperature: float = 10000.0, pos_scale: float = 2 * math.pi) -> None:
        super().__init__()
        if feat_channels % 2:
            raise ValueError(f'PromptEncoder: feat_channels must be even (C/2 sine features '
                             f'per coordinate), got {feat_channels}.')
        if pos_temperature <= 1 or pos_scale <= 0:
            raise ValueError(f'PromptEncoder: pos_temperature must be > 1 and pos_scale > 0, got '
                             f'{pos_temperature} and {pos_scale}.')
        if num_mask_tokens < 1:
            raise ValueError(f'PromptEncoder: num_mask_tokens must be >= 1, '
                             f'got {num_mask_tokens}.')
        self.feat_channels = feat_channels
        self.jitter = jitter
        self.noise_scale = noise_scale
        self.pos_temperature = pos_temperature
        self.pos_scale = pos_scale
        self.mask_tokens = nn.Embedding(num_mask_tokens, feat_channels)
        self.pb_embedding = nn.Embedding(2, feat_channels)
        self.pos_linear = nn.Linear(2 * feat_channels, feat_channels)

    def forward(self, boxes: torch.Tensor, kinds: torch.Tensor,
                img_shape: Sequence[int] | Sequence[Sequence[int]] | torch.Tensor,
                num_heads: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Args:
            boxes: (B, P, 4) xyxy in pixels of the resized, unpadded image.
            kinds: (B, P) long, 0 = box, 1 = point.
            img_shape: (H, W) of that image, shared by the batch, or one (H, W) per sample
                (B, 2); the padded batch size must not be used.
            num_heads: attention heads of the decoder's self-attention.

        Returns:
            content (B, P, C), positional (B, P, C) and self_attn_mask (B * num_heads, P, P)
            bool (True = not attended; only the diagonal is attended).
        """
        b, p = self._check(boxes, kinds)
        size = self._img_size(img_shape, b, boxes)                     # (B, 1, 2) as (W, H)
        self._check_inside(boxes, kinds, size)
        wh_scale = size.repeat(1, 1, 2)                                 # (B, 1, 4) W H W H
        xyxy = boxes.float() / wh_scale
        cxcywh = torch.cat([(xyxy[..., :2] + xyxy[..., 2:]) / 2,
                            xyxy[..., 2:] - xyxy[..., :2]], dim=-1)
        if self.training and self.jitter:
            diff = torch.cat([cxcywh[..., 2:] / 2, cxcywh[..., 2:]], dim=-1)
            cxcywh = cxcywh + (torch.rand_like(cxcywh) * 2 - 1) * diff * self.noise_scale * 0.01
        # the original encodes sigmoid(inverse_sigmoid(box)): the round trip keeps boxes off
        # exactly 0 and 1 (a zero-size point has w = h = 1e-5) and rounds like the original
        cxcywh = inverse_sigmoid(cxcywh.clamp(0.0, 1.0), eps=1e-5).sigmoid()
        enc = coordinate_to_encoding(cxcywh, num_feats=self.feat_channels // 2,
                                     temperature=self.pos_temperature,
                                     scale=self.pos_scale)                # (B, P, 2C)
        positional = self.pos_linear(enc)
        content = self.pb_embedding(kinds) + self.mask_tokens.weight[0]
        eye = torch.eye(p, dtype=torch.bool, device=boxes.device)
        self_attn_mask = (~eye)[None].expand(b * num_heads, p, p).contiguous()
        return content, positional, self_attn_mask

    @staticmethod
    def _check(boxes: torch.Tensor, kinds: torch.Tensor) -> tuple[int, int]:
        if not isinstance(boxes, torch.Tensor) or boxes.dim() != 3 or boxes.shape[-1] != 4:
            raise ValueError(f'PromptEncoder: boxes must be a (B, P, 4) xyxy tensor, got '
                             f'{tuple(getattr(boxes, "shape", ())) or type(boxes).__name__}.')
        b, p = boxes.shape[:2]
        if not isinstance(kinds, torch.Tensor) or tuple(kinds.shape) != (b, p):
            raise ValueError(f'PromptEncoder: kinds must be a ({b}, {p}) long tensor matching '
                             f'boxes, got {tuple(getattr(kinds, "shape", ()))}.')
        if p == 0:
            raise ValueError('PromptEncoder: zero prompts; skip the decoder for such images '
                             '(the interactive output is then empty).')
        bad = ((kinds != BOX) & (kinds != POINT)).nonzero()
        if len(bad):
            i, j = bad[0].tolist()
            raise ValueError(f'PromptEncoder: prompt {j} of sample {i} has kind '
                             f'{int(kinds[i, j])}; kinds are 0 (box) or 1 (point).')
        bad = (~torch.isfinite(boxes)).any(-1).nonzero()
        if len(bad):
            i, j = bad[0].tolist()
            raise ValueError(f'PromptEncoder: prompt {j} of sample {i} has a non-finite box '
                             f'{boxes[i, j].tolist()}.')
        w, h = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
        # a point is a zero-size box; a box needs positive width and height
        bad = (((kinds == BOX) & ((w <= 0) | (h <= 0)))
               | ((kinds == POINT) & ((w < 0) | (h < 0)))).nonzero()
        if len(bad):
            i, j = bad[0].tolist()
            what = 'box' if int(kinds[i, j]) == BOX else 'point'
            raise ValueError(f'PromptEncoder: prompt {j} of sample {i} ({what}) is degenerate: '
                             f'{boxes[i, j].tolist()} needs x2 > x1 and y2 > y1 (points: '
                             f'x2 >= x1, y2 >= y1; give a point as [x, y, x, y] with kind 1 '
                             f'or as a +-3 px box with omgseg.structures.prompts.point_boxes).')
        return b, p

    @staticmethod
    def _img_size(img_shape, b: int, boxes: torch.Tensor) -> torch.Tensor:
        shape = torch.as_tensor(img_shape, dtype=torch.float32, device=boxes.device)
        if shape.shape == (2,):
            shape = shape.expand(b, 2)
        if shape.shape != (b, 2) or not bool((shape > 0).all()):
            raise ValueError(f'PromptEncoder: img_shape must be a positive (H, W) or one (H, W) '
                             f'per sample ({b}, 2), got {img_shape!r}.')
        return shape.flip(-1)[:, None]                                  # (B, 1, 2) W, H

    @staticmethod
    def _check_inside(boxes: torch.Tensor, kinds: torch.Tensor, size: torch.Tensor) -> None:
        """A prompt is outside when its centre is; a box may overhang the border (point boxes
        near the edge do), the normalised box is then clamped to [0, 1]."""
        centre = (boxes[..., :2] + boxes[..., 2:]) / 2
        outside = ((centre < 0) | (centre > size)).any(-1).nonzero()
        if len(outside):
            i, j = outside[0].tolist()
            what = 'box' if int(kinds[i, j]) == BOX else 'point'
            w, h = size[i, 0].tolist()
            raise ValueError(f'PromptEncoder: prompt {j} of sample {i} ({what} '
                             f'{boxes[i, j].tolist()}) lies outside the {int(h)}x{int(w)} '
                             f'image (H x W); prompts are in pixels of the resized, unpadded '
                             f'image (img_shape).')
