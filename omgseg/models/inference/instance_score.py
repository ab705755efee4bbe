"""Mask quality of instance tubes, accumulated frame by frame.

An instance's final score is its class probability times a mask score: the mean mask
probability inside its binary mask (logit > 0). Over a video the two rules differ:

- ``'frame_mean'`` (the original OMG-Seg): each frame is scored on its own, a frame where the
  mask is empty scores 0, and the video score is the mean over frames. The original post-
  processes every frame with the video's class logits and lets the YouTube-VIS metric average
  the per-frame scores of a track, which is this rule. A tube that vanishes for half the video
  loses half its score.
- ``'area_weighted'``: one mean over all mask pixels of the tube, so empty frames are ignored
  and large frames weigh more.

For an image (one frame) the two agree.
"""
from __future__ import annotations

import torch

MASK_SCORE_RULES = ('frame_mean', 'area_weighted')
# the original divides by (area + 1e-6): an empty mask scores 0, a full one its mean
_EPS = 1e-6


class TubeMaskScore:
    """Accumulate the mask scores of N instance tubes.

    Args:
        num_instances: N.
        rule: ``'frame_mean'`` or ``'area_weighted'`` (see the module docstring).
        device: where the (N,) accumulators live.
    """

    def __init__(self, *, num_instances: int, rule: str = 'frame_mean',
                 device: torch.device | str | None = None) -> None:
        if rule not in MASK_SCORE_RULES:
            raise ValueError(f'mask score rule must be one of {MASK_SCORE_RULES}, got {rule!r}.')
        if num_instances < 0:
            raise ValueError(f'num_instances must be >= 0, got {num_instances}.')
        self.rule = rule
        self.num_instances = num_instances
        self._sum = torch.zeros(num_instances, device=device)
        self._area = torch.zeros(num_instances, device=device)
        self.num_frames = 0

    def add_frame(self, mask_logits: torch.Tensor) -> None:
        """Args: mask_logits (N, H, W) logits of the N instances in one frame."""
        if mask_logits.shape[0] != self.num_instances or mask_logits.dim() != 3:
            raise ValueError(f'add_frame: expected ({self.num_instances}, H, W) mask logits, '
                             f'got {tuple(mask_logits.shape)}.')
        binary = (mask_logits > 0).float()
        inside = (mask_logits.float().sigmoid() * binary).flatten(1).sum(1)
        area = binary.flatten(1).sum(1)
        if self.rule == 'frame_mean':
            self._sum += (inside / (area + _EPS)).to(self._sum.device)
        else:
            self._sum += inside.to(self._sum.device)
            self._area += area.to(self._area.device)
        self.num_frames += 1

    def scores(self) -> torch.Tensor:
        """(N,) mask scores in [0, 1]; call after the last frame."""
        if self.num_frames == 0:
            raise RuntimeError('TubeMaskScore.scores: no frame was added.')
        if self.rule == 'frame_mean':
            return self._sum / self.num_frames
        return self._sum / self._area.clamp(min=1)


__all__ = ['MASK_SCORE_RULES', 'TubeMaskScore']
