# The toy world in COCO panoptic format (tools/dataset_converters/make_toy_data.py writes it).
toy_data_root = 'data/toy/coco/'
toy_image_size = (128, 128)

toy_panoptic_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=toy_image_size, ratio_range=(0.5, 2.0),
         resize_type='Resize', keep_ratio=True),
    dict(type='RandomCrop', crop_size=toy_image_size, crop_type='absolute',
         recompute_bbox=True, allow_negative_crop=True),
    dict(type='PackClipInputs'),
]
toy_panoptic_test_pipeline = [
    dict(type='LoadImageSafe'),
    dict(type='Resize', scale=toy_image_size, keep_ratio=True),
    dict(type='PackClipInputs'),
]
toy_panoptic_train = dict(
    type='OMGCocoPanopticDataset',
    data_root=toy_data_root,
    ann_file='annotations/panoptic_train2017.json',
    data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
    vocabulary='toy',
    task='panoptic',
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=toy_panoptic_train_pipeline)
toy_panoptic_val = dict(
    type='OMGCocoPanopticDataset',
    data_root=toy_data_root,
    ann_file='annotations/panoptic_val2017.json',
    data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'),
    vocabulary='toy',
    task='panoptic',
    test_mode=True,
    pipeline=toy_panoptic_test_pipeline)
toy_panoptic_evaluator = [
    dict(type='PanopticQualityMetric'),
    dict(type='CocoMaskAPMetric', ann_file=toy_data_root + 'annotations/instances_val2017.json'),
    dict(type='SemanticIoUMetric'),
]
