"""FLOPs of a model's inference forward pass, counted by torch's own ``FlopCounterMode``."""
from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode


def count_flops(model: torch.nn.Module, *, height: int, width: int, frames: int,
                device: torch.device | None = None) -> tuple[int, dict[str, int]]:
    """FLOPs of ``model._forward`` on one clip of ``frames`` frames of ``height`` x ``width``.

    Returns:
        (total, per part): the backbone, the pixel decoder and the rest of the head (query
        decoder layers, mask / class predictions, classifier).
    """
    model.eval()
    # no parameter needs a gradient, so no graph is kept; torch.no_grad() itself is avoided
    # because the counter's module tracker trips over parameters used under it
    model.requires_grad_(False)
    inputs = torch.randn(1, frames, 3, height, width, device=device)
    counter = FlopCounterMode(display=False)
    with counter:
        model._forward(inputs)
    # the tracker names modules from the class of each top-level module called
    per_module = {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}
    backbone = type(model.backbone).__name__
    head = type(model.panoptic_head).__name__
    pixel = per_module.get(f'{head}.pixel_decoder', 0)
    parts = {'backbone': per_module.get(backbone, 0), 'pixel decoder': pixel,
             'query decoder and predictions': per_module.get(head, 0) - pixel}
    return counter.get_total_flops(), parts
