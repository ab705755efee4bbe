"""Panoptic overlay: an id map plus its segment list."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .draw import caption, check_image, check_map, class_name, draw_masks
from .legend import class_entries, draw_legend
from .palette import class_color, track_color


def segment_style(segment: Mapping, class_names: Sequence[str] | None):
    """``(name, color)`` of one segment.

    Things are coloured by their track id (``track_id``, else the segment ``id``, which the
    model keeps equal to the query for the whole video); stuff by its class.
    """
    label = segment.get('category_id', segment.get('label'))
    name = segment.get('name') or class_name(label, class_names)
    track = segment.get('track_id')
    isthing = bool(segment.get('isthing', track is not None))
    if not isthing:
        key = label if label is not None else segment['id']
        return name, class_color(int(key))
    return name, track_color(int(segment['id'] if track is None else track))


def draw_panoptic(image: np.ndarray, ids: np.ndarray, segments: Sequence[Mapping],
                  class_names: Sequence[str] | None = None, *, alpha: float = 0.5,
                  show_scores: bool = True, show_legend: bool = True,
                  contours: bool = True) -> np.ndarray:
    """Blend each segment in its colour, outline it, label it and list the classes.

    Args:
        image: (H, W, 3) uint8 RGB.
        ids: (H, W) int segment ids; 0 and ids without a segment entry stay uncoloured.
        segments: dicts with ``id`` and a class as ``category_id`` / ``label`` (index into
            ``class_names``) or ``name``; optional ``score``, ``track_id`` and ``isthing``
            (default: True when a ``track_id`` is given).
        class_names: label -> name (``'a,b'`` synonym strings show their first name).
        alpha: mask opacity.
        show_scores: add scores to labels.
        show_legend: draw the legend of the classes present.
        contours: outline each segment.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    image = check_image(image)
    ids = check_map(ids, image.shape[:2], 'panoptic id map')
    masks, colors, texts, names = [], [], [], []
    for seg in segments:
        if 'id' not in seg:
            raise KeyError(f'panoptic segment {dict(seg)} has no "id".')
        mask = ids == seg['id']
        if not mask.any():
            continue
        name, color = segment_style(seg, class_names)
        score = seg.get('score') if show_scores else None
        masks.append(mask)
        colors.append(color)
        texts.append(caption(name, score=score, track_id=seg.get('track_id')))
        names.append(name)
    out = draw_masks(image, masks, colors, texts, alpha=alpha, contours=contours)
    return draw_legend(out, class_entries(names, colors)) if show_legend else out


__all__ = ['draw_panoptic', 'segment_style']
