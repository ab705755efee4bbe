# Evaluate the joint toy job (omgseg_tiny_toy-joint.py) on toy DAVIS 2017 val (semi-supervised VOS,
# J&F): the model's class-agnostic tube proposals are matched to the first frame's objects and
# followed.
#   python tools/test.py configs/toy/omgseg_tiny_toy-davis.py work_dirs/.../epoch_8.pth
_base_ = ['./omgseg_tiny_toy-joint.py']
model = dict(test_cfg=dict(vos=dict(num_proposals=25),
                           clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15)))
test_dataloader = dict(batch_size=1, dataset=_base_.toy_davis_val)
test_evaluator = _base_.toy_davis_evaluator
