# Train on your own images with a COCO *instances* json (things only, polygons or RLE), the tiny
# toy model (docs/custom_dataset.md); the classes are the json's categories.
#   python tools/analysis_tools/check_dataset.py configs/custom/omgseg_tiny_custom-coco-instances.py
#   python tools/gen_class_embeddings.py configs/custom/omgseg_tiny_custom-coco-instances.py
#   python tools/train.py configs/custom/omgseg_tiny_custom-coco-instances.py --check-data
# -- edit these: your dataset ----------------------------------------------------------------
custom_root = 'data/my_dataset/'
custom_train = dict(ann_file='annotations/instances_train.json',
                    data_prefix=dict(img='images/train/'))
custom_val = dict(ann_file='annotations/instances_val.json', data_prefix=dict(img='images/val/'))
custom_embed_path = custom_root + 'class_embeddings/tiny_clip.pth'
# -----------------------------------------------------------------------------------------
_base_ = ['../toy/omgseg_tiny_toy-coco-panoptic.py']
custom_vocabulary = dict(from_annotations=custom_root + custom_train['ann_file'])
vocabulary = custom_vocabulary  # what tools/gen_class_embeddings.py embeds

model = dict(panoptic_head=dict(vocabulary=dict(custom_vocabulary, _delete_=True),
                                class_embed_path=custom_embed_path),
             test_cfg=dict(objects=dict(panoptic_on=False, semantic_on=False)))
# the toy pipeline with instance masks decoded from the json instead of a panoptic PNG
custom_instances_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True), dict(type='LoadTrackInstances'),
    *_base_.toy_panoptic_train_pipeline[2:]]
custom_instances_train = dict(
    type='OMGCocoInstanceDataset', data_root=custom_root, vocabulary=custom_vocabulary,
    task='instance', filter_cfg=dict(filter_empty_gt=True),
    pipeline=custom_instances_train_pipeline, **custom_train)
custom_instances_val = dict(
    type='OMGCocoInstanceDataset', data_root=custom_root, vocabulary=custom_vocabulary,
    task='instance', test_mode=True, pipeline=_base_.toy_panoptic_test_pipeline, **custom_val)
train_dataloader = dict(dataset=dict(custom_instances_train, _delete_=True))
val_dataloader = dict(dataset=dict(custom_instances_val, _delete_=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='CocoMaskAPMetric', ann_file=custom_root + custom_val['ann_file'])]
test_evaluator = val_evaluator
