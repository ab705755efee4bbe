"""Interactive NoC (omgseg.evaluation.offline.interactive_noc, command line
tools/analysis_tools/eval_interactive_noc.py): the click-combination rule, lock-step rounds
equal per-object simulate_clicks, and the job end to end on the toy data."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from omgseg.evaluation.functional.interactive import (combine_click_masks, simulate_clicks,
                                                      simulate_objects)
from omgseg.evaluation.offline.interactive_noc import build_interactive_eval, evaluate_noc
from omgseg.registry import MODELS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'analysis_tools' / 'eval_interactive_noc.py'
CONFIG = ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-interactive.py'


def test_combine_click_masks_is_positive_union_minus_negative_union():
    m = np.zeros((3, 1, 5), bool)
    m[0, 0, :3] = True
    m[1, 0, 2:] = True
    m[2, 0, 1:3] = True
    out = combine_click_masks(m, [(0, 0, True), (4, 0, True), (1, 0, False)])
    assert out[0].tolist() == [True, False, False, True, True]


def _disc_predictor(gt):
    """A fake per-click model: each click predicts a 5 x 5 square around itself, so the
    combined mask needs several corrective clicks (and negative ones near the edges)."""
    def one(x, y):
        m = np.zeros(gt.shape, bool)
        m[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3] = True
        return m
    return one


def test_lock_step_rounds_equal_simulate_clicks_per_object():
    gts = []
    for box in ((2, 2, 14, 9), (10, 12, 18, 19), (0, 0, 4, 4)):
        g = np.zeros((20, 20), bool)
        g[box[1]:box[3], box[0]:box[2]] = True
        gts.append(g)
    one = _disc_predictor(gts[0])
    calls = []

    def predict_many(objects):
        calls.append(len(objects))
        return [combine_click_masks([one(x, y) for x, y, _ in c], c) for c in objects]

    got = simulate_objects(predict_many, gts, max_clicks=6, stop_iou=0.9)
    for g, ious in zip(gts, got):
        want = simulate_clicks(
            lambda c: combine_click_masks([one(x, y) for x, y, _ in c], c), g,
            max_clicks=6, stop_iou=0.9)
        assert ious == pytest.approx(want)
    assert calls[0] == 3 and len(calls) == max(len(s) for s in got)   # one call per round
    assert any(len(s) > 1 for s in got)                               # corrections happened


@pytest.fixture(scope='module')
def toy_run(toy_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('noc')
    cfg = Config.fromfile(str(CONFIG))
    cfg.test_dataloader.dataset.data_root = str(toy_root / 'coco') + '/'
    cfg.model.backbone.pretrained = str(toy_root / 'tiny_clip.pth')
    cfg.model.panoptic_head.class_embed_path = str(
        toy_root / 'class_embeddings' / 'tiny_clip_toy.pth')
    cfg.dump(str(tmp / 'cfg.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)            # untrained: any masks, the protocol still runs
    torch.save({'state_dict': model.state_dict()}, tmp / 'toy.pth')
    model, dataset = build_interactive_eval(str(tmp / 'cfg.py'), str(tmp / 'toy.pth'),
                                            device='cpu')
    res = evaluate_noc(model, dataset, max_images=2, max_clicks=3, log=lambda msg: None)
    return res, tmp


def test_job_on_toy_data_gives_the_schema(toy_run):
    res, _ = toy_run
    assert set(res) == {'mIoU@1', 'NoC@85', 'NoC@90', 'num_objects'}
    assert res['num_objects'] > 2                      # several segments in 2 toy images
    assert 0.0 <= res['mIoU@1'] <= 100.0
    for key in ('NoC@85', 'NoC@90'):
        assert 1.0 <= res[key] <= 3.0
    assert res['NoC@85'] <= res['NoC@90']


def test_job_refuses_a_non_interactive_config(toy_run):
    _, tmp = toy_run
    panoptic = ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-coco-panoptic.py'
    with pytest.raises(ValueError, match='interactive test set'):
        build_interactive_eval(str(panoptic), str(tmp / 'toy.pth'), device='cpu')


def test_cli_checks_its_arguments_first(tmp_path):
    # both refused before any model or dataset is built, with a one-line message
    for extra, message in (([str(tmp_path / 'none.pth')], 'does not exist'),
                           ([str(tmp_path / 'none.pth'), '--max-clicks', '0'],
                            '--max-clicks must be >= 1')):
        proc = subprocess.run([sys.executable, str(SCRIPT), str(CONFIG), *extra,
                               '--out', str(tmp_path / 'x.json')], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode != 0 and message in proc.stderr.strip().splitlines()[-1]
        assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'x.json').exists()
