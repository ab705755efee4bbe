"""Named vocabularies and vocabulary specs (names, explicit dicts, merges, renames)."""
from __future__ import annotations

import pytest
from mmdet.datasets import CocoPanopticDataset

from omgseg.vocab import (get_vocabulary, list_vocabularies, merged_vocabulary,
                          normalize_class_name, vocabulary_from)
from omgseg.vocab.lists import toy


def _luts(luts):
    return [None if lut is None else lut.tolist() for lut in luts]


def test_toy_vocabulary_is_the_toy_lists():
    vocab = get_vocabulary('toy')
    assert vocab['thing_classes'] == toy.THING_CLASSES
    assert vocab['stuff_classes'] == toy.STUFF_CLASSES
    assert vocab['classes'] == toy.CLASSES == ('person', 'bicycle', 'car', 'bird', 'dog',
                                               'road', 'sky', 'grass')
    assert vocab['raw_class_ids'] == (3, 4, 5, 6, 7, 0, 1, 2)


def test_every_named_vocabulary_has_things_first_and_ids_per_class():
    for name in list_vocabularies():
        vocab = get_vocabulary(name)
        assert vocab['classes'] == vocab['thing_classes'] + vocab['stuff_classes'], name
        assert vocab['thing_classes'], name
        for key in ('raw_class_ids', 'cat_ids'):
            if key in vocab:
                assert len(vocab[key]) == len(vocab['classes']), (name, key)
    assert len(get_vocabulary('vipseg')['classes']) == 124
    assert len(get_vocabulary('youtube_vis_2021')['cat_ids']) == 40


def test_unknown_name_and_bad_explicit_vocabularies():
    with pytest.raises(KeyError, match=r"'nope'.*omgseg/vocab/registry\.py"):
        get_vocabulary('nope')
    with pytest.raises(KeyError, match='thing_classes and stuff_classes'):
        vocabulary_from(dict(classes=('cat',)))
    with pytest.raises(ValueError, match='cat_ids has 1 entries but there are 2 classes'):
        vocabulary_from(dict(thing_classes=('cat',), stuff_classes=('sky',), cat_ids=[3]))
    explicit = vocabulary_from(dict(thing_classes=['cat'], stuff_classes=['sky'], cat_ids=[3, 9]))
    assert explicit == dict(thing_classes=('cat',), stuff_classes=('sky',),
                            classes=('cat', 'sky'), cat_ids=(3, 9))


def test_vocabulary_from_merge_spec():
    spec = dict(merge=['toy', dict(thing_classes=('cat', 'dog,puppy'), stuff_classes=('sea',))])
    vocab = vocabulary_from(spec)
    toy = get_vocabulary('toy')
    assert vocab['thing_classes'] == toy['thing_classes'] + ('cat',)
    assert vocab['stuff_classes'] == toy['stuff_classes'] + ('sea',)
    assert 'raw_class_ids' not in vocab  # a dataset's raw ids do not apply to merged labels
    _, luts = merged_vocabulary(spec['merge'])
    dog = toy['thing_classes'].index('dog')
    assert _luts(luts)[1] == [len(toy['thing_classes']), dog, len(vocab['thing_classes']) + 3]
    with pytest.raises(ValueError, match='non-empty list'):
        vocabulary_from(dict(merge=[]))
    with pytest.raises(ValueError, match='non-empty list'):
        vocabulary_from(dict(merge='toy'))


def test_coco_panoptic_ov_follows_coco_panoptic_order():
    vocab = get_vocabulary('coco_panoptic_ov')
    assert len(vocab['thing_classes']) == 80 and len(vocab['stuff_classes']) == 53
    assert vocab['thing_classes'][0].startswith('person,child,girl,boy,')
    assert 'orange fruit' in vocab['thing_classes']
    assert 'tv remote,remote control' in vocab['thing_classes']
    meta = CocoPanopticDataset.METAINFO
    # label i is the same category as mmdet's COCO panoptic label i: its plain name is one of
    # the synonyms, except where the open-vocabulary list rewrote the name
    renamed = {'orange', 'remote', 'door-stuff', 'floor-wood', 'light', 'mirror-stuff', 'net',
               'wall-brick', 'wall-stone', 'wall-tile', 'wall-wood', 'window-blind'}
    for plain, ov in zip(meta['thing_classes'] + meta['stuff_classes'], vocab['classes']):
        base = plain.replace('-merged', '').replace('-other', '')
        assert base in normalize_class_name(ov) or plain in renamed, (plain, ov)
    ids = vocab['cat_ids']
    assert len(ids) == 133 and list(ids) == sorted(ids)
    assert max(ids[:80]) == 90 and min(ids[80:]) == 92 and ids[-1] == 200


def test_renamed_vocabulary():
    vocab = vocabulary_from(dict(base='toy', rename={'dog': 'hound', 'grass': 'lawn'}))
    assert vocab['thing_classes'] == ('person', 'bicycle', 'car', 'bird', 'hound')
    assert vocab['stuff_classes'][-1] == 'lawn' and len(vocab['classes']) == 8
    with pytest.raises(KeyError, match='unicorn'):
        vocabulary_from(dict(base='toy', rename={'unicorn': 'horse'}))
