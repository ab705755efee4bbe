"""get_flops' counter and tools/analysis_tools/benchmark_train.py on the tiny config without any
weight or embedding file (--random-init)."""
import json
import math
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from omgseg.utils.flops import count_flops
from omgseg.utils.measure import build_model
from tests.conftest import ROOT, TOY_CONFIG


def test_get_flops_parts_add_up_and_scale_with_frames():
    model = build_model(Config.fromfile(str(TOY_CONFIG)), random_init=True)
    one, parts_one = count_flops(model, height=64, width=96, frames=1)
    two, parts_two = count_flops(model, height=64, width=96, frames=2)
    assert all(v > 0 for v in parts_one.values())
    # the three parts are the whole forward pass
    assert sum(parts_one.values()) == one and sum(parts_two.values()) == two
    # backbone and pixel decoder run per frame; the decoder's memory grows with T
    assert parts_two['backbone'] == 2 * parts_one['backbone']
    assert parts_two['pixel decoder'] == 2 * parts_one['pixel decoder']
    assert parts_two['query decoder and predictions'] > parts_one['query decoder and predictions']
    # timm lists ConvNeXt-atto at 0.55 G multiply-adds for 224 x 224: 2 FLOPs each, per pixel
    assert parts_one['backbone'] == pytest.approx(2 * 0.55e9 * 64 * 96 / 224**2, rel=0.05)


def test_benchmark_train_tiny_on_this_machine(tmp_path):
    out = tmp_path / 'bench.json'
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_train.py', str(TOY_CONFIG),
         '--random-init', '--shape', '64', '64', '--frames', '1', '--steps', '1', '--warmup',
         '0', '--num-workers', '0', '--amp', 'fp32,bf16', '--msda', 'pytorch,triton',
         '--profile', '1', '--json', str(out),
         # a fixed training pad smaller than --shape: the benchmark pads to --shape instead
         '--cfg-options', 'model.data_preprocessor.train_pad_size=(32,32)'],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {(r['amp'], r['msda']): r for r in json.loads(out.read_text())['rows']}
    assert set(rows) == {(a, k) for a in ('fp32', 'bf16') for k in ('pytorch', 'triton')}
    for key in (('fp32', 'pytorch'), ('bf16', 'pytorch')):
        r = rows[key]
        assert math.isfinite(r['loss']) and r['loss'] > 0
        assert r['step_s'] > 0 and 0 <= r['data_share'] < 1
        assert r['images_per_s'] == 1 / r['step_s'] == r['steps_per_s']
        prof = r['profile']
        assert prof['steps'] == 1 and prof['wall_ms'] > 0 and prof['top_cpu']
        assert all(op['ms'] >= 0 and op['calls'] >= 1 for op in prof['top_cpu'])
    assert '-- profile of fp32/pytorch: 1 step(s) in' in proc.stdout
    if not torch.cuda.is_available():
        assert 'needs CUDA tensors' in rows[('fp32', 'triton')]['skipped']
        assert rows[('fp32', 'pytorch')]['peak_mib'] is None
    table = proc.stdout.splitlines()
    assert any(line.startswith('fp32/pytorch') and line.endswith('1.00x     n/a')
               for line in table) or torch.cuda.is_available()


def test_count_ops_attributes_operators_to_the_decoder_layers():
    """Twice the decoder layers: twice the operators counted in them, nothing else moves to
    them, and the hooks leave the model's outputs alone (the step runs)."""
    import numpy as np
    from mmengine.optim import build_optim_wrapper

    from omgseg.utils.measure import collate_clips, random_clip
    from omgseg.utils.op_count import count_step
    counts = {}
    for layers in (6, 12):
        cfg = Config.fromfile(str(TOY_CONFIG))
        cfg.model.panoptic_head.transformer_decoder.num_layers = layers
        torch.manual_seed(0)
        model = build_model(cfg, random_init=True).train()
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        head = model.panoptic_head
        batch = collate_clips([random_clip(frames=1, height=64, width=64,
                                           num_things=head.num_things_classes,
                                           num_classes=head.num_classes,
                                           rng=np.random.default_rng(0))])
        count_step(model, wrapper, batch)  # warm-up
        counts[layers] = count_step(model, wrapper, batch)
    (six, six_views), (twelve, twelve_views) = counts[6], counts[12]
    assert twelve_views['query decoder layers'] == 2 * six_views['query decoder layers'] > 0
    assert all(six_views[k] < six[k] for k in six_views)  # views are some of the operators
    assert {'backbone', 'pixel decoder', 'criterion', 'query decoder layers', 'backward',
            'optimizer step', 'forward (rest)'} <= set(six)
    assert twelve['query decoder layers'] == 2 * six['query decoder layers'] > 0
    assert twelve['backbone'] == six['backbone'] and twelve['pixel decoder'] == six['pixel decoder']
    assert twelve['backward'] > six['backward']


def test_benchmark_train_refuses_a_negative_profile_count():
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_train.py', str(TOY_CONFIG),
         '--profile', '-1'], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert '--warmup and --profile >= 0' in proc.stderr and 'Traceback' not in proc.stderr


@pytest.mark.parametrize('tool', ['benchmark_train.py', 'count_ops.py', 'get_flops.py'])
def test_measure_tools_name_a_missing_config(tool):
    proc = subprocess.run(
        [sys.executable, f'tools/analysis_tools/{tool}', 'configs/toy/no_such_config.py'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert 'config configs/toy/no_such_config.py does not exist' in proc.stderr
    assert 'Traceback' not in proc.stderr
