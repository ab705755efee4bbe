"""Running the object queries over clips and linking them into video tubes.

Used by the object-query and VOS handlers (one path; an image is a clip of one frame). A video
is cut into clips (:func:`plan_clips`); each clip runs backbone and decoder on its own frames
only; clips are linked into tubes (MinVIS). Model memory is bounded by one clip; the
low-resolution masks waiting for the final class scores go to a :class:`MaskStore` that spills
to disk past ``clips.mask_memory_mb``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.nn.functional as F

from omgseg.models.inference import MaskStore, TubeLinker, plan_clips

from .context import TaskContext
from .settings import ClipSettings


def output_resizer(meta: dict, pad_shape: tuple[int, int],
                   rescale: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    """(n, h, w) logits -> (n, H, W): upsample to the padded input, crop the padding, then
    resize to the original image size when ``rescale``."""
    img_h, img_w = meta['img_shape'][:2]
    ori = tuple(meta['ori_shape'][:2])

    def resize(x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x[None], size=pad_shape, mode='bilinear', align_corners=False)[0]
        x = x[..., :img_h, :img_w]
        if rescale and (img_h, img_w) != ori:
            x = F.interpolate(x[None], size=ori, mode='bilinear', align_corners=False)[0]
        return x
    return resize


def clip_outputs(ctx: TaskContext, clip: torch.Tensor) -> dict[str, torch.Tensor]:
    """Last decoder layer of the object queries on a batch of clips.

    Args:
        clip: (B, t, 3, H, W) padded frames (uint8 or normalised float).

    Returns:
        ``cls`` (B, Q, K+1) scored by ``ctx.scorer``, ``obj`` (B, Q), ``query`` (B, Q, C),
        ``mask`` (B, Q, t, h, w) and ``pad_shape`` (Hp, Wp); with per-video open-vocabulary
        fusion, ``cls`` are the decoder's logits and ``evidence`` the clip's CLIP feature
        sums (B, Q, C) and areas (B, Q) (:meth:`ClassScorer.clip_evidence`).
    """
    feats = ctx.features(clip)
    last = ctx.head(feats, clip.shape[1])[-1]
    out = {k: last[k] for k in ('cls', 'obj', 'query', 'mask')}
    if ctx.scorer.fusion == 'per_video':
        out['evidence'] = ctx.scorer.clip_evidence(out['mask'], feats[-1])
    else:
        out['cls'] = ctx.scorer(out['cls'], out['mask'], feats[-1])
    out['pad_shape'] = tuple(clip.shape[-2:])
    return out


def video_class_logits(ctx: TaskContext, linker: TubeLinker) -> torch.Tensor:
    """(Q, K+1) video-level class logits: the clip average, fused once per video when the
    clips carried per-video open-vocabulary evidence."""
    cls, _ = linker.video_logits()
    evidence = linker.video_evidence()
    return cls if evidence is None else ctx.scorer.fuse_video(cls, *evidence)


def new_linker(clips: ClipSettings) -> TubeLinker:
    return TubeLinker(store=MaskStore(budget_mb=clips.mask_memory_mb, spill_dir=clips.spill_dir))


def _add_clip(linkers: list[TubeLinker], out: dict) -> tuple[int, int]:
    """Link clip ``b`` of ``out`` into ``linkers[b]``; returns the clip's padded size."""
    for b, linker in enumerate(linkers):
        evidence = (tuple(e[b] for e in out['evidence']) if 'evidence' in out else None)
        linker.add_clip(cls=out['cls'][b], obj=out['obj'][b], query=out['query'][b],
                        mask=out['mask'][b], evidence=evidence)
    return out['pad_shape']


def link_batch(ctx: TaskContext, clips: ClipSettings, inputs: torch.Tensor
               ) -> tuple[list[TubeLinker], tuple[int, int]]:
    """Run and link every clip of a batch of equally long videos (B, T, 3, H, W).

    Returns the linkers and the padded input size (Hp, Wp)."""
    linkers = [new_linker(clips) for _ in range(inputs.shape[0])]
    pad = tuple(inputs.shape[-2:])
    for start, end in plan_clips(inputs.shape[1], **clips.plan()):
        pad = _add_clip(linkers, clip_outputs(ctx, inputs[:, start:end]))
    return linkers, pad


def link_stream(ctx: TaskContext, clips: ClipSettings, frames: Iterable[torch.Tensor],
                num_frames: int) -> tuple[TubeLinker, tuple[int, int]]:
    """Run and link a video read lazily, clip by clip.

    Args:
        frames: iterable of ``num_frames`` (3, H, W) uint8 frames as the test pipeline makes
            them (resized, BGR).

    Returns:
        the linker and the padded input size (Hp, Wp).
    """
    it = iter(frames)
    linker = new_linker(clips)
    pad = None
    for start, end in plan_clips(num_frames, **clips.plan()):
        clip = []
        for index in range(start, end):
            try:
                clip.append(next(it))
            except StopIteration:
                raise ValueError(f'the video yielded {index} frames, but num_frames is '
                                 f'{num_frames}.') from None
        pad = _add_clip([linker], clip_outputs(ctx, torch.stack(clip)[None]))
    return linker, pad


__all__ = ['output_resizer', 'clip_outputs', 'video_class_logits', 'new_linker', 'link_batch',
           'link_stream']
