"""Visual prompts of the interactive task, made from the final (augmented) instance masks.

Prompts are data, not model logic: the pipeline places them (random points inside each mask in
training, the interior-most point at evaluation, or the masks' boxes) and packs them as
``prompts`` (boxes, kinds, the instance id each one asks for); the model only encodes them.
"""
from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from omgseg.registry import TRANSFORMS

from .prompt_sampling import MODES as _MODES
from .prompt_sampling import POINT_RULES as _POINT_RULES
from .prompt_sampling import sam_eval_prompts, sam_training_prompts


@TRANSFORMS.register_module()
class SamplePrompts(BaseTransform):
    """Add ``prompt_boxes`` (P, 4) xyxy pixels, ``prompt_kinds`` (P,) (0 box, 1 point) and
    ``prompt_instances_ids`` (P,) for the non-crowd, non-empty instances of a frame.

    Args:
        max_prompts: training: instances are repeated until there are this many prompts, then
            truncated (OMG-Seg's COCO-SAM recipe: 20).
        mode: ``'point_box'`` (a point as a +-3 px box, the original's), ``'point'``,
            ``'box'`` (the mask's box) or, in training, ``'mixed'`` (each prompt draws one of
            the three kinds, weighted by ``mixed_weights``).
        mixed_weights: probabilities of point_box / box / point prompts in ``'mixed'`` mode.
        min_area: training only: instances with fewer mask pixels (after the crop) get no
            prompt, as the original's ``FilterAnnotationsHB(by_mask=True)`` with its minimum
            of 32; 0 prompts every non-empty instance. Evaluation prompts every instance.
        test_mode: one prompt per instance at its interior-most point (the evaluation
            protocol) instead of random points.
        point_rule: evaluation only: how the interior-most point is found, ``'exact'``
            (Euclidean distance transform) or ``'original'`` (the original's kornia cascaded
            approximation: its prompts exactly, but tens of seconds per large mask on a CPU);
            see :func:`sam_eval_prompts`.
        seed: fixed seed of the random points (None: a fresh draw every call).

    The defaults are the original's COCO-SAM training recipe (point boxes only, masks of at
    least 32 px); ``mode='mixed'`` and ``min_area=0`` give omgseg's mix of prompt kinds.
    """

    def __init__(self, *, max_prompts: int = 20, mode: str = 'point_box',
                 mixed_weights: tuple[float, float, float] = (0.5, 0.25, 0.25),
                 min_area: int = 32, test_mode: bool = False, point_rule: str = 'exact',
                 seed: int | None = None) -> None:
        if mode not in _MODES + ('mixed',) or (test_mode and mode == 'mixed'):
            raise ValueError(f"SamplePrompts mode must be one of {_MODES} (or 'mixed' in "
                             f'training), got {mode!r}.')
        if len(mixed_weights) != 3 or min(mixed_weights) < 0 or sum(mixed_weights) <= 0:
            raise ValueError(f'SamplePrompts mixed_weights must be 3 non-negative numbers, got '
                             f'{mixed_weights}.')
        if min_area < 0:
            raise ValueError(f'SamplePrompts min_area must be >= 0, got {min_area}.')
        if point_rule not in _POINT_RULES:
            raise ValueError(f'SamplePrompts point_rule must be one of {sorted(_POINT_RULES)}, '
                             f'got {point_rule!r}.')
        self.point_rule = point_rule
        self.min_area = min_area
        self.mixed_weights = torch.tensor(mixed_weights, dtype=torch.float)
        self.max_prompts = max_prompts
        self.mode = mode
        self.test_mode = test_mode
        self.seed = seed

    def transform(self, results: dict) -> dict:
        if 'gt_masks' not in results:
            raise KeyError('SamplePrompts needs gt_masks: load the annotations first (e.g. '
                           'LoadPanopticAnnotationsPNG(all_segments=True)).')
        masks = results['gt_masks'].masks.astype(bool)
        ignore = np.asarray(results.get('gt_ignore_flags', np.zeros(len(masks), bool)))
        ids = np.asarray(results.get('gt_instances_ids', np.arange(len(masks))))
        area = masks.reshape(len(masks), -1).sum(1)
        keep = ~ignore & (area >= (1 if self.test_mode else max(self.min_area, 1)))
        masks, ids = masks[keep], ids[keep]
        if len(masks) == 0:
            boxes, kinds, targets = (np.zeros((0, 4), np.float32), np.zeros(0, np.int64),
                                     np.zeros(0, np.int64))
        elif self.test_mode:
            b, k = sam_eval_prompts(torch.from_numpy(masks), mode=self.mode,
                                    point_rule=self.point_rule)
            boxes, kinds, targets = b.numpy(), k.numpy(), np.arange(len(masks))
        else:
            gen = None
            if self.seed is not None:
                gen = torch.Generator().manual_seed(self.seed)
            modes = _MODES if self.mode == 'mixed' else (self.mode,)
            drawn = [sam_training_prompts(torch.from_numpy(masks), self.max_prompts,
                                          generator=gen, mode=m) for m in modes]
            # the same targets in every mode; pick each prompt's kind independently
            pick = (torch.multinomial(self.mixed_weights, self.max_prompts, replacement=True,
                                      generator=gen) if len(drawn) > 1 else
                    torch.zeros(self.max_prompts, dtype=torch.long))
            rows = torch.arange(self.max_prompts)
            boxes = torch.stack([d[0] for d in drawn])[pick, rows].numpy()
            kinds = torch.stack([d[1] for d in drawn])[pick, rows].numpy()
            targets = drawn[0][2].numpy()
        results['prompt_boxes'] = np.asarray(boxes, np.float32).reshape(-1, 4)
        results['prompt_kinds'] = np.asarray(kinds, np.int64)
        results['prompt_instances_ids'] = ids[np.asarray(targets, np.int64)]
        return results
