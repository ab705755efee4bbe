"""The frozen ConvNeXt CLIP visual tower as a four-level feature backbone."""
from __future__ import annotations

import torch
from mmengine.model import BaseModule
from torch import nn

from omgseg.registry import MODELS

from .clip_factory import build_clip_model, resolve_clip_checkpoint


def _clip_to_backbone_key(key: str) -> str | None:
    """Map an open_clip state-dict key to this module's layout (None: not a backbone key)."""
    if key.startswith('visual.trunk.stem.'):
        return 'stem.' + key[len('visual.trunk.stem.'):]
    if key.startswith('visual.trunk.stages.'):
        idx, rest = key[len('visual.trunk.stages.'):].split('.', 1)
        return f'layer{int(idx) + 1}.{rest}'
    if key.startswith('visual.trunk.head.'):
        return 'head.0.' + key[len('visual.trunk.head.'):]
    if key.startswith('visual.head.'):
        return 'head.1.' + key[len('visual.head.'):]
    return None


@MODELS.register_module()
class OpenCLIPBackbone(BaseModule):
    """ConvNeXt visual tower of an open_clip CLIP model, returning four feature levels.

    The text tower is not kept; class embeddings are precomputed by
    ``tools/gen_class_embeddings.py`` with the same CLIP.

    Args:
        model_name: open_clip model name, e.g. ``'convnext_large_d_320'`` (``None`` when
            ``model_cfg`` is given).
        model_cfg: explicit open_clip config dict (tests and the toy job use a tiny one).
        pretrained: open_clip pretrained tag (``'laion2b_s29b_b131k_ft_soup'``) or a local
            checkpoint path; loaded in :meth:`init_weights`. ``None`` keeps random weights.
        frozen: no gradients, always eval mode and ``no_grad`` forward (the OMG-Seg recipe).
            ``False`` fine-tunes the stages (closed-set recipe); the CLIP head stays frozen.
        init_cfg: unused; weights come from ``pretrained``.
    """

    def __init__(self, *, model_name: str | None = 'convnext_large_d_320',
                 model_cfg: dict | None = None, pretrained: str | None = None,
                 frozen: bool = True, init_cfg: dict | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if model_cfg is not None:
            model_name = None
        clip = build_clip_model(model_name, model_cfg)
        visual = clip.visual
        if not hasattr(visual, 'trunk') or not hasattr(visual.trunk, 'stages'):
            raise ValueError(f'OpenCLIPBackbone needs a timm ConvNeXt visual tower; '
                             f'{model_name or model_cfg} has {type(visual).__name__}.')
        trunk = visual.trunk
        self.model_name = model_name
        self.pretrained = pretrained
        self.frozen = frozen
        self.stem = trunk.stem
        self.layer1, self.layer2, self.layer3, self.layer4 = trunk.stages
        self.norm_pre = trunk.norm_pre
        # timm norm/pool head followed by CLIP's projection: maps stage-4 features into CLIP space.
        self.head = nn.Sequential(trunk.head, visual.head)
        self.out_channels = [int(info['num_chs']) for info in trunk.feature_info[-4:]]
        self.clip_dim = clip.text_projection.shape[1] if clip.text_projection is not None \
            else visual.head[-1].out_features
        self.strides = [4, 8, 16, 32]
        for param in self.head.parameters():
            param.requires_grad = False
        if frozen:
            for param in self.parameters():
                param.requires_grad = False

    def init_weights(self) -> None:
        """Load CLIP weights from ``pretrained`` (strict on every visual-tower key)."""
        if self.pretrained is None:
            return
        from open_clip.factory import load_state_dict

        path = resolve_clip_checkpoint(self.model_name, self.pretrained)
        state = load_state_dict(path, device='cpu', weights_only=True)
        mapped = {}
        for key, value in state.items():
            new_key = _clip_to_backbone_key(key)
            if new_key is not None:
                mapped[new_key] = value
        fix = 'Check that model_name matches the checkpoint.'
        try:
            result = self.load_state_dict(mapped, strict=False)
        except RuntimeError as err:  # tensor shapes differ: another architecture
            raise ValueError(f'CLIP checkpoint {path} does not fit '
                             f'{self.model_name or "model_cfg"}: {err}. {fix}') from None
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(
                f'CLIP checkpoint {path} does not fit {self.model_name or "model_cfg"}: missing '
                f'{result.missing_keys[:5]}, unexpected {result.unexpected_keys[:5]}. {fix}')

    def train(self, mode: bool = True) -> 'OpenCLIPBackbone':
        # A frozen CLIP stays in eval mode (no drop-path, fixed norms) even while the rest trains.
        super().train(False if self.frozen else mode)
        if not self.frozen:
            self.head.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Args: x (N, 3, H, W) normalised images. Returns 4 maps (N, C_i, H/s_i, W/s_i)."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            x = self.stem(x)
            outs = []
            for stage in (self.layer1, self.layer2, self.layer3, self.layer4):
                x = stage(x)
                outs.append(x.contiguous())
        return tuple(outs)

    def get_clip_feature(self, stage4: torch.Tensor) -> torch.Tensor:
        """The stride-32 map as CLIP sees it before pooling: (N, C4, h, w)."""
        return self.norm_pre(stage4)

    @torch.no_grad()
    def project_pooled(self, pooled: torch.Tensor) -> torch.Tensor:
        """Project mask-pooled stage-4 features into CLIP space.

        Args:
            pooled: (B, Q, C4) features pooled over each query's mask.
        Returns:
            (B, Q, D) CLIP-space embeddings (D = CLIP embed dim).
        """
        b, q, c = pooled.shape
        out = self.head(pooled.reshape(b * q, c, 1, 1))
        return out.reshape(b, q, -1)
