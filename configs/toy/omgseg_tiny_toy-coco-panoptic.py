# The toy job: the full OMG-Seg architecture, shrunk (tiny ConvNeXt CLIP, 64-d decoder), trained
# on the synthetic toy world in COCO panoptic format (the image-only toy job). Runs on CPU in
# minutes:
#   bash tools/toy_prepare.sh && bash tools/dist_train.sh configs/toy/omgseg_tiny_toy-coco-panoptic.py 2
# The tiny CLIP has random (seeded) weights, not pretrained ones, so a frozen copy would only
# give random features: the toy job fine-tunes it (the closed-set recipe's mode). Frozen
# training is what the full-size configs and the model tests run.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/toy_coco_panoptic.py'
]
feat_channels = 64
class_embed_path = 'data/toy/class_embeddings/tiny_clip_toy.pth'

model = dict(
    backbone=dict(model_name='omgseg_tiny_convnext', pretrained='data/toy/tiny_clip.pth',
                  frozen=False),
    panoptic_head=dict(
        feat_channels=feat_channels,
        num_queries=30,
        vocabulary='toy',  # 5 things, 3 stuff; the datasets label in it too
        class_embed_path=class_embed_path,
        pixel_decoder=dict(
            norm_cfg=dict(type='GN', num_groups=8),
            encoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=feat_channels, num_heads=4),
                    ffn_cfg=dict(embed_dims=feat_channels, feedforward_channels=256))),
            positional_encoding=dict(num_feats=feat_channels // 2)),
        transformer_decoder=dict(
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=feat_channels, num_heads=4),
                cross_attn_cfg=dict(embed_dims=feat_channels, num_heads=4),
                ffn_cfg=dict(embed_dims=feat_channels, feedforward_channels=256)))),
    # 32 x 32 mask logits: a few hundred points cover them (12544 is for 256 x 256 maps)
    criterion=dict(matcher=dict(num_points=512), num_points=512))

max_epochs = 18
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
base_lr = 1e-3
optim_wrapper = dict(
    optimizer=dict(lr=base_lr), clip_grad=dict(max_norm=1.0),
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[15],
         gamma=0.1),
]
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
log_processor = dict(window_size=10)
env_cfg = dict(mp_cfg=dict(opencv_num_threads=1))

train_dataloader = dict(
    batch_size=8, num_workers=1, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=_base_.toy_panoptic_train)
val_dataloader = dict(
    batch_size=4, num_workers=1, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_base_.toy_panoptic_val)
test_dataloader = val_dataloader
val_evaluator = _base_.toy_panoptic_evaluator
test_evaluator = val_evaluator
