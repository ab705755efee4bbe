# The toy co-training demo (the README's main job): ONE model trained once, jointly, on every toy
# dataset and task, as OMG-Seg co-trains on COCO / VIPSeg / YouTube-VIS / Cityscapes / COCO-SAM:
#   toy COCO as 2-frame pseudo-videos (panoptic), toy Cityscapes (image panoptic, its own
#   vocabulary), toy VIPSeg (video panoptic), toy YouTube-VIS (video instance) and the toy
#   interactive set (COCO-SAM: class-agnostic point prompts).
# The vocabulary is the merge of the datasets' vocabularies (computed, never typed); batches hold
# one task each (TaskBatchSampler); datasets are drawn by ratio (DatasetRatioSampler).
# At the end of training every dataset and task is evaluated (MultiDatasetValLoop) and printed as
# one table each, including toy ADE20K, whose class 'animal' (toy birds and dogs) is in no training
# vocabulary, with and without the open-vocabulary fusion.
#   bash tools/toy_demo.sh             (data, tiny CLIP, class embeddings, training, evaluation)
_base_ = ['./omgseg_tiny_toy-coco-panoptic.py', '../_base_/datasets/toy_video.py',
          '../_base_/datasets/toy_interactive.py', '../_base_/datasets/cityscapes_panoptic.py',
          '../_base_/datasets/ade20k_panoptic.py']

toy_clip = 'data/toy/tiny_clip_pretrained.pth'
embed_dir = 'data/toy/class_embeddings/pretrained/'
vocabulary = dict(merge=['toy', 'cityscapes_panoptic'])
pos_scale, pos_temperature = 8 * 3.141592653589793, 100.0

model = dict(
    # frozen, as OMG-Seg's CLIP: the open-vocabulary fusion needs the features the CLIP head
    # was trained on (tools/misc/pretrain_tiny_clip.py trains the head, not the trunk)
    backbone=dict(pretrained=toy_clip, frozen=True),
    # the merged vocabulary (a dict) replaces the base's 'toy' (a name)
    panoptic_head=dict(vocabulary=dict(vocabulary, _delete_=True),
                       class_embed_path=embed_dir + 'cotrain.pth',
                       # the first layer of a prompt query attends everywhere: on the toy
                       # interactive set (large objects) the prompts' shared initial mask
                       # otherwise hides the prompted things (see OMGQueryHead)
                       mask_prompt_first_layer=False,
                       # positions resolved to a few pixels: the memory's and the prompts' sine
                       # encodings reach 4 periods per image side (the default, 2 pi, reaches
                       # one), so a point prompt's query can attend to the thing under it
                       positional_encoding=dict(scale=pos_scale, temperature=pos_temperature),
                       prompt_encoder=dict(type='PromptEncoder', pos_scale=pos_scale,
                                           pos_temperature=pos_temperature),
                       # the frozen tiny CLIP's features hardly say where they are: without
                       # position in the pixel features, two toy things of one class got one
                       # mask (docs/results.md)
                       pixel_pos_encoding=dict(scale=pos_scale, temperature=pos_temperature),
                       # the first layer attends to the stride-8 memory (16 x 16 cells at
                       # 128 px), not the 4 x 4 stride-32 one, where a toy thing is part of
                       # a cell mostly covered by the stuff around it
                       level_cycle=(2, 1, 0),
                       # a prompt attends around its point (Gaussian, sigma 0.15 of the side)
                       # from the first step: thing mIoU after co-training 3.0 -> 32.6; object
                       # queries keep no prior (fixed-grid anchors cost them; docs/results.md)
                       spatial_prior=dict(sigma=0.15, anchors=False),
                       # every query predicts where its object is and how far it reaches, and
                       # its mask logits get a Gaussian window there, a quarter of the side
                       # wide to start with: one query no longer covers two things of one
                       # class, what cost thing PQ (23.7-29.3 -> 38.4-46.6 over three seeds;
                       # 32.2-40.3 starting half the side wide; docs/results.md)
                       mask_window=dict(sigma=0.25)))

# -- training data ---------------------------------------------------------------------------
toy_cityscapes_train = dict(
    _base_.cityscapes_panoptic_train, data_root='data/toy/cityscapes/',
    pipeline=_base_.toy_panoptic_train_pipeline)
toy_sam_train = dict(_base_.toy_interactive_train, data_root='data/toy/sam/')
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[11],
         gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
# fused AdamW: one kernel for every parameter on CPU (4 ms a step instead of 30 for the loop)
optim_wrapper = dict(optimizer=dict(fused=True))
train_dataloader = dict(
    # 4 clips per process: twice the steps of 8 in the same epochs, about 1.25x the time; on the
    # toy budget things learn from the number of updates (thing PQ 30 / 25, YouTube-VIS AP 30 /
    # 14 at 4 / 8 with the same code; docs/results.md)
    batch_size=4,
    # one dataset per batch: image (1-frame) and video (2-frame) clips never share one
    batch_sampler=dict(type='TaskBatchSampler', group_by='dataset'),
    sampler=dict(_delete_=True, type='DatasetRatioSampler',
                 # shares of the draws (COCO video, Cityscapes, VIPSeg, YouTube-VIS, prompts);
                 # prompts learn mostly in the prompt-only stage, so co-training gives most
                 # draws to object queries (it gave prompts 0.5 before toy world 2)
                 ratios=[0.3, 0.05, 0.2, 0.2, 0.25], num_samples_per_epoch=560),
    dataset=dict(
        _delete_=True, type='JointDataset', vocabulary=vocabulary,
        datasets=[_base_.toy_coco_video_train, toy_cityscapes_train, _base_.toy_vipseg_train,
                  _base_.toy_ytvis_train, toy_sam_train]))

# -- evaluation: one entry per dataset and task, each with its own vocabulary -----------------
_video = dict(batch_size=1, num_workers=1, persistent_workers=False, drop_last=False,
              sampler=dict(type='DefaultSampler', shuffle=False))
toy_cityscapes_val = dict(
    _base_.cityscapes_panoptic_val, data_root='data/toy/cityscapes/',
    pipeline=_base_.toy_panoptic_test_pipeline)
toy_sam_val = dict(_base_.toy_interactive_val, data_root='data/toy/sam/')
toy_ade_root = 'data/toy/ade/ADEChallengeData2016/'
# ADE20K's 'animal' (toy birds and dogs) without the synonyms OMG-Seg's list adds to it ('dog',
# 'bird', ...): so named, it is a class no training dataset has ("unseen")
heldout_vocabulary = dict(base='ade20k_panoptic', rename={
    'animal,animate being,dog,cat,horse,cow,sheep,zebra,girraffe,bird':
        'animal,animate being,beast,brute,creature,fauna'})
toy_ade_val = dict(_base_.ade20k_panoptic_val, data_root=toy_ade_root,
                   vocabulary=heldout_vocabulary, pipeline=_base_.toy_panoptic_test_pipeline)
toy_ade_evaluator = [dict(type='PanopticQualityMetric'), dict(type='SemanticIoUMetric')]
open_vocab = dict(train_vocabulary=vocabulary, alpha=0.4, beta=0.8)
evaluations = [
    dict(name='cityscapes_panoptic', dataloader=dict(_video, dataset=toy_cityscapes_val),
         evaluator=[dict(type='PanopticQualityMetric')], vocabulary='cityscapes_panoptic',
         class_embed_path=embed_dir + 'cityscapes_panoptic.pth'),
    dict(name='vipseg', dataloader=dict(_video, dataset=_base_.toy_vipseg_val),
         evaluator=_base_.toy_vipseg_evaluator, vocabulary='toy',
         class_embed_path=embed_dir + 'toy.pth',
         test_cfg=dict(objects=dict(instance_on=False),
                       clips=dict(clip_size=2, clip_size_small=3, small_clip_thr=15))),
    dict(name='youtube_vis', dataloader=dict(_video, dataset=_base_.toy_ytvis_val),
         evaluator=_base_.toy_ytvis_evaluator, vocabulary='toy',
         class_embed_path=embed_dir + 'toy.pth',
         test_cfg=dict(objects=dict(panoptic_on=False, semantic_on=False, instance_masks='rle'),
                       clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15))),
    dict(name='davis', dataloader=dict(_video, dataset=_base_.toy_davis_val),
         evaluator=_base_.toy_davis_evaluator,
         test_cfg=dict(vos=dict(num_proposals=25),
                       clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15))),
    dict(name='interactive', dataloader=dict(_video, dataset=toy_sam_val),
         evaluator=_base_.toy_interactive_evaluator),
    dict(name='ade_heldout', dataloader=dict(_video, dataset=toy_ade_val),
         evaluator=toy_ade_evaluator, vocabulary=heldout_vocabulary,
         class_embed_path=embed_dir + 'ade20k_heldout.pth'),
    dict(name='ade_heldout_fused', dataloader=dict(_video, dataset=toy_ade_val),
         evaluator=toy_ade_evaluator, vocabulary=heldout_vocabulary,
         class_embed_path=embed_dir + 'ade20k_heldout.pth',
         test_cfg=dict(open_vocab=open_vocab)),
]
# the runner's own val/test set is the first entry: toy COCO images (PQ, mask AP, mIoU)
val_cfg = dict(type='MultiDatasetValLoop', name='coco_panoptic', extra=evaluations,
               vocabulary='toy', class_embed_path=embed_dir + 'toy.pth')
test_cfg = dict(val_cfg, type='MultiDatasetTestLoop')
