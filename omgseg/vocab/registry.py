"""Named vocabularies: the single source of class lists for datasets and class embeddings.

A vocabulary is ``dict(classes, thing_classes, stuff_classes)`` with things first; label i is
``classes[i]``. Names may hold synonyms separated by commas (``'person,child'``).

Video vocabularies carry the ids their annotation files use: ``raw_class_ids`` (label -> VIPSeg
raw class 0..123, see ``omgseg.datasets.vipseg_format``) or ``cat_ids`` (label -> YouTube-VIS
json category id).

The class lists are plain data in ``omgseg.vocab.lists``; a vocabulary's dict is built on
request.
"""
from __future__ import annotations

from .annotations import vocabulary_from_annotations
from .lists import coco_ov, image, toy, video
from .merge import merge_vocabularies


def _toy() -> dict:
    return dict(thing_classes=tuple(toy.THING_CLASSES), stuff_classes=tuple(toy.STUFF_CLASSES),
                raw_class_ids=tuple(toy.VIPSEG_RAW_CLASS_IDS))


def _coco_panoptic() -> dict:
    # mmdet (and torch with it) is loaded only for this vocabulary, keeping the others cheap.
    from mmdet.datasets import CocoPanopticDataset
    meta = CocoPanopticDataset.METAINFO
    return dict(thing_classes=tuple(meta['thing_classes']),
                stuff_classes=tuple(meta['stuff_classes']))


def _vipseg() -> dict:
    # OMG-Seg's label order: things then stuff, each by raw id.
    things = [(raw, name) for raw, name, isthing in video.VIPSEG_CLASSES if isthing]
    stuff = [(raw, name) for raw, name, isthing in video.VIPSEG_CLASSES if not isthing]
    return dict(thing_classes=tuple(n for _, n in things), stuff_classes=tuple(n for _, n in stuff),
                raw_class_ids=tuple(r for r, _ in things + stuff))


def _youtube_vis(version: str):
    def build() -> dict:
        names = getattr(video, f'YOUTUBE_VIS_{version}_CLASSES')
        return dict(thing_classes=tuple(names), stuff_classes=(),
                    cat_ids=tuple(range(1, len(names) + 1)))
    return build


def _davis() -> dict:
    # DAVIS objects have no category: one class-agnostic thing class
    return dict(thing_classes=('object',), stuff_classes=())


def _coco_panoptic_ov() -> dict:
    # COCO panoptic with OMG-Seg's open-vocabulary synonyms; cat_ids are the json ids
    return dict(thing_classes=coco_ov.COCO_OV_THING_CLASSES,
                stuff_classes=coco_ov.COCO_OV_STUFF_CLASSES, cat_ids=coco_ov.COCO_PANOPTIC_CAT_IDS)


def _cityscapes_panoptic() -> dict:
    return dict(thing_classes=image.CITYSCAPES_THING_CLASSES,
                stuff_classes=image.CITYSCAPES_STUFF_CLASSES)


def _ade20k_panoptic() -> dict:
    return dict(thing_classes=tuple(n for _, n in image.ADE20K_THINGS),
                stuff_classes=tuple(n for _, n in image.ADE20K_STUFF))


_VOCABULARIES = {'toy': _toy, 'coco_panoptic': _coco_panoptic, 'vipseg': _vipseg,
                 'youtube_vis_2019': _youtube_vis('2019'),
                 'youtube_vis_2021': _youtube_vis('2021'), 'davis': _davis}
_VOCABULARIES.update(coco_panoptic_ov=_coco_panoptic_ov)
_VOCABULARIES.update(cityscapes_panoptic=_cityscapes_panoptic,
                     ade20k_panoptic=_ade20k_panoptic)
_ID_KEYS = ('raw_class_ids', 'cat_ids')


def list_vocabularies() -> list[str]:
    return sorted(_VOCABULARIES)


def get_vocabulary(name: str) -> dict:
    """Return ``dict(classes, thing_classes, stuff_classes)`` of a named vocabulary (plus
    ``raw_class_ids`` / ``cat_ids`` where its dataset needs them)."""
    if name not in _VOCABULARIES:
        raise KeyError(f'unknown vocabulary {name!r}; known: {list_vocabularies()}. Add it in '
                       f'omgseg/vocab/registry.py.')
    vocab = _VOCABULARIES[name]()
    vocab['classes'] = vocab['thing_classes'] + vocab['stuff_classes']
    return vocab


def vocabulary_from(spec: str | dict) -> dict:
    """A vocabulary given by name, as an explicit dict with thing/stuff class lists, as
    ``dict(merge=[spec, ...])``: the merged vocabulary of several specs (see ``.merge``), or as
    ``dict(base=spec, rename={old name: new name})``: another vocabulary with some classes
    named differently (e.g. without the synonyms that make a class "seen" in training), or as
    ``dict(from_annotations='path.json')``: the categories of a dataset's own annotation file
    (``.annotations``; read when the spec is resolved, not when a config is loaded)."""
    if isinstance(spec, str):
        return get_vocabulary(spec)
    if isinstance(spec, dict) and 'merge' in spec:
        return merged_vocabulary(spec['merge'])[0]
    if isinstance(spec, dict) and 'from_annotations' in spec:
        return vocabulary_from_annotations(spec['from_annotations'])
    if isinstance(spec, dict) and 'base' in spec:
        return _renamed(vocabulary_from(spec['base']), dict(spec.get('rename') or {}))
    if 'thing_classes' not in spec or 'stuff_classes' not in spec:
        raise KeyError('an explicit vocabulary needs thing_classes and stuff_classes lists.')
    things, stuff = tuple(spec['thing_classes']), tuple(spec['stuff_classes'])
    vocab = dict(thing_classes=things, stuff_classes=stuff, classes=things + stuff)
    for key in _ID_KEYS:
        if key in spec:
            ids = tuple(int(i) for i in spec[key])
            if len(ids) != len(vocab['classes']):
                raise ValueError(f'vocabulary {key} has {len(ids)} entries but there are '
                                 f'{len(vocab["classes"])} classes; give one id per class '
                                 f'(things first).')
            vocab[key] = ids
    return vocab


def _renamed(vocab: dict, rename: dict) -> dict:
    missing = [old for old in rename if old not in vocab['classes']]
    if missing:
        raise KeyError(f'vocabulary `rename` names {missing[:3]}, which the base vocabulary does '
                       f'not have (its classes start {list(vocab["classes"][:3])}).')
    out = dict(vocab)
    for key in ('thing_classes', 'stuff_classes'):
        out[key] = tuple(rename.get(name, name) for name in vocab[key])
    out['classes'] = out['thing_classes'] + out['stuff_classes']
    return out


def merged_vocabulary(specs) -> tuple[dict, list]:
    """Merge vocabulary specs (names or dicts) with :func:`merge_vocabularies`.

    Returns ``(vocab, luts)``: luts[i] (int64 array, local label -> merged label) per spec.
    """
    if isinstance(specs, (str, dict)) or not specs:
        raise ValueError(f"vocabulary `merge` needs a non-empty list of vocabulary names or "
                         f"dicts, got {specs!r}; e.g. dict(merge=['coco_panoptic_ov', 'vipseg']).")
    return merge_vocabularies([vocabulary_from(s) for s in specs])
