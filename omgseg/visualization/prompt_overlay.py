"""Draw prompt (point / box) segmentation results over an image, one colour per prompt."""
from __future__ import annotations

import cv2
import numpy as np

from .panoptic_overlay import segment_color


def draw_overlay(image: np.ndarray, results: list[dict], alpha: float = 0.5) -> np.ndarray:
    """Blend each mask in its own colour over ``image`` and draw its prompt and label.

    Args:
        image: (H, W, 3) uint8 BGR.
        results: :func:`omgseg.apis.segment_prompts` output.

    Returns:
        (H, W, 3) uint8 BGR.
    """
    out = image.astype(np.float32)
    colors = [segment_color(i, i + 1) for i in range(len(results))]
    for res, color in zip(results, colors):
        m = res['mask']
        out[m] = out[m] * (1 - alpha) + np.asarray(color, np.float32) * alpha
    out = out.astype(np.uint8)
    for res, color in zip(results, colors):
        edges = cv2.morphologyEx(res['mask'].astype(np.uint8), cv2.MORPH_GRADIENT,
                                 np.ones((3, 3), np.uint8)) > 0
        out[edges] = color
        kind, *coords = res['prompt']
        c = [int(round(v)) for v in coords]
        if kind == 'point':
            cv2.circle(out, (c[0], c[1]), 4, (255, 255, 255), -1)
            cv2.circle(out, (c[0], c[1]), 4, color, 1)
            anchor = (c[0] + 6, c[1])
        else:
            cv2.rectangle(out, (c[0], c[1]), (c[2], c[3]), color, 2)
            anchor = (c[0], max(c[1] - 4, 10))
        cv2.putText(out, f'{res["label"]} {res["score"]:.2f}', anchor,
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, color, 1, cv2.LINE_AA)
    return out


def describe_prompt_result(index: int, result: dict) -> str:
    """One line for prompt ``index``'s :func:`omgseg.apis.segment_prompts` result: the prompt,
    its label, score and mask area."""
    kind, *coords = result['prompt']
    where = ' '.join(f'{v:g}' for v in coords)
    return (f'prompt {index} {kind} ({where}): {result["label"]} score={result["score"]:.3f} '
            f'area={int(result["mask"].sum())} px')
