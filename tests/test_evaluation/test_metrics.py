"""The mmengine metrics on the toy val set: predictions built from the ground truth score
100 on every metric, and the ranking behaviour of the metrics reacts to a spoiled class."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData, PixelData

from omgseg.evaluation.metrics.gt_reader import read_panoptic_gt
from omgseg.registry import DATASETS
from tests.conftest import toy_cfg


def _oracle_samples(dataset, spoil_label=None):
    """One packed sample per val image whose predictions equal its ground truth."""
    num_things = len(dataset.metainfo['thing_classes'])
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        frame = DetDataSample(metainfo=dict(img_id=info['img_id'], img_path=info['img_path'],
                                            seg_map_path=info['seg_map_path'],
                                            segments_info=info['segments_info']))
        ids, segments = read_panoptic_gt(frame)
        pred_segments, masks, labels = [], [], []
        sem = np.zeros(ids.shape, np.int64)
        for seg in segments:
            label = seg['category_id']
            if label == spoil_label:
                label = (label + 1) % num_things
            pred_segments.append(dict(id=seg['id'], category_id=label))
            region = ids == seg['id']
            sem[region] = label
            if label < num_things and not seg['iscrowd']:
                masks.append(region)
                labels.append(label)
        frame.pred_panoptic_seg = PixelData(sem_seg=torch.from_numpy(ids)[None],
                                            metainfo=dict(segments_info=pred_segments))
        frame.pred_sem_seg = PixelData(sem_seg=torch.from_numpy(sem)[None])
        frame.pred_instances = InstanceData(
            masks=torch.from_numpy(np.stack(masks) if masks else np.zeros((0, *ids.shape), bool)),
            labels=torch.tensor(labels, dtype=torch.long),
            scores=torch.ones(len(labels)))
        track = TrackDataSample()
        track.video_data_samples = [frame]
        samples.append(track)
    return samples


@pytest.fixture(scope='module')
def val_set(toy_root):
    return DATASETS.build(toy_cfg(toy_root).val_dataloader.dataset)


def _evaluate(toy_root, dataset, samples):
    evaluator = Evaluator(toy_cfg(toy_root).val_evaluator)
    evaluator.dataset_meta = dataset.metainfo
    for start in range(0, len(samples), 3):
        evaluator.process(samples[start:start + 3])
    return evaluator.evaluate(len(samples))


def test_ground_truth_predictions_score_100(toy_root, val_set):
    metrics = _evaluate(toy_root, val_set, _oracle_samples(val_set))
    for key in ('panoptic/PQ', 'panoptic/PQ_th', 'panoptic/PQ_st', 'semantic/mIoU', 'segm/AP'):
        assert metrics[key] == pytest.approx(100.0), key


def test_a_wrong_class_costs_points(toy_root, val_set):
    metrics = _evaluate(toy_root, val_set, _oracle_samples(val_set, spoil_label=0))
    assert metrics['panoptic/PQ'] < 100.0
    assert metrics['panoptic/PQ_st'] == pytest.approx(100.0)
    assert metrics['segm/AP'] < 100.0
