# The open-vocabulary co-training with the frozen ConvNeXt-XXL CLIP (open_clip
# 'convnext_xxlarge'): stage channels 384 / 768 / 1536 / 3072 and a 1024-d CLIP space follow
# from the model (the decoder's input convs and the class projection adapt). Class embeddings
# come from the XXL text tower, so they are a separate file.
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-xxl_32xb1-12e_cotrain-ov.py
#   GPUS=32 GPUS_PER_NODE=8 bash tools/slurm_train.sh PARTITION omgseg \
#       configs/omgseg/omgseg_convnext-xxl_32xb1-12e_cotrain-ov.py work_dirs/cotrain-ov-xxl \
#       --auto-scale-lr
_base_ = ['./omgseg_convnext-l_32xb1-12e_cotrain-ov.py']

xxl_embed_dir = 'data/class_embeddings/convnext_xxlarge/'
model = dict(
    backbone=dict(model_name='convnext_xxlarge', pretrained='laion2b_s34b_b82k_augreg_soup'),
    panoptic_head=dict(class_embed_path=xxl_embed_dir + 'cotrain-ov.pth'))
test_cfg = dict(class_embed_path=xxl_embed_dir + 'coco_panoptic_ov.pth',
                extra=[dict(e, class_embed_path=e['class_embed_path'].replace(
                    _base_.embed_dir, xxl_embed_dir)) for e in _base_.cotrain_test_entries])
