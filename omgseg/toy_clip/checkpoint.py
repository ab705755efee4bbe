"""Tiny-CLIP checkpoints: the deterministic random init, atomic writes, and loading one the
way the segmentation model and the class-embedding job do."""
from __future__ import annotations

import os

import torch

from omgseg.models.backbones import OpenCLIPBackbone
from omgseg.models.backbones.clip_factory import TINY_CLIP_CFG, build_clip_model
from omgseg.models.text import CLIPTextEncoder

# Model name the toy configs give the backbone; it resolves to TINY_CLIP_CFG.
TINY_CLIP_NAME = 'omgseg_tiny_convnext'


def save_state(clip, out: str) -> int:
    """Write ``clip``'s state dict (a plain open_clip state dict) to ``out`` atomically.

    Returns:
        the number of values written.
    """
    state = {k: v.detach().cpu().contiguous() for k, v in clip.state_dict().items()}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = f'{out}.tmp{os.getpid()}'
    try:
        torch.save(state, tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return sum(v.numel() for v in state.values())


def make_tiny_clip(out: str, *, seed: int = 0) -> int:
    """Write the random tiny CLIP of ``seed`` to ``out``; returns the number of values.

    Seed, then build: open_clip's init is the only randomness, so the same seed gives
    bit-identical weights on any machine's CPU. The caller's torch RNG state is kept.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_clip_model(model_cfg=TINY_CLIP_CFG)
    return save_state(model, out)


def load_tiny_clip(checkpoint: str):
    """The tiny CLIP of ``checkpoint`` as the project loads it: ``(backbone, text_encoder)``.

    ``OpenCLIPBackbone(pretrained=...)`` as the segmentation model, ``CLIPTextEncoder`` as
    the class-embedding job; both in eval mode with weights loaded.
    """
    backbone = OpenCLIPBackbone(model_name=TINY_CLIP_NAME, pretrained=checkpoint)
    backbone.init_weights()
    backbone.eval()
    encoder = CLIPTextEncoder(model_name=TINY_CLIP_NAME, pretrained=checkpoint)
    encoder.load_weights()
    return backbone, encoder
