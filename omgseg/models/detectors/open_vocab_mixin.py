"""Open-vocabulary inference: each query is also classified by the frozen CLIP itself.

With ``test_cfg.open_vocab`` set, every clip's stage-4 CLIP map is mask-pooled with each query's
mask (over all frames of the clip), projected into CLIP space by the CLIP head and classified
against the classifier's text prototypes (the test vocabulary); the result is fused with the
decoder's logits by :func:`fuse_open_vocab`. The fused logits replace the clip's ``cls``, so
for videos the :class:`TubeLinker` averages *fused* logits (log-probabilities) over clips, a
geometric mean of the clips' fused distributions; fusing once on clip-averaged logits would
need every clip's CLIP features kept until the end of the video.

Resizing the stride-4 mask logits bilinearly to the stride-32 CLIP map samples the same points
as the original's upsample-to-input-then-downsample (both are linear inside one stride-4 cell),
and pooling over (t, h, w) equals the original's pooling of frames concatenated along H.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from omgseg.models.layers import mask_pool
from omgseg.models.postprocess.open_vocab import (clip_resolution_masks, fuse_open_vocab,
                                                 seen_classes)
from omgseg.vocab import vocabulary_from

OPEN_VOCAB_DEFAULTS = dict(train_vocabulary=None, alpha=0.4, beta=0.8)


@dataclass(frozen=True)
class OpenVocabSettings:
    """Parsed ``test_cfg.open_vocab``: the training class names and the CLIP weights."""
    train_classes: tuple[str, ...]
    alpha: float
    beta: float


def parse_open_vocab_cfg(cfg: Mapping | None) -> OpenVocabSettings | None:
    """Check ``test_cfg.open_vocab`` and resolve its training vocabulary.

    Args:
        cfg: ``None`` (no fusion) or ``dict(train_vocabulary=<name or vocabulary dict, as
            accepted by vocabulary_from>, alpha=0.4, beta=0.8)``.

    Raises:
        KeyError: an unknown key (named as ``test_cfg.open_vocab.<key>``) or an unknown
            vocabulary name.
        ValueError / TypeError: a missing vocabulary or a weight outside [0, 1].
    """
    if cfg is None:
        return None
    if not isinstance(cfg, Mapping):
        raise TypeError(f'test_cfg.open_vocab must be None or a dict(train_vocabulary=..., '
                        f'alpha=0.4, beta=0.8), got {type(cfg).__name__}.')
    unknown = sorted(set(cfg) - set(OPEN_VOCAB_DEFAULTS))
    if unknown:
        named = ', '.join(f'test_cfg.open_vocab.{k}' for k in unknown)
        raise KeyError(f'unknown key(s) {named}; known: {sorted(OPEN_VOCAB_DEFAULTS)}.')
    cfg = dict(OPEN_VOCAB_DEFAULTS, **cfg)
    weights = {}
    for key in ('alpha', 'beta'):
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0.0 <= value <= 1.0:
            raise ValueError(f'test_cfg.open_vocab.{key} must be a number in [0, 1], got '
                             f'{value!r}.')
        weights[key] = float(value)
    spec = cfg['train_vocabulary']
    if spec is None:
        raise ValueError("test_cfg.open_vocab.train_vocabulary is required: the vocabulary the "
                         "model was trained on, e.g. 'coco_panoptic' or dict(merge=[...]); it "
                         'decides which test classes count as seen.')
    try:
        vocab = vocabulary_from(spec)
    except (KeyError, ValueError, TypeError) as err:
        message = err.args[0] if err.args else repr(err)
        raise type(err)(f'test_cfg.open_vocab.train_vocabulary: {message}') from None
    return OpenVocabSettings(train_classes=tuple(str(n) for n in vocab['classes']), **weights)


class OpenVocabMixin:
    """Needs ``backbone`` (:class:`OpenCLIPBackbone`), ``panoptic_head.classifier`` and
    ``test_cfg`` on the model."""

    def open_vocab_settings(self) -> OpenVocabSettings | None:
        """The parsed ``test_cfg.open_vocab`` (re-parsed when the config entry changes)."""
        cfg = self.test_cfg.get('open_vocab')
        if cfg is None:
            return None
        key = repr(cfg)
        cached = getattr(self, '_open_vocab_cfg', None)
        if cached is None or cached[0] != key:
            cached = (key, parse_open_vocab_cfg(cfg))
            self._open_vocab_cfg = cached
        return cached[1]

    def open_vocab_seen(self) -> torch.Tensor:
        """(K,) bool on the CPU: which classes of the classifier's current vocabulary were seen
        in training. Cached per vocabulary (it changes when a user swaps the prototypes)."""
        settings = self.open_vocab_settings()
        if settings is None:
            raise ValueError('open_vocab_seen needs model.test_cfg.open_vocab to be set.')
        names = self.panoptic_head.classifier.class_names
        if names is None:
            raise ValueError(
                'test_cfg.open_vocab: fusion needs the class names of the classifier\'s '
                'prototypes to tell seen from unseen classes, but '
                'model.panoptic_head.classifier has none (embeddings without sidecar names). '
                'Use a class-embedding file with its .json sidecar (tools/'
                'gen_class_embeddings.py) or classifier.set_embeddings(embeddings, '
                'class_names).')
        key = (settings.train_classes, tuple(names))
        cached = getattr(self, '_open_vocab_seen', None)
        if cached is None or cached[0] != key:
            cached = (key, seen_classes(settings.train_classes, names))
            self._open_vocab_seen = cached
        return cached[1]

    def open_vocab_logits(self, cls: torch.Tensor, mask: torch.Tensor,
                          stage4: torch.Tensor) -> torch.Tensor:
        """Fused class logits, or ``cls`` itself when ``test_cfg.open_vocab`` is None.

        Args:
            cls: (B, Q, K+1) decoder logits of a batch of clips.
            mask: (B, Q, t, h, w) mask logits of the same queries.
            stage4: (B*t, C4, h4, w4) backbone stage-4 maps of the clips' frames.

        Returns:
            (B, Q, K+1) logits (see :func:`fuse_open_vocab`).
        """
        settings = self.open_vocab_settings()
        if settings is None:
            return cls
        b, t = mask.shape[0], mask.shape[2]
        clip_feat = self.backbone.get_clip_feature(stage4)
        size = tuple(clip_feat.shape[-2:])
        clip_feat = clip_feat.view(b, t, *clip_feat.shape[1:])
        small, has_mask = clip_resolution_masks(mask.to(clip_feat.dtype), size)
        embed = self.backbone.project_pooled(mask_pool(clip_feat, small))   # (B, Q, D)
        clip_logits = self.panoptic_head.classifier(embed)                   # (B, Q, K+1)
        seen = self.open_vocab_seen()
        if len(seen) != cls.shape[-1] - 1:
            raise ValueError(f'test_cfg.open_vocab: the classifier has {len(seen)} class names '
                             f'but predicts {cls.shape[-1] - 1} classes.')
        return fuse_open_vocab(cls, clip_logits, seen, has_mask, alpha=settings.alpha,
                               beta=settings.beta)


__all__ = ['OPEN_VOCAB_DEFAULTS', 'OpenVocabSettings', 'parse_open_vocab_cfg', 'OpenVocabMixin']
