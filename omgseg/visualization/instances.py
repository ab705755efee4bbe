"""Instance overlay: masks (bool or RLE) with labels, scores and track ids; also used for
prompt masks."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .draw import caption, check_image, class_name, draw_masks
from .legend import class_entries, draw_legend
from .palette import track_color


def decode_masks(masks, shape: tuple[int, int]) -> np.ndarray:
    """``(N, H, W)`` bool from a bool/0-1 array or a list of COCO RLE dicts (``None`` or an
    empty dict for an instance absent from this frame).

    Args:
        masks: (N, H, W) array, or N RLEs (``size`` = [H, W], ``counts`` str/bytes/list).
        shape: the image's (H, W); every mask must match it.
    """
    if isinstance(masks, np.ndarray):
        out = masks.astype(bool)
        if out.ndim != 3 or out.shape[1:] != tuple(shape):
            raise ValueError(f'instance masks have shape {masks.shape}; expected (N, '
                             f'{shape[0]}, {shape[1]}) to match the image.')
        return out
    from pycocotools import mask as mask_utils  # only RLE input needs it

    out = np.zeros((len(masks), *shape), dtype=bool)
    for i, rle in enumerate(masks):
        if not rle:
            continue
        if not isinstance(rle, Mapping) or 'size' not in rle or 'counts' not in rle:
            raise ValueError(f'instance mask {i} is neither a bool array nor a COCO RLE dict '
                             f'with "size" and "counts".')
        if tuple(rle['size']) != tuple(shape):
            raise ValueError(f'RLE {i} has size {list(rle["size"])} but the image is '
                             f'{list(shape)} (H, W).')
        counts = rle['counts']
        if isinstance(counts, list):
            rle = mask_utils.frPyObjects(dict(rle), *shape)
        elif isinstance(counts, str):
            rle = dict(rle, counts=counts.encode())
        out[i] = mask_utils.decode(rle).astype(bool)
    return out


def draw_instances(image: np.ndarray, masks, labels: Sequence[int] | None = None,
                   class_names: Sequence[str] | None = None, *,
                   scores: Sequence[float] | None = None,
                   track_ids: Sequence[int] | None = None, score_thr: float = 0.3,
                   alpha: float = 0.5, show_legend: bool = True,
                   contours: bool = True) -> np.ndarray:
    """Draw instances, the highest score on top, each in its track's colour.

    Args:
        image: (H, W, 3) uint8 RGB.
        masks: (N, H, W) bool, or N COCO RLE dicts (see :func:`decode_masks`).
        labels: N class indices (``None``: masks are drawn without class names).
        class_names: label -> name.
        scores: N scores; instances below ``score_thr`` are not drawn.
        track_ids: N ids fixing each instance's colour across frames (default: its index,
            which is stable only within one image).
        score_thr: minimum score drawn (ignored without scores).
        alpha: mask opacity.
        show_legend: list the classes drawn.
        contours: outline each mask.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    image = check_image(image)
    masks = decode_masks(masks, image.shape[:2])
    n = len(masks)
    for what, seq in (('labels', labels), ('scores', scores), ('track_ids', track_ids)):
        if seq is not None and len(seq) != n:
            raise ValueError(f'draw_instances got {n} masks but {len(seq)} {what}.')
    keep = [i for i in range(n) if (scores is None or float(scores[i]) >= score_thr)
            and masks[i].any()]  # absent from this frame: no label, no legend row
    if scores is not None:
        keep.sort(key=lambda i: float(scores[i]))  # drawn last = on top
    names = ['' if labels is None else class_name(int(labels[i]), class_names) for i in keep]
    colors = [track_color(int(track_ids[i]) if track_ids is not None else i) for i in keep]
    texts = [caption(name, score=None if scores is None else scores[i],
                     track_id=None if track_ids is None else track_ids[i]).strip()
             for name, i in zip(names, keep)]
    out = draw_masks(image, [masks[i] for i in keep], colors, texts, alpha=alpha,
                     contours=contours)
    if show_legend and labels is not None:
        out = draw_legend(out, class_entries(names[::-1], colors[::-1]))  # best first
    return out


__all__ = ['decode_masks', 'draw_instances']
