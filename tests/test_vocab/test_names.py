"""Class-name normalisation into synonyms, and the prompt templates."""
from __future__ import annotations

import pytest

from omgseg.vocab import VILD_TEMPLATES, check_templates, class_synonyms, normalize_class_name


@pytest.mark.parametrize('name,expected', [
    ('handrail_or_fence', ['handrail', 'fence']),
    ('person,child,girl', ['person', 'child', 'girl']),
    ('tv remote/remote control', ['tv remote', 'remote control']),
    ('Traffic_Light', ['traffic light']),
    ('wall-other-merged', ['wall-other-merged']),
    (' a , b,a,, B ', ['a', 'b']),
    ('rock_or_stone/ROCK', ['rock', 'stone']),
])
def test_normalize_class_name(name, expected):
    assert normalize_class_name(name) == expected


@pytest.mark.parametrize('bad', ['', ' , / '])
def test_normalize_class_name_empty(bad):
    with pytest.raises(ValueError, match='no synonym'):
        normalize_class_name(bad)


def test_vild_templates():
    assert len(VILD_TEMPLATES) == 14 and len(set(VILD_TEMPLATES)) == 14
    assert VILD_TEMPLATES[0] == 'a photo of a {}.'
    assert VILD_TEMPLATES[-1] == 'There is a large {} in the scene.'
    assert all(t.count('{}') == 1 for t in VILD_TEMPLATES)


def test_normalize_class_name_rejects_non_strings():
    with pytest.raises(TypeError, match='must be a str.*3'):
        normalize_class_name(3)


def test_class_synonyms():
    assert class_synonyms(['handrail_or_fence', 'sky']) == [['handrail', 'fence'], ['sky']]
    with pytest.raises(ValueError, match='empty'):
        class_synonyms([])
    with pytest.raises(TypeError, match='not a single string'):
        class_synonyms('sky')


def test_check_templates():
    assert check_templates(('a {}.', 'the {}')) == ['a {}.', 'the {}']
    with pytest.raises(ValueError, match='exactly one'):
        check_templates(['a {} and a {}'])
    with pytest.raises(ValueError, match='exactly one'):
        check_templates(['no slot'])
    with pytest.raises(ValueError, match='at least one'):
        check_templates([])
