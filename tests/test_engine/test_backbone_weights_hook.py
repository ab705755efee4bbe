"""A head-only checkpoint gets the backbone from the config's pretrained CLIP weights."""
from types import SimpleNamespace

import pytest
import torch

from omgseg.engine import PretrainedBackboneHook
from omgseg.registry import MODELS
from tests.conftest import toy_cfg


def _model(toy_root):
    cfg = toy_cfg(toy_root)
    cfg.model.backbone.pretrained = str(toy_root / 'tiny_clip.pth')
    return MODELS.build(cfg.model)


def test_head_only_checkpoint_loads_pretrained_backbone(toy_root):
    model = _model(toy_root)
    with torch.no_grad():  # stands for "not initialised" (a seeded build may equal the file)
        for param in model.backbone.parameters():
            param.zero_()
    reference = _model(toy_root)
    reference.backbone.init_weights()              # what the pretrained file holds
    head_only = {k: v for k, v in model.state_dict().items() if k.startswith('panoptic_head.')}
    PretrainedBackboneHook().after_load_checkpoint(SimpleNamespace(model=model),
                                                   {'state_dict': head_only})
    for name, value in reference.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[name], value), name


def test_checkpoint_with_backbone_is_left_alone(toy_root):
    model = _model(toy_root)
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    PretrainedBackboneHook().after_load_checkpoint(SimpleNamespace(model=model),
                                                   {'state_dict': model.state_dict()})
    assert all(torch.equal(model.backbone.state_dict()[k], v) for k, v in before.items())


def test_no_pretrained_source_is_a_clear_error(toy_root):
    model = _model(toy_root)
    model.backbone.pretrained = None
    with pytest.raises(ValueError, match='model.backbone.pretrained'):
        PretrainedBackboneHook().after_load_checkpoint(SimpleNamespace(model=model),
                                                       {'state_dict': {}})
