"""Class-embedding files: a ``(K, P, D)`` tensor (``<name>.pth``) plus a JSON sidecar.

The sidecar (``<name>.json``) records what the tensor means: the raw class names in label
order, their synonyms, the CLIP model and weights and the prompt templates. Loading checks the
two agree, so a stale or wrong file fails loudly instead of silently changing the classes.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import torch

FORMAT_VERSION = 1
# Unit-norm tolerance: float32 rounding of a normalised mean stays far below this.
_NORM_TOL = 1e-3
_MAX_SHOWN = 5


def sidecar_path(path: str | os.PathLike) -> str:
    """``'x/coco.pth'`` -> ``'x/coco.json'``."""
    return os.path.splitext(os.fspath(path))[0] + '.json'


def regen_hint(path: str | os.PathLike) -> str:
    """The command that (re)creates the embedding file at ``path``."""
    return (f'Regenerate it with: python tools/gen_class_embeddings.py CONFIG --out {path} '
            f'(CONFIG = the config whose dataset/`vocabulary` defines the classes).')


def check_unit_norm(embeddings: torch.Tensor, what: str) -> None:
    """Raise ``ValueError`` unless ``embeddings`` ``(K, P, D)`` is finite with unit-norm rows."""
    if not torch.isfinite(embeddings).all():
        raise ValueError(f'{what}: embeddings contain NaN/Inf values.')
    norms = embeddings.float().norm(dim=-1)
    bad = (norms - 1).abs() > _NORM_TOL
    if bad.any():
        idx = bad.nonzero()[0].tolist()
        raise ValueError(f'{what}: embedding vectors must have unit norm; class {idx[0]} '
                         f'synonym {idx[1]} has norm {norms[idx[0], idx[1]].item():.4f} '
                         f'({int(bad.sum())} bad vectors).')


def check_class_names(path: str | os.PathLike, actual: Sequence[str],
                      expected: Sequence[str], source: str = 'the expected vocabulary') -> None:
    """Raise ``ValueError`` if the file's class names differ from the expected ones.

    The message gives both counts and the first mismatches with their label indices;
    ``source`` says where ``expected`` comes from (e.g. ``'the train dataset'``).
    """
    actual, expected = list(actual), list(expected)
    if actual == expected:
        return
    lines = [f'Class embeddings {path} do not match {source}: the file has {len(actual)} '
             f'classes, {len(expected)} are expected.']
    mismatches = [(i, a, e) for i, (a, e) in enumerate(zip(actual, expected)) if a != e]
    for i, a, e in mismatches[:_MAX_SHOWN]:
        lines.append(f'  label {i}: file {a!r} != expected {e!r}')
    if len(mismatches) > _MAX_SHOWN:
        lines.append(f'  ... {len(mismatches) - _MAX_SHOWN} more mismatching labels')
    if len(actual) != len(expected):
        shorter = min(len(actual), len(expected))
        extra = actual[shorter:] if len(actual) > shorter else expected[shorter:]
        owner = 'file' if len(actual) > shorter else source
        shown = ', '.join(repr(n) for n in extra[:_MAX_SHOWN])
        lines.append(f'  only in the {owner} (from label {shorter}): {shown}'
                     + (' ...' if len(extra) > _MAX_SHOWN else ''))
    lines.append(regen_hint(path))
    raise ValueError('\n'.join(lines))


def save_class_embeddings(path: str | os.PathLike, embeddings: torch.Tensor,
                          class_names: Sequence[str], *, synonyms: Sequence[Sequence[str]],
                          clip_model: str | None, clip_pretrained: str | None,
                          templates: Sequence[str], num_things: int | None = None,
                          num_stuff: int | None = None,
                          extra: dict[str, Any] | None = None) -> tuple[str, str]:
    """Write ``embeddings`` ``(K, P, D)`` to ``path`` (.pth) and its sidecar (.json).

    Args:
        path: the ``.pth`` file; the sidecar goes next to it with a ``.json`` suffix.
        embeddings: ``(K, P, D)`` unit-norm vectors, stored as contiguous float32 on the CPU.
        class_names: the K raw class names in label order.
        synonyms: per class, the synonym strings behind the P vectors (unpadded).
        clip_model: open_clip model name, or ``None``/``'custom cfg'`` for an explicit config.
        clip_pretrained: the pretrained tag or checkpoint path used (``None``: random weights).
        templates: the prompt templates that were averaged.
        num_things, num_stuff: thing/stuff split when known (things come first).
        extra: further JSON-serialisable keys for the sidecar (e.g. the explicit CLIP config).

    Returns:
        ``(pth_path, json_path)``.
    """
    path = os.fspath(path)
    if not path.endswith('.pth'):
        raise ValueError(f'class-embedding path {path!r} must end with .pth')
    if not isinstance(embeddings, torch.Tensor) or embeddings.dim() != 3:
        raise ValueError(f'embeddings must be a (K, P, D) tensor, got '
                         f'{getattr(embeddings, "shape", type(embeddings))}.')
    k, p, d = embeddings.shape
    class_names = [str(n) for n in class_names]
    synonyms = [list(map(str, s)) for s in synonyms]
    if len(class_names) != k or len(synonyms) != k:
        raise ValueError(f'{k} embedding rows but {len(class_names)} class names and '
                         f'{len(synonyms)} synonym lists.')
    if any(not 1 <= len(s) <= p for s in synonyms):
        raise ValueError(f'every class needs 1..{p} synonyms (P = {p}).')
    if num_things is not None and num_stuff is not None and num_things + num_stuff != k:
        raise ValueError(f'num_things ({num_things}) + num_stuff ({num_stuff}) != K ({k}).')
    check_unit_norm(embeddings, f'save_class_embeddings({path})')
    sidecar = dict(
        format_version=FORMAT_VERSION,
        num_classes=k, num_synonyms=p, embed_dim=d,
        class_names=class_names, synonyms=synonyms,
        num_things=num_things, num_stuff=num_stuff,
        clip_model=clip_model if clip_model is not None else 'custom cfg',
        clip_pretrained=clip_pretrained,
        templates=list(templates),
    )
    sidecar.update(extra or {})
    json_path = sidecar_path(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tensor = embeddings.detach().to('cpu', torch.float32).contiguous().clone()
    # Write to temporary names and rename so a crash never leaves a half-written pair.
    torch.save(tensor, path + '.tmp')
    with open(json_path + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(sidecar, f, indent=1, ensure_ascii=False)
    os.replace(path + '.tmp', path)
    os.replace(json_path + '.tmp', json_path)
    return path, json_path


def load_class_embeddings(path: str | os.PathLike,
                          expected_class_names: Sequence[str] | None = None
                          ) -> tuple[torch.Tensor, dict[str, Any]]:
    """Read and check a class-embedding file and its sidecar.

    Args:
        path: the ``.pth`` file written by :func:`save_class_embeddings`.
        expected_class_names: if given, the sidecar's class names must equal these exactly
            (same count, same order).

    Returns:
        ``(embeddings, sidecar)``: float32 CPU tensor ``(K, P, D)`` and the sidecar dict.

    Raises:
        FileNotFoundError: the ``.pth`` or the ``.json`` sidecar is missing.
        ValueError: unreadable files, shape/sidecar disagreement, non-unit-norm vectors, or a
            class-name mismatch. Every message names the file and the command that fixes it.
    """
    path = os.fspath(path)
    json_path = sidecar_path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Class embeddings {path} do not exist. ' + regen_hint(path))
    if not os.path.isfile(json_path):
        raise FileNotFoundError(
            f'Class embeddings {path} have no sidecar {json_path} (class names, CLIP model), so '
            f'their classes cannot be checked. ' + regen_hint(path))
    try:
        embeddings = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # pickle/zip errors come in many types
        raise ValueError(f'Cannot read class embeddings {path}: {err}. {regen_hint(path)}') \
            from err
    try:
        with open(json_path, encoding='utf-8') as f:
            sidecar = json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f'Cannot read sidecar {json_path}: {err}. {regen_hint(path)}') from err
    if not isinstance(embeddings, torch.Tensor) or embeddings.dim() != 3:
        raise ValueError(f'Class embeddings {path} must hold a (K, P, D) tensor, found '
                         f'{getattr(embeddings, "shape", type(embeddings).__name__)}. '
                         + regen_hint(path))
    if not isinstance(sidecar, dict) or sidecar.get('format_version') != FORMAT_VERSION:
        raise ValueError(f'Sidecar {json_path} is not format_version {FORMAT_VERSION}. '
                         + regen_hint(path))
    embeddings = embeddings.float()
    k, p, d = embeddings.shape
    names = sidecar.get('class_names')
    synonyms = sidecar.get('synonyms')
    if not isinstance(names, list) or not isinstance(synonyms, list) \
            or len(names) != k or len(synonyms) != k or sidecar.get('embed_dim') != d:
        raise ValueError(
            f'Class embeddings {path} have shape {tuple(embeddings.shape)} but the sidecar '
            f'{json_path} lists {len(names) if isinstance(names, list) else "no"} class names, '
            f'{len(synonyms) if isinstance(synonyms, list) else "no"} synonym lists and '
            f'embed_dim {sidecar.get("embed_dim")}; the two files are out of sync. '
            + regen_hint(path))
    try:
        check_unit_norm(embeddings, f'Class embeddings {path}')
    except ValueError as err:
        raise ValueError(f'{err} {regen_hint(path)}') from None
    if expected_class_names is not None:
        check_class_names(path, names, expected_class_names)
    return embeddings, sidecar
