"""Convert one released OMG-Seg checkpoint file into this project's checkpoint (the work of
``tools/model_converters/omgseg_official.py``); the key mapping is
:mod:`omgseg.utils.official_checkpoint`.

The output is ``{'state_dict': ..., 'meta': {...}}`` (mmengine style; ``meta`` names the
source, its sha256, the model name and the mapping version). The released files hold no
backbone: ``clip_weights`` bakes the open_clip weights in, which makes a complete checkpoint.
"""
from __future__ import annotations

import hashlib
import os
import os.path as osp
from collections.abc import Callable
from typing import Any

import torch

from omgseg.utils.official_checkpoint import (MAPPING_VERSION, CheckResult,
                                              OfficialCheckpointError, build_model_meta,
                                              check_converted, clip_backbone_state,
                                              convert_state_dict, load_source)

CONVERTER = 'tools/model_converters/omgseg_official.py'


def sha256_file(path: str) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def verify(config: str, state_dict: dict, cfg_options: dict | None = None) -> CheckResult:
    """Build ``config``'s model on the meta device and run ``check_converted`` on it."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import omgseg.register  # noqa: F401  (registers the model classes)

    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    parts = tuple(p for p in ('backbone', 'panoptic_head')
                  if any(k.startswith(p + '.') for k in state_dict))
    model = build_model_meta(cfg.model, materialize=parts)
    return check_converted(model, state_dict)


def convert_official_checkpoint(src: str, dst: str, *, model_name: str = 'convnext_large_d_320',
                                verify_config: str | None = None,
                                cfg_options: dict | None = None,
                                clip_weights: str | None = None,
                                log: Callable[[str], object] = print) -> dict[str, Any]:
    """Convert ``src`` (a released head-only state dict or an mmengine checkpoint) to ``dst``.

    Args:
        model_name: the open_clip model the head was trained on (fixes the expected shapes).
        verify_config: load the result into this config's model (meta device, no download);
            only ``backbone.*`` keys may be missing, none unexpected.
        cfg_options: overrides for ``verify_config``.
        clip_weights: open_clip tag or file whose weights are stored as ``backbone.*`` too.

    Returns:
        the ``meta`` written with the checkpoint.

    Raises:
        OfficialCheckpointError: unmapped, missing or mis-shaped keys (all listed), a source
            that already holds a backbone given ``clip_weights``, or a failed verification.
    """
    conv = convert_state_dict(load_source(src), model_name=model_name)
    state = conv.state_dict
    backbone = 'from the source' if conv.has_backbone else (
        'not included: the frozen CLIP comes from open_clip (model.backbone.pretrained) '
        'at init_weights')
    if clip_weights:
        if conv.has_backbone:
            raise OfficialCheckpointError('the source already holds backbone.* weights; '
                                          'drop --clip-weights.')
        state = {**state, **clip_backbone_state(model_name, clip_weights)}
        backbone = f'open_clip {model_name} / {clip_weights}'
    for key, reason in conv.dropped.items():
        log(f'dropped {key}: {reason}')
    if not conv.box_query:
        log('note: the source has no box-query parameters (mask_tokens, pb_embedding, '
            'pos_linear); interactive configs will miss panoptic_head.prompt_encoder.*')
    if verify_config:
        res = verify(verify_config, state, cfg_options)
        log(f'verified against {verify_config}: {len(res.loaded)} keys load, '
            f'{len(res.missing_backbone)} backbone keys come from open_clip at init, '
            f'{len(res.unused_prompt_encoder)} prompt-encoder keys unused by this config')
    meta = dict(source=osp.abspath(src), source_sha256=sha256_file(src), converter=CONVERTER,
                mapping_version=MAPPING_VERSION, model_name=model_name,
                box_query=conv.box_query, backbone=backbone, dropped=dict(conv.dropped))
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(dict(state_dict=state, meta=meta), dst)
    n = sum(v.numel() for v in state.values())
    log(f'wrote {dst}: {len(state)} tensors, {n / 1e6:.2f} M values ({backbone})')
    return meta
