"""Python inference API: build a model from a config + checkpoint, segment what prompts point at.

    model = init_model('configs/...py', 'model.pth', device='cpu')
    results = segment_prompts(model, 'image.jpg', points=[[120, 80]], boxes=[[10, 10, 90, 70]])
    results[0]['mask']    # (H, W) bool at the original image size

Prompts follow the original OMG-Seg interactive protocol: a point becomes a +-3 px box around it
(in pixels of the resized input image) with the *box* kind, as the released checkpoints were
trained; boxes are used as they are. Each prompt is decoded independently of the others.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
import os.path as osp
import pickle
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from omgseg.structures.prompts import BOX, point_boxes

__all__ = ['init_model', 'segment_prompts', 'pipeline_resize', 'vocabulary_override']

# text encoders already built and loaded, keyed by the CLIP they reproduce (see _text_encoder)
_TEXT_ENCODERS: dict[str, Any] = {}


# -- model ---------------------------------------------------------------------------------
def _load_state_dict(model: torch.nn.Module, checkpoint: str, strict: bool) -> None:
    """Load ``checkpoint`` (an mmengine ``{'state_dict': ...}`` file or a bare state dict)
    with ``weights_only=True`` (mmengine's extra objects are allow-listed by omgseg.register)."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist.')
    try:
        ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise ValueError(f'checkpoint {checkpoint} cannot be read safely (weights_only=True): '
                         f'{err}. Re-save it as {{"state_dict": model.state_dict()}}.') from None
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                              for v in state.values()):
        raise ValueError(f'checkpoint {checkpoint} holds no state dict (a dict of tensors, '
                         f'alone or under "state_dict").')
    # DDP-wrapped models save their keys under "module."
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches raise even when not strict
        raise ValueError(f'checkpoint {checkpoint} does not fit the config\'s model: '
                         f'{err}') from None
    missing, unexpected = list(result.missing_keys), list(result.unexpected_keys)
    if strict and (missing or unexpected):
        raise ValueError(
            f'checkpoint {checkpoint} does not fit the config\'s model: {len(missing)} missing '
            f'keys (e.g. {missing[:3]}), {len(unexpected)} unexpected keys (e.g. '
            f'{unexpected[:3]}). Use the config it was trained with, or strict=False.')


def init_model(config, checkpoint: str | None = None, *, device: str | torch.device = 'cpu',
               cfg_options: dict | None = None, strict: bool = True):
    """Build an :class:`OMGSeg` for inference.

    Args:
        config: config file path or an mmengine ``Config``.
        checkpoint: optional ``.pth`` (mmengine checkpoint or bare state dict), loaded with
            ``weights_only=True``; ``None`` keeps the initial weights (CLIP + random decoder).
        device: where the model runs, e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options: ``{dotted.key: value}`` overrides merged into the config.
        strict: refuse checkpoints with missing or unexpected keys.

    Returns:
        the model in eval mode on ``device``, with the (merged) config as ``model.cfg``.
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import omgseg.register  # noqa: F401  (registers modules and the safe checkpoint globals)
    from omgseg.registry import MODELS

    if isinstance(config, (str, os.PathLike)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config {config} does not exist.')
        cfg = Config.fromfile(os.fspath(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)  # the caller's config stays untouched by cfg_options
    else:
        raise TypeError(f'init_model: config must be a path or an mmengine Config, got '
                        f'{type(config).__name__}.')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ValueError(f'config {cfg.filename} has no `model`.')
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    if checkpoint is not None:
        _load_state_dict(model, os.fspath(checkpoint), strict)
    model.cfg = cfg
    return model.to(device).eval()


# -- resizing ------------------------------------------------------------------------------
def _find_resize(node: Any) -> dict | None:
    """The first ``*Resize`` transform with a ``scale`` in a (nested) pipeline config."""
    if isinstance(node, dict):
        if str(node.get('type', '')).endswith('Resize') and node.get('scale') is not None:
            return dict(node)
        children = list(node.values())
    elif isinstance(node, (list, tuple)):
        children = list(node)
    else:
        return None
    for child in children:
        found = _find_resize(child)
        if found is not None:
            return found
    return None


def pipeline_resize(cfg) -> tuple[tuple[int, int], bool]:
    """``(scale (w, h), keep_ratio)`` of the Resize in ``cfg.test_dataloader``'s pipeline."""
    loader = cfg.get('test_dataloader') or {}
    found = _find_resize((loader.get('dataset') or {}))
    if found is None:
        raise ValueError(f'config {cfg.filename}: no Resize with a `scale` in '
                         f'test_dataloader.dataset.pipeline; pass scale=(w, h) explicitly.')
    scale = found['scale']
    scale = (int(scale), int(scale)) if isinstance(scale, (int, float)) else tuple(
        int(s) for s in scale)
    return scale, bool(found.get('keep_ratio', False))


# -- prompts -------------------------------------------------------------------------------
def _as_rows(values, width: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros((0, width), np.float64)
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, width), np.float64)
    if arr.ndim == 1 and arr.shape[0] == width:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != width:
        raise ValueError(f'{name} must be ({"N" if width == 2 else "M"}, {width}), got shape '
                         f'{arr.shape}.')
    if not np.isfinite(arr).all():
        raise ValueError(f'{name} contain NaN or Inf.')
    return arr


def _check_prompts(points: np.ndarray, boxes: np.ndarray, h: int, w: int) -> None:
    if len(points) + len(boxes) == 0:
        raise ValueError('segment_prompts needs at least one prompt: pass points=[[x, y], ...] '
                         'and/or boxes=[[x1, y1, x2, y2], ...].')
    for i, (x, y) in enumerate(points):
        if not (0 <= x < w and 0 <= y < h):
            raise ValueError(f'point {i} ({x:g}, {y:g}) lies outside the {w}x{h} image '
                             f'(x in [0, {w}), y in [0, {h})).')
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        if x2 <= x1 or y2 <= y1:
            raise ValueError(f'box {i} ({x1:g}, {y1:g}, {x2:g}, {y2:g}) is degenerate: boxes are '
                             f'x1 y1 x2 y2 with x2 > x1 and y2 > y1.')
        if x2 <= 0 or y2 <= 0 or x1 >= w or y1 >= h:
            raise ValueError(f'box {i} ({x1:g}, {y1:g}, {x2:g}, {y2:g}) lies outside the '
                             f'{w}x{h} image.')


def _read_image(image) -> np.ndarray:
    if isinstance(image, (str, os.PathLike)):
        from omgseg.datasets.transforms.loading import read_image
        return read_image(os.fspath(image), 'image', 'bgr')
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 \
            or image.dtype != np.uint8:
        raise ValueError('image must be a file path or an (H, W, 3) uint8 BGR array, got '
                         f'{getattr(image, "shape", type(image))} '
                         f'{getattr(image, "dtype", "")}.')
    return image


# -- vocabulary ----------------------------------------------------------------------------
def _text_encoder(backbone_cfg: dict, device: torch.device):
    """A loaded :class:`CLIPTextEncoder` of the backbone's CLIP (built once per CLIP)."""
    from omgseg.models.text import CLIPTextEncoder

    plain = json.loads(json.dumps(backbone_cfg, default=list))
    if not plain.get('model_name') and not plain.get('model_cfg'):
        raise ValueError('model.cfg.model.backbone needs `model_name` or `model_cfg` to know '
                         'which CLIP encodes the vocabulary.')
    key = json.dumps([plain.get('model_name'), plain.get('model_cfg'),
                      plain.get('pretrained')], sort_keys=True)
    if key not in _TEXT_ENCODERS:
        encoder = CLIPTextEncoder(model_name=plain.get('model_name'),
                                  model_cfg=plain.get('model_cfg'),
                                  pretrained=plain.get('pretrained'))
        encoder.load_weights()
        _TEXT_ENCODERS[key] = encoder
    return _TEXT_ENCODERS[key].to(device)


@contextlib.contextmanager
def vocabulary_override(model, vocabulary: Sequence[str]) -> Iterator[list[str]]:
    """Classify with CLIP text embeddings of ``vocabulary`` inside the block, then restore.

    The embeddings come from the text tower of the CLIP named by ``model.cfg.model.backbone``
    (the CLIP the class-embedding files are made with), with the usual prompt templates.

    Yields:
        the class names, in label order.
    """
    from omgseg.models.text import compute_class_embeddings

    if isinstance(vocabulary, str) or not vocabulary or not all(
            isinstance(n, str) and n.strip() for n in vocabulary):
        raise ValueError(f'vocabulary must be a non-empty list of class names, got '
                         f'{vocabulary!r}.')
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise ValueError('vocabulary needs model.cfg (the config); build the model with '
                         'omgseg.apis.init_model.')
    device = next(model.parameters()).device
    embeddings, _ = compute_class_embeddings(
        _text_encoder(cfg.model.backbone, device), list(vocabulary))
    with model.evaluation_setting(class_embeddings=embeddings, class_names=list(vocabulary)):
        yield list(vocabulary)


# -- segmentation --------------------------------------------------------------------------
def _pack(model, img: np.ndarray, points: np.ndarray, boxes: np.ndarray,
          scale: tuple[int, int], keep_ratio: bool) -> dict:
    """Resize like the test pipeline, scale the prompts and run the data preprocessor."""
    from mmdet.datasets.transforms import Resize

    from omgseg.datasets.transforms.formatting import PackClipInputs

    h, w = img.shape[:2]
    results = Resize(scale=scale, keep_ratio=keep_ratio).transform(
        dict(img=img, img_shape=(h, w), ori_shape=(h, w)))
    sx, sy = (float(s) for s in results['scale_factor'])
    # points are placed on the resized image, then widened to the original's +-3 px box
    prompt_boxes = np.concatenate([point_boxes(points * [sx, sy]).reshape(-1, 4),
                                   boxes * [sx, sy, sx, sy]]).astype(np.float32)
    results.update(prompt_boxes=prompt_boxes,
                   prompt_kinds=np.full(len(prompt_boxes), BOX, np.int64),
                   prompt_instances_ids=np.arange(len(prompt_boxes), dtype=np.int64),
                   task='interactive')
    packed = PackClipInputs().transform(results)
    return model.data_preprocessor(dict(inputs=[packed['inputs']],
                                        data_samples=[packed['data_samples']]), False)


def segment_prompts(model, image, *, points=None, boxes=None,
                    vocabulary: Sequence[str] | None = None,
                    scale: Sequence[int] | None = None) -> list[dict]:
    """Segment the object each prompt points at.

    Args:
        model: an interactive-capable :class:`OMGSeg` (``panoptic_head.prompt_encoder`` set),
            e.g. from :func:`init_model`.
        image: image path or (H, W, 3) uint8 BGR array.
        points: (N, 2) xy pixels of the original image.
        boxes: (M, 4) xyxy pixels of the original image (clipped to it).
        vocabulary: optional class names; labels then come from CLIP text embeddings of these
            names instead of the model's own vocabulary (open-vocabulary), for this call only.
        scale: (w, h) of the input resize; default: the Resize of ``model.cfg``'s test pipeline.

    Returns:
        N + M dicts, points first, each with ``mask`` (H, W) bool numpy, ``label`` (class
        name), ``label_id`` (int), ``score`` (its probability) and ``prompt`` (``('point', x,
        y)`` or ``('box', x1, y1, x2, y2)``).

    Raises:
        ValueError: no prompt, a point outside the image, a degenerate or outside box.
    """
    img = _read_image(image)
    h, w = img.shape[:2]
    pts, bxs = _as_rows(points, 2, 'points'), _as_rows(boxes, 4, 'boxes')
    _check_prompts(pts, bxs, h, w)
    bxs = bxs.copy()
    bxs[:, 0::2] = bxs[:, 0::2].clip(0, w)
    bxs[:, 1::2] = bxs[:, 1::2].clip(0, h)
    if scale is None:
        if getattr(model, 'cfg', None) is None:
            raise ValueError('segment_prompts: model has no cfg to read the test Resize from; '
                             'pass scale=(w, h) or build the model with init_model.')
        scale, keep_ratio = pipeline_resize(model.cfg)
    else:
        scale, keep_ratio = tuple(int(s) for s in scale), True
    override = (vocabulary_override(model, vocabulary) if vocabulary is not None
                else contextlib.nullcontext())
    with override, torch.no_grad():
        data = _pack(model, img, pts, bxs, scale, keep_ratio)
        samples = model.predict(data['inputs'], data['data_samples'])
        names = model.scorer.class_names
    pred = samples[0].video_data_samples[0].pred_prompt_masks
    masks = pred.masks.cpu().numpy()
    labels, scores = pred.labels.cpu().tolist(), pred.scores.cpu().tolist()
    prompts = [('point', *map(float, p)) for p in pts] + [('box', *map(float, b)) for b in bxs]
    return [dict(mask=masks[i], label=names[labels[i]] if names else str(labels[i]),
                 label_id=int(labels[i]), score=float(scores[i]), prompt=prompts[i])
            for i in range(len(prompts))]
