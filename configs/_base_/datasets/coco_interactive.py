# COCO-SAM interactive segmentation on COCO panoptic val2017, as OMG-Seg evaluates it: every
# segment (things and stuff) is a class-agnostic instance whose id is its panoptic PNG segment
# id; crowd segments are not prompted. Images are resized to (1333, 800) keep-ratio and each
# segment is prompted once by a point-box (interior-most point +- 3 px) placed on the resized
# mask; masks are scored at original resolution (InteractiveIoUMetric).
coco_interactive_root = 'data/coco/'
coco_interactive_prompt_mode = 'point_box'

coco_interactive_test_pipeline = [
    dict(type='LoadImageSafe'),
    dict(type='LoadPanopticAnnotationsPNG', all_segments=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='SamplePrompts', test_mode=True, mode=coco_interactive_prompt_mode),
    dict(type='PackClipInputs'),
]
coco_interactive_val = dict(
    type='OMGCocoPanopticDataset',
    data_root=coco_interactive_root,
    ann_file='annotations/panoptic_val2017.json',
    data_prefix=dict(img='val2017/', seg='annotations/panoptic_val2017/'),
    vocabulary='coco_panoptic',
    task='interactive',
    test_mode=True,
    pipeline=coco_interactive_test_pipeline)
coco_interactive_evaluator = [dict(type='InteractiveIoUMetric')]

# Training ("COCO-SAM", OMG-Seg's co-training view of COCO), the original's recipe: 20 prompts
# per image at random in-mask points, all +-3 px point boxes of the box kind, no prompt for a
# mask under 32 px after the crop; the prompt encoder jitters them (PromptEncoder jitter=True,
# its default). omgseg's mix of real boxes and real points as well:
# SamplePrompts(mode='mixed', min_area=0) (50 / 25 / 25 %). 720p co-training crops.
coco_interactive_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG', all_segments=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=(1280, 736), ratio_range=(0.1, 2.0), resize_type='Resize',
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(1280, 736), crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='SamplePrompts', max_prompts=20, mode='point_box', min_area=32),
    dict(type='PackClipInputs'),
]
coco_interactive_train = dict(
    type='OMGCocoPanopticDataset',
    data_root=coco_interactive_root,
    ann_file='annotations/panoptic_train2017.json',
    data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
    vocabulary='coco_panoptic',
    task='interactive',
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=coco_interactive_train_pipeline)
