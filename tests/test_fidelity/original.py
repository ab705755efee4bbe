"""Golden fixtures from the original OMG-Seg code and the comparisons against them.

The fixtures under ``tests/data/original/`` were written by running lxtGH/OMG-Seg itself on
fixed inputs (docs/original_fixtures.md says how). omgseg's outputs differ from the original's
in representation by design (query-stable panoptic ids, sorted instance lists), so each check
first maps our output into the original's form, then demands masks and ids exactly and scores
and logits to :data:`ATOL`.
"""
from __future__ import annotations

from pathlib import Path

import torch

DATA = Path(__file__).resolve().parents[1] / 'data' / 'original'
ATOL = 1e-5


def load_fixture(name: str) -> dict:
    """The fixture ``tests/data/original/<name>.pt`` (tensors, numbers, strings and lists)."""
    path = DATA / f'{name}.pt'
    if not path.is_file():
        raise FileNotFoundError(f'{path} is missing; regenerate it as docs/original_fixtures.md '
                                f'describes.')
    return torch.load(path, map_location='cpu', weights_only=True)


def original_panoptic_ids(ids: torch.Tensor, segments: list[dict], num_classes: int,
                          offset: int) -> torch.Tensor:
    """omgseg's panoptic map in the original's encoding.

    Ours: 0 = void, one id per segment (``segments`` from ``panoptic_frame``). The original's:
    void = K, stuff = its label, things = label + n * offset, n = 1, 2, ... in query order.

    Args:
        ids: (H, W) our segment ids; segments: their ``segments_info``.
        num_classes: K; offset: the original's instance offset (mmdet's 1000).
    """
    out = torch.full_like(ids, num_classes)
    things = sorted((s for s in segments if s['isthing']), key=lambda s: s['query'])
    rank = {s['id']: n + 1 for n, s in enumerate(things)}
    for s in segments:
        out[ids == s['id']] = s['category_id'] + (rank[s['id']] * offset if s['isthing'] else 0)
    return out


def _by_score(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Order by decreasing score, then label (the original's top-k is unsorted)."""
    keys = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), int(labels[i])))
    return torch.tensor(keys, dtype=torch.long)


def assert_instances_match(scores: torch.Tensor, labels: torch.Tensor, masks: torch.Tensor,
                           expected_scores: torch.Tensor, expected_labels: torch.Tensor,
                           expected_masks: torch.Tensor) -> None:
    """Same detections as the original, in any order: labels and binary masks exactly, scores
    to :data:`ATOL`.

    Args:
        scores, labels: (N,); masks: (N, ...) bool, ours. expected_*: the fixture's.
    """
    assert len(scores) == len(expected_scores), (len(scores), len(expected_scores))
    mine = _by_score(scores, labels)
    theirs = _by_score(expected_scores, expected_labels)
    torch.testing.assert_close(scores[mine].double(), expected_scores[theirs].double(),
                               atol=ATOL, rtol=0)
    assert torch.equal(labels[mine].long(), expected_labels[theirs].long())
    assert torch.equal(masks[mine].bool(), expected_masks[theirs].bool())
