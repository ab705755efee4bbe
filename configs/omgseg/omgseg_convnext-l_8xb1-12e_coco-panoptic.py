# Full-size OMG-Seg (frozen ConvNeXt-L CLIP) trained and evaluated on COCO panoptic alone.
# Class embeddings: python tools/gen_class_embeddings.py <this config>
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/coco_panoptic.py'
]
model = dict(
    panoptic_head=dict(vocabulary='coco_panoptic'),  # 80 things, 53 stuff
    # every training batch is padded to the LSJ crop, as the original's BatchFixedSizePad
    data_preprocessor=dict(train_pad_size=_base_.coco_image_size[::-1]))
train_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=_base_.coco_panoptic_train)
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_base_.coco_panoptic_val)
test_dataloader = val_dataloader
val_evaluator = _base_.coco_panoptic_evaluator
test_evaluator = val_evaluator
