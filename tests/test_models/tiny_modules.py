"""Small configurations and inputs shared by the model tests (built in-process, random weights).
"""
from __future__ import annotations

import torch
from mmengine.config import ConfigDict

IN_CHANNELS = [8, 16, 32, 64]     # backbone channels at strides 4, 8, 16, 32
C = 16                            # decoder width
SIZE = 64                         # input image side


def pixel_decoder_cfg() -> ConfigDict:
    """Keyword arguments of a 2-layer, width-16 ``OMGPixelDecoder`` (no ``type``); a
    ``ConfigDict``, as from a config file, since mmdet reads ``encoder.layer_cfg`` by attribute.
    """
    return ConfigDict(
        in_channels=IN_CHANNELS, strides=[4, 8, 16, 32], feat_channels=C, out_channels=C,
        num_outs=3, norm_cfg=dict(type='GN', num_groups=4), act_cfg=dict(type='ReLU'),
        encoder=dict(num_layers=2, layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=C, num_heads=2, num_levels=3, num_points=2,
                               dropout=0.0, batch_first=True),
            ffn_cfg=dict(embed_dims=C, feedforward_channels=32, num_fcs=2, ffn_drop=0.0,
                         act_cfg=dict(type='ReLU', inplace=True)))),
        positional_encoding=dict(num_feats=C // 2, normalize=True))


def backbone_features(n: int, seed: int = 0) -> list[torch.Tensor]:
    """Backbone-like maps (n, C_i, SIZE / s_i, SIZE / s_i) for strides 4, 8, 16, 32."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, c, SIZE // s, SIZE // s, generator=g)
            for c, s in zip(IN_CHANNELS, (4, 8, 16, 32))]
