# Evaluate the joint toy job (omgseg_tiny_toy-joint.py) on toy VIPSeg val (video panoptic VPQ and
# video semantic mIoU):
#   python tools/test.py configs/toy/omgseg_tiny_toy-vipseg.py work_dirs/.../epoch_8.pth
_base_ = ['./omgseg_tiny_toy-joint.py']
model = dict(test_cfg=dict(objects=dict(instance_on=False),
                           clips=dict(clip_size=2, clip_size_small=3, small_clip_thr=15)))
test_dataloader = dict(batch_size=1, dataset=_base_.toy_vipseg_val)
test_evaluator = _base_.toy_vipseg_evaluator
