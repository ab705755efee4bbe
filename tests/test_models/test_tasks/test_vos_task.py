"""Video object segmentation from tube proposals: selection, first-frame matching, painting,
the VOS handler on its own, and the model's vos route."""
import pytest
import torch

from omgseg.models.inference import MaskStore, TubeLinker
from omgseg.models.inference.vos import match_objects, paint_objects, select_proposals
from omgseg.models.tasks import ClipSettings, VOSSettings, VOSTask
from tests.batches import make_batch


def _masks(*boxes, size=(6, 8)):
    out = torch.zeros(len(boxes), *size, dtype=torch.bool)
    for i, (y0, y1, x0, x1) in enumerate(boxes):
        out[i, y0:y1, x0:x1] = True
    return out


def test_select_proposals_best_first():
    obj = torch.tensor([0.1, 3.0, -1.0, 2.0, 0.5])
    assert select_proposals(obj, 3).tolist() == [1, 3, 4]
    assert select_proposals(obj, 10).tolist() == [1, 3, 4, 0, 2]


def test_match_objects_maximises_total_iou():
    proposals = _masks((0, 6, 0, 4), (0, 6, 4, 8), (0, 3, 0, 8))
    objects = _masks((0, 6, 4, 8), (0, 6, 0, 3))
    # object 0 = right half -> proposal 1 (IoU 1); object 1 = left 3 columns -> proposal 0
    assert match_objects(proposals, objects).tolist() == [1, 0]
    with pytest.raises(ValueError, match='raise test_cfg.vos.num_proposals'):
        match_objects(proposals[:1], objects)
    with pytest.raises(ValueError, match='differ in size'):
        match_objects(proposals, objects[:, :3])
    assert match_objects(proposals, objects[:0]).numel() == 0


def test_paint_objects_better_proposal_wins_overlaps():
    masks = _masks((0, 6, 0, 6), (0, 6, 3, 8))            # overlap in columns 3..5
    ids = paint_objects(masks, torch.tensor([1, 0]), torch.tensor([4, 9]))
    # object 9 follows proposal 0 (better ranked): it owns the overlap
    assert ids[0, 0] == 9 and ids[0, 4] == 9 and ids[0, 7] == 4
    assert torch.equal(paint_objects(masks, torch.tensor([], dtype=torch.long),
                                     torch.tensor([], dtype=torch.long)),
                       torch.zeros(6, 8, dtype=torch.long))


def test_vos_frames_follow_the_matched_tubes():
    """Two clips whose queries come in swapped order: after linking, each first-frame object
    follows its own tube in every frame."""
    q, h, w = 4, 6, 8
    left, right = _masks((0, 6, 0, 4))[0], _masks((0, 6, 4, 8))[0]
    query = torch.eye(q, 5)
    obj = torch.tensor([2.0, -5.0, 3.0, -5.0])              # queries 2 and 0 are the proposals
    mask = torch.full((q, 2, h, w), -10.0)
    mask[2, :, left] = 10.0
    mask[0, :, right] = 10.0
    linker = TubeLinker(store=MaskStore(budget_mb=0))
    linker.add_clip(cls=torch.zeros(q, 3), obj=obj, query=query, mask=mask)
    swap = torch.tensor([2, 1, 0, 3])                        # the next clip lists them swapped
    linker.add_clip(cls=torch.zeros(q, 3), obj=obj[swap], query=query[swap], mask=mask[swap])
    task = VOSTask(vos=VOSSettings(num_proposals=2), clips=ClipSettings())
    objects = torch.stack([right, left])
    out = dict(task._frames_out(linker, [lambda x: x] * 4, objects, torch.tensor([5, 7])))
    assert sorted(out) == [0, 1, 2, 3]
    for t in range(4):
        assert torch.all(out[t][left] == 7) and torch.all(out[t][right] == 5)


def test_model_vos_route(toy_root):
    from omgseg.registry import MODELS
    from tests.conftest import toy_cfg
    cfg = toy_cfg(toy_root)
    cfg.model.test_cfg = dict(vos=dict(num_proposals=5),
                              clips=dict(clip_size=2, clip_size_small=2))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    batch = make_batch(1, 3, size=(64, 96), task='vos')
    data = model.data_preprocessor(batch, training=False)
    sample = model.predict(data['inputs'], data['data_samples'])[0]
    for frame in sample.video_data_samples:
        seg = frame.pred_vos_seg.sem_seg[0]
        assert seg.shape == (64, 96)
        assert set(torch.unique(seg).tolist()) <= {0, 11, 12}
        assert 'pred_panoptic_seg' not in frame


# two 4x4 proposals and one object annotated at the original 7x7 size (found by search: the
# two matching resolutions pick different proposals for it)
_PROPOSALS = [[[1, 1, 0, 1], [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0]],
              [[0, 0, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 1, 0]]]
_OBJECT = [[0, 1, 0, 0, 1, 0, 0], [0, 1, 0, 1, 0, 1, 0], [0, 0, 1, 1, 0, 0, 0],
           [1, 0, 1, 0, 0, 0, 0], [1, 0, 0, 0, 1, 1, 0], [0, 0, 1, 0, 1, 1, 0],
           [0, 1, 0, 0, 0, 0, 0]]


def _iou(a, b):
    return float((a & b).sum()) / float((a | b).sum())


def _vos_at(resolution: str) -> torch.Tensor:
    from mmengine.structures import InstanceData
    from tests.test_models.test_tasks.fakes import FixedHead, fixed_context
    batch = make_batch(1, 1, size=(4, 4), with_gt=False, task='vos')
    frame = batch['data_samples'][0].video_data_samples[0]
    frame.set_metainfo(dict(ori_shape=(7, 7)))                  # network input 4x4
    frame.gt_instances = InstanceData(masks=torch.tensor(_OBJECT, dtype=torch.bool)[None],
                                      instances_ids=torch.tensor([3]), labels=torch.tensor([0]))
    mask = torch.where(torch.tensor(_PROPOSALS, dtype=torch.bool), 10.0, -10.0)
    head = FixedHead(torch.zeros(2, 3), torch.tensor([1.0, 0.0]), mask)
    task = VOSTask(vos=VOSSettings(num_proposals=2, match_resolution=resolution),
                   clips=ClipSettings())
    sample = task.predict(fixed_context(head, ['a', 'b'], 1),
                          torch.stack(batch['inputs']).float(), batch['data_samples'])[0]
    return sample.video_data_samples[0].pred_vos_seg.sem_seg[0]


def test_match_resolution_switch():
    """'original' matches the proposals upsampled to the annotation's 7x7; 'network' matches
    at the 4x4 input with the annotation resized there: here they pick different proposals,
    each the best by IoU at its own resolution; both paint at 7x7."""
    import torch.nn.functional as F
    logits = torch.where(torch.tensor(_PROPOSALS, dtype=torch.bool), 10.0, -10.0)
    big = F.interpolate(logits[None], size=(7, 7), mode='bilinear', align_corners=False)[0] > 0
    obj = torch.tensor(_OBJECT, dtype=torch.bool)
    small_obj = F.interpolate(obj[None, None].float(), size=(4, 4), mode='nearest')[0, 0] > 0.5
    small = logits > 0
    best_original = max(range(2), key=lambda i: _iou(big[i], obj))
    best_network = max(range(2), key=lambda i: _iou(small[i], small_obj))
    assert best_original != best_network
    for resolution, best in (('original', best_original), ('network', best_network)):
        seg = _vos_at(resolution)
        assert seg.shape == (7, 7)
        assert torch.equal(seg == 3, big[best])
    with pytest.raises(ValueError, match=r"test_cfg\.vos\.match_resolution must be one of"):
        VOSSettings(match_resolution='input')
