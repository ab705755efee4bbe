"""Every full-size config under configs/omgseg/ builds its model with the network cut off.

Built on the meta device (architecture only, ~1-2 s each instead of ~30 s of weight init):
downloads would happen while resolving the model, which is the same code path either way. The
CLIP weights are read only by ``init_weights``, which is not called here.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

from omgseg.utils.official_checkpoint import build_model_meta

ROOT = Path(__file__).resolve().parents[2]
FULL_SIZE = sorted((ROOT / 'configs' / 'omgseg').glob('*.py'))
_CLIPS = dict(
    l=('convnext_large_d_320', 'laion2b_s29b_b131k_ft_soup', [192, 384, 768, 1536], 768),
    xxl=('convnext_xxlarge', 'laion2b_s34b_b82k_augreg_soup', [384, 768, 1536, 3072], 1024))


def test_there_are_full_size_configs():
    assert len(FULL_SIZE) >= 2, FULL_SIZE


@pytest.mark.parametrize('path', FULL_SIZE, ids=[p.name for p in FULL_SIZE])
def test_full_size_config_builds_offline(path, no_network):
    cfg = Config.fromfile(str(path))
    model = build_model_meta(cfg.model, materialize=())
    # (model name, pretrained tag, stage channels, CLIP dimension) of ConvNeXt-L and -XXL
    name, tag, channels, clip_dim = _CLIPS['xxl' if 'convnext-xxl' in path.name else 'l']
    assert model.backbone.model_name == name
    assert model.backbone.out_channels == channels and model.backbone.clip_dim == clip_dim
    head = model.panoptic_head
    assert head.num_queries == 300 and len(head.transformer_decoder.layers) == 9
    assert head.cls_proj[4].out_features == clip_dim
    # frozen CLIP: nothing downloaded or read at build; the tag is resolved in init_weights
    assert model.backbone.pretrained == tag
    assert not head.classifier.is_loaded
    # interactive evaluation and the open-vocabulary co-training (COCO-SAM) take prompts
    prompts = 'interactive' in path.name or 'cotrain-ov' in path.name
    assert (head.prompt_encoder is not None) == prompts


def test_no_network_fixture_refuses_connections(no_network):
    import urllib.request

    from tests.offline import NetworkAccess
    with pytest.raises(NetworkAccess, match='network access attempted'):
        urllib.request.urlopen('https://huggingface.co', timeout=5)
