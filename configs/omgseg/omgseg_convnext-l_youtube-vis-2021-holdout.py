# Local YouTube-VIS 2021 AP (mask AP, AP50, AP75, AR1, AR10) on train videos held out of
# training, next to the submission config omgseg_convnext-l_youtube-vis-2021.py (whose valid
# ground truth is hidden). Convert once with a holdout, train on the reduced train split, then
#   python tools/dataset_converters/youtube_vis.py --root data/youtube_vis_2021 \
#       --version 2021 --holdout 100 --seed 0
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_youtube-vis-2021-holdout.py \
#       CHECKPOINT 8
# (a model trained on the full train split has seen these videos: its AP here is optimistic).
# The protocol of omgseg_convnext-l_youtube-vis-2021.py (no open-vocabulary fusion, as the
# original's YouTube-VIS 2021 evaluation).
_base_ = ['./omgseg_convnext-l_youtube-vis-2021.py']
test_dataloader = dict(dataset=_base_.youtube_vis_2021_holdout)
test_evaluator = _base_.youtube_vis_2021_holdout_evaluator
