"""MaskWindow: the window's exact values around a predicted centre, scale and velocity."""
from __future__ import annotations

import math

import pytest
import torch

from omgseg.models.layers import MaskWindow

C, Q = 8, 4


def _expected(centre, sigma, size, frames, velocity=(0.0, 0.0)):
    """-((x - c_x)^2 / s_x^2 + (y - c_y)^2 / s_y^2) / 2 on pixel centres, frame by frame."""
    h, w = size
    ys, xs = torch.meshgrid((torch.arange(h) + 0.5) / h, (torch.arange(w) + 0.5) / w,
                            indexing='ij')
    out = []
    for t in range(frames):
        shift = t - (frames - 1) / 2
        cx, cy = centre[0] + velocity[0] * shift, centre[1] + velocity[1] * shift
        out.append(-0.5 * (((xs - cx) / sigma[0]) ** 2 + ((ys - cy) / sigma[1]) ** 2))
    return torch.stack(out)


def test_starts_at_the_reference_with_the_initial_width():
    window = MaskWindow(feat_channels=C, num_queries=Q, sigma=0.3)
    anchors = window.anchor_points(2)
    assert anchors.shape == (2, Q, 2)
    assert len({tuple(p) for p in anchors[0].round(decimals=3).tolist()}) == Q   # a grid
    out = torch.randn(2, Q, C)           # the head starts at zero: the state does not matter
    got = window(out, anchors, (6, 10), frames=3)
    assert got.shape == (2, Q, 3, 6, 10)
    for q in range(Q):
        want = _expected(anchors[0, q].tolist(), (0.3, 0.3), (6, 10), 3)
        torch.testing.assert_close(got[1, q], want)


def test_predicted_offset_scale_and_velocity():
    window = MaskWindow(feat_channels=C, num_queries=Q, sigma=0.5)
    offset, log_scale, velocity = (0.4, -0.2), (-1.0, 0.5), (0.05, -0.1)
    with torch.no_grad():
        window.head.bias.copy_(torch.tensor([*offset, *log_scale, *velocity]))
    ref = torch.tensor([[[0.3, 0.6]]])
    got = window(torch.zeros(1, 1, C), ref, (8, 8), frames=2)[0, 0]
    centre = [torch.sigmoid(torch.logit(ref[0, 0, i]) + offset[i]).item() for i in range(2)]
    sigma = [0.5 * math.exp(s) for s in log_scale]
    torch.testing.assert_close(got, _expected(centre, sigma, (8, 8), 2, velocity))
    # the scale change is bounded: no window narrower than e^-4 or wider than e^3 sigma
    with torch.no_grad():
        window.head.bias.copy_(torch.tensor([0.0, 0.0, -50.0, 50.0, 0.0, 0.0]))
    got = window(torch.zeros(1, 1, C), ref, (8, 8), frames=1)[0, 0]
    want = _expected(ref[0, 0].tolist(), (0.5 * math.exp(-4), 0.5 * math.exp(3)), (8, 8), 1)
    torch.testing.assert_close(got, want)
    assert torch.isfinite(got).all()


def test_follows_the_input_dtype_and_learns():
    window = MaskWindow(feat_channels=C, num_queries=Q)
    out = torch.randn(1, Q, C, requires_grad=True)
    got = window(out.bfloat16(), window.anchor_points(1), (4, 4), frames=1)
    assert got.dtype == torch.bfloat16
    window(out, window.anchor_points(1), (4, 4), frames=2).sum().backward()
    assert window.head.weight.grad.abs().sum() > 0
    assert window.anchors.weight.grad.abs().sum() > 0


def test_sigma_is_checked():
    with pytest.raises(ValueError, match=r'mask_window\.sigma must be > 0, got -1'):
        MaskWindow(feat_channels=C, num_queries=Q, sigma=-1)
