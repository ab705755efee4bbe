# Evaluate the joint toy job (omgseg_tiny_toy-joint.py) on toy YouTube-VIS valid (video instance AP;
# the toy split keeps its ground truth, so AP is computed locally):
#   python tools/test.py configs/toy/omgseg_tiny_toy-ytvis.py work_dirs/.../epoch_8.pth
_base_ = ['./omgseg_tiny_toy-joint.py']
model = dict(test_cfg=dict(objects=dict(panoptic_on=False, semantic_on=False,
                                        instance_masks='rle'),
                           clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15)))
test_dataloader = dict(batch_size=1, dataset=_base_.toy_ytvis_val)
test_evaluator = _base_.toy_ytvis_evaluator
