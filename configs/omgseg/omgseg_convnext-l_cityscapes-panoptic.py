# Evaluate OMG-Seg (frozen ConvNeXt-L CLIP) on Cityscapes val panoptic (PQ) at full resolution
# (2048 x 1024). 8 things + 11 stuff from the 'cityscapes_panoptic' vocabulary (the original's
# eval config swapped them: 11 / 8).
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_cityscapes-panoptic.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_cityscapes-panoptic.py CHECKPOINT 8
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/cityscapes_panoptic.py',
    '../_base_/cotrain/vocabularies.py'
]
vocabulary = 'cityscapes_panoptic'
model = dict(
    panoptic_head=dict(vocabulary=vocabulary,
                       class_embed_path=_base_.embed_dir + 'cityscapes_panoptic.pth'),
    test_cfg=dict(objects=dict(panoptic_on=True, instance_on=False, semantic_on=False)))
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False), dataset=_base_.cityscapes_panoptic_val)
test_evaluator = _base_.cityscapes_panoptic_evaluator
