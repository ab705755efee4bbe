# COCO panoptic (images as 1-frame clips). Keys are namespaced (coco_panoptic_*) so several
# dataset bases can be combined; experiment configs assemble the dataloaders from them.
coco_data_root = 'data/coco/'
coco_image_size = (1024, 1024)

coco_panoptic_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG'),
    dict(type='RandomFlip', prob=0.5),
    # large-scale jitter
    dict(type='RandomResize', scale=coco_image_size, ratio_range=(0.1, 2.0),
         resize_type='Resize', keep_ratio=True),
    dict(type='RandomCrop', crop_size=coco_image_size, crop_type='absolute',
         recompute_bbox=True, allow_negative_crop=True),
    dict(type='PackClipInputs'),
]
coco_panoptic_test_pipeline = [
    dict(type='LoadImageSafe'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='PackClipInputs'),
]
coco_panoptic_train = dict(
    type='OMGCocoPanopticDataset',
    data_root=coco_data_root,
    ann_file='annotations/panoptic_train2017.json',
    data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
    vocabulary='coco_panoptic',
    task='panoptic',
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=coco_panoptic_train_pipeline)
coco_panoptic_val = dict(
    type='OMGCocoPanopticDataset',
    data_root=coco_data_root,
    ann_file='annotations/panoptic_val2017.json',
    data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'),
    vocabulary='coco_panoptic',
    task='panoptic',
    test_mode=True,
    pipeline=coco_panoptic_test_pipeline)
coco_panoptic_evaluator = [
    dict(type='PanopticQualityMetric'),
    dict(type='CocoMaskAPMetric', ann_file=coco_data_root + 'annotations/instances_val2017.json'),
    dict(type='SemanticIoUMetric'),
]
