# Evaluate OMG-Seg (frozen ConvNeXt-L CLIP) on YouTube-VIS 2019 valid, video instance: writes
# work_dirs/youtube_vis_2019_results/submission.zip for CodaLab (the valid GT is hidden). For a
# local AP, convert with --holdout N and point test_dataloader / the metric's ann_file at it.
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_youtube-vis-2019.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_youtube-vis-2019.py CHECKPOINT 8
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/youtube_vis.py'
]
vocabulary = 'youtube_vis_2019'
model = dict(
    panoptic_head=dict(
        vocabulary=vocabulary,
        class_embed_path='data/class_embeddings/convnext_large_d_320/youtube_vis_2019.pth'),
    # MinVIS clips of 5 frames (3 for videos of <= 15 frames); RLE masks keep memory flat
    test_cfg=dict(objects=dict(panoptic_on=False, instance_on=True, semantic_on=False,
                               instance_masks='rle'),
                  clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15)))
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False), dataset=_base_.youtube_vis_2019_val)
test_evaluator = _base_.youtube_vis_2019_evaluator
