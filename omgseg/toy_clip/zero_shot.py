"""Zero-shot segment classification by a tiny-CLIP checkpoint on held-out toy scenes."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from omgseg.datasets.toy import CLASSES
from omgseg.models.text import compute_class_embeddings
from omgseg.vocab import VILD_TEMPLATES

from .checkpoint import load_tiny_clip
from .scenes import HELDOUT_SCENE_OFFSET, HYPERNYMS, pooled_segment_features


def evaluate_zero_shot(backbone, encoder, *, num_scenes: int = 80,
                       size: int = 128) -> dict[str, Any]:
    """Zero-shot classification of the segments of held-out scenes.

    Each non-crowd segment of ``make_scene(HELDOUT_SCENE_OFFSET + i)``, ``i < num_scenes``,
    with a mask at CLIP resolution is mask-pooled (:func:`pooled_segment_features`),
    projected with ``backbone.project_pooled`` and given the class of highest cosine (max
    over synonyms) to the ViLD-template class embeddings of ``compute_class_embeddings``.

    Returns:
        dict(accuracy, num_segments, num_without_mask, chance (1/K), majority (frequency of
        the most common class among the segments), per_class {name: accuracy or None}).
    """
    seeds = [HELDOUT_SCENE_OFFSET + i for i in range(num_scenes)]
    pooled, gt, without = pooled_segment_features(backbone, seeds, size)
    if gt.numel() == 0:
        raise ValueError(f'no held-out segment has a mask at CLIP resolution (size {size}, '
                         f'{num_scenes} scenes); evaluate more scenes (--eval-scenes).')
    with torch.no_grad():
        class_embed, _ = compute_class_embeddings(encoder, CLASSES, VILD_TEMPLATES)  # (K,P,D)
        embed = F.normalize(backbone.project_pooled(pooled[None])[0], dim=-1)    # (N, D)
        pred = torch.einsum('nd,kpd->nkp', embed, class_embed).amax(-1).argmax(-1)
        # The same segments against a vocabulary where each class with a HYPERNYMS entry is
        # named by its broader word only (bird, dog -> 'animal'), as in the toy ADE20K.
        broad = [HYPERNYMS.get(c, (c,))[0] for c in CLASSES]
        broad_names = list(dict.fromkeys(broad))
        broad_embed, _ = compute_class_embeddings(encoder, broad_names, VILD_TEMPLATES)
        broad_pred = torch.einsum('nd,kpd->nkp', embed, broad_embed).amax(-1).argmax(-1)
        broad_gt = torch.tensor([broad_names.index(broad[k]) for k in gt.tolist()])
        renamed = torch.tensor([CLASSES[k] in HYPERNYMS for k in gt.tolist()])
    counts = torch.bincount(gt, minlength=len(CLASSES))
    per_class = {name: (float((pred[gt == k] == k).float().mean()) if counts[k] else None)
                 for k, name in enumerate(CLASSES)}
    hypernym = (float((broad_pred == broad_gt)[renamed].float().mean()) if renamed.any()
                else None)
    return dict(accuracy=float((pred == gt).float().mean()), num_segments=int(gt.numel()),
                num_without_mask=without, chance=1.0 / len(CLASSES),
                majority=float(counts.max()) / gt.numel(), per_class=per_class,
                hypernym_accuracy=hypernym)


def zero_shot_accuracy(checkpoint: str, *, num_scenes: int = 80,
                       size: int = 128) -> dict[str, Any]:
    """:func:`evaluate_zero_shot` of a CLIP checkpoint file (see :func:`load_tiny_clip`)."""
    backbone, encoder = load_tiny_clip(checkpoint)
    return evaluate_zero_shot(backbone, encoder, num_scenes=num_scenes, size=size)


def describe(res: dict[str, Any]) -> str:
    """One line for a :func:`evaluate_zero_shot` result."""
    return (f'{res["accuracy"]:.2f} over {res["num_segments"]} segments of held-out scenes '
            f'(chance {res["chance"]:.2f}, most frequent class {res["majority"]:.2f}; '
            f'{res["num_without_mask"]} segments without a mask at CLIP resolution left out); '
            f'named by their broader word (bird, dog -> animal, ...): '
            f'{res["hypernym_accuracy"]:.2f}')
