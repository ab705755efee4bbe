# YouTube-VIS 2021 converted to the COCO-video layout by
#   python tools/dataset_converters/youtube_vis.py --root data/youtube_vis_2021 --version 2021
# (data/README.md). The valid split's ground truth is hidden: predictions are written as the
# CodaLab submission zip; for local AP convert with --holdout N and evaluate that split.
youtube_vis_2021_data_root = 'data/youtube_vis_2021/'
youtube_vis_2021_image_size = (1280, 736)

youtube_vis_2021_train_pipeline = [
    dict(type='ClipSample', num_frames=2, interval=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='LoadImageSafe', skip_bad=True),
        dict(type='LoadTrackInstances'),
        dict(type='RandomResize', scale=youtube_vis_2021_image_size, ratio_range=(0.8, 2.0),
             resize_type='Resize', keep_ratio=True),
        dict(type='RandomCrop', crop_size=youtube_vis_2021_image_size, crop_type='absolute',
             recompute_bbox=True, allow_negative_crop=True),
        dict(type='RandomFlip', prob=0.5)]),
    dict(type='PackClipInputs'),
]
youtube_vis_2021_test_pipeline = [
    dict(type='ClipSample', all_frames=True),
    dict(type='ForEachFrame', transforms=[
        dict(type='LoadImageSafe'),
        dict(type='Resize', scale=youtube_vis_2021_image_size, keep_ratio=True)]),
    dict(type='PackClipInputs'),
]
youtube_vis_2021_train = dict(
    type='OMGYouTubeVISDataset', data_root=youtube_vis_2021_data_root,
    ann_file='annotations/youtube_vis_2021_train.json',
    data_prefix=dict(img='train/JPEGImages/'), vocabulary='youtube_vis_2021', task='instance',
    filter_cfg=dict(filter_empty_gt=True), pipeline=youtube_vis_2021_train_pipeline)
youtube_vis_2021_val = dict(
    type='OMGYouTubeVISDataset', data_root=youtube_vis_2021_data_root,
    ann_file='annotations/youtube_vis_2021_valid.json',
    data_prefix=dict(img='valid/JPEGImages/'), vocabulary='youtube_vis_2021', task='instance',
    test_mode=True, pipeline=youtube_vis_2021_test_pipeline)
youtube_vis_2021_evaluator = [dict(type='YouTubeVISAPMetric', format_only=True,
                                   outfile_prefix='work_dirs/youtube_vis_2021_results')]
