"""Vocabularies read from annotation files (``dict(from_annotations=PATH)``)."""
from __future__ import annotations

import json

import pytest

from omgseg.vocab import merged_vocabulary, vocabulary_from


def _write(tmp_path, data, name='ann.json'):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_things_first_synonyms_joined_and_ids_kept(tmp_path):
    path = _write(tmp_path, dict(categories=[
        dict(id=7, name='table-top', isthing=0, synonyms=['tabletop']),
        dict(id=3, name='kettle', isthing=1),
        dict(id=5, name='mug', synonyms=['cup', 'mug'])]))      # isthing defaults to 1
    vocab = vocabulary_from(dict(from_annotations=path))
    assert vocab['thing_classes'] == ('kettle', 'mug,cup')
    assert vocab['stuff_classes'] == ('table-top,tabletop',)
    assert vocab['classes'] == ('kettle', 'mug,cup', 'table-top,tabletop')
    assert vocab['cat_ids'] == vocab['raw_class_ids'] == (3, 5, 7)


def test_a_bare_category_list_and_a_merge(tmp_path):
    path = _write(tmp_path, [dict(id=0, name='road', isthing=0),
                             dict(id=4, name='person', isthing=1)])
    vocab, luts = merged_vocabulary([dict(from_annotations=path), 'toy'])
    # 'person' and 'road' are toy classes: they merge instead of being appended
    assert vocab['classes'] == vocabulary_from('toy')['classes']
    assert luts[0].tolist() == [0, 5]


def test_the_file_is_read_again_after_it_changes(tmp_path):
    path = _write(tmp_path, dict(categories=[dict(id=1, name='a')]))
    assert vocabulary_from(dict(from_annotations=path))['classes'] == ('a',)
    _write(tmp_path, dict(categories=[dict(id=1, name='a'), dict(id=2, name='bb')]))
    assert vocabulary_from(dict(from_annotations=path))['classes'] == ('a', 'bb')


@pytest.mark.parametrize('data,match', [
    (dict(images=[]), 'no "categories" list'),
    (dict(categories=[dict(id=1, name='a'), dict(id=1, name='b')]), 'ids must be unique'),
    (dict(categories=[dict(id=1, name='a,b')]), 'may not contain ","'),
    (dict(categories=[dict(id=1, name='a', synonyms='b')]), 'give a list of strings'),
    (dict(categories=[dict(name='a')]), 'needs an integer "id"'),
])
def test_bad_files_are_named_with_the_fix(tmp_path, data, match):
    path = _write(tmp_path, data)
    with pytest.raises(ValueError, match=match) as err:
        vocabulary_from(dict(from_annotations=path))
    assert path in str(err.value)


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='point it at the training annotation json'):
        vocabulary_from(dict(from_annotations=str(tmp_path / 'nope.json')))
    bad = tmp_path / 'bad.json'
    bad.write_text('{not json')
    with pytest.raises(ValueError, match='is not valid json'):
        vocabulary_from(dict(from_annotations=str(bad)))
