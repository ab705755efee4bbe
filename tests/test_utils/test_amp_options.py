"""--amp of tools/train.py: bf16 and fp16 map to their optim wrappers; unknown dtypes, fp16 on a
machine without CUDA and wrappers that are not plain are refused with the fix."""
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from omgseg.engine import AutocastOptimWrapper
from omgseg.utils.launch import apply_amp, prepare_cfg
from tests.conftest import ROOT


def _cfg(**wrapper):
    return Config(dict(optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-4), **wrapper),
                       env_cfg=dict()))


def test_bf16_is_autocast_without_loss_scaling():
    cfg = prepare_cfg(_cfg(), amp='bf16')
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16' and 'loss_scale' not in cfg.optim_wrapper
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 2), cfg.optim_wrapper)
    assert isinstance(wrapper, AutocastOptimWrapper)
    assert wrapper.cast_dtype == torch.bfloat16 and not hasattr(wrapper, 'loss_scaler')


def test_fp32_leaves_the_wrapper():
    assert prepare_cfg(_cfg(), amp=None).optim_wrapper.get('type', 'OptimWrapper') == \
        'OptimWrapper'


@pytest.mark.skipif(torch.cuda.is_available(), reason='the refusal is for machines without CUDA')
def test_fp16_without_cuda_names_the_fix():
    for amp in ('fp16', True):  # --amp alone means fp16
        with pytest.raises(ValueError, match='--amp fp16 .*needs a GPU; use --amp bf16'):
            prepare_cfg(_cfg(), amp=amp)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_fp16_on_cuda_is_amp_with_dynamic_loss_scaling():
    cfg = prepare_cfg(_cfg(), amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def test_unknown_dtype_and_unusual_wrapper_are_refused():
    with pytest.raises(ValueError, match=r"--amp must be one of \('fp16', 'bf16'\), got 'fp8'"):
        apply_amp(_cfg(), 'fp8')
    with pytest.raises(ValueError, match='--amp needs optim_wrapper.type OptimWrapper'):
        apply_amp(_cfg(type='MyWrapper'), 'bf16')


def test_train_cli_rejects_an_unknown_dtype_before_building_anything():
    proc = subprocess.run([sys.executable, 'tools/train.py', 'no_such_config.py', '--amp', 'fp8'],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "argument --amp: invalid choice: 'fp8'" in proc.stderr


def test_bf16_on_a_gpu_without_it_names_the_fix(monkeypatch):
    # a pre-Ampere GPU, simulated: CUDA present, no bf16
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *a, **k: False)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda *a, **k: 'Tesla V100')
    with pytest.raises(ValueError, match='--amp bf16: Tesla V100 has no bfloat16 support.*'
                                         '--amp fp16'):
        apply_amp(_cfg(), 'bf16')
