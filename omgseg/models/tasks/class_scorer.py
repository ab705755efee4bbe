"""Class scoring of decoded queries: the decoder's own logits, or their open-vocabulary fusion.

With open-vocabulary settings, every clip's stage-4 CLIP map is mask-pooled with each query's
mask (over all frames of the clip), projected into CLIP space by the CLIP head and classified
against the classifier's text prototypes (the test vocabulary); the result is fused with the
decoder's logits by :func:`fuse_open_vocab`. For videos the :class:`TubeLinker` then averages
*fused* logits (log-probabilities) over clips, a geometric mean of the clips' fused
distributions; fusing once on clip-averaged logits would need every clip's CLIP features kept
until the end of the video.

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

    def seen(self) -> torch.Tensor:
        """(K,) bool on the CPU: which classes of the current vocabulary were seen in
        training (by synonym overlap with ``open_vocab.train_classes``)."""
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
            (B, Q, K+1) logits: ``cls`` itself without open-vocabulary settings, else the
            fused logits (see :func:`fuse_open_vocab`).
        """
        if self.open_vocab is None:
            return cls
        if self.clip is None:
            raise ValueError('open-vocabulary fusion needs the frozen CLIP backbone.')
        b, t = mask.shape[0], mask.shape[2]
        clip_feat = self.clip.get_clip_feature(stage4)
        size = tuple(clip_feat.shape[-2:])
        clip_feat = clip_feat.view(b, t, *clip_feat.shape[1:])
        small, has_mask = clip_resolution_masks(mask.to(clip_feat.dtype), size)
        embed = self.clip.project_pooled(mask_pool(clip_feat, small))      # (B, Q, D)
        clip_logits = self.classifier(embed)                                 # (B, Q, K+1)
        seen = self.seen()
        if len(seen) != cls.shape[-1] - 1:
            raise ValueError(f'test_cfg.open_vocab: the classifier has {len(seen)} class names '
                             f'but predicts {cls.shape[-1] - 1} classes.')
        return fuse_open_vocab(cls, clip_logits, seen, has_mask, alpha=self.open_vocab.alpha,
                               beta=self.open_vocab.beta)


__all__ = ['ClassScorer']
