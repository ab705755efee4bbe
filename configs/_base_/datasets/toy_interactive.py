# The interactive ("COCO-SAM") task on the toy COCO world: every segment, stuff included, is a
# class-agnostic instance (its id is the panoptic PNG segment id) prompted by a point-box.
# Training draws random in-mask points (up to 20 prompts per image, as OMG-Seg); evaluation
# prompts each non-crowd segment once at its interior-most point (InteractiveIoUMetric).
toy_interactive_root = 'data/toy/coco/'
toy_interactive_size = (128, 128)

toy_interactive_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG', all_segments=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=toy_interactive_size, ratio_range=(0.5, 2.0),
         resize_type='Resize', keep_ratio=True),
    dict(type='RandomCrop', crop_size=toy_interactive_size, crop_type='absolute',
         recompute_bbox=True, allow_negative_crop=True),
    # prompts come last: they are placed on the final (augmented) masks
    dict(type='SamplePrompts', max_prompts=20),
    dict(type='PackClipInputs'),
]
toy_interactive_test_pipeline = [
    dict(type='LoadImageSafe'),
    dict(type='LoadPanopticAnnotationsPNG', all_segments=True),
    dict(type='Resize', scale=toy_interactive_size, keep_ratio=True),
    dict(type='SamplePrompts', test_mode=True, mode='point_box'),
    dict(type='PackClipInputs'),
]
toy_interactive_train = dict(
    type='OMGCocoPanopticDataset',
    data_root=toy_interactive_root,
    ann_file='annotations/panoptic_train2017.json',
    data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
    vocabulary='toy',
    task='interactive',
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=toy_interactive_train_pipeline)
toy_interactive_val = dict(
    type='OMGCocoPanopticDataset',
    data_root=toy_interactive_root,
    ann_file='annotations/panoptic_val2017.json',
    data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'),
    vocabulary='toy',
    task='interactive',
    test_mode=True,
    pipeline=toy_interactive_test_pipeline)
toy_interactive_evaluator = [dict(type='InteractiveIoUMetric')]
