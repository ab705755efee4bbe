# Open-vocabulary interactive segmentation on COCO val2017: the point-box prompts of
# omgseg_convnext-l_coco-interactive.py, each prompt's mask also classified against COCO's
# open-vocabulary names with the frozen-CLIP fusion (train vocabulary: the open-vocabulary
# recipe's). Every frame gets pred_prompt_masks.labels / .scores (best non-void class); the
# metric scores the masks (mIoU). No metric scores the labels yet: dump them with --out.
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_coco-interactive-ov.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_coco-interactive-ov.py CHECKPOINT 8
_base_ = ['./omgseg_convnext-l_coco-interactive.py']
model = dict(test_cfg=dict(open_vocab=dict(train_vocabulary=_base_.cotrain_ov_vocabulary,
                                           alpha=0.4, beta=0.8)))
