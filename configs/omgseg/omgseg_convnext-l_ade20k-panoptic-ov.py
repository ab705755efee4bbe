# Open-vocabulary ADE20K val (150 classes, none trained on): panoptic PQ and semantic mIoU of
# the open-vocabulary co-trained model, with the frozen-CLIP fusion (alpha 0.4 for classes seen
# in training, beta 0.8 for unseen). This config reproduces the paper's number, so it uses the
# original's protocol (docs/protocol.md): "seen" against a list that contains ADE20K itself
# (open_vocab.seen_against='train_and_test_vocabulary': every class is seen; the original's
# unstripped name comparison left 10 of 150 unseen) and one fusion per video. omgseg's own
# rule, seen against the recipe's training vocabulary (COCO + YT-VIS 2019 + VIPSeg +
# Cityscapes, about 82 of 150 seen), is
#   --cfg-options model.test_cfg.open_vocab.seen_against=train_vocabulary
# Images are evaluated one per batch (the original paired 2 per GPU, so its padding and
# therefore its numbers depended on the pairing).
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_ade20k-panoptic-ov.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_ade20k-panoptic-ov.py CHECKPOINT 8
# For a model trained with YouTube-VIS 2021 too:
#   --cfg-options "model.test_cfg.open_vocab.train_vocabulary.merge=[coco_panoptic_ov,\
#   youtube_vis_2019,youtube_vis_2021,vipseg,cityscapes_panoptic]"
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/ade20k_panoptic.py',
    '../_base_/cotrain/vocabularies.py'
]
vocabulary = 'ade20k_panoptic'
model = dict(
    panoptic_head=dict(vocabulary=vocabulary,
                       class_embed_path=_base_.embed_dir + 'ade20k_panoptic.pth'),
    test_cfg=dict(objects=dict(panoptic_on=True, instance_on=False, semantic_on=True),
                  open_vocab=dict(train_vocabulary=_base_.cotrain_ov_vocabulary, alpha=0.4,
                                  beta=0.8, seen_against='train_and_test_vocabulary',
                                  fusion='per_video')))
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False), dataset=_base_.ade20k_panoptic_val)
test_evaluator = _base_.ade20k_panoptic_evaluator
