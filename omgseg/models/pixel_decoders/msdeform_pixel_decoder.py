"""Mask2Former's multi-scale deformable-attention pixel decoder (mmdet's), with the safe
kernel dispatch of :class:`~omgseg.models.layers.MSDeformAttn` in every encoder layer."""
from __future__ import annotations

import torch
from mmdet.models.layers import MSDeformAttnPixelDecoder

from omgseg.models.layers import MSDeformAttn, check_with_cp, checkpoint_layers
from omgseg.registry import MODELS


@MODELS.register_module()
class OMGPixelDecoder(MSDeformAttnPixelDecoder):
    """mmdet's ``MSDeformAttnPixelDecoder`` whose deformable attention runs on any device.

    Parameter names (``input_convs``, ``encoder.layers.*``, ``level_encoding``,
    ``lateral_convs``, ``output_convs``, ``mask_feature``) are mmdet's, so released OMG-Seg
    weights map one to one. Frames of a clip are independent batch items here.

    Args:
        msda_impl: deformable-attention kernel of every encoder layer, 'auto', 'pytorch',
            'triton' or 'mmcv' (see :mod:`omgseg.models.layers.ms_deform_attn`).
        with_cp: activation checkpointing of every encoder layer in training (less memory,
            one more forward of the encoder; same gradients).
        **kwargs: as mmdet's ``MSDeformAttnPixelDecoder`` (in_channels, strides,
            feat_channels, out_channels, num_outs, norm_cfg, act_cfg, encoder,
            positional_encoding, init_cfg).
    """

    def __init__(self, *, msda_impl: str = 'auto', with_cp: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        for layer in self.encoder.layers:
            layer.self_attn = MSDeformAttn(impl=msda_impl, **layer.self_attn_cfg)
        self.with_cp = check_with_cp(with_cp, 'pixel_decoder')
        if self.with_cp:
            checkpoint_layers(self.encoder.layers)

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Args: feats, 4 maps (N, C_i, H/s_i, W/s_i), N = B * T.

        Returns:
            mask_features (N, C, H/4, W/4) and 3 memories (N, C, h, w), low to high
            resolution (strides 32, 16, 8).
        """
        return super().forward(feats)
