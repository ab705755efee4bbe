"""Class-name vocabulary: the synonym rule and the ViLD prompt templates.

A raw class name such as ``'tv remote/remote control'`` or ``'handrail_or_fence'`` encodes
several synonyms; each synonym gets its own CLIP text embedding and the classifier takes the
max over them.
"""
from __future__ import annotations

from collections.abc import Sequence

# The 14 ViLD prompt templates (as copied by fc-clip and OMG-Seg). Order matters only for
# reproducibility of the float sums; the embedding is their normalised mean.
VILD_TEMPLATES: tuple[str, ...] = (
    'a photo of a {}.',
    'This is a photo of a {}',
    'There is a {} in the scene',
    'There is the {} in the scene',
    'a photo of a {} in the scene',
    'a photo of a small {}.',
    'a photo of a medium {}.',
    'a photo of a large {}.',
    'This is a photo of a small {}.',
    'This is a photo of a medium {}.',
    'This is a photo of a large {}.',
    'There is a small {} in the scene.',
    'There is a medium {} in the scene.',
    'There is a large {} in the scene.',
)


def normalize_class_name(name: str) -> list[str]:
    """Split one raw class name into its synonyms (OMG-Seg's rule).

    ``'_or_'`` and ``'/'`` separate synonyms like ``','`` does, ``'_'`` becomes a space, text is
    lower-cased, pieces are stripped; empty pieces and repeats are dropped, order is kept.
    Runs of whitespace inside a piece collapse to one space (CLIP's tokenizer does the same,
    so the embedding is unchanged, but duplicates are then found reliably).

    Example: ``'tv remote/remote control'`` -> ``['tv remote', 'remote control']``.

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: no synonym is left (e.g. ``''`` or ``', /'``).
    """
    if not isinstance(name, str):
        raise TypeError(f'class name must be a str, got {type(name).__name__}: {name!r}')
    # Same order as the original: '_or_' must be split before '_' turns into a space.
    text = name.replace('_or_', ',').replace('/', ',').replace('_', ' ').lower()
    synonyms: list[str] = []
    for piece in text.split(','):
        piece = ' '.join(piece.split())
        if piece and piece not in synonyms:
            synonyms.append(piece)
    if not synonyms:
        raise ValueError(f'class name {name!r} contains no synonym after normalisation; '
                         f'fix the class list (dataset metainfo or config `vocabulary`).')
    return synonyms


def class_synonyms(class_names: Sequence[str]) -> list[list[str]]:
    """Apply :func:`normalize_class_name` to every class; raises on an empty vocabulary."""
    if isinstance(class_names, str):
        raise TypeError('class_names must be a sequence of names, not a single string.')
    if len(class_names) == 0:
        raise ValueError('class_names is empty; a vocabulary needs at least one class.')
    return [normalize_class_name(name) for name in class_names]


def check_templates(templates: Sequence[str]) -> list[str]:
    """Return ``templates`` as a list after checking each has exactly one ``{}`` slot."""
    if isinstance(templates, str):
        raise TypeError('templates must be a sequence of strings, not a single string.')
    templates = list(templates)
    if not templates:
        raise ValueError('templates is empty; give at least one prompt template.')
    for template in templates:
        if not isinstance(template, str) or template.count('{}') != 1:
            raise ValueError(f'prompt template {template!r} must contain exactly one "{{}}".')
    return templates
