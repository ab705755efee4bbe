"""What a task handler may use of the model, handed to it on every call."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .class_scorer import ClassScorer


@dataclass(frozen=True)
class TaskContext:
    """The shared network as task handlers see it.

    Args:
        features: ``(B, T, 3, H, W)`` frames (normalised float, or uint8 streamed from host
            memory) -> 4 backbone maps ``(B*T, C_i, H/s_i, W/s_i)``.
        head: the :class:`OMGQueryHead`; handlers call it (``head(feats, T, ...)``),
            ``head.encode_prompts`` and ``head.unused_parameters_term``, nothing else.
        criterion: the :class:`OMGCriterion` (training only).
        scorer: class scoring of decoded queries (plain or open-vocabulary).
    """
    features: Callable[[torch.Tensor], list[torch.Tensor]]
    head: nn.Module
    criterion: nn.Module
    scorer: ClassScorer

    @property
    def num_things(self) -> int:
        return self.scorer.num_things

    @property
    def num_classes(self) -> int:
        return self.scorer.classifier.num_classes


__all__ = ['TaskContext']
