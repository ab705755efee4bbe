"""A hand-made network for testing one task handler alone: a head whose outputs are fixed
tensors, a classifier with names, no backbone."""
from __future__ import annotations

import torch

from omgseg.models.tasks import ClassScorer, TaskContext


class FixedClassifier:
    """Only what the scorer reads of a classifier."""

    def __init__(self, names: list[str]) -> None:
        self.class_names = names
        self.num_classes = len(names)


class FixedHead:
    """Returns the same last-layer outputs for every call, tiled over the clip's frames.

    Args:
        cls: (Q, K+1) logits; obj: (Q,); mask: (Q, h, w) logits of every frame.
    """

    def __init__(self, cls: torch.Tensor, obj: torch.Tensor, mask: torch.Tensor) -> None:
        self.cls, self.obj, self.mask = cls, obj, mask
        self.calls: list[dict] = []
        self.prompts: list[tuple] = []

    def __call__(self, feats, num_frames, queries=None, self_attn_mask=None, query_ref=None):
        b = feats[0].shape[0] // num_frames
        q = self.cls.shape[0] if queries is None else queries[0].shape[1]
        self.calls.append(dict(num_frames=num_frames, prompted=queries is not None,
                               query_ref=query_ref))
        mask = self.mask[:q, None].expand(q, num_frames, *self.mask.shape[-2:])
        last = dict(cls=self.cls[:q].expand(b, -1, -1), obj=self.obj[:q].expand(b, -1),
                    query=torch.eye(q, 4)[None].expand(b, -1, -1),
                    mask=mask[None].expand(b, *mask.shape).clone())
        return [last]

    def encode_prompts(self, boxes, kinds, shapes):
        self.prompts.append((boxes, kinds, shapes))
        b, p = boxes.shape[:2]
        return torch.zeros(b, p, 4), torch.zeros(b, p, 4), torch.zeros(b, p, p, dtype=torch.bool)

    def unused_parameters_term(self, *, prompted):
        return torch.zeros(())


def fixed_context(head: FixedHead, names: list[str], num_things: int,
                  criterion=None) -> TaskContext:
    """A context whose features are one (B*T, 1, 1, 1) map per frame."""
    scorer = ClassScorer(classifier=FixedClassifier(names), clip=None, num_things=num_things)
    return TaskContext(features=lambda x: [torch.zeros(x.shape[0] * x.shape[1], 1, 1, 1)],
                       head=head, criterion=criterion, scorer=scorer)
