# Issue 3's joint toy job: one model (fine-tuned tiny CLIP, no prompts) trained jointly on
# images and videos of the toy world, as OMG-Seg co-trains on COCO (as 2-frame pseudo-videos),
# VIPSeg and YouTube-VIS. The toy main job is omgseg_tiny_toy-cotrain.py (tools/toy_demo.sh).
#   bash tools/toy_prepare.sh && bash tools/dist_train.sh configs/toy/omgseg_tiny_toy-joint.py 2
# Validation during training is toy COCO panoptic (images); the video tasks are evaluated after
# training with omgseg_tiny_toy-{vipseg,ytvis,davis}.py.
_base_ = ['./omgseg_tiny_toy-coco-panoptic.py', '../_base_/datasets/toy_video.py']
vocabulary = 'toy'

max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[7],
         gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
# The datasets share the 'toy' vocabulary; only their task-specific metainfo differs.
_concat_ignore = ['task', 'label2cat', 'cat2label', 'cat_ids', 'raw_class_ids', 'vocabulary',
                  'dataset_type']
train_dataloader = dict(
    dataset=dict(
        _delete_=True, type='ConcatDataset', ignore_keys=_concat_ignore,
        datasets=[
            _base_.toy_coco_video_train,
            dict(type='RepeatDataset', times=3, dataset=_base_.toy_vipseg_train),
            dict(type='RepeatDataset', times=3, dataset=_base_.toy_ytvis_train),
        ]))
