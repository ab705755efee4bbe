"""CLIP text class embeddings of a config's vocabulary (the work of
``tools/gen_class_embeddings.py``).

The vocabulary is the config's top-level ``vocabulary`` (a dict with ``classes``, optional
``thing_classes``/``stuff_classes``, a name in ``omgseg.vocab`` or a ``merge``)
or, without one, the metainfo of ``cfg.<split>_dataloader.dataset`` (built with
``lazy_init=True``: no annotation is read); an evaluation entry of ``val_cfg`` / ``test_cfg``
can supply both the vocabulary and the output path (:func:`select_entry`). The CLIP model is
``cfg.model.backbone`` (``model_name``/``model_cfg``/``pretrained``).
"""
from __future__ import annotations

import copy
import sys
import time
from typing import Any

from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope

import omgseg.register  # noqa: F401  (the datasets a config names must be registered)
from omgseg.datasets.joint_dataset import set_lazy_init
from omgseg.models.text import CLIPTextEncoder, compute_class_embeddings
from omgseg.vocab import VILD_TEMPLATES, get_vocabulary, vocabulary_from
from omgseg.vocab.embedding_file import save_class_embeddings


def _plain(obj: Any) -> Any:
    """ConfigDict/tuple trees -> plain dicts/lists (JSON and open_clip friendly)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def vocabulary_from_meta(meta: dict, source: str) -> dict[str, Any]:
    """Check a ``classes``/``thing_classes``/``stuff_classes`` dict; things must come first.

    Returns ``dict(classes, num_things, num_stuff, source)`` (counts ``None`` when unknown).
    """
    classes = meta.get('classes')
    things, stuff = meta.get('thing_classes'), meta.get('stuff_classes')
    if classes is None and things is not None and stuff is not None:
        classes = list(things) + list(stuff)
    if not classes:
        raise ValueError(f'{source} defines no `classes` (nor `thing_classes` + '
                         f'`stuff_classes`); add them or use a config with a `vocabulary`.')
    classes = list(classes)
    for name in classes:
        if not isinstance(name, str):
            raise ValueError(f'{source}: class names must be strings, got {name!r}.')
    dups = sorted({n for n in classes if classes.count(n) > 1})
    if dups:
        print(f'WARNING: {source} repeats class names {dups[:5]}; their labels get identical '
              f'embeddings.', file=sys.stderr)
    num_things = num_stuff = None
    if things is not None and stuff is not None:
        things, stuff = list(things), list(stuff)
        if things + stuff != classes:
            raise ValueError(f'{source}: `classes` must be `thing_classes` followed by '
                             f'`stuff_classes` (labels are things first, then stuff).')
        num_things, num_stuff = len(things), len(stuff)
    elif things is not None:
        num_things = len(things)
        if list(things) != classes[:num_things]:
            raise ValueError(f'{source}: `thing_classes` must be the first `classes`.')
        num_stuff = len(classes) - num_things
    return dict(classes=classes, num_things=num_things, num_stuff=num_stuff, source=source)


def read_vocabulary(cfg, split: str = 'train') -> dict[str, Any]:
    """The config's ``vocabulary`` or the metainfo of ``cfg.<split>_dataloader.dataset``.

    ``vocabulary`` is a dict (``classes``, optional ``thing_classes``/``stuff_classes``), the
    name of a vocabulary in ``omgseg.vocab``, ``dict(merge=[name or dict, ...])``
    (their merged vocabulary, as a ``JointDataset`` of those datasets has) or
    ``dict(from_annotations=PATH)`` (the categories of an annotation file).
    """
    vocab = cfg.get('vocabulary')
    if isinstance(vocab, str):
        return vocabulary_from_meta(get_vocabulary(vocab), f'vocabulary {vocab!r} named by '
                                    f'{cfg.filename}')
    if vocab is not None and ({'merge', 'base', 'from_annotations'} & set(vocab)):
        return vocabulary_from_meta(vocabulary_from(_plain(vocab)),
                                    f'config `vocabulary` {_plain(vocab)} of {cfg.filename}')
    if vocab is not None:
        return vocabulary_from_meta(_plain(vocab), f'config `vocabulary` of {cfg.filename}')
    key = f'{split}_dataloader'
    loader = cfg.get(key)
    if not loader or not loader.get('dataset'):
        raise ValueError(f'{cfg.filename} has neither a top-level `vocabulary` nor '
                         f'`{key}.dataset`; add `vocabulary=dict(classes=[...])` or pick '
                         f'another --split.')
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset_cfg = copy.deepcopy(loader['dataset'])
    set_lazy_init(dataset_cfg)
    dataset = DATASETS.build(dataset_cfg)
    source = f'{key}.dataset ({type(dataset).__name__}) of {cfg.filename}'
    return vocabulary_from_meta(dict(dataset.metainfo), source)


def select_entry(cfg, name: str) -> None:
    """Make the evaluation entry ``name`` of ``cfg.val_cfg`` / ``cfg.test_cfg`` the config's
    vocabulary and output path (in place)."""
    for key in ('val_cfg', 'test_cfg'):
        loop = cfg.get(key) or {}
        first = dict(name=loop.get('name', 'main'), vocabulary=loop.get('vocabulary'),
                     class_embed_path=loop.get('class_embed_path'))
        for entry in [first, *(loop.get('extra') or [])]:
            if entry.get('name') == name:
                if entry.get('vocabulary') is None:
                    raise ValueError(f'evaluation entry {name!r} of {cfg.filename} has no '
                                     f'`vocabulary`: it uses the model\'s own embeddings.')
                cfg.vocabulary = entry['vocabulary']
                cfg.model.panoptic_head.class_embed_path = entry['class_embed_path']
                return
    raise ValueError(f'{cfg.filename} has no evaluation entry named {name!r} in val_cfg / '
                     f'test_cfg.')


def build_text_encoder(cfg):
    """A :class:`CLIPTextEncoder` matching ``cfg.model.backbone``, weights loaded."""
    backbone = _plain(cfg.get('model', {}).get('backbone') or {})
    if not backbone.get('model_name') and not backbone.get('model_cfg'):
        raise ValueError(f'{cfg.filename}: model.backbone needs `model_name` or `model_cfg` '
                         f'to know which CLIP to use.')
    encoder = CLIPTextEncoder(model_name=backbone.get('model_name'),
                              model_cfg=backbone.get('model_cfg'),
                              pretrained=backbone.get('pretrained'))
    if encoder.pretrained is None:
        print('WARNING: model.backbone.pretrained is None: random CLIP weights, the embeddings '
              'carry no meaning (fine for tests only).', file=sys.stderr)
    encoder.load_weights()
    return encoder


def generate_class_embeddings(cfg, *, out: str | None = None, split: str = 'train',
                              entry: str | None = None, device: str = 'cpu',
                              batch_size: int = 256, log=print) -> dict[str, Any]:
    """Compute and write the class embeddings of ``cfg``'s vocabulary.

    Args:
        cfg: an mmengine ``Config`` (changed in place when ``entry`` is given).
        out: output .pth; default ``cfg.model.panoptic_head.class_embed_path``.
        split: whose dataloader gives the classes when the config has no ``vocabulary``.
        entry: use the vocabulary (and, without ``out``, the ``class_embed_path``) of this
            evaluation entry of ``val_cfg`` / ``test_cfg`` (``main``: the loop's own entry).
        device: device of the text encoder.
        batch_size: prompts per forward.

    Returns:
        ``dict(pth, sidecar, shape, source)``: the written tensor ``(K, P, D)`` file, its
        ``.json`` sidecar, the tensor's shape and where the classes came from.
    """
    if entry:
        select_entry(cfg, entry)
    out = out or (cfg.get('model', {}).get('panoptic_head') or {}).get('class_embed_path')
    if not out:
        raise ValueError(f'No output path: pass --out PATH or set '
                         f'model.panoptic_head.class_embed_path in {cfg.filename}.')
    vocab = read_vocabulary(cfg, split)
    encoder = build_text_encoder(cfg).to(device)
    start = time.perf_counter()
    embeddings, synonyms = compute_class_embeddings(encoder, vocab['classes'], VILD_TEMPLATES,
                                                    batch_size=batch_size)
    extra = dict(vocabulary_source=vocab['source'], config=cfg.filename)
    if encoder.model_cfg is not None:
        extra['clip_model_cfg'] = _plain(encoder.model_cfg)
    pth, sidecar = save_class_embeddings(
        out, embeddings, vocab['classes'], synonyms=synonyms, clip_model=encoder.model_name,
        clip_pretrained=encoder.pretrained, templates=VILD_TEMPLATES,
        num_things=vocab['num_things'], num_stuff=vocab['num_stuff'], extra=extra)
    log(f'classes from {vocab["source"]}')
    log(f'wrote class embeddings {tuple(embeddings.shape)} (K, P, D) to {pth} '
        f'(+ {sidecar}) in {time.perf_counter() - start:.1f}s')
    return dict(pth=pth, sidecar=sidecar, shape=tuple(embeddings.shape), source=vocab['source'])
