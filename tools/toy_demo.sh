#!/usr/bin/env bash
# The toy job end to end: synthetic data, tiny CLIP, class embeddings, then distributed training
# with evaluation at the end (PQ / mask AP / mIoU tables).
#   bash tools/toy_demo.sh [NUM_PROCESSES (default 2)] [train.py args]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
NPROC=${1:-2}
CONFIG=configs/toy/omgseg_tiny_toy-coco-panoptic.py
python tools/dataset_converters/make_toy_data.py --out data/toy
python tools/misc/make_tiny_clip.py --out data/toy/tiny_clip.pth
python tools/gen_class_embeddings.py "$CONFIG"
bash tools/dist_train.sh "$CONFIG" "$NPROC" "${@:2}"
