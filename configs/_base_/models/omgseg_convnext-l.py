# The OMG-Seg model: frozen ConvNeXt-L CLIP, MSDeformAttn pixel decoder, shared 9-layer query
# decoder with 300 queries, CLIP-text classifier. The classes are a vocabulary's: every
# experiment config sets `model.panoptic_head.vocabulary` (a name in omgseg.vocab or
# a dict such as dict(merge=[...])), from which the head counts its things and stuff, and
# `class_embed_path`, that vocabulary's text embeddings (tools/gen_class_embeddings.py).
class_embed_path = 'data/class_embeddings/convnext_large_d_320/coco_panoptic.pth'
feat_channels = 256

model = dict(
    type='OMGSeg',
    data_preprocessor=dict(type='ClipDataPreprocessor', bgr_to_rgb=True, pad_size_divisor=32),
    backbone=dict(
        type='OpenCLIPBackbone',
        model_name='convnext_large_d_320',
        pretrained='laion2b_s29b_b131k_ft_soup',
        frozen=True),
    panoptic_head=dict(
        type='OMGQueryHead',
        feat_channels=feat_channels,
        num_queries=300,
        class_embed_path=class_embed_path,
        num_transformer_feat_level=3,
        pixel_decoder=dict(
            type='OMGPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=6,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=feat_channels, num_heads=8, num_levels=3,
                                       num_points=4, dropout=0.0, batch_first=True),
                    ffn_cfg=dict(embed_dims=feat_channels, feedforward_channels=1024,
                                 num_fcs=2, ffn_drop=0.0,
                                 act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=feat_channels // 2, normalize=True)),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=9,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=feat_channels, num_heads=8, dropout=0.0,
                                   batch_first=True),
                cross_attn_cfg=dict(embed_dims=feat_channels, num_heads=8, dropout=0.0,
                                    batch_first=True),
                ffn_cfg=dict(embed_dims=feat_channels, feedforward_channels=2048, num_fcs=2,
                             ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True))),
            init_cfg=None)),
    criterion=dict(
        type='OMGCriterion',
        matcher=dict(type='HungarianMatcher', cls_weight=2.0, mask_weight=5.0, dice_weight=5.0,
                     num_points=12544),
        cls_weight=2.0, obj_weight=2.0, mask_weight=5.0, dice_weight=5.0,
        no_object_weight=0.1, num_points=12544, oversample_ratio=3.0,
        importance_sample_ratio=0.75))
# model.test_cfg: the defaults (omgseg/models/tasks/settings.py) are the original's protocol;
# each evaluation config sets only the sections of its own tasks (ProtocolCheckHook).
