"""Merging dataset vocabularies (OMG-Seg's ConcatOVDataset rule) and the COCO open-vocabulary
class list."""
from __future__ import annotations

import numpy as np
import pytest
from mmdet.datasets import CocoPanopticDataset
from mmengine.config import Config

from omgseg.apis.gen_class_embeddings import read_vocabulary
from omgseg.datasets.metainfo import get_vocabulary, merged_vocabulary, vocabulary_from
from omgseg.datasets.metainfo.merge import NO_CLASS, merge_vocabularies
from omgseg.models.text.vocabulary import normalize_class_name

# Cityscapes as OMG-Seg's CityscapesPanopticDataset lists it (things first)
CITYSCAPES = dict(
    thing_classes=('person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle'),
    stuff_classes=('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
                   'traffic sign', 'vegetation', 'terrain', 'sky'))


def _luts(luts):
    return [None if lut is None else lut.tolist() for lut in luts]


def test_things_and_stuff_merge_separately():
    a = dict(thing_classes=('door',), stuff_classes=('wall',))
    b = dict(thing_classes=('wall',), stuff_classes=('door,doors',))
    vocab, luts = merge_vocabularies([a, b])
    assert vocab['thing_classes'] == ('door', 'wall')
    assert vocab['stuff_classes'] == ('wall', 'door,doors')
    assert vocab['classes'] == vocab['thing_classes'] + vocab['stuff_classes']
    assert _luts(luts) == [[0, 2], [1, 3]]
    assert all(lut.dtype == np.int64 for lut in luts)


def test_shared_synonym_merges_first_seen_name_and_order_kept():
    a = dict(thing_classes=('person,man', 'car'), stuff_classes=('sky',))
    b = dict(thing_classes=('bike', 'Man/human', 'automobile,car', 'traffic_light_or_signal'),
             stuff_classes=('grass', 'sky,clouds'))
    c = dict(thing_classes=('human,people', 'Traffic Light'), stuff_classes=('clouds',))
    vocab, luts = merge_vocabularies([a, b, c])
    # first-seen raw names, appended in first-seen order; things before stuff
    assert vocab['thing_classes'] == ('person,man', 'car', 'bike', 'traffic_light_or_signal',
                                      'human,people')
    assert vocab['stuff_classes'] == ('sky', 'grass', 'clouds')
    assert _luts(luts) == [[0, 1, 5], [2, 0, 1, 3, 6, 5], [4, 3, 7]]
    # 'human,people' shares no synonym with the first-seen 'person,man' (only with the later
    # 'Man/human' merged into it), so it is a class of its own, as in OMG-Seg; so is 'clouds'


def test_merging_does_not_chain_through_later_synonyms():
    # the closed-set recipe's trap: ADE20K's 'animal' lists 'dog' and merges with nothing,
    # YouTube-VIS's 'dog' must then stay 'dog'
    a = dict(thing_classes=('bird',), stuff_classes=())
    b = dict(thing_classes=('animal,bird,dog,cat',), stuff_classes=())
    c = dict(thing_classes=('dog', 'cat'), stuff_classes=())
    vocab, luts = merge_vocabularies([a, b, c])
    assert vocab['thing_classes'] == ('bird', 'dog', 'cat')
    assert _luts(luts) == [[0], [0], [1, 2]]


def test_same_dataset_classes_sharing_a_synonym_collapse():
    vocab, luts = merge_vocabularies([dict(thing_classes=('cup', 'cup,mug'), stuff_classes=())])
    assert vocab['classes'] == ('cup',)
    assert _luts(luts) == [[0, 0]]


def test_class_agnostic_and_classes_only_vocabularies():
    vocab, luts = merge_vocabularies([None, dict(classes=('cat', 'dog')),
                                      dict(thing_classes=(), stuff_classes=())])
    assert vocab == dict(thing_classes=('cat', 'dog'), stuff_classes=(), classes=('cat', 'dog'))
    assert luts[0] is None and luts[2] is None
    assert _luts(luts)[1] == [0, 1]
    assert NO_CLASS == -1


def test_merge_errors_name_the_vocabulary():
    with pytest.raises(ValueError, match='none of the vocabularies has a class'):
        merge_vocabularies([None, dict(classes=())])
    with pytest.raises(ValueError, match='#1.*no synonym'):
        merge_vocabularies([dict(classes=('a',)), dict(classes=(' , /',))])
    with pytest.raises(TypeError, match='#0 must be a dict'):
        merge_vocabularies([('cat', 'dog')])
    with pytest.raises(ValueError, match='#0.*thing_classes followed by'):
        merge_vocabularies([dict(classes=('sky', 'cat'), thing_classes=('cat',),
                                 stuff_classes=('sky',))])
    with pytest.raises(TypeError, match='list of vocabularies'):
        merge_vocabularies(dict(classes=('cat',)))


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


@pytest.mark.parametrize('with_yt21, things, stuff', [(False, 136, 101), (True, 139, 101)])
def test_paper_recipe_counts(with_yt21, things, stuff):
    names = ['coco_panoptic_ov', 'youtube_vis_2019'] + (['youtube_vis_2021'] if with_yt21
                                                        else []) + ['vipseg']
    vocab, luts = merged_vocabulary(names + [CITYSCAPES])
    assert (len(vocab['thing_classes']), len(vocab['stuff_classes'])) == (things, stuff)
    # as OMG-Seg's demo list th139_st101: YT-VIS 2019's new classes right after COCO's 80,
    # Cityscapes adds only 'rider' (thing) and four stuff classes at the very end
    assert vocab['thing_classes'][80:83] == ('giant_panda', 'lizard', 'parrot')
    assert vocab['thing_classes'][-1] == 'rider'
    assert vocab['stuff_classes'][-4:] == ('sidewalk', 'traffic sign', 'vegetation', 'terrain')
    city = luts[-1].tolist()
    assert city[0] == 0  # person -> COCO person
    # Cityscapes 'traffic light' is stuff: it joins VIPSeg's stuff 'traffic_light', not COCO's
    # thing 'traffic light'
    assert vocab['classes'][city[8 + 6]] == 'traffic_light'
    assert city[8 + 6] >= things
    if with_yt21:
        assert vocab['thing_classes'][102:105] == ('flying_disc', 'squirrel', 'whale')
    for lut, name in zip(luts, names):
        assert len(lut) == len(get_vocabulary(name)['classes'])
    assert luts[0].tolist() == list(range(133 - 53)) + list(range(things, things + 53))


def test_gen_class_embeddings_reads_a_merged_vocabulary(tmp_path):
    path = tmp_path / 'cfg.py'
    path.write_text("vocabulary = dict(merge=['toy', dict(thing_classes=['cat'], "
                    "stuff_classes=['sea'])])\n")
    vocab = read_vocabulary(Config.fromfile(str(path)))
    toy = get_vocabulary('toy')
    assert vocab['classes'] == list(toy['thing_classes'] + ('cat',) + toy['stuff_classes'] +
                                    ('sea',))
    assert (vocab['num_things'], vocab['num_stuff']) == (len(toy['thing_classes']) + 1,
                                                         len(toy['stuff_classes']) + 1)


def test_renamed_vocabulary():
    from omgseg.datasets.metainfo import vocabulary_from
    vocab = vocabulary_from(dict(base='toy', rename={'dog': 'hound', 'grass': 'lawn'}))
    assert vocab['thing_classes'] == ('person', 'bicycle', 'car', 'bird', 'hound')
    assert vocab['stuff_classes'][-1] == 'lawn' and len(vocab['classes']) == 8
    with pytest.raises(KeyError, match='unicorn'):
        vocabulary_from(dict(base='toy', rename={'unicorn': 'horse'}))
