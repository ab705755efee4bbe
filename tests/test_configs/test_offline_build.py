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


def test_there_are_full_size_configs():
    assert len(FULL_SIZE) >= 2, FULL_SIZE


@pytest.mark.parametrize('path', FULL_SIZE, ids=[p.name for p in FULL_SIZE])
def test_full_size_config_builds_offline(path, no_network):
    cfg = Config.fromfile(str(path))
    model = build_model_meta(cfg.model, materialize=())
    assert model.backbone.model_name == 'convnext_large_d_320'
    assert model.backbone.out_channels == [192, 384, 768, 1536] and model.backbone.clip_dim == 768
    head = model.panoptic_head
    assert head.num_queries == 300 and len(head.transformer_decoder.layers) == 9
    assert head.cls_proj[4].out_features == 768
    # frozen CLIP: nothing downloaded or read at build; the tag is resolved in init_weights
    assert model.backbone.pretrained == 'laion2b_s29b_b131k_ft_soup'
    assert not head.classifier.is_loaded
    interactive = 'interactive' in path.name
    assert (head.prompt_encoder is not None) == interactive


def test_no_network_fixture_refuses_connections(no_network):
    import urllib.request

    from tests.offline import NetworkAccess
    with pytest.raises(NetworkAccess, match='network access attempted'):
        urllib.request.urlopen('https://huggingface.co', timeout=5)
