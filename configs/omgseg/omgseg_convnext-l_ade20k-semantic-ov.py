# Open-vocabulary ADE20K val, semantic segmentation only (mIoU over the 150 classes, against
# semantic GT derived from the panoptic PNGs); as omgseg_convnext-l_ade20k-panoptic-ov.py.
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_ade20k-semantic-ov.py CHECKPOINT 8
_base_ = ['./omgseg_convnext-l_ade20k-panoptic-ov.py']
model = dict(test_cfg=dict(objects=dict(panoptic_on=False)))
test_evaluator = [dict(type='SemanticIoUMetric')]
