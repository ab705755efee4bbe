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
