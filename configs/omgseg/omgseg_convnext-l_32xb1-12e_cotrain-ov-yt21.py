# The open-vocabulary co-training with YouTube-VIS 2021 added: COCO pseudo-video, YT-VIS 2019,
# YT-VIS 2021, VIPSeg, Cityscapes, COCO-SAM with repeat factors 1 / 15 / 15 / 15 / 15 / 1;
# merged vocabulary 139 things / 101 stuff. Otherwise as
# omgseg_convnext-l_32xb1-12e_cotrain-ov.py (same commands with this config).
#   python tools/gen_class_embeddings.py \
#       configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-ov-yt21.py
#   GPUS=32 GPUS_PER_NODE=8 bash tools/slurm_train.sh PARTITION omgseg \
#       configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-ov-yt21.py work_dirs/cotrain-ov-yt21 \
#       --auto-scale-lr
_base_ = ['../_base_/cotrain/omgseg_cotrain-ov.py']

vocabulary = _base_.cotrain_ov_yt21_vocabulary
class_embed_path = _base_.embed_dir + 'cotrain-ov-yt21.pth'
model = dict(panoptic_head=dict(vocabulary=vocabulary, class_embed_path=class_embed_path))
cotrain_datasets = [
    _base_.cotrain_coco_video_train, _base_.youtube_vis_2019_train,
    _base_.youtube_vis_2021_train, _base_.vipseg_train, _base_.cityscapes_panoptic_train,
    _base_.coco_interactive_train,
]
train_dataloader = dict(
    sampler=dict(repeat_factors=[1, 15, 15, 15, 15, 1]),
    dataset=dict(vocabulary=vocabulary, datasets=cotrain_datasets))
