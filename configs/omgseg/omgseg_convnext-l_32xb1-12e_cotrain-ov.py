# OMG-Seg, the paper's open-vocabulary co-training (frozen ConvNeXt-L CLIP): COCO panoptic as
# 2-frame pseudo-videos, YouTube-VIS 2019, VIPSeg, Cityscapes and COCO-SAM (prompts), repeat
# factors 1 / 30 / 15 / 15 / 1, merged vocabulary 136 things / 101 stuff, 12 epochs, 1 per GPU.
# Everything lives in configs/_base_/cotrain/omgseg_cotrain-ov.py (datasets, sampler, schedule,
# learning-rate scaling, test entries).
#   python tools/gen_class_embeddings.py \
#       configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-ov.py
#   # the paper's 32 GPUs (4 nodes x 8) at 2e-4:
#   GPUS=32 GPUS_PER_NODE=8 bash tools/slurm_train.sh PARTITION omgseg \
#       configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-ov.py work_dirs/cotrain-ov \
#       --auto-scale-lr
#   # or on each of 4 nodes (NODE_RANK=0..3):
#   NNODES=4 NODE_RANK=0 MASTER_ADDR=<node 0> PORT=29500 bash tools/dist_train.sh \
#       configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-ov.py 8 --auto-scale-lr
#   # one 8-GPU machine (5e-5 with --auto-scale-lr, 1e-4 without):
#   bash tools/dist_train.sh configs/omgseg/omgseg_convnext-l_32xb1-12e_cotrain-ov.py 8 \
#       --auto-scale-lr
_base_ = ['../_base_/cotrain/omgseg_cotrain-ov.py']
