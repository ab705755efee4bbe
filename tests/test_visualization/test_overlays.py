"""Overlays: exact blend values, track-stable colours, labels, legends, prompts, errors."""
import os
import subprocess
import sys

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from omgseg.visualization import (LegendEntry, caption, class_color, class_entries,
                                  draw_instances, draw_legend, draw_masks, draw_panoptic,
                                  draw_prompts, draw_semantic, draw_vos, label_anchor,
                                  track_color)

H, W = 96, 128
GREY = 100


def _image():
    return np.full((H, W, 3), GREY, np.uint8)


def _blend(color, alpha=0.5):
    return np.round(GREY * (1 - alpha) + np.asarray(color, float) * alpha).astype(np.uint8)


def _box(y0, y1, x0, x1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_palette_is_deterministic_across_processes_and_distinct():
    colors = [track_color(i) for i in range(200)]
    assert len(set(colors)) == 200
    # neighbouring ids (the usual case: tracks 1, 2, 3) must be told apart at a glance
    gaps = [np.abs(np.subtract(colors[i], colors[i + 1])).sum() for i in range(199)]
    assert min(gaps) > 60
    code = 'from omgseg.visualization import track_color as t, class_color as c; ' \
           'print([t(i) for i in range(5)], [c(i) for i in range(5)])'
    env = dict(os.environ, PYTHONHASHSEED='123')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    assert out == str([track_color(i) for i in range(5)]) + ' ' + \
        str([class_color(i) for i in range(5)])


def test_same_track_keeps_its_colour_through_a_video():
    """An object that moves, changes its index and its neighbours keeps its colour."""
    frame1 = draw_instances(_image(), np.stack([_box(10, 40, 10, 50), _box(50, 90, 60, 120)]),
                            [0, 1], ['person', 'car'], track_ids=[7, 3], show_legend=False)
    frame2 = draw_instances(_image(), np.stack([_box(5, 30, 70, 110), _box(50, 90, 0, 40),
                                                _box(60, 90, 60, 90)]),
                            [1, 0, 0], ['person', 'car'], track_ids=[3, 9, 7],
                            show_legend=False)
    # interior pixels away from label and contour
    assert (frame1[12, 12] == _blend(track_color(7))).all()
    assert (frame2[62, 62] == _blend(track_color(7))).all()
    assert (frame1[52, 62] == frame2[7, 72]).all()  # track 3 in both frames
    assert (frame2[52, 2] == _blend(track_color(9))).all()
    assert not (frame1[12, 12] == frame1[52, 62]).all()


def test_panoptic_things_by_track_stuff_by_class_void_untouched():
    classes = ['person', 'sky,heaven']

    def frame(thing_box, stuff_id):
        ids = np.zeros((H, W), np.int64)
        ids[60:, :] = stuff_id
        ids[thing_box] = 4
        segs = [dict(id=4, category_id=0, isthing=True, score=0.8),
                dict(id=stuff_id, category_id=1, isthing=False)]
        return draw_panoptic(_image(), ids, segs, classes, show_legend=False)

    a = frame(np.s_[5:40, 5:45], 200)
    b = frame(np.s_[10:50, 70:120], 201)  # thing moved; stuff got another segment id
    assert (a[7, 7] == _blend(track_color(4))).all() and (b[12, 72] == a[7, 7]).all()
    assert (a[93, 2] == _blend(class_color(1))).all() and (b[93, 2] == a[93, 2]).all()
    assert (a[50, 100] == GREY).all()  # void
    # an explicit track_id wins over the segment id
    ids = np.zeros((H, W), np.int64)
    ids[5:40, 5:45] = 4
    c = draw_panoptic(_image(), ids, [dict(id=4, label=0, track_id=11)], classes,
                      show_legend=False)
    assert (c[7, 7] == _blend(track_color(11))).all()


def test_labels_sit_inside_the_segment_and_change_pixels():
    ring = _box(10, 90, 10, 120) & ~_box(30, 70, 30, 100)  # the centroid is outside
    x, y = label_anchor(ring)
    assert ring[y, x]
    assert label_anchor(np.zeros((H, W), bool)) is None
    plain = draw_masks(_image(), [ring], [(200, 0, 0)], None)
    labelled = draw_masks(_image(), [ring], [(200, 0, 0)], ['person 0.90'])
    changed = np.nonzero((plain != labelled).any(-1))
    assert len(changed[0]) > 30
    assert abs(np.median(changed[1]) - x) < 25 and abs(np.median(changed[0]) - y) < 10
    assert caption('car', score=0.456, track_id=3) == 'car #3 0.46'
    assert caption('car') == 'car'


def test_contours_drawn_in_mask_colour():
    mask = _box(20, 60, 20, 80)
    out = draw_masks(_image(), [mask], [(255, 0, 0)], None, alpha=0.0)
    assert (out[20, 50] == (255, 0, 0)).all()  # border pixel: full colour
    assert (out[40, 50] == GREY).all()  # alpha 0 leaves the inside
    no_edge = draw_masks(_image(), [mask], [(255, 0, 0)], None, alpha=0.0, contours=False)
    assert (no_edge == GREY).all()


def test_legend_lists_classes_present():
    rows = class_entries(['person', 'car', 'person'], [(1, 1, 1), (2, 2, 2), (3, 3, 3)])
    assert [r.name for r in rows] == ['person (2)', 'car']
    assert rows[0].colors == [(1, 1, 1), (3, 3, 3)]
    out = draw_legend(_image(), rows)
    changed = (out != GREY).any(-1)
    ys, xs = np.nonzero(changed)
    assert changed[:, -1].any() and not changed[:, 0].any() and ys.max() < H // 2  # top-right
    assert (out == (1, 1, 1)).all(-1).any() and (out == (3, 3, 3)).all(-1).any()
    many = draw_legend(_image(), [LegendEntry(f'class {i}', [(9, 9, 9)]) for i in range(50)])
    assert (many == (9, 9, 9)).all(-1).any()  # too many rows: summarised, still drawn
    assert (draw_legend(_image(), []) == GREY).all()


def test_semantic_colours_by_class_and_skips_ignore():
    sem = np.full((H, W), 255)
    sem[:40] = 2
    sem[60:, :50] = 0
    out = draw_semantic(_image(), sem, ['road', 'x', 'sky'], show_legend=False)
    assert (out[20, 60] == _blend(class_color(2))).all()
    assert (out[94, 2] == _blend(class_color(0))).all()
    assert (out[50, 100] == GREY).all()
    with_legend = draw_semantic(_image(), sem, ['road', 'x', 'sky'])
    assert (with_legend == class_color(2)).all(-1).any()  # legend swatch


def test_vos_colours_objects_by_id():
    ids = np.zeros((H, W), np.int64)
    ids[10:40, 10:40] = 1
    ids[50:90, 60:120] = 2
    ids[0:5, 100:] = 255
    out = draw_vos(_image(), ids, object_names={1: 'dog'}, show_legend=False)
    assert (out[12, 12] == _blend(track_color(1))).all()
    assert (out[52, 62] == _blend(track_color(2))).all()
    assert (out[2, 120] == GREY).all() and (out[45, 45] == GREY).all()


def test_instances_rle_equals_bool_masks_and_filters_by_score():
    masks = np.stack([_box(0, 50, 0, 60), _box(30, 90, 40, 120), _box(0, 10, 100, 120)])
    rles = [mask_utils.encode(np.asfortranarray(m.astype(np.uint8))) for m in masks]
    rles[0] = dict(rles[0], counts=rles[0]['counts'].decode())  # str counts (JSON form)
    kw = dict(scores=[0.9, 0.5, 0.1], track_ids=[1, 2, 3], show_legend=False)
    a = draw_instances(_image(), masks, [0, 0, 1], ['cat', 'dog'], **kw)
    b = draw_instances(_image(), rles, [0, 0, 1], ['cat', 'dog'], **kw)
    assert (a == b).all()
    assert (a[5, 110] == GREY).all()  # score 0.1 < 0.3
    # where the masks overlap the higher score is on top: track 1 blended last
    over = _blend(track_color(2)).astype(float) * 0.5 + np.asarray(track_color(1)) * 0.5
    assert np.abs(a[45, 50].astype(float) - over).max() <= 1
    empty = draw_instances(_image(), [None], [0], ['cat'])
    assert (empty == GREY).all()


def test_prompts_marks():
    out = draw_prompts(_image(), points=[[20, 20], [60, 60]], positive=[True, False],
                       boxes=[[80, 10, 120, 50]], prompt_ids=[5])
    assert (out[20, 20] == (40, 220, 60)).all() and (out[60, 60] == (235, 50, 50)).all()
    assert (out[30, 80] == track_color(5)).all()
    assert (out[30, 100] == GREY).all()


@pytest.mark.parametrize('call, match', [
    (lambda: draw_panoptic(_image(), np.zeros((H, W + 1)), []), 'panoptic id map'),
    (lambda: draw_semantic(np.zeros((H, W), np.uint8), np.zeros((H, W))), 'uint8 RGB'),
    (lambda: draw_instances(_image(), [dict(size=[H + 1, W], counts='')]), 'RLE 0'),
    (lambda: draw_instances(_image(), np.zeros((1, H, W), bool), [0, 1]), '2 labels'),
    (lambda: draw_prompts(_image(), points=[[1, 2, 3]]), 'points'),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
