"""The official checkpoint converter (omgseg.utils.official_checkpoint / official_convert,
command line tools/model_converters/omgseg_official.py): released OMG-Seg heads -> our
full-size models.

The source state dicts are written here from the key list of the released files (reference
section 8), not from our model, so a renamed module on our side fails these tests.
"""
from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from omgseg.utils.official_checkpoint import (OfficialCheckpointError, build_model_meta,
                                              check_converted, convert_state_dict, load_source)
from omgseg.utils.official_convert import convert_official_checkpoint


ROOT = Path(__file__).resolve().parents[2]
PANOPTIC = ROOT / 'configs' / 'omgseg' / 'omgseg_convnext-l_8xb1-12e_coco-panoptic.py'
INTERACTIVE = ROOT / 'configs' / 'omgseg' / 'omgseg_convnext-l_coco-interactive.py'
L_CHANNELS, XXL_CHANNELS = (192, 384, 768, 1536), (384, 768, 1536, 3072)
N_BACKBONE_L = 345  # backbone.* tensors of ConvNeXt-L (stem, 4 stages, norm + MLP head)
TINY = 'omgseg_tiny_convnext'


def released_head(channels, clip_dim, seed=0):
    """A head-only state dict with the released key names and shapes, random values.

    Args:
        channels: ConvNeXt stage channels at strides 4, 8, 16, 32.
        clip_dim: CLIP dimension D (cls_proj output).
    """
    c4s, c8s, c16s, c32s = channels
    shapes = {}

    def add(prefix, pairs):
        for name, shape in pairs:
            shapes[prefix + name] = shape

    def lin(name, o, i):
        return [(f'{name}.weight', (o, i)), (f'{name}.bias', (o,))]

    def ln(name):
        return [(f'{name}.weight', (256,)), (f'{name}.bias', (256,))]

    pd = 'panoptic_head.pixel_decoder.'
    for i, c in enumerate((c32s, c16s, c8s)):                 # 1x1 input convs, coarse first
        add(f'{pd}input_convs.{i}.', [('conv.weight', (256, c, 1, 1)), ('conv.bias', (256,)),
                                      *ln('gn')])
    for j in range(6):                                          # 8 heads x 3 levels x 4 points
        add(f'{pd}encoder.layers.{j}.', [
            *lin('self_attn.sampling_offsets', 192, 256),
            *lin('self_attn.attention_weights', 96, 256),
            *lin('self_attn.value_proj', 256, 256), *lin('self_attn.output_proj', 256, 256),
            *lin('ffn.layers.0.0', 1024, 256), *lin('ffn.layers.1', 256, 1024),
            *ln('norms.0'), *ln('norms.1')])
    add(pd, [('level_encoding.weight', (3, 256)),
             ('lateral_convs.0.conv.weight', (256, c4s, 1, 1)), *ln('lateral_convs.0.gn'),
             ('output_convs.0.conv.weight', (256, 256, 3, 3)), *ln('output_convs.0.gn'),
             ('mask_feature.weight', (256, 256, 1, 1)), ('mask_feature.bias', (256,))])
    td = 'panoptic_head.transformer_decoder.'
    for j in range(9):
        attn = []
        for a in ('self_attn', 'cross_attn'):
            attn += [(f'{a}.attn.in_proj_weight', (768, 256)), (f'{a}.attn.in_proj_bias', (768,)),
                     *lin(f'{a}.attn.out_proj', 256, 256)]
        add(f'{td}layers.{j}.', [*attn, *lin('ffn.layers.0.0', 2048, 256),
                                 *lin('ffn.layers.1', 256, 2048),
                                 *ln('norms.0'), *ln('norms.1'), *ln('norms.2')])
    add(td, ln('post_norm'))
    h = 'panoptic_head.'
    add(h, [('query_embed.weight', (300, 256)), ('query_feat.weight', (300, 256)),
            ('level_embed.weight', (3, 256))])
    for name, out in (('mask_embed', 256), ('iou_embed', 1), ('cls_proj', clip_dim)):
        add(h, [*lin(f'{name}.0', 256, 256), *lin(f'{name}.2', 256, 256),
                *lin(f'{name}.4', out, 256)])
    add(h, [*ln('mask_pooling_proj.0'), *lin('mask_pooling_proj.1', 256, 256),
            ('mask_tokens.weight', (1, 256)), ('pb_embedding.weight', (2, 256)),
            *lin('pos_linear', 256, 512)])
    gen = torch.Generator().manual_seed(seed)
    return collections.OrderedDict((k, torch.randn(s, generator=gen)) for k, s in shapes.items())


@pytest.fixture(scope='module')
def convl():
    return released_head(L_CHANNELS, 768)


@pytest.fixture(scope='module')
def converted_l(convl):
    return convert_state_dict(convl, model_name='convnext_large_d_320')


def test_synthetic_release_matches_published_sizes(convl):
    # omg_seg_convl.pth is 84.2 MB of fp32 (reference section 8); XXL adds ~0.80 M values
    n_l = sum(v.numel() for v in convl.values())
    n_xxl = sum(v.numel() for v in released_head(XXL_CHANNELS, 1024).values())
    assert 83.8e6 < 4 * n_l < 84.2e6, n_l
    assert 87.0e6 < 4 * n_xxl < 87.4e6 and abs((n_xxl - n_l) - 0.80e6) < 0.01e6


def test_converts_l_and_verifies_against_panoptic_config(convl, tmp_path, capsys,
                                                             no_network):
    src, dst = tmp_path / 'omg_seg_convl.pth', tmp_path / 'out' / 'convl.pth'
    torch.save(convl, src)                                     # a bare OrderedDict, as released
    convert_official_checkpoint(str(src), str(dst), verify_config=str(PANOPTIC))
    out = capsys.readouterr().out
    assert f'{N_BACKBONE_L} backbone keys come from open_clip' in out
    assert '4 prompt-encoder keys unused' in out
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['mapping_version'] == 'omgseg-official-v1'
    assert ckpt['meta']['model_name'] == 'convnext_large_d_320' and ckpt['meta']['box_query']
    assert len(ckpt['state_dict']) == len(convl)
    assert torch.equal(ckpt['state_dict']['panoptic_head.prompt_encoder.pos_linear.weight'],
                       convl['panoptic_head.pos_linear.weight'])


@pytest.fixture(scope='module')
def interactive_l():
    """The full-size interactive model (meta backbone, real head), shared by tests that load
    whole heads into it."""
    return build_model_meta(Config.fromfile(str(INTERACTIVE)).model)


@pytest.mark.parametrize('config,unused', [(PANOPTIC, 4), (INTERACTIVE, 0)])
def test_converted_l_loads_into_full_size_model(converted_l, convl, config, unused, no_network,
                                                interactive_l):
    model = (interactive_l if config == INTERACTIVE
             else build_model_meta(Config.fromfile(str(config)).model))
    res = check_converted(model, converted_l.state_dict)
    assert len(res.missing_backbone) == N_BACKBONE_L
    assert all(k.startswith('backbone.') for k in res.missing_backbone)
    assert len(res.unused_prompt_encoder) == unused
    assert len(res.loaded) == len(convl) - unused
    head = model.panoptic_head
    pairs = [(head.pixel_decoder.input_convs[0].conv.weight,
              'pixel_decoder.input_convs.0.conv.weight'),
             (head.pixel_decoder.lateral_convs[0].conv.weight,
              'pixel_decoder.lateral_convs.0.conv.weight'),
             (head.transformer_decoder.layers[8].cross_attn.attn.in_proj_weight,
              'transformer_decoder.layers.8.cross_attn.attn.in_proj_weight'),
             (head.pixel_decoder.encoder.layers[5].self_attn.sampling_offsets.bias,
              'pixel_decoder.encoder.layers.5.self_attn.sampling_offsets.bias'),
             (head.query_feat.weight, 'query_feat.weight'),
             (head.iou_embed[4].bias, 'iou_embed.4.bias'),
             (head.cls_proj[4].weight, 'cls_proj.4.weight'),
             (head.mask_pooling_proj[0].weight, 'mask_pooling_proj.0.weight')]
    if head.prompt_encoder is not None:
        pairs += [(head.prompt_encoder.pb_embedding.weight, 'pb_embedding.weight'),
                  (head.prompt_encoder.mask_tokens.weight, 'mask_tokens.weight')]
    for param, key in pairs:
        assert torch.equal(param.detach(), convl['panoptic_head.' + key]), key


def test_xxl_release_converts_and_loads(no_network, interactive_l):
    src = released_head(XXL_CHANNELS, 1024, seed=1)
    with pytest.raises(OfficialCheckpointError, match='pass --model-name convnext_xxlarge'):
        convert_state_dict(src, model_name='convnext_large_d_320')
    conv = convert_state_dict(src, model_name='convnext_xxlarge')
    cfg = Config.fromfile(str(INTERACTIVE))
    cfg.model.backbone.model_name = 'convnext_xxlarge'
    model = build_model_meta(cfg.model)
    res = check_converted(model, conv.state_dict)
    assert res.missing_backbone and all(k.startswith('backbone.') for k in res.missing_backbone)
    assert torch.equal(model.panoptic_head.cls_proj[4].weight.detach(),
                       src['panoptic_head.cls_proj.4.weight'])
    # the XXL head does not fit the L model
    with pytest.raises(OfficialCheckpointError, match='shape mismatch'):
        check_converted(interactive_l, conv.state_dict)


def test_missing_extra_and_misshapen_keys_are_listed(convl):
    src = dict(convl)
    del src['panoptic_head.transformer_decoder.layers.3.norms.2.bias']
    src['panoptic_head.some_new_head.weight'] = torch.zeros(3)
    src['panoptic_head.query_embed.weight'] = torch.zeros(100, 256)
    with pytest.raises(OfficialCheckpointError) as err:
        convert_state_dict(src, model_name='convnext_large_d_320')
    msg = str(err.value)
    assert "1 source key(s) with no mapping: ['panoptic_head.some_new_head.weight']" in msg
    assert 'missing from the source' in msg and 'layers.3.norms.2.bias' in msg
    assert 'panoptic_head.query_embed.weight: source (100, 256)' in msg and '(300, 256)' in msg


def test_errors_name_the_keys_and_write_nothing(convl, tmp_path):
    src = dict(convl)
    src['panoptic_head.cls_proj.4.weight'] = torch.zeros(512, 256)
    torch.save(src, tmp_path / 'bad.pth')
    with pytest.raises(OfficialCheckpointError,
                       match=r'panoptic_head\.cls_proj\.4\.weight: source \(512, 256\)'):
        convert_official_checkpoint(str(tmp_path / 'bad.pth'), str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()
    torch.save({'state_dict': [1, 2]}, tmp_path / 'nodict.pth')
    with pytest.raises(OfficialCheckpointError, match='holds no state dict'):
        load_source(str(tmp_path / 'nodict.pth'))
    # the command line: exit code 1 and the message, no traceback
    proc = subprocess.run([sys.executable, str(ROOT / 'tools' / 'model_converters' /
                                               'omgseg_official.py'),
                           str(tmp_path / 'nodict.pth'), str(tmp_path / 'out.pth')],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and 'holds no state dict' in proc.stderr
    assert 'Traceback' not in proc.stderr and not (tmp_path / 'out.pth').exists()


def test_dropped_buffers_and_optional_box_query(convl):
    src = {k: v for k, v in convl.items()
           if not k.startswith(('panoptic_head.mask_tokens', 'panoptic_head.pb_embedding',
                                'panoptic_head.pos_linear'))}
    src['panoptic_head.logit_scale'] = torch.tensor(4.6052)
    conv = convert_state_dict(src, model_name='convnext_large_d_320')
    assert not conv.box_query and list(conv.dropped) == ['panoptic_head.logit_scale']
    assert not any('prompt_encoder' in k or 'logit_scale' in k for k in conv.state_dict)
    # only part of the box-query group: an error, not a silent half-initialised encoder
    src['panoptic_head.mask_tokens.weight'] = convl['panoptic_head.mask_tokens.weight']
    with pytest.raises(OfficialCheckpointError, match='pb_embedding.weight'):
        convert_state_dict(src, model_name='convnext_large_d_320')


def tiny_full_size_cfg() -> Config:
    """The full-size head on the tiny CLIP (its stage channels 40/80/160/320, D = 64)."""
    cfg = Config.fromfile(str(PANOPTIC))
    cfg.model.backbone.model_name = TINY
    return cfg


def _tiny_clip_state():
    import open_clip

    from omgseg.models.backbones.clip_factory import TINY_CLIP_CFG
    return open_clip.CLIP(**TINY_CLIP_CFG).state_dict()


def test_full_training_checkpoint_with_backbone(tmp_path, no_network):
    """An mmengine checkpoint of the original (DDP ``module.`` prefix, backbone.* keys named as
    the reference's renames of open_clip's ConvNeXt) converts completely."""
    clip = _tiny_clip_state()
    renames = [('visual.trunk.stem.', 'stem.'), ('visual.trunk.head.', 'head.0.'),
               ('visual.head.', 'head.1.')] + [
        (f'visual.trunk.stages.{i}.', f'layer{i + 1}.') for i in range(4)]
    backbone = {}
    for key, value in clip.items():
        for old, new in renames:
            if key.startswith(old):
                backbone['backbone.' + new + key[len(old):]] = value
    state = {**released_head((40, 80, 160, 320), 64), **backbone}
    torch.save({'meta': {'epoch': 12}, 'state_dict': {'module.' + k: v for k, v in state.items()}},
               tmp_path / 'epoch_12.pth')
    conv = convert_state_dict(load_source(str(tmp_path / 'epoch_12.pth')),
                              model_name=TINY)
    assert conv.has_backbone
    model = build_model_meta(tiny_full_size_cfg().model, materialize=('backbone', 'panoptic_head'))
    res = check_converted(model, conv.state_dict)
    assert res.missing_backbone == []
    assert torch.equal(model.backbone.layer3.blocks[1].mlp.fc1.weight,
                       clip['visual.trunk.stages.2.blocks.1.mlp.fc1.weight'])
    assert torch.equal(model.backbone.head[1].mlp.fc2.weight, clip['visual.head.mlp.fc2.weight'])
    del conv.state_dict['backbone.stem.0.weight']
    with pytest.raises(OfficialCheckpointError, match='backbone.stem.0.weight'):
        convert_state_dict({k: v for k, v in conv.state_dict.items()},
                           model_name=TINY)


def test_bakes_in_clip_weights(tmp_path, no_network):
    clip = _tiny_clip_state()
    torch.save(clip, tmp_path / 'tiny_clip.pth')
    torch.save(released_head((40, 80, 160, 320), 64), tmp_path / 'head.pth')
    dst = tmp_path / 'full.pth'
    convert_official_checkpoint(str(tmp_path / 'head.pth'), str(dst), model_name=TINY,
                                clip_weights=str(tmp_path / 'tiny_clip.pth'),
                                verify_config=str(PANOPTIC),
                                cfg_options={'model.backbone.model_name': TINY})
    state = torch.load(dst, weights_only=True)['state_dict']
    assert torch.equal(state['backbone.stem.0.weight'], clip['visual.trunk.stem.0.weight'])
    model = build_model_meta(tiny_full_size_cfg().model, materialize=('backbone', 'panoptic_head'))
    assert check_converted(model, state).missing_backbone == []
