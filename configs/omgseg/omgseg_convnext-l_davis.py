# Evaluate OMG-Seg (frozen ConvNeXt-L CLIP) on DAVIS 2017 val (semi-supervised VOS, J&F): the
# 25 most object-like tube proposals are matched to the first frame's objects by mask IoU and
# followed through the video (MinVIS clips of 5 / 3).
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_davis.py CHECKPOINT 8
#   (or write the result PNGs: --cfg-options test_evaluator.0.outfile_prefix=work_dirs/davis
#    and score them with tools/analysis_tools/eval_davis.py)
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/cotrain/vocabularies.py'
]
# VOS ranks tube proposals by objectness, so the classifier's classes do not matter, but the
# model loads one: COCO's open-vocabulary names (the COCO eval's file; the original needed an
# embedding no config could make).
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_davis.py
vocabulary = 'coco_panoptic_ov'
davis_pipeline = [
    dict(type='ClipSample', all_frames=True),
    dict(type='ForEachFrame', transforms=[
        dict(type='LoadImageSafe'),
        # annotations loaded after Resize stay at the original size, where the first
        # frame's objects are matched to the proposals (test_cfg.vos.match_resolution)
        dict(type='Resize', scale=(1280, 736), keep_ratio=True),
        dict(type='LoadDAVISAnnotations')]),
    dict(type='PackClipInputs'),
]
model = dict(panoptic_head=dict(vocabulary=vocabulary,
                                class_embed_path=_base_.embed_dir + 'coco_panoptic_ov.pth'),
             test_cfg=dict(vos=dict(num_proposals=25),
                           clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15)))
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='OMGDAVISDataset', data_root='data/DAVIS/',
                 ann_file='ImageSets/2017/val.txt', task='vos', test_mode=True,
                 pipeline=davis_pipeline))
test_evaluator = [dict(type='DAVISMetric')]
