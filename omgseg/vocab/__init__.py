"""The vocabulary layer: which classes exist and how their names are written.

The bottom layer of omgseg: models, datasets, evaluation, engine and tools import it; it
imports none of them. Roles, one per module:

* ``lists``: class lists of each dataset as plain data;
* ``registry``: named vocabularies (``vocabulary_from('vipseg')``) and vocabulary specs;
* ``annotations``: a vocabulary read from a dataset's annotation file (``from_annotations``);
* ``merge``: merging the vocabularies of several datasets (OMG-Seg's synonym rule);
* ``names``: class-name normalisation into synonyms, and the CLIP prompt templates;
* ``embedding_file``: the class-embedding file format (``.pth`` tensor + ``.json`` sidecar).

Everything here except ``embedding_file`` is pure Python / numpy, so importing
``omgseg.vocab`` does not load torch (only the ``'coco_panoptic'`` vocabulary, taken from
mmdet's COCO list, loads mmdet when it is requested); import the file format from
``omgseg.vocab.embedding_file``.
"""
from .merge import NO_CLASS, merge_vocabularies
from .names import VILD_TEMPLATES, check_templates, class_synonyms, normalize_class_name
from .registry import get_vocabulary, list_vocabularies, merged_vocabulary, vocabulary_from

__all__ = [
    'NO_CLASS', 'merge_vocabularies', 'VILD_TEMPLATES', 'check_templates', 'class_synonyms',
    'normalize_class_name', 'get_vocabulary', 'list_vocabularies', 'merged_vocabulary',
    'vocabulary_from',
]
