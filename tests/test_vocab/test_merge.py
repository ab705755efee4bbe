"""Merging dataset vocabularies (OMG-Seg's ConcatOVDataset rule), by hand-made cases and by
the paper's class counts."""
from __future__ import annotations

import numpy as np
import pytest
from mmengine.config import Config

from omgseg.apis.gen_class_embeddings import read_vocabulary
from omgseg.vocab import NO_CLASS, get_vocabulary, merge_vocabularies, merged_vocabulary

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

