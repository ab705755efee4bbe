"""COCO-SAM evaluation prompts against the original's ``OVSAMDataPreprocessor``
(``use_point_pseudo_box=True``, evaluation): one +-3 px box of kind 0 per ground-truth mask,
around the point the original derives from the mask rescaled to the network input size.

The fixture holds seven masks (rectangle, disk, L shape, ellipse, border strip, two parts,
ragged) rescaled to three input sizes, and the original's boxes.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from omgseg.datasets.transforms.prompt_sampling import sam_eval_prompts
from omgseg.structures.prompts import BOX
from omgseg.structures.cascaded_distance import (
    cascaded_distance_transform,
    original_interior_point,
)
from tests.test_fidelity.original import load_fixture

FX = load_fixture('sam_prompts')


@pytest.mark.parametrize('case', FX['cases'], ids=[str(c['img_shape']) for c in FX['cases']])
def test_original_point_rule_gives_original_prompts(case):
    boxes, kinds = sam_eval_prompts(case['rescaled_masks'], point_rule='original')
    assert torch.equal(boxes, case['boxes'].float())
    assert torch.equal(kinds, case['kinds'].long()) and (kinds == BOX).all()


def test_exact_rule_differs_from_original():
    # the Euclidean interior point and kornia's cascaded approximation disagree on some masks
    differ = 0
    for case in FX['cases']:
        boxes, _ = sam_eval_prompts(case['rescaled_masks'], point_rule='exact')
        differ += int((boxes != case['boxes'].float()).any(1).sum())
    assert differ > 0


def test_crop_equals_whole_image():
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        mask = torch.rand(23, 31, generator=gen) < 0.7
        mask[:3] = False
        padded = torch.nn.functional.pad(mask, [1, 1, 1, 1], value=False)
        dist = cascaded_distance_transform(~padded)[1:-1, 1:-1]
        y, x = divmod(int(dist.flatten().argmax()), mask.shape[1])
        assert original_interior_point(mask) == (x, y)
        assert mask[y, x]


def test_bad_masks():
    with pytest.raises(ValueError, match='empty'):
        original_interior_point(np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        original_interior_point(np.zeros((2, 4, 4), bool))
    with pytest.raises(ValueError, match='point_rule'):
        sam_eval_prompts(torch.ones(1, 4, 4, dtype=torch.bool), point_rule='kornia')
