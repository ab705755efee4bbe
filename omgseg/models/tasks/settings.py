"""Typed test settings: one section per concern of ``model.test_cfg``, checked at build time.

``model.test_cfg`` is a dict of sections, each optional and merged over its defaults::

    test_cfg = dict(
        objects=dict(panoptic_on=True, instance_on=True, semantic_on=True, ...),  # object queries
        clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15, ...),  # videos in clips
        vos=dict(num_proposals=25),                                         # video objects
        interactive=dict(mask_thr=0.0),                                     # prompts
        open_vocab=None or dict(train_vocabulary=..., alpha=0.4, beta=0.8,  # class scoring
                                seen_against='train_vocabulary', fusion='per_clip'))

Defaults follow the original OMG-Seg's inference protocol except where omgseg deliberately
differs (``open_vocab.seen_against``, ``open_vocab.fusion``); every difference has one switch
here (docs/protocol.md lists them).

An unknown section or key is a ``KeyError`` naming ``test_cfg.<section>.<key>``; a key of the
old flat layout (``test_cfg.clip_size``) names the section it moved to.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from omgseg.models.inference.instance_score import MASK_SCORE_RULES
from omgseg.vocab import vocabulary_from

INSTANCE_TOPK_RULES = ('all_classes', 'things')
SEGMENT_IDS = ('query', 'per_frame')
VOS_MATCH_RESOLUTIONS = ('original', 'network')
SEEN_AGAINST = ('train_vocabulary', 'train_and_test_vocabulary')
FUSION_MODES = ('per_clip', 'per_video', 'off')


def _choice(section: str, key: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Raise a ValueError naming ``test_cfg.<section>.<key>`` unless ``value`` is allowed."""
    if value not in allowed:
        raise ValueError(f'test_cfg.{section}.{key} must be one of '
                         f"{', '.join(repr(a) for a in allowed)}; got {value!r}.")



@dataclass(frozen=True)
class ObjectSettings:
    """Outputs of the learned object queries (panoptic, instance, semantic tasks).

    Args:
        panoptic_on / instance_on / semantic_on: which outputs to produce.
        object_mask_thr: panoptic queries need a class probability above this.
        overlap_thr: a panoptic query keeps its segment if at least this share of its mask
            survives the higher-scoring queries.
        filter_low_score: drop panoptic queries below ``object_mask_thr``.
        max_per_image: instance results per image (per video for clips).
        instance_masks: ``'bitmap'`` (bool tensors per frame) or ``'rle'`` (COCO RLEs).
        instance_topk: ``'all_classes'`` (the original, as Mask2Former: the top
            ``max_per_image`` (query, class) pairs over every class, then the thing pairs among
            them, so usually fewer results) or ``'things'`` (the top pairs over thing classes
            only, always ``max_per_image`` results).
        track_score: mask score of a video instance: ``'frame_mean'`` (the original: the mean
            over frames of each frame's mean mask probability, an empty frame scoring 0) or
            ``'area_weighted'`` (one mean over every mask pixel of the tube, empty frames
            ignored); see :class:`omgseg.models.inference.TubeMaskScore`.
        segment_ids: video panoptic thing ids: ``'query'`` (omgseg: query + 1, stable through
            the video) or ``'per_frame'`` (the original: 1, 2, ... in query order within each
            frame, so an object's id can change from frame to frame).
    """
    panoptic_on: bool = True
    instance_on: bool = True
    semantic_on: bool = True
    object_mask_thr: float = 0.0
    overlap_thr: float = 0.8
    filter_low_score: bool = True
    max_per_image: int = 100
    instance_masks: str = 'bitmap'
    instance_topk: str = 'all_classes'
    track_score: str = 'frame_mean'
    segment_ids: str = 'query'

    def __post_init__(self) -> None:
        _choice('objects', 'instance_masks', self.instance_masks, ('bitmap', 'rle'))
        _choice('objects', 'instance_topk', self.instance_topk, INSTANCE_TOPK_RULES)
        _choice('objects', 'track_score', self.track_score, MASK_SCORE_RULES)
        _choice('objects', 'segment_ids', self.segment_ids, SEGMENT_IDS)
        if self.max_per_image < 1:
            raise ValueError(f'test_cfg.objects.max_per_image must be >= 1, got '
                             f'{self.max_per_image}.')


@dataclass(frozen=True)
class ClipSettings:
    """How videos are cut into clips and where waiting masks are kept.

    Args:
        clip_size / clip_size_small / small_clip_thr / whole_clip_thr: see
            :func:`omgseg.models.inference.plan_clips` (original: YouTube-VIS 5 / 3 / 15,
            VIPSeg 2 / 3 / 15).
        mask_memory_mb: low-resolution masks kept in memory before spilling to disk
            (``None``: never spill).
        spill_dir: folder for spilled masks (a temporary folder when ``None``).
    """
    clip_size: int = 5
    clip_size_small: int = 3
    small_clip_thr: int = 15
    whole_clip_thr: int = 0
    mask_memory_mb: float | None = 2048
    spill_dir: str | None = None

    def __post_init__(self) -> None:
        for key in ('clip_size', 'clip_size_small'):
            if getattr(self, key) < 1:
                raise ValueError(f'test_cfg.clips.{key} must be >= 1, got '
                                 f'{getattr(self, key)}.')

    def plan(self) -> dict[str, int]:
        """Keyword arguments of :func:`plan_clips`."""
        return dict(clip_size=self.clip_size, clip_size_small=self.clip_size_small,
                    small_clip_thr=self.small_clip_thr, whole_clip_thr=self.whole_clip_thr)


@dataclass(frozen=True)
class VOSSettings:
    """Semi-supervised video object segmentation.

    Args:
        num_proposals: most object-like tubes matched to the first-frame objects.
        match_resolution: where proposals are matched to the first-frame objects:
            ``'original'`` (the original: the proposals are upsampled to the image's original
            size and compared with the annotation as loaded) or ``'network'`` (the annotation
            is resized with the image to the network's input size; proposals are compared
            there, and the matched object ids are painted at the original size).
    """
    num_proposals: int = 25
    match_resolution: str = 'original'

    def __post_init__(self) -> None:
        if self.num_proposals < 1:
            raise ValueError(f'test_cfg.vos.num_proposals must be >= 1, got '
                             f'{self.num_proposals}.')
        _choice('vos', 'match_resolution', self.match_resolution, VOS_MATCH_RESOLUTIONS)


@dataclass(frozen=True)
class InteractiveSettings:
    """Prompted masks.

    Args:
        mask_thr: a pixel belongs to a prompt's mask when its logit is above this (0 is a
            sigmoid probability of 0.5).
    """
    mask_thr: float = 0.0


@dataclass(frozen=True)
class OpenVocabSettings:
    """Open-vocabulary fusion of the decoder's and the frozen CLIP's classification.

    Args:
        train_classes: class names of the training vocabulary (decides seen / unseen).
        alpha / beta: geometric-ensemble weights of the CLIP score for seen / unseen classes.
        seen_against: ``'train_vocabulary'`` (a test class is seen when it shares a synonym
            with a training class) or ``'train_and_test_vocabulary'`` (the original's ADE20K
            evaluation: it compared against a joint list that contained the test dataset
            itself, so every test class counts as seen).
        fusion: ``'per_clip'`` (fuse each clip, then average the fused logits over clips;
            streams videos of any length), ``'per_video'`` (the original: average the
            decoder's logits over clips and pool the CLIP features over the whole video, then
            fuse once) or ``'off'`` (the decoder's logits alone: the original's YouTube-VIS
            2021 evaluation).
    """
    train_classes: tuple[str, ...]
    alpha: float = 0.4
    beta: float = 0.8
    seen_against: str = 'train_vocabulary'
    fusion: str = 'per_clip'

    def __post_init__(self) -> None:
        _choice('open_vocab', 'seen_against', self.seen_against, SEEN_AGAINST)
        _choice('open_vocab', 'fusion', self.fusion, FUSION_MODES)


OPEN_VOCAB_KEYS = ('train_vocabulary', 'alpha', 'beta', 'seen_against', 'fusion')


def parse_open_vocab_cfg(cfg: Mapping | None) -> OpenVocabSettings | None:
    """Check ``test_cfg.open_vocab`` and resolve its training vocabulary.

    Args:
        cfg: ``None`` (no fusion) or ``dict(train_vocabulary=<name or vocabulary dict, as
            accepted by vocabulary_from>, alpha=0.4, beta=0.8)``.

    Raises:
        KeyError: an unknown key (named as ``test_cfg.open_vocab.<key>``) or vocabulary name.
        ValueError / TypeError: a missing vocabulary or a weight outside [0, 1].
    """
    if cfg is None:
        return None
    if not isinstance(cfg, Mapping):
        raise TypeError(f'test_cfg.open_vocab must be None or a dict(train_vocabulary=..., '
                        f'alpha=0.4, beta=0.8), got {type(cfg).__name__}.')
    unknown = sorted(set(cfg) - set(OPEN_VOCAB_KEYS))
    if unknown:
        named = ', '.join(f'test_cfg.open_vocab.{k}' for k in unknown)
        raise KeyError(f'unknown key(s) {named}; known: {sorted(OPEN_VOCAB_KEYS)}.')
    weights = {}
    for key, default in (('alpha', 0.4), ('beta', 0.8)):
        value = cfg.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 0.0 <= value <= 1.0:
            raise ValueError(f'test_cfg.open_vocab.{key} must be a number in [0, 1], got '
                             f'{value!r}.')
        weights[key] = float(value)
    spec = cfg.get('train_vocabulary')
    if spec is None:
        raise ValueError("test_cfg.open_vocab.train_vocabulary is required: the vocabulary the "
                         "model was trained on, e.g. 'coco_panoptic' or dict(merge=[...]); it "
                         'decides which test classes count as seen.')
    try:
        vocab = vocabulary_from(spec)
    except (KeyError, ValueError, TypeError) as err:
        message = err.args[0] if err.args else repr(err)
        raise type(err)(f'test_cfg.open_vocab.train_vocabulary: {message}') from None
    return OpenVocabSettings(train_classes=tuple(str(n) for n in vocab['classes']), **weights,
                             seen_against=cfg.get('seen_against', 'train_vocabulary'),
                             fusion=cfg.get('fusion', 'per_clip'))


_SECTIONS = {'objects': ObjectSettings, 'clips': ClipSettings, 'vos': VOSSettings,
             'interactive': InteractiveSettings}
# where each key of the old flat test_cfg went, for a helpful error
_MOVED = {f.name: section for section, kind in _SECTIONS.items() for f in fields(kind)}


def _section(kind: type, raw: Mapping | None, section: str, base: Any) -> Any:
    if raw is None:
        return base
    if not isinstance(raw, Mapping):
        raise TypeError(f'test_cfg.{section} must be a dict, got {type(raw).__name__}.')
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(raw) - known)
    if unknown:
        named = ', '.join(f'test_cfg.{section}.{k}' for k in unknown)
        raise KeyError(f'unknown key(s) {named}; known: {sorted(known)}.')
    return dataclasses.replace(base, **dict(raw))


@dataclass(frozen=True)
class InferenceSettings:
    """All test-time settings of :class:`OMGSeg`, one typed section per concern."""
    objects: ObjectSettings = ObjectSettings()
    clips: ClipSettings = ClipSettings()
    vos: VOSSettings = VOSSettings()
    interactive: InteractiveSettings = InteractiveSettings()
    open_vocab: OpenVocabSettings | None = None

    @classmethod
    def from_cfg(cls, cfg: Mapping | None) -> InferenceSettings:
        """Settings from a (nested) ``model.test_cfg``; every section falls back to defaults."""
        return cls().merged(cfg)

    def merged(self, cfg: Mapping | None) -> InferenceSettings:
        """A copy with the sections of ``cfg`` merged over these settings (key by key; a given
        ``open_vocab`` replaces the current one, ``None`` switches fusion off)."""
        if cfg is None:
            return self
        if not isinstance(cfg, Mapping):
            raise TypeError(f'test_cfg must be a dict of sections {sorted(_SECTIONS)} and '
                            f'open_vocab, got {type(cfg).__name__}.')
        moved = sorted(k for k in cfg if k in _MOVED)
        if moved:
            hints = ', '.join(f'test_cfg.{k} -> test_cfg.{_MOVED[k]}.{k}' for k in moved)
            raise KeyError(f'test_cfg keys belong to a section now: {hints}.')
        unknown = sorted(set(cfg) - set(_SECTIONS) - {'open_vocab'})
        if unknown:
            raise KeyError(f'unknown test_cfg section(s) {unknown}; known: '
                           f'{sorted([*_SECTIONS, "open_vocab"])}.')
        changes = {name: _section(kind, cfg.get(name), name, getattr(self, name))
                   for name, kind in _SECTIONS.items()}
        open_vocab = (parse_open_vocab_cfg(cfg['open_vocab']) if 'open_vocab' in cfg
                      else self.open_vocab)
        return InferenceSettings(**changes, open_vocab=open_vocab)


__all__ = ['INSTANCE_TOPK_RULES', 'VOS_MATCH_RESOLUTIONS', 'SEEN_AGAINST', 'FUSION_MODES',
           'ObjectSettings', 'ClipSettings', 'VOSSettings', 'InteractiveSettings',
           'OpenVocabSettings', 'InferenceSettings', 'parse_open_vocab_cfg']
