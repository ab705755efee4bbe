# Evaluate OMG-Seg (frozen ConvNeXt-L CLIP) on VIPSeg val, video panoptic: VPQ over windows of
# 1, 2, 4, 6, 8 frames (VIPSeg's convention) and VPQ_omg over 1, 2, 4, 6 (the paper's).
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_vipseg-vps.py
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_vipseg-vps.py CHECKPOINT 8
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/vipseg.py'
]
vocabulary = 'vipseg'
model = dict(
    panoptic_head=dict(
        vocabulary=vocabulary,
        class_embed_path='data/class_embeddings/convnext_large_d_320/vipseg.pth'),
    # MinVIS clips of 2 frames (3 for videos of <= 15 frames), as the original's VIPSeg setting
    test_cfg=dict(objects=dict(panoptic_on=True, instance_on=False, semantic_on=False),
                  clips=dict(clip_size=2, clip_size_small=3, small_clip_thr=15)))
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False), dataset=_base_.vipseg_val)
test_evaluator = [dict(type='VideoPanopticMetric', vss=False)]
