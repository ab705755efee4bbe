# OMG-Seg's open-vocabulary co-training recipe (the paper's main model), shared by the recipes in
# configs/omgseg/*_cotrain-*.py: ONE model (frozen ConvNeXt-L CLIP, 300 queries, prompt encoder)
# trained jointly, one task per GPU batch, on
#   COCO panoptic as 2-frame pseudo-videos | YouTube-VIS 2019 | VIPSeg | Cityscapes (images)
#   | COCO-SAM (COCO panoptic prompted class-agnostically, the interactive task)
# in the merged vocabulary of COCO (open-vocabulary names), YT-VIS 2019, VIPSeg and Cityscapes
# (136 things / 101 stuff). Data roots and layouts: data/README.md (reference section 3.2).
_base_ = [
    '../default_runtime.py', '../schedules/schedule_12e.py', '../models/omgseg_convnext-l.py',
    '../datasets/coco_panoptic_video.py', '../datasets/youtube_vis.py',
    '../datasets/vipseg.py', '../datasets/cityscapes_panoptic.py',
    '../datasets/coco_interactive.py', './vocabularies.py'
]

# -- vocabulary and classifier ---------------------------------------------------------------
# Text embeddings of the merged vocabulary (made once, from this config):
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-ov.py
vocabulary = _base_.cotrain_ov_vocabulary
class_embed_path = _base_.embed_dir + 'cotrain-ov.pth'
model = dict(
    # every training batch is padded to the 1280 x 736 crop, as the original's BatchFixedSizePad
    data_preprocessor=dict(train_pad_size=_base_.coco_video_image_size[::-1]),
    panoptic_head=dict(vocabulary=vocabulary,
                       class_embed_path=class_embed_path,
                       # point / box prompts for the COCO-SAM (interactive) batches
                       prompt_encoder=dict(type='PromptEncoder')))

# -- learning rate ---------------------------------------------------------------------------
# base_lr (1e-4, AdamW, wd 0.05, grad clip 0.01, 500-iteration warm-up, x0.1 at epochs 8 and
# 11: schedules/schedule_12e.py) is the rate of the reference batch of 16 images/clips.
# auto_scale_lr stays OFF here, so a run uses exactly optimizer.lr whatever the GPU count.
# The launch commands in the recipes pass --auto-scale-lr: tools/train.py then sets
# auto_scale_lr.enable=True and mmengine 0.10.7 (Runner.scale_lr) multiplies the rate by
# (GPUs x train_dataloader.batch_size) / 16 before building the schedulers:
#   32 GPUs x 1 (the paper, 4 nodes x 8) -> 2e-4;  8 GPUs x 1 -> 5e-5;  16 x 1 -> 1e-4.
# (The original config enabled it unconditionally, so its rate silently followed the GPU count.)
auto_scale_lr = dict(enable=False, base_batch_size=16)

# -- training data ---------------------------------------------------------------------------
# COCO in the open-vocabulary names (its json categories are matched to them)
cotrain_coco_video_train = dict(_base_.coco_panoptic_video_train, vocabulary='coco_panoptic_ov')
cotrain_datasets = [
    cotrain_coco_video_train,          # panoptic, 2-frame pseudo-video, resize 0.8-2.0
    _base_.youtube_vis_2019_train,     # video instance, 2 frames 2 apart, 0.8-2.0
    _base_.vipseg_train,               # video panoptic, 2 frames 2 apart, 0.8-2.0
    _base_.cityscapes_panoptic_train,  # image panoptic, 0.8-1.5
    _base_.coco_interactive_train,     # COCO-SAM: prompts, class-agnostic, 0.1-2.0
]
# RepeatDataset times of the original (share of a dataset = its size x factor, normalised)
cotrain_repeat_factors = [1, 30, 15, 15, 1]
train_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True,
    sampler=dict(type='DatasetRatioSampler', repeat_factors=cotrain_repeat_factors),
    # a batch holds one dataset: images (1 frame), clips (2) and prompts never share one
    batch_sampler=dict(type='TaskBatchSampler', group_by='dataset'),
    dataset=dict(type='JointDataset', vocabulary=vocabulary, datasets=cotrain_datasets))

# -- evaluation ------------------------------------------------------------------------------
# No validation during training (as the original: 12 epochs, then test).
train_cfg = dict(val_interval=_base_.max_epochs)
val_dataloader = None
val_evaluator = None
val_cfg = None
# tools/test.py on a recipe evaluates the closed-vocabulary sets in one run, each against its
# own vocabulary (make each embedding file with the matching configs/omgseg/ eval config); the
# open-vocabulary, interactive and VOS evaluations are the eval configs in configs/omgseg/.
_eval_loader = dict(batch_size=1, num_workers=2, persistent_workers=False, drop_last=False,
                    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = dict(_eval_loader,
                       dataset=dict(_base_.coco_panoptic_val, vocabulary='coco_panoptic_ov'))
test_evaluator = _base_.coco_panoptic_evaluator
cotrain_test_entries = [
    dict(name='cityscapes_panoptic',
         dataloader=dict(_eval_loader, dataset=_base_.cityscapes_panoptic_val),
         evaluator=_base_.cityscapes_panoptic_evaluator, vocabulary='cityscapes_panoptic',
         class_embed_path=_base_.embed_dir + 'cityscapes_panoptic.pth',
         test_cfg=dict(objects=dict(instance_on=False, semantic_on=False))),
    dict(name='vipseg', dataloader=dict(_eval_loader, dataset=_base_.vipseg_val),
         evaluator=_base_.vipseg_evaluator, vocabulary='vipseg',
         class_embed_path=_base_.embed_dir + 'vipseg.pth',
         test_cfg=dict(objects=dict(instance_on=False),
                       clips=dict(clip_size=2, clip_size_small=3, small_clip_thr=15))),
    dict(name='youtube_vis_2019',
         dataloader=dict(_eval_loader, dataset=_base_.youtube_vis_2019_val),
         evaluator=_base_.youtube_vis_2019_evaluator, vocabulary='youtube_vis_2019',
         class_embed_path=_base_.embed_dir + 'youtube_vis_2019.pth',
         test_cfg=dict(objects=dict(panoptic_on=False, semantic_on=False, instance_masks='rle'),
                       clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15))),
]
test_cfg = dict(type='MultiDatasetTestLoop', name='coco_panoptic', extra=cotrain_test_entries,
                vocabulary='coco_panoptic_ov',
                class_embed_path=_base_.embed_dir + 'coco_panoptic_ov.pth')
