"""SegVisualizationHook: one overlay per frame for every task, named so nothing collides."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData, PixelData
from pycocotools import mask as mask_utils

from omgseg.engine.hooks import SegVisualizationHook
from omgseg.engine.hooks.visualization_hook import overlay_name
from omgseg.structures import IGNORE_INDEX
from omgseg.visualization import class_color, track_color

H, W, GREY = 64, 96, 100
CLASSES = ['person', 'car', 'sky']


def _image(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((H, W, 3), GREY, np.uint8))
    return str(path)


def _frame(img_path, frame_id=None, **fields):
    meta = dict(img_path=img_path, ori_shape=(H, W), img_shape=(H // 2, W // 2))
    if frame_id is not None:
        meta['frame_id'] = frame_id
    frame = DetDataSample(metainfo=meta)
    for name, value in fields.items():
        setattr(frame, name, value)
    return frame


def _sample(frames, task, video_name=None):
    sample = TrackDataSample()
    sample.video_data_samples = frames
    meta = dict(task=task)
    if video_name is not None:
        meta['video_name'] = video_name
    sample.set_metainfo(meta)
    return sample


def _ids(y0, y1, x0, x1, value):
    ids = torch.zeros((1, H, W), dtype=torch.long)
    ids[0, y0:y1, x0:x1] = value
    return ids


def _read(path):
    return cv2.imread(str(path))[..., ::-1]


def _blend(color):
    return np.round(GREY * 0.5 + np.asarray(color, float) * 0.5).astype(np.uint8)


def test_overlay_names():
    assert overlay_name(img_path='/d/v/img7.jpg', video_name='v1', frame_index=7) == \
        'v1/00007.jpg'
    assert overlay_name(img_path='/d/coco/000123.jpg', ext='png') == '000123.png'


def test_videos_with_equal_frame_names_get_distinct_files(tmp_path):
    hook = SegVisualizationHook(show_dir=str(tmp_path / 'show'))
    written = []
    for video, box in (('cat_video', (5, 40, 5, 40)), ('dog_video', (20, 60, 50, 90))):
        frames = [_frame(_image(tmp_path / video / f'{t:05d}.jpg'), t,
                         pred_vos_seg=PixelData(sem_seg=_ids(*box, 1))) for t in range(2)]
        written += hook.draw_sample(_sample(frames, 'vos', video))
    show = tmp_path / 'show'
    expected = {show / v / f'{t:05d}.jpg' for v in ('cat_video', 'dog_video') for t in (0, 1)}
    assert {p for p in map(type(show), written)} == expected
    assert all(p.is_file() for p in expected)
    cat, dog = _read(show / 'cat_video' / '00000.jpg'), _read(show / 'dog_video' / '00000.jpg')
    assert np.abs(cat.astype(int) - dog.astype(int)).max() > 50  # each kept its own content


def test_images_named_by_stem_without_overwriting(tmp_path):
    hook = SegVisualizationHook(show_dir=str(tmp_path / 'show'), ext='png')
    for folder in ('a', 'b'):
        frame = _frame(_image(tmp_path / folder / 'x.png'),
                       pred_sem_seg=PixelData(sem_seg=_ids(0, H, 0, W // 2, 2)))
        hook.draw_sample(_sample([frame], 'semantic'))
    assert sorted(p.name for p in (tmp_path / 'show').iterdir()) == ['b_x.png', 'x.png']


def test_every_task_drawn_with_track_colours(tmp_path):
    hook = SegVisualizationHook(show_dir=str(tmp_path / 'show'), ext='png')
    img = _image(tmp_path / 'img.png')
    mask = np.zeros((H, W), bool)
    mask[30:60, 4:50] = True
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    segs = [dict(id=5, category_id=0, isthing=True, score=0.9),
            dict(id=200, category_id=2, isthing=False)]
    pan = PixelData(sem_seg=_ids(30, 60, 4, 50, 5) + _ids(0, 20, 0, 40, 200),
                    metainfo=dict(segments_info=segs))
    inst = InstanceData(scores=torch.tensor([0.9]), labels=torch.tensor([1]),
                        instances_id=torch.tensor([6]))
    inst.masks_rle = [rle]
    prompt = InstanceData(masks=torch.from_numpy(mask)[None], instances_ids=torch.tensor([3]),
                          labels=torch.tensor([0]), scores=torch.tensor([0.8]))
    clicks = InstanceData(boxes=torch.tensor([[10., 20., 10., 20.]]), kinds=torch.tensor([1]),
                          instances_ids=torch.tensor([3]))
    sem = _ids(30, 60, 4, 50, 1)
    sem[sem == 0] = IGNORE_INDEX  # label 0 is a class; unlabelled pixels are void
    cases = {
        'panoptic': (dict(pred_panoptic_seg=pan), track_color(5), class_color(2)),
        'instance': (dict(pred_instances=inst), track_color(7), None),
        'semantic': (dict(pred_sem_seg=PixelData(sem_seg=sem)), class_color(1), None),
        'vos': (dict(pred_vos_seg=PixelData(sem_seg=_ids(30, 60, 4, 50, 4))), track_color(4),
                None),
        'interactive': (dict(pred_prompt_masks=prompt, prompts=clicks), track_color(3), None),
    }
    for task, (fields, thing_color, stuff_color) in cases.items():
        path, = hook.draw_sample(_sample([_frame(img, **fields)], task, f'v_{task}'))
        out = _read(path)
        assert (out[32, 6] == _blend(thing_color)).all(), task
        assert (out[45, 80] == GREY).all(), task  # background untouched
        if stuff_color is not None:
            assert (out[2, 2] == _blend(stuff_color)).all()
    # the click (10, 20) in the half-size input lands at (20, 40) in the original image
    assert (_read(path)[40, 20] == (40, 220, 60)).all()


def test_task_picks_the_field_and_falls_back(tmp_path):
    hook = SegVisualizationHook(show_dir=str(tmp_path / 'show'), ext='png')
    img = _image(tmp_path / 'img.png')
    sem = PixelData(sem_seg=_ids(30, 60, 4, 50, 1))
    vos = PixelData(sem_seg=_ids(30, 60, 4, 50, 4))
    path, = hook.draw_sample(_sample([_frame(img, pred_sem_seg=sem, pred_vos_seg=vos)],
                                     'semantic', 'a'))
    assert (_read(path)[32, 6] == _blend(class_color(1))).all()
    path, = hook.draw_sample(_sample([_frame(img, pred_sem_seg=sem)], 'panoptic', 'b'))
    assert (_read(path)[32, 6] == _blend(class_color(1))).all()  # no panoptic: semantic
    assert hook.draw_sample(_sample([_frame(img)], 'panoptic', 'c')) == []


def test_after_test_iter_class_names_and_interval(tmp_path):
    from omgseg.engine.hooks.visualization_hook import _class_names

    hook = SegVisualizationHook(show_dir=str(tmp_path / 'show'), interval=2)
    runner = SimpleNamespace(model=torch.nn.Identity(), test_dataloader=SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(classes=CLASSES))))
    assert _class_names(runner) == CLASSES
    # the vocabulary the model classifies against now wins (multi-dataset test entries)
    classifier = SimpleNamespace(class_names=['zebra', 'tree'])
    wrapped = SimpleNamespace(module=SimpleNamespace(
        panoptic_head=SimpleNamespace(classifier=classifier)))
    assert _class_names(SimpleNamespace(model=wrapped, test_dataloader=None)) == ['zebra',
                                                                                   'tree']
    img = _image(tmp_path / 'img.png')
    sample = _sample([_frame(img, 0, pred_sem_seg=PixelData(sem_seg=_ids(0, H, 0, W, 2)))],
                     'semantic', 'v')
    hook.after_test_iter(runner, 1, outputs=[sample])
    assert not (tmp_path / 'show').exists()
    hook.after_test_iter(runner, 2, outputs=[sample])
    assert (tmp_path / 'show' / 'v' / '00000.jpg').is_file()
    with pytest.raises(ValueError, match='ext'):
        SegVisualizationHook(show_dir='x', ext='gif')
