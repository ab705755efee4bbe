#!/usr/bin/env bash
# The toy co-training job end to end (the README's main job): toy data, tiny CLIP and class
# embeddings (tools/toy_prepare.sh), then ONE distributed run that trains jointly on toy COCO
# (pseudo-video), Cityscapes, VIPSeg, YouTube-VIS and interactive prompts, and at its end
# evaluates every dataset and task, one results table each: COCO panoptic (PQ, mask AP,
# mIoU), Cityscapes PQ, VIPSeg VPQ / VSS mIoU, YouTube-VIS AP, DAVIS J&F, interactive mIoU,
# and toy ADE20K (a class unseen in training) with and without open-vocabulary fusion.
# A second, short stage trains the prompts alone from that checkpoint (on this CPU budget they
# learn far more slowly than object queries) and reports interactive mIoU again.
#   bash tools/toy_demo.sh [NUM_PROCESSES (default 2)] [train.py args]
#   WORK_DIR=work_dirs/my_run bash tools/toy_demo.sh
# The same evaluation of an untrained model (for comparison):
#   bash tools/toy_demo.sh 2 --cfg-options optim_wrapper.optimizer.lr=0 train_cfg.max_epochs=1
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NPROC=${1:-2}
CONFIG=configs/toy/omgseg_tiny_toy-cotrain.py
WORK_DIR=${WORK_DIR:-work_dirs/omgseg_tiny_toy-cotrain}
bash tools/toy_prepare.sh
bash tools/dist_train.sh "$CONFIG" "$NPROC" --work-dir "$WORK_DIR" "${@:2}"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
bash tools/dist_train.sh configs/toy/omgseg_tiny_toy-interactive-finetune.py "$NPROC" \
    --work-dir "$WORK_DIR/interactive" --cfg-options load_from="$CKPT"
