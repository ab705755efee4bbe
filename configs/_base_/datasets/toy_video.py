# The toy world as videos (tools/dataset_converters/make_toy_data.py writes them): VIPSeg layout
# (video panoptic / semantic) and YouTube-VIS layout (video instance), plus the toy COCO images
# as 2-frame pseudo-videos. Training clips are 2 frames, 2 apart, with one shared flip/resize.
toy_vipseg_root = 'data/toy/vipseg/'
toy_ytvis_root = 'data/toy/youtube_vis/'
toy_coco_root = 'data/toy/coco/'
toy_video_size = (128, 128)

_shared_clip_aug = [
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=toy_video_size, ratio_range=(0.8, 1.5),
         resize_type='Resize', keep_ratio=True),
    dict(type='RandomCrop', crop_size=toy_video_size, crop_type='absolute',
         recompute_bbox=True, allow_negative_crop=True),
]
toy_vipseg_train_pipeline = [
    dict(type='ClipSample', num_frames=2, interval=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='LoadImageSafe', skip_bad=True), dict(type='LoadVIPSegAnnotations'),
        *_shared_clip_aug]),
    dict(type='PackClipInputs'),
]
toy_ytvis_train_pipeline = [
    dict(type='ClipSample', num_frames=2, interval=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='LoadImageSafe', skip_bad=True), dict(type='LoadTrackInstances'),
        *_shared_clip_aug]),
    dict(type='PackClipInputs'),
]
# COCO pseudo-video: two different crops of one flipped, resized image
toy_coco_video_train_pipeline = [
    dict(type='LoadImageSafe', skip_bad=True),
    dict(type='LoadPanopticAnnotationsPNG'),
    dict(type='ImageToClip', num_frames=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='RandomFlip', prob=0.5),
        dict(type='RandomResize', scale=toy_video_size, ratio_range=(0.5, 2.0),
             resize_type='Resize', keep_ratio=True)]),
    dict(type='ForEachFrame', share_random_params=False, transforms=[
        dict(type='RandomCrop', crop_size=toy_video_size, crop_type='absolute',
             recompute_bbox=True, allow_negative_crop=True)]),
    dict(type='PackClipInputs'),
]
toy_video_test_pipeline = [
    dict(type='ClipSample', all_frames=True),
    dict(type='ForEachFrame', transforms=[
        dict(type='LoadImageSafe'),
        dict(type='Resize', scale=toy_video_size, keep_ratio=True)]),
    dict(type='PackClipInputs'),
]

toy_vipseg_train = dict(
    type='OMGVIPSegDataset', data_root=toy_vipseg_root, ann_file='train.txt',
    data_prefix=dict(img='imgs/', seg='panomasks/'), vocabulary='toy', task='panoptic',
    nproc=2, pipeline=toy_vipseg_train_pipeline)
toy_vipseg_val = dict(
    type='OMGVIPSegDataset', data_root=toy_vipseg_root, ann_file='val.txt',
    data_prefix=dict(img='imgs/', seg='panomasks/'), vocabulary='toy', task='panoptic',
    nproc=2, test_mode=True, pipeline=toy_video_test_pipeline)
toy_ytvis_train = dict(
    type='OMGYouTubeVISDataset', data_root=toy_ytvis_root,
    ann_file='annotations/youtube_vis_toy_train.json',
    data_prefix=dict(img='train/JPEGImages/'), vocabulary='toy', task='instance',
    filter_cfg=dict(filter_empty_gt=True), pipeline=toy_ytvis_train_pipeline)
toy_ytvis_val = dict(
    type='OMGYouTubeVISDataset', data_root=toy_ytvis_root,
    ann_file='annotations/youtube_vis_toy_valid.json',
    data_prefix=dict(img='valid/JPEGImages/'), vocabulary='toy', task='instance',
    test_mode=True, pipeline=toy_video_test_pipeline)
toy_coco_video_train = dict(
    type='OMGCocoPanopticDataset', data_root=toy_coco_root,
    ann_file='annotations/panoptic_train2017.json',
    data_prefix=dict(img='train2017/', seg='annotations/panoptic_train2017/'),
    vocabulary='toy', task='panoptic', filter_cfg=dict(filter_empty_gt=True),
    pipeline=toy_coco_video_train_pipeline)

toy_vipseg_evaluator = [dict(type='VideoPanopticMetric', vss=True)]
# the toy valid split keeps its ground truth (the official one does not): AP is computed here
toy_ytvis_evaluator = [
    dict(type='YouTubeVISAPMetric', ann_file=toy_ytvis_root + 'valid/instances.json')]

# Toy DAVIS 2017 (semi-supervised VOS): the first frame's objects are followed through each
# sequence; J&F on frames 1 .. T-2.
toy_davis_root = 'data/toy/davis/'
toy_davis_test_pipeline = [
    dict(type='ClipSample', all_frames=True),
    dict(type='ForEachFrame', transforms=[
        dict(type='LoadImageSafe'),
        # annotations loaded after Resize stay at the original size, where the first
        # frame's objects are matched to the proposals (test_cfg.vos.match_resolution)
        dict(type='Resize', scale=toy_video_size, keep_ratio=True),
        dict(type='LoadDAVISAnnotations')]),
    dict(type='PackClipInputs'),
]
toy_davis_val = dict(
    type='OMGDAVISDataset', data_root=toy_davis_root, ann_file='ImageSets/2017/val.txt',
    data_prefix=dict(img='JPEGImages/480p/', seg='Annotations/480p/'), task='vos',
    test_mode=True, pipeline=toy_davis_test_pipeline)
toy_davis_evaluator = [dict(type='DAVISMetric')]
