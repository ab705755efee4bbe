# COCO panoptic as 2-frame pseudo-videos (OMG-Seg's co-training view of COCO): two different
# crops of one flipped, resized image, so the decoder learns to link an object across frames.
_base_ = ['./coco_panoptic.py']
coco_video_image_size = (1280, 736)
coco_panoptic_video_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG'),
    dict(type='ImageToClip', num_frames=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='RandomFlip', prob=0.5),
        dict(type='RandomResize', scale=coco_video_image_size, ratio_range=(0.8, 2.0),
             resize_type='Resize', keep_ratio=True)]),
    dict(type='ForEachFrame', share_random_params=False, transforms=[
        dict(type='RandomCrop', crop_size=coco_video_image_size, crop_type='absolute',
             recompute_bbox=True, allow_negative_crop=True)]),
    dict(type='PackClipInputs'),
]
coco_panoptic_video_train = dict(_base_.coco_panoptic_train,
                                 pipeline=coco_panoptic_video_train_pipeline)
