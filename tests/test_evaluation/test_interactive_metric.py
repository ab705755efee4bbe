"""InteractiveIoUMetric on hand-made panoptic PNGs: exact IoUs, void as background, the
things / stuff split, and clear errors for prompts that name no listed segment."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData
from PIL import Image

from omgseg.evaluation.metrics.interactive_metric import InteractiveIoUMetric

META = dict(classes=['cat', 'dog', 'sky'], thing_classes=['cat', 'dog'], stuff_classes=['sky'])


def _png(ids: np.ndarray, path) -> str:
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)
    Image.fromarray(rgb).save(path)
    return str(path)


def _sample(png: str, segments: list, masks: np.ndarray, ids: list) -> TrackDataSample:
    frame = DetDataSample(metainfo=dict(seg_map_path=png, segments_info=segments))
    frame.pred_prompt_masks = InstanceData(
        masks=torch.from_numpy(masks.astype(bool)), instances_ids=torch.tensor(ids),
        labels=torch.zeros(len(ids), dtype=torch.long), scores=torch.ones(len(ids)))
    track = TrackDataSample()
    track.video_data_samples = [frame]
    return track


def _seg(sid, category, iscrowd=False):
    return dict(id=sid, category=category, is_thing=category < 2, iscrowd=iscrowd)


@pytest.fixture
def image_a(tmp_path):
    """4 x 6 image: cat (id 5) = left 2 columns, sky (id 9) = right 3 columns, void column 2."""
    ids = np.zeros((4, 6), np.int64)
    ids[:, :2] = 5
    ids[:, 3:] = 9
    return _png(ids, tmp_path / 'a.png'), [_seg(5, 0), _seg(9, 2)]


def _run(samples):
    metric = InteractiveIoUMetric()
    metric.dataset_meta = META
    metric.process({}, samples)
    return metric.compute_metrics(metric.results), metric.results


def test_exact_iou_with_void_as_background(image_a, tmp_path):
    png, segs = image_a
    masks = np.zeros((2, 4, 6), bool)
    masks[0, :, :3] = True        # cat (8 px) + the void column (4 px): IoU 8 / 12
    masks[1, :2, 3:] = True       # top half of the sky: IoU 6 / 12
    # a second image: a dog (id 7, 4 px) found exactly
    ids_b = np.zeros((3, 3), np.int64)
    ids_b[:2, :2] = 7
    png_b = _png(ids_b, tmp_path / 'b.png')
    masks_b = (ids_b == 7)[None]
    out, results = _run([_sample(png, segs, masks, [5, 9]),
                         _sample(png_b, [_seg(7, 1)], masks_b, [7])])
    assert len(results) == 2                             # one entry per sample
    assert out['mIoU'] == pytest.approx((8 / 12 + 6 / 12 + 1.0) / 3 * 100)
    assert out['mIoU_things'] == pytest.approx((8 / 12 + 1.0) / 2 * 100)
    assert out['mIoU_stuff'] == pytest.approx(50.0)


def test_a_split_without_segments_is_nan_and_sample_without_prompts_counts_nothing(image_a):
    png, segs = image_a
    masks = np.zeros((1, 4, 6), bool)
    masks[0, :, :2] = True
    empty = _sample(png, segs, np.zeros((0, 4, 6), bool), [])
    out, results = _run([_sample(png, segs, masks, [5]), empty])
    assert out['mIoU'] == pytest.approx(100.0) and out['mIoU_things'] == pytest.approx(100.0)
    assert np.isnan(out['mIoU_stuff'])
    assert len(results) == 2 and len(results[1][0]) == 0


def test_bad_predictions_are_refused_with_the_file_named(image_a):
    png, segs = image_a
    ok = np.zeros((1, 4, 6), bool)
    with pytest.raises(ValueError, match='segment id 3'):
        _run([_sample(png, segs, ok, [3])])
    with pytest.raises(ValueError, match='ori_shape'):
        _run([_sample(png, segs, np.zeros((1, 8, 12), bool), [5])])
    crowd = [_seg(5, 0, iscrowd=True), _seg(9, 2)]
    with pytest.raises(ValueError, match='crowd'):
        _run([_sample(png, crowd, ok, [5])])
    with pytest.raises(ValueError, match='no prompted segment'):
        _run([_sample(png, segs, np.zeros((0, 4, 6), bool), [])])
