# COCO-SAM interactive segmentation with box prompts: each non-crowd segment is prompted by its
# mask's bounding box (on the resized image) instead of a point-box; otherwise as
# omgseg_convnext-l_coco-interactive.py.
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_coco-interactive-box.py CHECKPOINT 8
_base_ = ['./omgseg_convnext-l_coco-interactive.py']
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageSafe'),
    dict(type='LoadPanopticAnnotationsPNG', all_segments=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='SamplePrompts', test_mode=True, mode='box'),
    dict(type='PackClipInputs'),
]))
