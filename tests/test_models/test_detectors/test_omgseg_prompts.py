"""The interactive task through the model: prompt batches train (mask + dice only, every
parameter in the graph), predictions give one mask per prompt, and prompts do not interact."""
import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from omgseg.registry import MODELS, TRANSFORMS
from tests.conftest import toy_cfg
from tests.batches import make_batch


@pytest.fixture(scope='module')
def prompt_model(toy_root):
    cfg = toy_cfg(toy_root)
    cfg.model.panoptic_head.prompt_encoder = dict(type='PromptEncoder')
    m = MODELS.build(cfg.model)
    m.init_weights()
    return m


def _with_prompts(batch, boxes):
    ids = torch.tensor([[11, 12][i % 2] for i in range(len(boxes))])
    for track in batch['data_samples']:
        track.set_metainfo(dict(task='interactive'))
        frame = track.video_data_samples[0]
        frame.prompts = InstanceData(
            boxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
            kinds=torch.zeros(len(boxes), dtype=torch.long), instances_ids=ids)
    return batch


def test_prompt_loss_trains_masks_only_and_reaches_every_parameter(prompt_model):
    model = prompt_model.train()
    batch = _with_prompts(make_batch(2, 1), [[10, 8, 16, 14], [55, 40, 61, 46]])
    data = model.data_preprocessor(batch, training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert float(losses['loss_cls']) == 0.0 and float(losses['loss_obj']) == 0.0
    assert float(losses['loss_mask']) > 0 and float(losses['loss_dice']) > 0
    model.zero_grad()
    sum(losses.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing
    enc = model.panoptic_head.prompt_encoder
    assert enc.pos_linear.weight.grad.abs().sum() > 0       # prompts are really trained


def test_object_batches_keep_the_prompt_encoder_in_the_graph(prompt_model):
    model = prompt_model.train()
    data = model.data_preprocessor(make_batch(1, 1), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    model.zero_grad()
    sum(losses.values()).backward()
    assert model.panoptic_head.prompt_encoder.pos_linear.weight.grad is not None


def test_mixed_batches_are_refused(prompt_model):
    batch = make_batch(2, 1)
    _with_prompts(dict(inputs=batch['inputs'][:1], data_samples=batch['data_samples'][:1]),
                  [[1, 1, 5, 5]])
    data = prompt_model.data_preprocessor(batch, training=True)
    with pytest.raises(ValueError, match='TaskBatchSampler'):
        prompt_model.loss(data['inputs'], data['data_samples'])


def test_prompt_masks_do_not_depend_on_other_prompts(prompt_model):
    model = prompt_model.eval()
    boxes = [[10, 8, 16, 14], [55, 40, 61, 46], [30, 20, 80, 60]]
    torch.manual_seed(0)
    batch = _with_prompts(make_batch(1, 1), boxes)
    data = model.data_preprocessor(batch)
    together = model.predict(data['inputs'], data['data_samples'])
    head = model.panoptic_head
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        logits = []
        for subset in ([0, 1, 2], [1], [2, 0]):
            b = torch.tensor([boxes[i] for i in subset], dtype=torch.float32)[None]
            q = head.prompt_encoder(b, torch.zeros(1, len(subset), dtype=torch.long),
                                    (64, 96), head.num_heads)
            out = head(feats, 1, queries=q[:2], self_attn_mask=q[2])[-1]['mask'][0]
            logits.append(dict(zip(subset, out)))
    for i in (0, 1, 2):
        for other in logits[1:]:
            if i in other:
                torch.testing.assert_close(other[i], logits[0][i], atol=1e-5, rtol=0)
    masks = together[0].video_data_samples[0].pred_prompt_masks
    assert masks.masks.shape == (3, 64, 96) and masks.masks.dtype == torch.bool
    assert masks.instances_ids.tolist() == [11, 12, 11]


def test_sample_prompts_transform_targets_each_instance():
    masks = np.zeros((3, 20, 30), np.uint8)
    masks[0, 2:8, 3:12] = 1
    masks[1, 10:18, 15:28] = 1
    masks[2, 0:5, 25:30] = 1
    results = dict(gt_masks=BitmapMasks(masks, 20, 30),
                   gt_ignore_flags=np.array([False, False, True]),
                   gt_instances_ids=np.array([7, 9, 4]))
    test = TRANSFORMS.build(dict(type='SamplePrompts', test_mode=True))(dict(results))
    assert test['prompt_instances_ids'].tolist() == [7, 9]          # the crowd one is skipped
    for box, iid in zip(test['prompt_boxes'], test['prompt_instances_ids']):
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        assert masks[[7, 9, 4].index(iid), int(cy), int(cx)] == 1   # the point is inside
    train = TRANSFORMS.build(dict(type='SamplePrompts', max_prompts=5, seed=0))(dict(results))
    assert len(train['prompt_boxes']) == 5
    assert set(train['prompt_instances_ids'].tolist()) == {7, 9}
    mixed = TRANSFORMS.build(dict(type='SamplePrompts', max_prompts=40, mode='mixed',
                                  seed=1))(dict(results))
    kinds = mixed['prompt_kinds'].tolist()
    assert 1 in kinds and 0 in kinds                                  # points and boxes
    sizes = mixed['prompt_boxes'][:, 2] - mixed['prompt_boxes'][:, 0]
    assert {round(float(w)) for w in sizes} >= {0, 6}                 # point, +-3 px point box
    for box, iid in zip(mixed['prompt_boxes'], mixed['prompt_instances_ids']):
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        assert masks[[7, 9, 4].index(iid)][int(cy), int(cx)] == 1 or (box[2] - box[0]) > 6
    with pytest.raises(ValueError, match='mode'):
        TRANSFORMS.build(dict(type='SamplePrompts', mode='scribble'))
    with pytest.raises(ValueError, match='min_area'):
        TRANSFORMS.build(dict(type='SamplePrompts', min_area=-1))


def test_sample_prompts_defaults_are_the_original_recipe():
    """Point boxes only, of the box kind; masks under 32 px get no training prompt (they
    are still prompted at evaluation); min_area=0 keeps them."""
    masks = np.zeros((2, 20, 30), np.uint8)
    masks[0, 2:8, 3:12] = 1                   # 54 px
    masks[1, 10:14, 15:22] = 1                # 28 px
    results = dict(gt_masks=BitmapMasks(masks, 20, 30), gt_instances_ids=np.array([7, 9]))
    train = TRANSFORMS.build(dict(type='SamplePrompts', seed=0))(dict(results))
    assert set(train['prompt_instances_ids'].tolist()) == {7}
    assert (train['prompt_kinds'] == 0).all()
    sizes = train['prompt_boxes'][:, 2:] - train['prompt_boxes'][:, :2]
    assert np.allclose(sizes, 6)                                      # +-3 px point boxes
    every = TRANSFORMS.build(dict(type='SamplePrompts', seed=0, min_area=0))(dict(results))
    assert set(every['prompt_instances_ids'].tolist()) == {7, 9}
    test = TRANSFORMS.build(dict(type='SamplePrompts', test_mode=True))(dict(results))
    assert test['prompt_instances_ids'].tolist() == [7, 9]


def test_unmasked_first_layer_changes_prompts_only(prompt_model):
    """mask_prompt_first_layer=False: a prompt's first cross-attention ignores the shared
    initial mask; learned object queries are untouched."""
    model = prompt_model.eval()
    head = model.panoptic_head
    data = model.data_preprocessor(make_batch(1, 1), training=False)
    feats = model.extract_feat(data['inputs'])
    boxes = torch.tensor([[[10.0, 8.0, 16.0, 14.0], [40.0, 30.0, 70.0, 60.0]]])
    queries = head.prompt_encoder(boxes, torch.zeros(1, 2, dtype=torch.long), (128, 128),
                                  head.num_heads)
    # an initial mask that hides most of the image, as a stuff-like shared prediction does
    saved = head.mask_embed[-1].bias.detach().clone()
    with torch.no_grad():
        head.mask_embed[-1].bias.fill_(-5.0)
    try:
        outs = {}
        for flag in (True, False):
            head.mask_prompt_first_layer = flag
            with torch.no_grad():
                prompted = head(feats, 1, queries=queries[:2], self_attn_mask=queries[2])
                learned = head(feats, 1)
            outs[flag] = (prompted, learned)
    finally:
        head.mask_prompt_first_layer = True
        with torch.no_grad():
            head.mask_embed[-1].bias.copy_(saved)
    assert torch.equal(outs[True][0][0]['mask'], outs[False][0][0]['mask'])   # same d0
    assert not torch.allclose(outs[True][0][1]['query'], outs[False][0][1]['query'])
    assert torch.equal(outs[True][1][-1]['mask'], outs[False][1][-1]['mask'])


def test_sample_prompts_point_rule_switch():
    """An L-shaped mask whose Euclidean and cascaded-approximation interior points differ:
    the transform passes its point_rule through to the evaluation prompts."""
    from omgseg.datasets.transforms.prompt_sampling import sam_eval_prompts
    g = np.random.default_rng(3)
    for _ in range(50):
        masks = np.zeros((1, 24, 32), np.uint8)
        y, x = g.integers(0, 12, 2)
        masks[0, y:y + g.integers(6, 12), x:x + g.integers(8, 20)] = 1
        masks[0, y:y + g.integers(8, 12), x:x + g.integers(3, 6)] = 1
        exact, _ = sam_eval_prompts(torch.from_numpy(masks), point_rule='exact')
        original, _ = sam_eval_prompts(torch.from_numpy(masks), point_rule='original')
        if not torch.equal(exact, original):
            break
    assert not torch.equal(exact, original)
    results = dict(gt_masks=BitmapMasks(masks, 24, 32), gt_instances_ids=np.array([5]))
    for rule, expected in (('exact', exact), ('original', original)):
        out = TRANSFORMS.build(dict(type='SamplePrompts', test_mode=True,
                                    point_rule=rule))(dict(results))
        np.testing.assert_array_equal(out['prompt_boxes'], expected.numpy())
    with pytest.raises(ValueError, match='point_rule'):
        TRANSFORMS.build(dict(type='SamplePrompts', point_rule='kornia'))
