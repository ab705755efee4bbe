#!/usr/bin/env bash
# Everything the toy co-training job reads, written under ./data/toy of the CURRENT directory
# (configs name data/ relative to where the tools run): toy images, videos, Cityscapes, ADE20K,
# DAVIS and interactive sets; the tiny CLIP and its toy "web pre-training"; the class
# embeddings of the merged training vocabulary, of every evaluation vocabulary and of the toy
# vocabulary for the untrained tiny CLIP (the image-only and joint toy jobs).
# Each step skips work that is already up to date.
#   bash tools/toy_prepare.sh
set -euo pipefail
TOOLS=$(cd "$(dirname "$0")" && pwd)
CONFIG=$TOOLS/../configs/toy/omgseg_tiny_toy-cotrain.py
EMBED=data/toy/class_embeddings/pretrained
python "$TOOLS/dataset_converters/make_toy_data.py" --out data/toy \
    --cityscapes --num-cityscapes 60 20 --ade20k --num-ade20k 8 40
python "$TOOLS/misc/make_tiny_clip.py" --out data/toy/tiny_clip.pth
python "$TOOLS/misc/pretrain_tiny_clip.py" --init data/toy/tiny_clip.pth \
    --out data/toy/tiny_clip_pretrained.pth
python "$TOOLS/gen_class_embeddings.py" "$CONFIG" --out "$EMBED/cotrain.pth"
# the toy vocabulary for the untrained tiny CLIP: the image-only, joint and per-dataset toy
# configs (configs/toy/omgseg_tiny_toy-{coco-panoptic,joint,vipseg,ytvis,davis,...}.py)
python "$TOOLS/gen_class_embeddings.py" "$TOOLS/../configs/toy/omgseg_tiny_toy-coco-panoptic.py"
# the evaluation entries' own vocabularies (toy, Cityscapes, toy ADE20K with a held-out class)
for ENTRY in coco_panoptic cityscapes_panoptic ade_heldout; do
    python "$TOOLS/gen_class_embeddings.py" "$CONFIG" --entry "$ENTRY"
done
