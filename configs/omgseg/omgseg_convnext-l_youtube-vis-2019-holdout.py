# Local YouTube-VIS 2019 AP (mask AP, AP50, AP75, AR1, AR10) on train videos held out of
# training, next to the submission config omgseg_convnext-l_youtube-vis-2019.py (whose valid
# ground truth is hidden). Convert once with a holdout, train on the reduced train split, then
#   python tools/dataset_converters/youtube_vis.py --root data/youtube_vis_2019 \
#       --version 2019 --holdout 100 --seed 0
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_youtube-vis-2019-holdout.py \
#       CHECKPOINT 8
# (a model trained on the full train split has seen these videos: its AP here is optimistic).
_base_ = ['./omgseg_convnext-l_youtube-vis-2019.py']
test_dataloader = dict(dataset=_base_.youtube_vis_2019_holdout)
test_evaluator = _base_.youtube_vis_2019_holdout_evaluator
