"""Post-processing rules on tiny inputs, with answers worked out by hand.

Panoptic (Mask2Former's rule, as the original's fusion head): each pixel goes to the query
with the highest ``score x probability``; a query keeps its pixels only if they are at least
``overlap_thr`` of its own mask (probability >= 0.5), and with ``filter_low_score`` only its
pixels of probability >= 0.5; stuff queries of one class share one segment.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from omgseg.models.postprocess import (panoptic_frame, select_instances, select_panoptic,
                                       semantic_scores)
from tests.test_models.golden import sigmoid, softmax


def selected(queries, scores, labels) -> dict[str, torch.Tensor]:
    return dict(queries=torch.tensor(queries), scores=torch.tensor(scores),
                labels=torch.tensor(labels))


def test_select_panoptic_drops_void_and_low_scores():
    cls = [[2.0, 0.0, 0.0, 0.0],    # class 0, p = e^2 / (e^2 + 3) = 0.711
           [0.0, 0.0, 0.0, 3.0],    # void wins: never selected
           [0.0, 1.0, 0.0, 0.5],    # class 1, p = e / (e + 2 + e^0.5) = 0.427
           [0.0, 0.0, 0.2, 0.0]]    # class 2, p = e^0.2 / (3 + e^0.2) = 0.289
    p = softmax(cls)
    out = select_panoptic(torch.tensor(cls, dtype=torch.float64))
    assert out['queries'].tolist() == [0, 2, 3]
    assert out['labels'].tolist() == [0, 1, 2]
    np.testing.assert_allclose(out['scores'].numpy(), [p[0, 0], p[2, 1], p[3, 2]], rtol=1e-12)
    assert select_panoptic(torch.tensor(cls), object_mask_thr=0.5)['queries'].tolist() == [0]


# two things on a 2x2 frame; query 0 (score 0.9) covers most of query 1 (score 0.6):
#   score x prob: q0 [[.81 .81] [.81 .09]]   q1 [[.48 .48] [.06 .54]]  -> owner [[0 0] [0 1]]
#   q1 owns 1 of its 3 pixels with prob >= 0.5: 1/3 of its mask is visible
OVERLAP_PROBS = torch.tensor([[[0.9, 0.9], [0.9, 0.1]],
                              [[0.8, 0.8], [0.1, 0.9]]])
OVERLAP_SEL = selected([0, 1], [0.9, 0.6], [0, 1])


def test_covered_query_is_dropped_at_default_threshold():
    ids, segments = panoptic_frame(OVERLAP_PROBS, OVERLAP_SEL, num_things=2, num_queries=5)
    assert ids.dtype == torch.int32
    assert ids.tolist() == [[1, 1], [1, 0]]       # q1's pixel stays void
    assert segments == [dict(id=1, category_id=0, isthing=True, score=pytest.approx(0.9),
                             query=0)]


@pytest.mark.parametrize('thr, kept', [(0.34, False), (0.33, True), (0.0, True)])
def test_overlap_threshold(thr, kept):
    ids, segments = panoptic_frame(OVERLAP_PROBS, OVERLAP_SEL, num_things=2, num_queries=5,
                                   overlap_thr=thr)
    assert ids.tolist() == ([[1, 1], [1, 2]] if kept else [[1, 1], [1, 0]])
    assert [s['id'] for s in segments] == ([1, 2] if kept else [1])


def test_low_probability_pixels_are_void_with_filter_low_score():
    # one query owns every pixel; its own mask is 3 pixels, so 4 / 3 >= 0.8 keeps it
    probs = torch.tensor([[[0.9, 0.4], [0.9, 0.9]]])
    sel = selected([3], [0.7], [0])
    ids, _ = panoptic_frame(probs, sel, num_things=1, num_queries=5)
    assert ids.tolist() == [[4, 0], [4, 4]]       # thing id = query + 1
    ids, _ = panoptic_frame(probs, sel, num_things=1, num_queries=5, filter_low_score=False)
    assert ids.tolist() == [[4, 4], [4, 4]]


def test_overlap_ratio_counts_owned_pixels_before_the_low_score_filter():
    # 1x7 frame: q1 (score 0.5) has 5 pixels >= 0.5, q0 (score 0.9) takes 2 of them; q1 still
    # owns its 2 low-probability pixels 5, 6 (0.15 vs 0.09). Visible / own = 5 / 5 keeps q1
    # (the original's rule), although only 3 / 5 of its mask ends up painted.
    probs = torch.tensor([[[0.1, 0.1, 0.1, 0.95, 0.95, 0.1, 0.1]],
                          [[0.9, 0.9, 0.9, 0.9, 0.9, 0.3, 0.3]]])
    sel = selected([0, 1], [0.9, 0.5], [0, 0])
    ids, segments = panoptic_frame(probs, sel, num_things=1, num_queries=2)
    assert ids.tolist() == [[2, 2, 2, 1, 1, 0, 0]]
    assert [s['id'] for s in segments] == [1, 2]
    ids, _ = panoptic_frame(probs, sel, num_things=1, num_queries=2, filter_low_score=False)
    assert ids.tolist() == [[2, 2, 2, 1, 1, 2, 2]]


def test_stuff_of_one_class_is_one_segment():
    # 1x5 frame, num_things=1: q2 is a thing (class 0), q3 and q5 are both stuff class 1
    probs = torch.tensor([[[0.1, 0.1, 0.1, 0.1, 0.95]],     # q2, score 0.9
                          [[0.9, 0.9, 0.1, 0.1, 0.1]],      # q3, score 0.8
                          [[0.1, 0.1, 0.9, 0.9, 0.1]]])     # q5, score 0.6
    sel = selected([2, 3, 5], [0.9, 0.8, 0.6], [0, 1, 1])
    ids, segments = panoptic_frame(probs, sel, num_things=1, num_queries=10)
    stuff_id = 10 + 1 + 1         # num_queries + 1 + label
    assert ids.tolist() == [[stuff_id] * 4 + [3]]
    assert segments == [
        dict(id=3, category_id=0, isthing=True, score=pytest.approx(0.9), query=2),
        dict(id=stuff_id, category_id=1, isthing=False, score=pytest.approx(0.8), query=3)]


def test_nothing_selected_is_all_void():
    ids, segments = panoptic_frame(torch.zeros((0, 2, 3)), selected([], [], []), num_things=1,
                                   num_queries=4)
    assert ids.shape == (2, 3) and not ids.any() and segments == []


def test_instance_top_k_over_thing_classes():
    cls = [[3.0, 0.0, 0.0, 0.0],
           [0.0, 0.5, 2.0, 0.0],       # stuff (class 2) is its best class
           [0.3, 0.0, 0.0, 3.0]]
    p = softmax(cls)[:, :2]           # thing columns: q0 (.870 .043), q1 (.091 .149),
    out = select_instances(torch.tensor(cls, dtype=torch.float64), num_things=2,
                           max_per_image=3)                       # q2 (.058 .043)
    assert out['queries'].tolist() == [0, 1, 1]
    assert out['labels'].tolist() == [0, 1, 0]
    np.testing.assert_allclose(out['scores'].numpy(), [p[0, 0], p[1, 1], p[1, 0]], rtol=1e-12)
    # asking for more than Q x things returns every pair, best first
    every = select_instances(torch.tensor(cls, dtype=torch.float64), num_things=2)
    assert len(every['scores']) == 6
    np.testing.assert_allclose(every['scores'].numpy(), np.sort(p.flatten())[::-1],
                               rtol=1e-12)


def test_semantic_scores_sum_class_probability_times_mask():
    cls = [[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]]      # K=2 plus void
    masks = [[3.0, -1.0, 0.0], [-2.0, 2.0, 1.0]]   # (Q=2, 3 pixels)
    scores = semantic_scores(torch.tensor(cls, dtype=torch.float64),
                             torch.tensor(masks, dtype=torch.float64))
    p = softmax(cls)[:, :2]          # void probability is dropped, not renormalised
    m = sigmoid(masks)
    expected = np.array([[p[0, k] * m[0, x] + p[1, k] * m[1, x] for x in range(3)]
                         for k in range(2)])
    assert scores.shape == (2, 3)
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-12)
    # per pixel: q0's class wins where q0's mask is on, q1's where q1's is
    assert scores.argmax(0).tolist() == [0, 1, 0]
