# YouTube-VIS 2019 and 2021, video instance segmentation, converted to the COCO-video layout by
#   python tools/dataset_converters/youtube_vis.py --root data/youtube_vis_<version> \
#       --version <version>
# (data/README.md). Both versions share the pipelines; `_youtube_vis(version)` makes a version's
# train / val datasets and evaluator, exposed as youtube_vis_<version>_{train,val,evaluator}.
# The valid split's ground truth is hidden: predictions are written as the CodaLab submission
# zip; for local AP convert with --holdout N and evaluate that split
# (youtube_vis_<version>_holdout{,_evaluator}; configs/omgseg/*youtube-vis-*-holdout.py).
youtube_vis_image_size = (1280, 736)

youtube_vis_train_pipeline = [
    dict(type='ClipSample', num_frames=2, interval=2),
    dict(type='ForEachFrame', share_random_params=True, transforms=[
        dict(type='LoadImageSafe', skip_bad=True),
        dict(type='LoadTrackInstances'),
        dict(type='RandomResize', scale=youtube_vis_image_size, ratio_range=(0.8, 2.0),
             resize_type='Resize', keep_ratio=True),
        dict(type='RandomCrop', crop_size=youtube_vis_image_size, crop_type='absolute',
             recompute_bbox=True, allow_negative_crop=True),
        dict(type='RandomFlip', prob=0.5)]),
    dict(type='PackClipInputs'),
]
youtube_vis_test_pipeline = [
    dict(type='ClipSample', all_frames=True),
    dict(type='ForEachFrame', transforms=[
        dict(type='LoadImageSafe'),
        dict(type='Resize', scale=youtube_vis_image_size, keep_ratio=True)]),
    dict(type='PackClipInputs'),
]


def _youtube_vis(version):
    """(train dataset, val dataset, evaluator) of YouTube-VIS ``version`` ('2019', '2021')."""
    name = f'youtube_vis_{version}'
    common = dict(type='OMGYouTubeVISDataset', data_root=f'data/{name}/', vocabulary=name,
                  task='instance')
    train = dict(common, ann_file=f'annotations/{name}_train.json',
                 data_prefix=dict(img='train/JPEGImages/'),
                 filter_cfg=dict(filter_empty_gt=True), pipeline=youtube_vis_train_pipeline)
    val = dict(common, ann_file=f'annotations/{name}_valid.json',
               data_prefix=dict(img='valid/JPEGImages/'), test_mode=True,
               pipeline=youtube_vis_test_pipeline)
    evaluator = [dict(type='YouTubeVISAPMetric', format_only=True,
                      outfile_prefix=f'work_dirs/{name}_results')]
    return train, val, evaluator


youtube_vis_2019_train, youtube_vis_2019_val, youtube_vis_2019_evaluator = _youtube_vis('2019')
youtube_vis_2021_train, youtube_vis_2021_val, youtube_vis_2021_evaluator = _youtube_vis('2021')


def _youtube_vis_holdout(version):
    """(dataset, evaluator) of the train videos the converter's ``--holdout N`` set aside:
    their frames stay in train/JPEGImages, their ground truth (official format) is
    annotations/youtube_vis_<version>_holdout_gt.json, so AP is computed locally."""
    name = f'youtube_vis_{version}'
    dataset = dict(type='OMGYouTubeVISDataset', data_root=f'data/{name}/', vocabulary=name,
                   task='instance', ann_file=f'annotations/{name}_holdout.json',
                   data_prefix=dict(img='train/JPEGImages/'), test_mode=True,
                   pipeline=youtube_vis_test_pipeline)
    evaluator = [dict(type='YouTubeVISAPMetric',
                      ann_file=f'data/{name}/annotations/{name}_holdout_gt.json')]
    return dataset, evaluator


youtube_vis_2019_holdout, youtube_vis_2019_holdout_evaluator = _youtube_vis_holdout('2019')
youtube_vis_2021_holdout, youtube_vis_2021_holdout_evaluator = _youtube_vis_holdout('2021')
