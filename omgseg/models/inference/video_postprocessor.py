"""Frame-by-frame outputs of a linked video: panoptic ids, semantic labels, instance masks.

Queries are selected once from the video-level class logits; each frame then upsamples only
the selected queries' masks, so memory per frame is bounded by (selected queries x H x W)
whatever the video length.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pycocotools.mask as mask_util
import torch

from omgseg.models.postprocess import (instance_topk_all_classes, panoptic_frame,
                                       select_instances, select_panoptic, semantic_scores)

from .instance_score import TubeMaskScore

# objects.instance_topk -> the selection rule
_INSTANCE_TOPK = {'all_classes': instance_topk_all_classes, 'things': select_instances}


def encode_rles(masks: torch.Tensor) -> list[dict | None]:
    """(N, H, W) bool -> N COCO RLEs (``counts`` as str), ``None`` for an empty mask."""
    if len(masks) == 0:
        return []
    arr = np.asfortranarray(masks.permute(1, 2, 0).cpu().numpy().astype(np.uint8))
    rles = mask_util.encode(arr)
    out = []
    for rle, empty in zip(rles, (~masks.flatten(1).any(1)).tolist()):
        rle['counts'] = rle['counts'].decode('ascii')
        out.append(None if empty else rle)
    return out


def renumber_things(ids: torch.Tensor, segments: list[dict]
                    ) -> tuple[torch.Tensor, list[dict]]:
    """Number one frame's thing segments 1, 2, ... in query order (the original's ids).

    Args:
        ids: (H, W) int32 segment ids of :func:`panoptic_frame` (things: query + 1);
        segments: their ``segments_info``.

    Returns:
        the renumbered map and ``segments_info``; stuff ids (above every query) are kept.
    """
    things = sorted((s for s in segments if s['isthing']), key=lambda s: s['query'])
    new_ids = {s['id']: n + 1 for n, s in enumerate(things)}
    out = ids.clone()
    for old, new in new_ids.items():
        out[ids == old] = new
    return out, [dict(s, id=new_ids.get(s['id'], s['id'])) for s in segments]


class VideoPostprocessor:
    """Post-process the frames of one video with shared (clip-averaged) class logits.

    Args:
        cls_logits: (Q, K+1) video-level class logits.
        num_things: labels below are things.
        panoptic_on / semantic_on / instance_on: which outputs to produce.
        object_mask_thr, overlap_thr, filter_low_score: panoptic rules (see panoptic_frame).
        max_per_image: instance results per video.
        instance_masks: ``'bitmap'`` (bool tensors per frame) or ``'rle'`` (COCO RLEs per
            frame, compact for long videos).
        instance_topk: ``'all_classes'`` (the original) or ``'things'``, see
            :class:`omgseg.models.tasks.ObjectSettings`.
        track_score: ``'frame_mean'`` (the original) or ``'area_weighted'``, see
            :class:`TubeMaskScore`.
        segment_ids: ``'query'`` (a thing's id is its query + 1 in every frame, so one object
            keeps one id through the video) or ``'per_frame'`` (the original: each frame
            numbers its things 1, 2, ... in query order, so an id changes when an earlier
            query's segment appears or vanishes).
    """

    def __init__(self, *, cls_logits: torch.Tensor, num_things: int,
                 panoptic_on: bool = True,
                 semantic_on: bool = True, instance_on: bool = True,
                 object_mask_thr: float = 0.0, overlap_thr: float = 0.8,
                 filter_low_score: bool = True, max_per_image: int = 100,
                 instance_masks: str = 'bitmap', instance_topk: str = 'all_classes',
                 track_score: str = 'frame_mean', segment_ids: str = 'query') -> None:
        if instance_masks not in ('bitmap', 'rle'):
            raise ValueError(f"test_cfg.objects.instance_masks must be 'bitmap' or 'rle', got "
                             f'{instance_masks!r}.')
        if instance_topk not in _INSTANCE_TOPK:
            raise ValueError(f'test_cfg.objects.instance_topk must be one of '
                             f'{sorted(_INSTANCE_TOPK)}, got {instance_topk!r}.')
        if segment_ids not in ('query', 'per_frame'):
            raise ValueError(f"test_cfg.objects.segment_ids must be 'query' or 'per_frame', got "
                             f'{segment_ids!r}.')
        self.segment_ids = segment_ids
        self.cls = cls_logits
        self.num_things = num_things
        self.num_queries = cls_logits.shape[0]
        self.semantic_on = semantic_on
        self.instance_masks = instance_masks
        self.overlap_thr, self.filter_low_score = overlap_thr, filter_low_score
        self.pan = select_panoptic(cls_logits, object_mask_thr) if panoptic_on else None
        # both rules give an empty selection for zero thing classes (the original's result)
        self.inst = (_INSTANCE_TOPK[instance_topk](cls_logits, num_things, max_per_image)
                     if instance_on else None)
        needed = [s['queries'] for s in (self.pan, self.inst) if s is not None]
        needed = torch.cat(needed) if needed else cls_logits.new_zeros(0, dtype=torch.long)
        # upsample each needed query once per frame, whichever outputs use it
        self.queries, inverse = torch.unique(needed, return_inverse=True)
        n_pan = len(self.pan['queries']) if self.pan is not None else 0
        self.pan_rows, self.inst_rows = inverse[:n_pan], inverse[n_pan:]
        if self.inst is not None:
            self._mask_score = TubeMaskScore(num_instances=len(self.inst['scores']),
                                             rule=track_score, device=cls_logits.device)

    def frame(self, low: torch.Tensor, resize: Callable[[torch.Tensor], torch.Tensor]) -> dict:
        """Outputs of one frame.

        Args:
            low: (Q, h, w) mask logits of every query at decoder resolution.
            resize: maps (n, h, w) logits to (n, H, W) at output resolution.

        Returns:
            dict with ``panoptic`` (ids (H, W) int32, segments_info), ``semantic`` (H, W) long
            and ``instance_masks`` ((N, H, W) bool, or N RLEs), each present when enabled.
        """
        out: dict = {}
        # an empty selection still resizes one query, for the output size
        logits = resize(low[self.queries].float()) if len(self.queries) else \
            resize(low[:1].float())[:0]
        if self.pan is not None:
            if len(logits) == 0:
                out['panoptic'] = (torch.zeros(logits.shape[-2:], dtype=torch.int32,
                                               device=low.device), [])
            else:
                out['panoptic'] = panoptic_frame(
                    logits[self.pan_rows].sigmoid(), self.pan, self.num_things,
                    self.num_queries, overlap_thr=self.overlap_thr,
                    filter_low_score=self.filter_low_score)
                if self.segment_ids == 'per_frame':
                    out['panoptic'] = renumber_things(*out['panoptic'])
        if self.inst is not None:
            masks = logits[self.inst_rows]
            binary = masks > 0
            self._mask_score.add_frame(masks)
            out['instance_masks'] = (encode_rles(binary) if self.instance_masks == 'rle'
                                     else binary)
        if self.semantic_on:
            # class maps are mixed at decoder resolution, then upsampled: K maps, not Q
            scores = semantic_scores(self.cls, low.float())
            out['semantic'] = resize(scores).argmax(0)
        return out

    def instance_results(self) -> dict[str, torch.Tensor]:
        """Video-level instance ``scores`` (class probability x the tube's mask score, see
        ``track_score``), ``labels`` and ``queries`` (N,); call after the last frame."""
        mask_score = self._mask_score.scores()
        return dict(scores=self.inst['scores'] * mask_score, labels=self.inst['labels'],
                    queries=self.inst['queries'])
