# Evaluate OMG-Seg on VIPSeg val, video semantic segmentation: mIoU over all frames (the same
# run also reports VPQ, whose panoptic output it needs).
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_vipseg-vss.py CHECKPOINT 8
_base_ = ['./omgseg_convnext-l_vipseg-vps.py']
model = dict(test_cfg=dict(objects=dict(semantic_on=True)))
test_evaluator = [dict(type='VideoPanopticMetric', vss=True)]
