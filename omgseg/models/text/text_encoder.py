"""CLIP text tower as a batch text encoder, and class-embedding computation.

Built from the same arguments as :class:`OpenCLIPBackbone` so the text embeddings live in the
same CLIP space as the backbone's pooled visual features.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from omgseg.models.backbones.clip_factory import (BUILTIN_CLIP_CFGS, build_clip_model,
                                                  load_clip_weights)
from omgseg.utils.progress import progress_bar
from omgseg.vocab.names import VILD_TEMPLATES, check_templates, class_synonyms


def _cfg_get(cfg: Any, key: str, default: Any = None) -> Any:
    """Read ``key`` from a dict or a dataclass-like open_clip sub-config."""
    if isinstance(cfg, dict):
        return cfg.get(key, default)
    return getattr(cfg, key, default)


class CLIPTextEncoder(nn.Module):
    """Encode strings with an open_clip text tower into L2-normalised ``(N, D)`` vectors.

    Building makes the architecture only (random weights, no I/O); call :meth:`load_weights`
    to read ``pretrained``. The device is the caller's choice: ``.to(device)`` or the
    ``device`` argument of :meth:`encode`.

    Args:
        model_name: open_clip model name, e.g. ``'convnext_large_d_320'``, or a name of
            ``BUILTIN_CLIP_CFGS`` (``'omgseg_tiny_convnext'``); ignored when ``model_cfg`` is
            given.
        model_cfg: explicit open_clip config dict (tests use ``TINY_CLIP_CFG``).
        pretrained: open_clip pretrained tag or local checkpoint path; ``None`` keeps random
            weights (only useful for tests).
    """

    def __init__(self, *, model_name: str | None = 'convnext_large_d_320',
                 model_cfg: dict | None = None, pretrained: str | None = None) -> None:
        super().__init__()
        if model_cfg is not None:
            model_name = None
            model_cfg = dict(model_cfg)
        self.model_name = model_name
        self.model_cfg = model_cfg
        self.pretrained = pretrained
        self.clip = build_clip_model(model_name, model_cfg)
        # The architecture config: explicit, one of this project's names, or open_clip's own.
        self._arch_cfg = model_cfg if model_cfg is not None else BUILTIN_CLIP_CFGS.get(model_name)
        if self._arch_cfg is not None:
            self.embed_dim = int(self._arch_cfg['embed_dim'])
        else:
            import open_clip
            self.embed_dim = int(open_clip.get_model_config(model_name)['embed_dim'])
        for param in self.clip.parameters():
            param.requires_grad = False
        self.clip.eval()
        self.weights_loaded = False
        self._tokenizer = None  # built lazily: the BPE vocabulary is a file read

    def load_weights(self) -> None:
        """Load ``pretrained`` into the whole CLIP model (strict); no-op when ``None``."""
        if self.pretrained is None:
            return
        load_clip_weights(self.clip, self.model_name, self.pretrained)
        self.weights_loaded = True

    @property
    def context_length(self) -> int:
        """Token sequence length of the text tower."""
        return int(self.clip.context_length)

    @property
    def tokenizer(self):
        """open_clip tokenizer: open_clip's choice for its models, CLIP's BPE for a config."""
        if self._tokenizer is None:
            import open_clip
            if self._arch_cfg is None:
                self._tokenizer = open_clip.get_tokenizer(self.model_name)
            else:
                text_cfg = self._arch_cfg.get('text_cfg', {})
                self._tokenizer = open_clip.SimpleTokenizer(
                    context_length=_cfg_get(text_cfg, 'context_length', 77))
        return self._tokenizer

    def train(self, mode: bool = True) -> 'CLIPTextEncoder':
        """Always stays in eval mode: the encoder is frozen (no dropout)."""
        return super().train(False)

    @torch.no_grad()
    def encode(self, texts: Sequence[str], batch_size: int = 256,
               device: torch.device | str | None = None,
               progress: bool = False) -> torch.Tensor:
        """Encode ``texts`` in chunks of at most ``batch_size``.

        Args:
            texts: N strings.
            batch_size: prompts per forward pass (>= 1).
            device: if given, the encoder is moved there first; otherwise it runs where its
                parameters are.
            progress: show a bar over chunks (stderr, terminals only).

        Returns:
            ``(N, D)`` float32 (D = :attr:`embed_dim`), unit L2 norm per row, on the
            encoder's device.
        """
        if isinstance(texts, str):
            raise TypeError('encode() takes a list of strings, not a single string.')
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
        if device is not None:
            self.to(device)
        self.eval()
        param = next(self.clip.parameters())
        texts = list(texts)
        if not texts:
            return param.new_zeros((0, self.embed_dim), dtype=torch.float32)
        feats = []
        # fp32 as in the original, even if the caller runs under autocast.
        with torch.autocast(device_type=param.device.type, enabled=False):
            for start in progress_bar(range(0, len(texts), batch_size), desc='text embeddings',
                                      unit='batch', enabled=progress):
                tokens = self.tokenizer(texts[start:start + batch_size]).to(param.device)
                feat = self.clip.encode_text(tokens).float()
                feats.append(F.normalize(feat, dim=-1))
        return torch.cat(feats)


def compute_class_embeddings(encoder: CLIPTextEncoder, class_names: Sequence[str],
                             templates: Sequence[str] = VILD_TEMPLATES,
                             batch_size: int = 256,
                             progress: bool = True) -> tuple[torch.Tensor, list[list[str]]]:
    """One prompt-ensembled CLIP vector per synonym of every class.

    Each synonym is put into every template; the T prompt embeddings are L2-normalised,
    averaged and L2-normalised again. All prompts of all classes go through the encoder in
    chunks of ``batch_size``.

    Args:
        encoder: a :class:`CLIPTextEncoder` (weights already loaded by the caller).
        class_names: K raw class names; synonyms come from ``normalize_class_name``.
        templates: T prompt templates with one ``{}`` each.
        batch_size: prompts per forward pass.
        progress: show a bar over forward passes (stderr, terminals only).

    Returns:
        ``(embeddings, synonyms)``: float32 ``(K, P, D)`` on the encoder's device, where P is
        the largest synonym count and classes with fewer synonyms repeat their first synonym's
        vector (so a max over P is unchanged); and the K unpadded synonym lists.
    """
    templates = check_templates(templates)
    synonyms = class_synonyms(class_names)
    prompts = [t.format(s) for syns in synonyms for s in syns for t in templates]
    feats = encoder.encode(prompts, batch_size=batch_size, progress=progress)  # (S*T, D)
    feats = feats.view(-1, len(templates), feats.shape[-1])          # (S, T, D)
    per_synonym = F.normalize(F.normalize(feats, dim=-1).mean(dim=1), dim=-1)  # (S, D)
    num_syn = max(len(s) for s in synonyms)
    rows, start = [], 0
    for syns in synonyms:
        vecs = per_synonym[start:start + len(syns)]                  # (n_k, D)
        start += len(syns)
        pad = vecs[:1].expand(num_syn - len(syns), -1)
        rows.append(torch.cat([vecs, pad]))
    return torch.stack(rows).contiguous(), synonyms
