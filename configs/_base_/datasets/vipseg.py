# VIPSeg, the official 720p release (data/README.md): imgs/, panomasks/, train.txt, val.txt.
# 58 thing + 66 stuff classes ('vipseg' vocabulary). Clips of 2 frames, 2 apart, for training;
# whole videos at test time (long videos are linked clip by clip by the model).
vipseg_data_root = 'data/VIPSeg/'
vipseg_image_size = (1280, 736)  # (w, h), the OMG-Seg co-training size

vipseg_train_pipeline = [
    dict(type='ClipSample', num_frames=2, interval=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='LoadImageSafe', skip_bad=True),
        dict(type='LoadVIPSegAnnotations'),
        dict(type='RandomResize', scale=vipseg_image_size, ratio_range=(0.8, 2.0),
             resize_type='Resize', keep_ratio=True),
        dict(type='RandomCrop', crop_size=vipseg_image_size, crop_type='absolute',
             recompute_bbox=True, allow_negative_crop=True),
        dict(type='RandomFlip', prob=0.5)]),
    dict(type='PackClipInputs'),
]
vipseg_test_pipeline = [
    dict(type='ClipSample', all_frames=True),
    dict(type='ForEachFrame', transforms=[
        dict(type='LoadImageSafe'),
        dict(type='Resize', scale=vipseg_image_size, keep_ratio=True)]),
    dict(type='PackClipInputs'),
]
vipseg_train = dict(
    type='OMGVIPSegDataset', data_root=vipseg_data_root, ann_file='train.txt',
    data_prefix=dict(img='imgs/', seg='panomasks/'), vocabulary='vipseg', task='panoptic',
    pipeline=vipseg_train_pipeline)
vipseg_val = dict(
    type='OMGVIPSegDataset', data_root=vipseg_data_root, ann_file='val.txt',
    data_prefix=dict(img='imgs/', seg='panomasks/'), vocabulary='vipseg', task='panoptic',
    test_mode=True, pipeline=vipseg_test_pipeline)
# VPQ over windows 1, 2, 4, 6, 8 (VIPSeg) plus VPQ_omg (1, 2, 4, 6, the paper's), and VSS mIoU.
# Evaluation resolution: the official protocol (VIPSeg's eval_vpq_vspw.py) scores predictions
# against the released 720p panomasks at their own size; so does VideoPanopticMetric (the model
# predicts at 1280 x 736 keep-ratio and resizes its outputs back to each frame's original size;
# the GT is read from disk unresized). The original resized the GT to the network size instead
# (its ResizeOri), which differs for every video that is not 1280 x 720 (docs/protocol.md).
vipseg_evaluator = [dict(type='VideoPanopticMetric', vss=True)]
