"""Mixed-precision inference (tools/test.py --amp): the loop runs test_step under autocast,
the evaluator outside it; the config switch and its errors."""
import pytest
import torch
from mmengine.config import Config

from omgseg.engine import AutocastTestLoop
from omgseg.utils.launch import apply_test_amp


class _Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)
        self.seen = []

    def test_step(self, batch):
        self.seen.append((torch.is_autocast_enabled('cpu'), torch.get_autocast_dtype('cpu')))
        return [self.fc(torch.ones(1, 4))]


class _Evaluator:
    def __init__(self):
        self.autocast = []

    def process(self, data_samples, data_batch):
        self.autocast.append(torch.is_autocast_enabled('cpu'))
        assert data_samples[0].dtype == torch.bfloat16  # the model's matmul ran in bf16


class _Runner:
    def __init__(self):
        self.model = _Model()

    def call_hook(self, *args, **kwargs):
        pass


def test_forward_under_autocast_and_evaluator_outside():
    runner, evaluator = _Runner(), _Evaluator()
    loader = torch.utils.data.DataLoader([0, 1], batch_size=1)
    loop = AutocastTestLoop(runner, loader, evaluator, amp='bf16')
    for idx, batch in enumerate(loop.dataloader):
        loop.run_iter(idx, batch)
    assert runner.model.seen == [(True, torch.bfloat16)] * 2
    assert evaluator.autocast == [False, False]
    with pytest.raises(ValueError, match="test_cfg.amp must be one of.*got 'int8'"):
        AutocastTestLoop(runner, loader, evaluator, amp='int8')


def test_config_switch():
    cfg = Config(dict(test_cfg=dict(type='TestLoop')))
    assert apply_test_amp(cfg, 'bf16').test_cfg == dict(type='AutocastTestLoop', amp='bf16')
    multi = Config(dict(test_cfg=dict(type='MultiDatasetTestLoop', name='coco', fp16=True)))
    assert apply_test_amp(multi, 'bf16').test_cfg == dict(type='MultiDatasetTestLoop',
                                                          name='coco', amp='bf16')
    with pytest.raises(ValueError, match="test_cfg.type TestLoop.*got 'MyLoop'"):
        apply_test_amp(Config(dict(test_cfg=dict(type='MyLoop'))), 'bf16')
    with pytest.raises(ValueError, match="--amp must be one of"):
        apply_test_amp(Config(dict(test_cfg=dict(type='TestLoop'))), 'fp8')
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='--amp fp16 inference needs a GPU'):
            apply_test_amp(Config(dict(test_cfg=dict(type='TestLoop'))), 'fp16')
