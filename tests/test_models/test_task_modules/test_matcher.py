"""HungarianMatcher against a cost matrix computed by hand (numpy) on 4x4 masks.

The matcher samples uniform random points; ``every_pixel`` makes its ``torch.rand`` return every
pixel centre instead, so the sampled BCE and dice costs equal full-mask costs. The solver is the
real one; the recorded cost matrix is the one it was given.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from omgseg.models.task_modules import HungarianMatcher, class_probabilities
from omgseg.models.task_modules import matcher as matcher_module
from tests.test_models.golden import mask_bce, mask_dice, pixel_centres, sigmoid, softmax

H = W = 4


def rect(y0, y1, x0, x1) -> np.ndarray:
    m = np.zeros((H, W))
    m[y0:y1, x0:x1] = 1
    return m


# targets: class 0 = left half, class 1 = top-left quadrant
GTS = [(0, rect(0, 4, 0, 2)), (1, rect(0, 2, 0, 2))]
# query 0: unsure between classes 0 and 1, mask good for both targets;
# query 1: sure of class 0, a softer left-half mask; query 2: void, empty mask
Q0 = np.full((H, W), -2.0)
Q0[:2, :2], Q0[2:, :2] = 2.0, 1.0
Q1 = np.where(rect(0, 4, 0, 2) > 0, 1.0, -1.0)
QUERIES = [([1.0, 1.0, -2.0], Q0), ([3.0, -1.0, 0.0], Q1),
           ([-2.0, -2.0, 3.0], np.full((H, W), -3.0))]


def hand_costs(w_cls=2.0, w_mask=5.0, w_dice=5.0) -> np.ndarray:
    cost = np.zeros((len(QUERIES), len(GTS)))
    for i, (cls, mask) in enumerate(QUERIES):
        for j, (label, gt) in enumerate(GTS):
            cost[i, j] = (-w_cls * softmax(cls)[label] + w_mask * mask_bce(mask, gt)
                          + w_dice * mask_dice(mask, gt))
    return cost


def optimal(cost: np.ndarray) -> tuple[list[int], list[int]]:
    """Brute force over every injective gt -> query map."""
    n = cost.shape[1]
    best = min(itertools.permutations(range(cost.shape[0]), n),
               key=lambda qs: sum(cost[q, g] for g, q in enumerate(qs)))
    pairs = sorted(zip(best, range(n)))
    return [q for q, _ in pairs], [g for _, g in pairs]


def greedy(cost: np.ndarray) -> list[tuple[int, int]]:
    """Take the cheapest remaining pair until every target is assigned."""
    cost = cost.copy()
    pairs = []
    for _ in range(cost.shape[1]):
        q, g = np.unravel_index(np.argmin(cost), cost.shape)
        pairs.append((int(q), int(g)))
        cost[q, :], cost[:, g] = np.inf, np.inf
    return sorted(pairs)


def inputs(labels=None, obj=(0.0, 0.0, 0.0)):
    cls = torch.tensor([c for c, _ in QUERIES])
    masks = torch.tensor(np.stack([m for _, m in QUERIES])[:, None], dtype=torch.float32)
    gt_labels = torch.tensor([lab for lab, _ in GTS] if labels is None else labels)
    gt_masks = torch.tensor(np.stack([g for _, g in GTS])[:, None], dtype=torch.bool)
    return cls, torch.tensor(obj), masks, gt_labels, gt_masks


@pytest.fixture
def every_pixel(monkeypatch):
    """The matcher's uniform points become every pixel centre; record the cost matrices."""
    real_rand = torch.rand

    def rand(*size, **kwargs):
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) \
            else tuple(size)
        if shape == (1, H * W, 2):
            return pixel_centres(H, W)[None].to(kwargs.get('device'))
        return real_rand(*size, **kwargs)

    monkeypatch.setattr(torch, 'rand', rand)
    costs = []
    real_solver = matcher_module.linear_sum_assignment

    def solver(cost):
        costs.append(np.array(cost, dtype=np.float64))
        return real_solver(cost)

    monkeypatch.setattr(matcher_module, 'linear_sum_assignment', solver)
    return costs


def test_costs_and_optimal_assignment_differ_from_greedy(every_pixel):
    expected = hand_costs()
    # the case is meaningful: the cheapest pair (query 0, target 0) is not in the optimum
    assert greedy(expected) == [(0, 0), (1, 1)]
    assert optimal(expected) == ([0, 1], [1, 0])
    qi, gi = HungarianMatcher(num_points=H * W)(*inputs())
    np.testing.assert_allclose(every_pixel[0], expected, rtol=1e-5, atol=1e-6)
    assert qi.tolist() == [0, 1] and gi.tolist() == [1, 0]


def test_cost_weights_are_applied_to_their_terms(every_pixel):
    # weights that make each term count differently give the hand matrix with those weights
    HungarianMatcher(cls_weight=1.0, mask_weight=0.0, dice_weight=3.0, num_points=H * W)(
        *inputs())
    np.testing.assert_allclose(every_pixel[0], hand_costs(1.0, 0.0, 3.0), rtol=1e-5, atol=1e-6)
    # class cost alone: query 1 is the most confident class 0, query 0 the best class 1
    qi, gi = HungarianMatcher(cls_weight=1.0, mask_weight=0.0, dice_weight=0.0,
                              num_points=H * W)(*inputs())
    assert list(zip(qi.tolist(), gi.tolist())) == [(0, 1), (1, 0)]


def test_random_points_find_the_same_optimum():
    # with real uniform points the costs are noisy, but this case's margin is wide
    for seed in range(3):
        torch.manual_seed(seed)
        qi, gi = HungarianMatcher(num_points=2000)(*inputs())
        assert qi.tolist() == [0, 1] and gi.tolist() == [1, 0]


def test_class_agnostic_label_reads_objectness(every_pixel):
    obj = (-1.0, 0.5, 2.0)
    probs = class_probabilities(*[t for t in inputs(obj=obj)[:2]])
    assert probs.shape == (3, 4)
    np.testing.assert_allclose(probs[:, -1].numpy(), sigmoid(obj), rtol=1e-6)
    np.testing.assert_allclose(probs[0, :3].numpy(), softmax(QUERIES[0][0]), rtol=1e-6)
    # both targets class-agnostic: class cost is -sigmoid(objectness)
    HungarianMatcher(num_points=H * W)(*inputs(labels=[-1, -1], obj=obj))
    expected = hand_costs()
    for i, (cls, _) in enumerate(QUERIES):
        for j, (label, _) in enumerate(GTS):
            expected[i, j] += 2.0 * softmax(cls)[label] - 2.0 * sigmoid(obj[i])
    np.testing.assert_allclose(every_pixel[0], expected, rtol=1e-5, atol=1e-6)


def test_no_target_matches_nothing():
    cls, obj, masks, _, _ = inputs()
    qi, gi = HungarianMatcher()(cls, obj, masks, torch.zeros(0, dtype=torch.long),
                                torch.zeros((0, 1, H, W), dtype=torch.bool))
    assert qi.numel() == 0 and gi.numel() == 0 and qi.dtype == torch.long
