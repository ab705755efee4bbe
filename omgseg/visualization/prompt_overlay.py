"""Draw prompt (point / box) segmentation results over an image, one colour per prompt."""
from __future__ import annotations

import numpy as np

from .instances import draw_instances
from .prompts import draw_prompts


def draw_overlay(image: np.ndarray, results: list[dict], alpha: float = 0.5) -> np.ndarray:
    """Blend each mask in its own colour over ``image`` and draw its prompt and label.

    Args:
        image: (H, W, 3) uint8 BGR.
        results: :func:`omgseg.apis.segment_prompts` output.

    Returns:
        (H, W, 3) uint8 BGR.
    """
    rgb = np.ascontiguousarray(image[..., ::-1])
    masks = np.stack([r['mask'] for r in results]) if results else \
        np.zeros((0, *image.shape[:2]), bool)
    ids = list(range(1, len(results) + 1))  # one colour per prompt, shared by mask and box
    out = draw_instances(rgb, masks, list(range(len(results))), [r['label'] for r in results],
                         scores=[r['score'] for r in results], track_ids=ids, score_thr=0.0,
                         alpha=alpha)
    points = [r['prompt'][1:3] for r in results if r['prompt'][0] == 'point']
    boxes = [(i, r['prompt'][1:]) for i, r in zip(ids, results) if r['prompt'][0] == 'box']
    out = draw_prompts(out, points=points or None, boxes=[b for _, b in boxes] or None,
                       prompt_ids=[i for i, _ in boxes] or None)
    return np.ascontiguousarray(out[..., ::-1])


def describe_prompt_result(index: int, result: dict) -> str:
    """One line for prompt ``index``'s :func:`omgseg.apis.segment_prompts` result: the prompt,
    its label, score and mask area."""
    kind, *coords = result['prompt']
    where = ' '.join(f'{v:g}' for v in coords)
    return (f'prompt {index} {kind} ({where}): {result["label"]} score={result["score"]:.3f} '
            f'area={int(result["mask"].sum())} px')
