"""Link the query outputs of consecutive clips into video-long tubes (MinVIS).

A query of clip i is matched to a query of clip i-1 by Hungarian matching on the cosine
distance of their decoder embeddings; clip i's outputs are then permuted into the previous
order, so one query index is one object for the whole video. Class and objectness logits are
averaged over the linked clips; masks are handed to a :class:`MaskStore` clip by clip.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment

from .mask_store import MaskStore


def link_queries(previous: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
    """Permutation aligning ``current`` to ``previous``.

    Args:
        previous: (Q, C) embeddings of the previous clip, already aligned.
        current: (Q, C) embeddings of the new clip.

    Returns:
        (Q,) long ``perm`` such that ``current[perm][q]`` continues ``previous[q]``.
    """
    cost = 1 - F.normalize(previous.float(), dim=-1) @ F.normalize(current.float(), dim=-1).T
    rows, cols = linear_sum_assignment(cost.cpu().numpy())
    perm = torch.empty(len(rows), dtype=torch.long)
    perm[torch.as_tensor(rows)] = torch.as_tensor(cols, dtype=torch.long)
    return perm.to(current.device)


class TubeLinker:
    """Accumulate the clips of one video.

    Args:
        store: where the aligned low-resolution mask logits go.
    """

    def __init__(self, *, store: MaskStore) -> None:
        self.store = store
        self._prev_query: torch.Tensor | None = None
        self._cls_sum: torch.Tensor | None = None
        self._obj_sum: torch.Tensor | None = None
        self._evidence: list[torch.Tensor] | None = None
        self.num_clips = 0

    def add_clip(self, *, cls: torch.Tensor, obj: torch.Tensor, query: torch.Tensor,
                 mask: torch.Tensor,
                 evidence: tuple[torch.Tensor, ...] | None = None) -> torch.Tensor:
        """Add one clip's last-layer outputs.

        Args:
            cls: (Q, K+1) logits; obj: (Q,) logits; query: (Q, C) decoder embeddings (before
                the output norm); mask: (Q, t, h, w) logits.
            evidence: optional per-query tensors (Q, ...) summed over the video with the same
                linking (the per-video open-vocabulary fusion's CLIP feature sums and areas).

        Returns:
            (Q,) the permutation applied to this clip (identity for the first clip).
        """
        if self._prev_query is None:
            perm = torch.arange(len(query), device=query.device)
        else:
            perm = link_queries(self._prev_query, query)
        self._prev_query = query[perm]
        cls, obj = cls[perm].float(), obj[perm].float()
        self._cls_sum = cls if self._cls_sum is None else self._cls_sum + cls
        self._obj_sum = obj if self._obj_sum is None else self._obj_sum + obj
        self.store.append(mask[perm])
        if evidence is not None:
            linked = [e[perm] for e in evidence]
            self._evidence = linked if self._evidence is None else [
                a + b for a, b in zip(self._evidence, linked)]
        self.num_clips += 1
        return perm

    def video_evidence(self) -> tuple[torch.Tensor, ...] | None:
        """The clips' ``evidence`` summed per linked query, or ``None`` if none was given."""
        return None if self._evidence is None else tuple(self._evidence)

    def video_logits(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(Q, K+1) class and (Q,) objectness logits averaged over the linked clips."""
        if self.num_clips == 0:
            raise RuntimeError('no clip was added to this video.')
        return self._cls_sum / self.num_clips, self._obj_sum / self.num_clips
