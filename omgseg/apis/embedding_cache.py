"""On-disk cache of open-vocabulary class embeddings.

An open vocabulary is embedded by the text tower of the CLIP that the model's backbone names
(``model.backbone``: ``model_name`` / ``model_cfg`` / ``pretrained``). The result is stored in
the project's class-embedding format (``.pth`` + ``.json`` sidecar) under a key made of that
text tower, a hash of its weights file, the class names and the prompt templates, so asking
again for the same vocabulary reads the file instead of running the text tower.

The cache folder is ``$OMGSEG_CACHE_DIR`` or ``~/.cache/omgseg`` (``$XDG_CACHE_HOME/omgseg``),
subfolder ``class_embeddings``; every function takes ``cache_dir`` to override it.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from omgseg.vocab import VILD_TEMPLATES, check_templates
from omgseg.vocab.embedding_file import load_class_embeddings, save_class_embeddings

# weights-file hashes already computed in this process: (path, size, mtime_ns) -> sha256
_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def default_cache_dir() -> Path:
    """``$OMGSEG_CACHE_DIR``, else ``$XDG_CACHE_HOME/omgseg``, else ``~/.cache/omgseg``."""
    if os.environ.get('OMGSEG_CACHE_DIR'):
        return Path(os.environ['OMGSEG_CACHE_DIR'])
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return Path(base) / 'omgseg'


def file_sha256(path: str) -> str:
    """sha256 of a file, memoised per (path, size, modification time)."""
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_HASHES:
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
        _FILE_HASHES[key] = digest.hexdigest()
    return _FILE_HASHES[key]


def text_tower(backbone_cfg: Any) -> dict[str, Any]:
    """The identity of the CLIP text tower a backbone config names: ``model_name``,
    ``model_cfg``, ``pretrained`` and ``weights`` (sha256 of the weights file, or the
    open_clip tag itself when ``pretrained`` is not a file)."""
    plain = json.loads(json.dumps(dict(backbone_cfg or {}), default=list))
    if not plain.get('model_name') and not plain.get('model_cfg'):
        raise ValueError('model.backbone needs `model_name` or `model_cfg` to know which CLIP '
                         'text tower embeds the vocabulary.')
    pretrained = plain.get('pretrained')
    if pretrained and os.path.isfile(pretrained):
        weights = 'sha256:' + file_sha256(pretrained)
    else:
        weights = f'tag:{pretrained}'
    return dict(model_name=plain.get('model_name'), model_cfg=plain.get('model_cfg'),
                pretrained=pretrained, weights=weights)


def cache_key(tower: dict[str, Any], names: Sequence[str], templates: Sequence[str]) -> str:
    """sha256 hex of (text tower without its path, class names, templates)."""
    ident = dict(tower, pretrained=None)  # the same weights moved elsewhere still hit
    blob = json.dumps([ident, list(names), list(templates)], sort_keys=True)
    return hashlib.sha256(blob.encode('utf-8')).hexdigest()


def cached_class_embeddings(backbone_cfg: Any, names: Sequence[str], *,
                            templates: Sequence[str] = VILD_TEMPLATES,
                            cache_dir: str | os.PathLike | None = None,
                            device: torch.device | str = 'cpu', progress: bool = True
                            ) -> tuple[torch.Tensor, bool]:
    """Class embeddings of ``names`` from the cache, computing and storing them on a miss.

    Args:
        backbone_cfg: ``model.backbone`` of the config (which CLIP embeds the names).
        names: K class names in label order.
        templates: prompt templates averaged per name.
        cache_dir: cache root (default :func:`default_cache_dir`).
        device: where the text tower runs on a miss.
        progress: show a bar while the text tower runs.

    Returns:
        ``(embeddings (K, P, D) float32 on the CPU, hit)``; ``hit`` is True when the file was
        read from the cache.
    """
    templates = check_templates(templates)
    tower = text_tower(backbone_cfg)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / 'class_embeddings' / f'{cache_key(tower, names, templates)}.pth'
    if path.is_file():
        try:
            embeddings, _ = load_class_embeddings(path, expected_class_names=list(names))
            return embeddings, True
        except (ValueError, FileNotFoundError):
            pass  # a damaged or half-written entry is recomputed and replaced
    from omgseg.apis.inference import _text_encoder
    from omgseg.models.text import compute_class_embeddings

    encoder = _text_encoder(backbone_cfg, torch.device(device))
    embeddings, synonyms = compute_class_embeddings(encoder, list(names), templates,
                                                    progress=progress)
    save_class_embeddings(path, embeddings, list(names), synonyms=synonyms,
                          clip_model=tower['model_name'], clip_pretrained=tower['pretrained'],
                          templates=templates, extra=dict(text_tower=tower))
    return embeddings.cpu().float(), False


__all__ = ['cache_key', 'cached_class_embeddings', 'default_cache_dir', 'file_sha256',
           'text_tower']
