# Evaluate OMG-Seg on YouTube-VIS 2021 valid (submission zip for CodaLab); see the 2019 config.
# Open-vocabulary: the open-vocabulary recipe never trains on YT-VIS 2021. The paper's number
# comes from the original's evaluation, which does not fuse the frozen CLIP's classification
# at all (open_vocab.fusion='off', the default here; docs/protocol.md). omgseg's fusion, "seen"
# meaning in that recipe's vocabulary (COCO + YT-VIS 2019 + VIPSeg + Cityscapes), is
#   --cfg-options model.test_cfg.open_vocab.fusion=per_clip
# For the ..._cotrain-ov-yt21 model (trained on YT-VIS 2021) leave it off.
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_youtube-vis-2021.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_youtube-vis-2021.py CHECKPOINT 8
_base_ = ['./omgseg_convnext-l_youtube-vis-2019.py', '../_base_/cotrain/vocabularies.py']
vocabulary = 'youtube_vis_2021'
model = dict(
    panoptic_head=dict(
        vocabulary=vocabulary,
        class_embed_path='data/class_embeddings/convnext_large_d_320/youtube_vis_2021.pth'),
    test_cfg=dict(open_vocab=dict(train_vocabulary=_base_.cotrain_ov_vocabulary, alpha=0.4,
                                  beta=0.8, fusion='off')))
test_dataloader = dict(dataset=_base_.youtube_vis_2021_val)
test_evaluator = _base_.youtube_vis_2021_evaluator
