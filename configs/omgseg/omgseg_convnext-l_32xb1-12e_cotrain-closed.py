# OMG-Seg's closed-set co-training: COCO pseudo-video, ADE20K (images, 0.1-2.0), YouTube-VIS
# 2019 and 2021, VIPSeg, Cityscapes with repeat factors 1 / 1 / 15 / 15 / 15 / 15; the CLIP
# backbone is fine-tuned (at 0.1x the learning rate: schedule_12e's paramwise backbone lr_mult);
# no prompts. Merged vocabulary: 196 things / 124 stuff, as the original
# (tests/test_configs/test_recipes.py checks it, and that YouTube-VIS 'dog' stays 'dog').
#   python tools/gen_class_embeddings.py \
#       configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-closed.py
#   GPUS=32 GPUS_PER_NODE=8 bash tools/slurm_train.sh PARTITION omgseg \
#       configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-closed.py work_dirs/cotrain-closed \
#       --auto-scale-lr
_base_ = ['../_base_/cotrain/omgseg_cotrain-ov.py', '../_base_/datasets/ade20k_panoptic.py']

vocabulary = _base_.cotrain_closed_vocabulary
class_embed_path = _base_.embed_dir + 'cotrain-closed.pth'
model = dict(
    backbone=dict(frozen=False),
    panoptic_head=dict(vocabulary=vocabulary, class_embed_path=class_embed_path,
                       prompt_encoder=None))
cotrain_datasets = [
    _base_.cotrain_coco_video_train, _base_.ade20k_panoptic_train,
    _base_.youtube_vis_2019_train, _base_.youtube_vis_2021_train, _base_.vipseg_train,
    _base_.cityscapes_panoptic_train,
]
train_dataloader = dict(
    sampler=dict(repeat_factors=[1, 1, 15, 15, 15, 15]),
    dataset=dict(vocabulary=vocabulary, datasets=cotrain_datasets))
