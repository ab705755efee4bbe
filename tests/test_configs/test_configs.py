"""Every config loads; the toy config builds; the full-size model builds offline with the
paper's parameter counts."""
from pathlib import Path

import pytest
from mmengine.config import Config

from omgseg.models.tasks import InferenceSettings
from omgseg.registry import MODELS
from omgseg.structures import TASKS

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py') if '_base_' not in p.parts)
FULL = ROOT / 'configs' / 'omgseg' / 'omgseg_convnext-l_8xb1-12e_coco-panoptic.py'


@pytest.mark.parametrize('path', CONFIGS, ids=[str(p.relative_to(ROOT)) for p in CONFIGS])
def test_config_loads(path):
    cfg = Config.fromfile(str(path))
    assert cfg.model.type == 'OMGSeg'
    # evaluation-only configs (per dataset and task) need no training data
    keys = (('test_dataloader', 'test_evaluator') if 'train_dataloader' not in cfg else
            ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator'))
    for key in keys:
        assert key in cfg, f'{path.name} lacks {key}'
    for split in ('train', 'test'):
        if f'{split}_dataloader' not in cfg:
            continue
        dataset = cfg[f'{split}_dataloader'].dataset
        parts = dataset.get('datasets', [dataset])
        for part in parts:
            part = part.get('dataset', part)          # RepeatDataset
            assert part.task in TASKS, part
    # the model's and every evaluation entry's test settings are valid sections
    InferenceSettings.from_cfg(cfg.model.get('test_cfg'))
    for loop in ('val_cfg', 'test_cfg'):
        for entry in (cfg.get(loop) or {}).get('extra', []):
            InferenceSettings.from_cfg(cfg.model.get('test_cfg')).merged(entry.get('test_cfg'))


def test_full_size_model_builds_offline_with_paper_counts():
    cfg = Config.fromfile(str(FULL))
    model = MODELS.build(cfg.model)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # OMG-Seg: 221 M parameters in total, about 21 M trainable (the head); frozen CLIP backbone
    assert abs(total - 221e6) / 221e6 < 0.03, total
    assert abs(trainable - 21e6) / 21e6 < 0.10, trainable
    assert model.backbone.out_channels == [192, 384, 768, 1536]
    assert model.backbone.clip_dim == 768
    assert not any(p.requires_grad for p in model.backbone.parameters())
    head = model.panoptic_head
    assert head.num_queries == 300 and len(head.transformer_decoder.layers) == 9
