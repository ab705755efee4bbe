"""Prompt sampling from GT masks: interior points, uniform random points, COCO-SAM recipes."""
import numpy as np
import pytest
import torch

from omgseg.models.prompts.sampling import (BOX, POINT, interior_point, mask_boxes,
                                            point_boxes, random_points, sam_eval_prompts,
                                            sam_training_prompts)


def rect(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_interior_point_hand_cases():
    # 5 x 5 square: the centre is 3 from the background on every side
    assert interior_point(rect(9, 9, 2, 7, 2, 7)) == (4, 4)
    # 3 rows x 6 cols: row 1, cols 1..4 all at distance 2 -> first in row-major order
    assert interior_point(rect(5, 8, 1, 4, 1, 7)) == (2, 2)
    # the image border counts as background: a full image's centre, not a corner
    assert interior_point(np.ones((5, 7), bool)) == (2, 2)   # (2..4, 2) tie at 3
    # an L shape: the thick arm wins over the thin one
    m = rect(10, 10, 0, 10, 0, 1) | rect(10, 10, 4, 9, 3, 8)
    assert interior_point(m) == (5, 6)
    # a single pixel
    assert interior_point(rect(4, 4, 3, 4, 0, 1)) == (0, 3)


def test_interior_point_errors():
    with pytest.raises(ValueError, match='empty'):
        interior_point(np.zeros((4, 4), bool))
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        interior_point(np.ones((2, 4, 4), bool))


def test_random_points_inside_and_uniform():
    h, w = 12, 16
    masks = torch.zeros(3, h, w, dtype=torch.bool)
    masks[0, 2:4, 3:5] = True                 # 4 pixels
    masks[1, 11, 15] = True                   # 1 pixel, last of the image
    masks[2, 0, :] = True                     # 16 pixels
    gen = torch.Generator().manual_seed(0)
    counts = torch.zeros(h, w)
    for _ in range(400):
        pts = random_points(masks, gen)
        assert pts.dtype == torch.long and pts.shape == (3, 2)
        for i in range(3):
            assert masks[i, pts[i, 1], pts[i, 0]]
        counts[pts[0, 1], pts[0, 0]] += 1
    assert torch.equal(pts[1], torch.tensor([15, 11]))
    hits = counts[2:4, 3:5].flatten()
    assert hits.sum() == 400 and hits.min() > 60       # 100 expected per pixel
    # reproducible with the same seed, different with another
    a = random_points(masks[2:].expand(50, h, w), torch.Generator().manual_seed(3))
    b = random_points(masks[2:].expand(50, h, w), torch.Generator().manual_seed(3))
    c = random_points(masks[2:].expand(50, h, w), torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_random_points_empty_mask_is_named():
    masks = np.zeros((2, 4, 4), bool)
    masks[0, 1, 1] = True
    with pytest.raises(ValueError, match='mask 1 is empty'):
        random_points(masks)


def test_mask_boxes_pixel_edges():
    masks = torch.zeros(2, 6, 8, dtype=torch.bool)
    masks[0, 1:3, 2:7] = True
    masks[1, 5, 0] = True
    assert torch.equal(mask_boxes(masks), torch.tensor([[2., 1., 7., 3.], [0., 5., 1., 6.]]))


def test_training_prompts_repeat_then_truncate():
    masks = torch.zeros(3, 20, 20, dtype=torch.bool)
    masks[0, :5, :5] = masks[1, 10:, 10:] = masks[2, 5:9, 12:18] = True
    gen = torch.Generator().manual_seed(0)
    boxes, kinds, targets = sam_training_prompts(masks, 20, gen)
    assert targets.tolist() == [0, 1, 2] * 6 + [0, 1]
    assert boxes.shape == (20, 4) and torch.all(kinds == BOX)
    centres = ((boxes[:, :2] + boxes[:, 2:]) / 2).long()
    assert torch.all(boxes[:, 2:] - boxes[:, :2] == 6)
    for c, t in zip(centres, targets):
        assert masks[t, c[1], c[0]]
    # repeats of one instance get their own points
    assert len({tuple(c.tolist()) for c in centres[targets == 1]}) > 1
    # more instances than prompts: the first max_prompts, once each
    many = torch.ones(25, 4, 4, dtype=torch.bool)
    assert sam_training_prompts(many, 20)[2].tolist() == list(range(20))


def test_training_prompt_modes_and_empty_image():
    masks = torch.zeros(2, 10, 10, dtype=torch.bool)
    masks[0, 1:4, 2:5] = masks[1, 6:9, 6:10] = True
    boxes, kinds, targets = sam_training_prompts(masks, 3, mode='box')
    assert targets.tolist() == [0, 1, 0] and torch.all(kinds == BOX)
    assert torch.equal(boxes, torch.tensor([[2., 1., 5., 4.], [6., 6., 10., 9.],
                                            [2., 1., 5., 4.]]))
    boxes, kinds, targets = sam_training_prompts(masks, 2, mode='point')
    assert torch.all(kinds == POINT) and torch.equal(boxes[:, :2], boxes[:, 2:])
    b, k, t = sam_training_prompts(torch.zeros(0, 10, 10, dtype=torch.bool), 20)
    assert b.shape == (0, 4) and k.shape == t.shape == (0,)
    with pytest.raises(ValueError, match='mode'):
        sam_training_prompts(masks, 2, mode='scribble')


def test_eval_prompts_at_interior_points():
    masks = np.stack([rect(16, 16, 2, 7, 2, 7), rect(16, 16, 10, 16, 0, 16)])
    boxes, kinds = sam_eval_prompts(masks)
    # mask 1 touches the image border: its interior-most pixels are in row 12 or 13
    # (3 from the top edge at row 9 and from the border below row 15); first = (2, 12)
    assert interior_point(masks[1]) == (2, 12)
    assert torch.equal(boxes, point_boxes(torch.tensor([[4, 4], [2, 12]])))
    assert torch.all(kinds == BOX)
    pboxes, pkinds = sam_eval_prompts(masks, mode='point')
    assert torch.equal(pboxes, torch.tensor([[4., 4., 4., 4.], [2., 12., 2., 12.]]))
    assert torch.all(pkinds == POINT)


def test_point_boxes_numpy_and_torch():
    assert np.array_equal(point_boxes(np.array([[5, 7]])), np.array([[2., 4., 8., 10.]]))
    assert torch.equal(point_boxes(torch.tensor([[5, 7]]), radius=1),
                       torch.tensor([[4., 6., 6., 8.]]))
    with pytest.raises(ValueError, match='last dimension of 2'):
        point_boxes(torch.zeros(3, 4))
