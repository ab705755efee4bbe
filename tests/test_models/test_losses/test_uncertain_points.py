"""Importance sampling of loss points: mmdet's point set from the same seed, any order."""
import torch
from mmdet.models.utils import get_uncertain_point_coords_with_randomness

from omgseg.models.losses.uncertain_points import uncertain_point_coords


def test_same_points_as_mmdet_for_a_seed():
    logits = torch.randn(5, 1, 12, 9, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(7)
    ours = uncertain_point_coords(logits, 40, 3.0, 0.75)
    torch.manual_seed(7)
    ref = get_uncertain_point_coords_with_randomness(logits, None, 40, 3.0, 0.75)
    assert ours.shape == ref.shape == (5, 40, 2)
    for a, b in zip(ours, ref):  # per mask: the 30 most uncertain as a set, then 10 random
        key = lambda t: sorted(map(tuple, t.tolist()))  # noqa: E731
        assert key(a[:30]) == key(b[:30])
        assert torch.equal(a[30:], b[30:])
    torch.manual_seed(7)
    only_uncertain = uncertain_point_coords(logits, 40, 3.0, 1.0)
    assert only_uncertain.shape == (5, 40, 2)
