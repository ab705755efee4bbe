# ADE20K panoptic (images as 1-frame clips), converted from ADEChallengeData2016 (+ the
# instance-challenge maps) by tools/dataset_converters/ade20k_panoptic.py (data/README.md).
# 100 things + 50 stuff ('ade20k_panoptic' vocabulary, OMG-Seg's synonym names, matched to the
# json categories by name).
ade20k_data_root = 'data/ade/ADEChallengeData2016/'
ade20k_image_size = (1280, 736)  # (w, h), the OMG-Seg co-training size

# OMG-Seg's closed-set recipe: as Cityscapes but with large-scale jitter
ade20k_panoptic_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=ade20k_image_size, ratio_range=(0.1, 2.0),
         resize_type='Resize', keep_ratio=True),
    dict(type='RandomCrop', crop_size=ade20k_image_size, crop_type='absolute',
         recompute_bbox=True, allow_negative_crop=True),
    dict(type='PackClipInputs'),
]
ade20k_panoptic_test_pipeline = [
    dict(type='LoadImageSafe'),
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='PackClipInputs'),
]
ade20k_panoptic_train = dict(
    type='OMGCocoPanopticDataset',
    data_root=ade20k_data_root,
    ann_file='ade20k_panoptic_train.json',
    data_prefix=dict(img='images/training/', seg='ade20k_panoptic_train/'),
    vocabulary='ade20k_panoptic',
    task='panoptic',
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=ade20k_panoptic_train_pipeline)
ade20k_panoptic_val = dict(
    type='OMGCocoPanopticDataset',
    data_root=ade20k_data_root,
    ann_file='ade20k_panoptic_val.json',
    data_prefix=dict(img='images/validation/', seg='ade20k_panoptic_val/'),
    vocabulary='ade20k_panoptic',
    task='panoptic',
    test_mode=True,
    pipeline=ade20k_panoptic_test_pipeline)
# PQ from the panoptic PNGs; mIoU against semantic GT derived from them (thing pixels without
# an instance are void there, so this is not the official SceneParsing-150 mIoU)
ade20k_panoptic_evaluator = [
    dict(type='PanopticQualityMetric'),
    dict(type='SemanticIoUMetric'),
]
