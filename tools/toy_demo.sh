#!/usr/bin/env bash
# The toy job end to end: synthetic images and videos, tiny CLIP, class embeddings, distributed
# joint training on images and videos (PQ / mask AP / mIoU on toy COCO at the end), then the
# video evaluations of the final checkpoint: toy VIPSeg (VPQ, VSS mIoU), toy YouTube-VIS (AP)
# and toy DAVIS (J&F).
#   bash tools/toy_demo.sh [NUM_PROCESSES (default 2)] [train.py args]
#   WORK_DIR=work_dirs/my_run bash tools/toy_demo.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NPROC=${1:-2}
CONFIG=configs/toy/omgseg_tiny_toy-joint.py
WORK_DIR=${WORK_DIR:-work_dirs/omgseg_tiny_toy-joint}
python tools/dataset_converters/make_toy_data.py --out data/toy
python tools/misc/make_tiny_clip.py --out data/toy/tiny_clip.pth
python tools/gen_class_embeddings.py "$CONFIG"
bash tools/dist_train.sh "$CONFIG" "$NPROC" --work-dir "$WORK_DIR" "${@:2}"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
for TASK in vipseg ytvis davis; do
    bash tools/dist_test.sh "configs/toy/omgseg_tiny_toy-$TASK.py" "$CKPT" "$NPROC" \
        --work-dir "$WORK_DIR/test_$TASK"
done
