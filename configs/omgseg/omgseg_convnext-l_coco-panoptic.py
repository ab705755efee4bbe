# Evaluate OMG-Seg (frozen ConvNeXt-L CLIP) on COCO val2017 in one run: panoptic (PQ), instance
# (mask AP on instances_val2017.json) and semantic (mIoU) segmentation, classified against COCO's
# 133 open-vocabulary names ('coco_panoptic_ov', as the original's CocoPanopticOVDataset).
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_coco-panoptic.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_coco-panoptic.py CHECKPOINT 8
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/coco_panoptic.py',
    '../_base_/cotrain/vocabularies.py'
]
vocabulary = 'coco_panoptic_ov'
model = dict(panoptic_head=dict(vocabulary=vocabulary,
                                class_embed_path=_base_.embed_dir + 'coco_panoptic_ov.pth'))
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_base_.coco_panoptic_val, vocabulary=vocabulary))
test_evaluator = _base_.coco_panoptic_evaluator
