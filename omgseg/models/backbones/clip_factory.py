"""Build open_clip CLIP models without network access, and load their weights explicitly.

Building (architecture only) and loading (file I/O) are separate so that modules can build the
architecture in ``__init__`` and read weights in ``init_weights()``.
"""
from __future__ import annotations

import os
from typing import Any

import torch

# A tiny CLIP for tests and the toy job: timm's smallest ConvNeXt trunk and a two-layer text
# tower. Same structure as convnext_large_d_320 (timm trunk + MLP projection), so every code
# path of the full model runs.
TINY_CLIP_CFG: dict[str, Any] = dict(
    embed_dim=64,
    vision_cfg=dict(
        timm_model_name='convnext_atto',
        timm_model_pretrained=False,
        timm_pool='',
        timm_proj='mlp',
        timm_drop=0.0,
        timm_drop_path=0.0,
        image_size=64,
    ),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=2),
)
# Model names that resolve to configs of this project (configs cannot import Python objects).
BUILTIN_CLIP_CFGS: dict[str, dict[str, Any]] = {'omgseg_tiny_convnext': TINY_CLIP_CFG}


def build_clip_model(model_name: str | None = None,
                     model_cfg: dict | None = None) -> torch.nn.Module:
    """Build an open_clip CLIP architecture with random weights; nothing is downloaded.

    Args:
        model_name: an open_clip model name, e.g. ``'convnext_large_d_320'``, or a name of
            :data:`BUILTIN_CLIP_CFGS` (``'omgseg_tiny_convnext'``).
        model_cfg: an explicit open_clip config dict (``embed_dim``, ``vision_cfg``,
            ``text_cfg``) used instead of ``model_name``.

    Returns:
        An ``open_clip.CLIP`` module in fp32 on the CPU.
    """
    import open_clip

    if (model_name is None) == (model_cfg is None):
        raise ValueError('build_clip_model: give exactly one of model_name or model_cfg.')
    if model_name in BUILTIN_CLIP_CFGS:
        model_cfg = BUILTIN_CLIP_CFGS[model_name]
    if model_cfg is not None:
        return open_clip.CLIP(**model_cfg)
    if model_name not in open_clip.list_models():
        raise ValueError(f'Unknown open_clip model name {model_name!r}; '
                         f'see open_clip.list_models() for valid names.')
    return open_clip.create_model(model_name, pretrained=None, load_weights=False)


def resolve_clip_checkpoint(model_name: str | None, pretrained: str) -> str:
    """Return a local file for ``pretrained``: a path as is, or an open_clip pretrained tag.

    A tag (e.g. ``'laion2b_s29b_b131k_ft_soup'``) is resolved by open_clip's own download and
    cache logic (``HF_HOME``/``OPENCLIP_CACHE`` apply). Without network access a tag that is not
    cached fails; pass a local checkpoint path instead.
    """
    if os.path.isfile(pretrained):
        return pretrained
    import open_clip
    from open_clip.pretrained import download_pretrained, get_pretrained_cfg

    looks_like_path = os.sep in pretrained or pretrained.endswith(('.pt', '.pth', '.bin',
                                                                   '.safetensors'))
    if looks_like_path or model_name is None:
        raise FileNotFoundError(
            f'CLIP checkpoint {pretrained!r} does not exist. Give an existing local file or an '
            f'open_clip pretrained tag (open_clip.list_pretrained()).')
    cfg = get_pretrained_cfg(model_name, pretrained)
    if not cfg:
        tags = [t for m, t in open_clip.list_pretrained() if m == model_name]
        raise ValueError(f'{pretrained!r} is not an open_clip pretrained tag of {model_name!r}; '
                         f'known tags: {tags}. A local checkpoint path also works.')
    try:
        return download_pretrained(cfg)
    except Exception as err:  # network errors come in many types; re-raise with the fix
        raise RuntimeError(
            f'Could not fetch CLIP weights {model_name}/{pretrained} ({err}). Without network '
            f'access, download them elsewhere and set pretrained=<local path>.') from err


def load_clip_weights(model: torch.nn.Module, model_name: str | None, pretrained: str) -> None:
    """Load CLIP weights (a tag or a local path) into ``model`` strictly."""
    from open_clip.factory import load_checkpoint

    path = resolve_clip_checkpoint(model_name, pretrained)
    load_checkpoint(model, path, strict=True, weights_only=True)
