# Cityscapes panoptic (images as 1-frame clips), converted from the official gtFine release by
# tools/dataset_converters/cityscapes.py (data/README.md). 8 things + 11 stuff
# ('cityscapes_panoptic' vocabulary, matched to the json categories by name).
cityscapes_data_root = 'data/cityscapes/'
cityscapes_image_size = (1280, 736)  # (w, h), the OMG-Seg co-training size

cityscapes_panoptic_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=cityscapes_image_size, ratio_range=(0.8, 1.5),
         resize_type='Resize', keep_ratio=True),
    dict(type='RandomCrop', crop_size=cityscapes_image_size, crop_type='absolute',
         recompute_bbox=True, allow_negative_crop=True),
    dict(type='PackClipInputs'),
]
cityscapes_panoptic_test_pipeline = [
    dict(type='LoadImageSafe'),
    # full resolution, as OMG-Seg's Cityscapes evaluation
    dict(type='Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='PackClipInputs'),
]
cityscapes_panoptic_train = dict(
    type='OMGCocoPanopticDataset',
    data_root=cityscapes_data_root,
    ann_file='annotations/cityscapes_panoptic_train.json',
    data_prefix=dict(img='leftImg8bit/train/', seg='annotations/cityscapes_panoptic_train/'),
    vocabulary='cityscapes_panoptic',
    task='panoptic',
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=cityscapes_panoptic_train_pipeline)
cityscapes_panoptic_val = dict(
    type='OMGCocoPanopticDataset',
    data_root=cityscapes_data_root,
    ann_file='annotations/cityscapes_panoptic_val.json',
    data_prefix=dict(img='leftImg8bit/val/', seg='annotations/cityscapes_panoptic_val/'),
    vocabulary='cityscapes_panoptic',
    task='panoptic',
    test_mode=True,
    pipeline=cityscapes_panoptic_test_pipeline)
# PQ / SQ / RQ against the converted panoptic PNGs (COCO-panoptic rules, as cityscapesScripts)
cityscapes_panoptic_evaluator = [dict(type='PanopticQualityMetric')]
