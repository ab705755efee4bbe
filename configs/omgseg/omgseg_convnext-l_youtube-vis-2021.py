# Evaluate OMG-Seg on YouTube-VIS 2021 valid (submission zip for CodaLab); see the 2019 config.
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_youtube-vis-2021.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_youtube-vis-2021.py CHECKPOINT 8
_base_ = ['./omgseg_convnext-l_youtube-vis-2019.py', '../_base_/datasets/youtube_vis_2021.py']
vocabulary = 'youtube_vis_2021'
model = dict(panoptic_head=dict(
    class_embed_path='data/class_embeddings/convnext_large_d_320/youtube_vis_2021.pth'))
test_dataloader = dict(dataset=_base_.youtube_vis_2021_val)
test_evaluator = _base_.youtube_vis_2021_evaluator
