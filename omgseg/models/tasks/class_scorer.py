"""Class scoring of decoded queries: the decoder's own logits, or their open-vocabulary fusion.

With open-vocabulary settings, every clip's stage-4 CLIP map is mask-pooled with each query's
mask (over all frames of the clip), projected into CLIP space by the CLIP head and classified
against the classifier's text prototypes (the test vocabulary); the result is fused with the
decoder's logits by :func:`fuse_open_vocab`. With ``open_vocab.fusion='per_clip'`` (omgseg's
default) the :class:`TubeLinker` then averages *fused* logits over clips, a geometric mean of
the clips' fused distributions. With ``'per_video'`` (the original) each clip only adds its
mask-weighted CLIP feature sums (:meth:`ClassScorer.clip_evidence`, (Q, C) per clip, linked
like the queries), and the video is fused once on the clip-averaged decoder logits
(:meth:`ClassScorer.fuse_video`): the pooled feature is then the mean over every frame's mask
pixels, as the original's pooling of all frames. ``'off'`` keeps the decoder's logits.

Resizing the stride-4 mask logits bilinearly to the stride-32 CLIP map samples the same points
as the original's upsample-to-input-then-downsample (both are linear inside one stride-4 cell),
and pooling over (t, h, w) equals the original's pooling of frames concatenated along H.
"""
from __future__ import annotations

import torch
from torch import nn

from omgseg.models.layers import mask_pool
from omgseg.models.postprocess.open_vocab import (clip_resolution_masks, fuse_open_vocab,
                                                 seen_classes)

from .settings import OpenVocabSettings


class ClassScorer:
    """Scores queries against the classifier's current vocabulary.

    Args:
        classifier: the head's :class:`TextEmbeddingClassifier` (its prototypes are the
            vocabulary).
        clip: the frozen CLIP backbone (``get_clip_feature``, ``project_pooled``); needed only
            with ``open_vocab``.
        num_things: classes ``0 .. num_things-1`` of the vocabulary are things.
        open_vocab: fusion settings, or ``None`` for the decoder's logits alone.
    """

    def __init__(self, *, classifier: nn.Module, clip: nn.Module | None, num_things: int,
                 open_vocab: OpenVocabSettings | None = None) -> None:
        self.classifier = classifier
        self.clip = clip
        self.num_things = num_things
        self.open_vocab = open_vocab
        self._seen: tuple[tuple[str, ...], torch.Tensor] | None = None

    @property
    def class_names(self) -> list[str] | None:
        return self.classifier.class_names

    def _names(self) -> list[str]:
        if self.open_vocab is None:
            raise ValueError('ClassScorer.seen needs open-vocabulary settings '
                             '(model.test_cfg.open_vocab).')
        names = self.classifier.class_names
        if names is None:
            raise ValueError(
                "test_cfg.open_vocab: fusion needs the class names of the classifier's "
                'prototypes to tell seen from unseen classes, but '
                'model.panoptic_head.classifier has none (embeddings without sidecar names). '
                'Use a class-embedding file with its .json sidecar (tools/'
                'gen_class_embeddings.py) or a vocabulary given with its names.')
        return names

    @property
    def fusion(self) -> str:
        """``'none'`` without open-vocabulary settings, else ``open_vocab.fusion``."""
        return 'none' if self.open_vocab is None else self.open_vocab.fusion

    def seen(self) -> torch.Tensor:
        """(K,) bool on the CPU: which classes of the current vocabulary were seen in
        training (see ``open_vocab.seen_against``)."""
        names = self._names()
        if self.open_vocab.seen_against == 'train_and_test_vocabulary':
            # the original's ADE20K list contained the test dataset: every class is seen
            return torch.ones(len(names), dtype=torch.bool)
        # the prototypes may be swapped after this scorer was made (e.g. lazily loaded)
        if self._seen is None or self._seen[0] != tuple(names):
            self._seen = (tuple(names), seen_classes(self.open_vocab.train_classes, names))
        return self._seen[1]

    def __call__(self, cls: torch.Tensor, mask: torch.Tensor,
                 stage4: torch.Tensor) -> torch.Tensor:
        """Class logits of a batch of clips' queries.

        Args:
            cls: (B, Q, K+1) decoder logits.
            mask: (B, Q, t, h, w) mask logits of the same queries.
            stage4: (B*t, C4, h4, w4) backbone stage-4 maps of the clips' frames.

        Returns:
            (B, Q, K+1) logits: ``cls`` itself without open-vocabulary settings or with
            ``fusion='off'``, else the fused logits (see :func:`fuse_open_vocab`).
        """
        if self.fusion in ('none', 'off'):
            return cls
        clip_feat = self._clip_map(stage4, mask.shape[0], mask.shape[2])
        small, has_mask = clip_resolution_masks(mask.to(clip_feat.dtype),
                                                tuple(clip_feat.shape[-2:]))
        embed = self.clip.project_pooled(mask_pool(clip_feat, small))      # (B, Q, D)
        return self._fuse(cls, embed, has_mask)

    def _clip_map(self, stage4: torch.Tensor, b: int, t: int) -> torch.Tensor:
        """(B*t, C4, h4, w4) stage-4 maps -> (B, t, C, h4, w4) CLIP maps."""
        if self.clip is None:
            raise ValueError('open-vocabulary fusion needs the frozen CLIP backbone.')
        clip_feat = self.clip.get_clip_feature(stage4)
        return clip_feat.view(b, t, *clip_feat.shape[1:])

    def _fuse(self, cls: torch.Tensor, embed: torch.Tensor,
              has_mask: torch.Tensor) -> torch.Tensor:
        clip_logits = self.classifier(embed)                                 # (B, Q, K+1)
        seen = self.seen()
        if len(seen) != cls.shape[-1] - 1:
            raise ValueError(f'test_cfg.open_vocab: the classifier has {len(seen)} class names '
                             f'but predicts {cls.shape[-1] - 1} classes.')
        return fuse_open_vocab(cls, clip_logits, seen, has_mask, alpha=self.open_vocab.alpha,
                               beta=self.open_vocab.beta)

    def clip_evidence(self, mask: torch.Tensor, stage4: torch.Tensor
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """A clip's share of per-video fusion: CLIP features summed over each query's mask.

        Args:
            mask: (B, Q, t, h, w) mask logits; stage4: (B*t, C4, h4, w4) stage-4 maps.

        Returns:
            ``(sums, areas)``: (B, Q, C) CLIP-map sums over the pixels where the mask logit,
            resized to the CLIP map, is positive, and (B, Q) the pixel counts.
        """
        clip_feat = self._clip_map(stage4, mask.shape[0], mask.shape[2])
        small, _ = clip_resolution_masks(mask.to(clip_feat.dtype), tuple(clip_feat.shape[-2:]))
        binary = (small > 0).to(clip_feat.dtype)
        sums = torch.einsum('btchw,bqthw->bqc', clip_feat, binary)
        return sums, binary.flatten(2).sum(-1)

    def fuse_video(self, cls: torch.Tensor, sums: torch.Tensor,
                   areas: torch.Tensor) -> torch.Tensor:
        """Fuse once per video (``fusion='per_video'``).

        Args:
            cls: (Q, K+1) clip-averaged decoder logits; sums (Q, C) and areas (Q,): the
                linked clips' :meth:`clip_evidence` added up.

        Returns:
            (Q, K+1) fused logits.
        """
        pooled = sums / (areas[:, None] + 1e-8)          # the mean over the video's pixels
        embed = self.clip.project_pooled(pooled[None].to(sums.dtype))[0]
        return self._fuse(cls, embed, areas > 0)


__all__ = ['ClassScorer']
