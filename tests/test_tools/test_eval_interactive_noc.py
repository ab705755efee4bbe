"""tools/analysis_tools/eval_interactive_noc.py: the click-combination rule, lock-step rounds
equal per-object simulate_clicks, and the tool end to end on the toy data."""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from omgseg.evaluation.functional.interactive import simulate_clicks
from omgseg.registry import MODELS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'analysis_tools' / 'eval_interactive_noc.py'
CONFIG = ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-interactive.py'
_spec = importlib.util.spec_from_file_location('eval_interactive_noc', SCRIPT)
noc_tool = importlib.util.module_from_spec(_spec)
sys.modules['eval_interactive_noc'] = noc_tool
_spec.loader.exec_module(noc_tool)


def test_combine_click_masks_is_positive_union_minus_negative_union():
    m = np.zeros((3, 1, 5), bool)
    m[0, 0, :3] = True
    m[1, 0, 2:] = True
    m[2, 0, 1:3] = True
    out = noc_tool.combine_click_masks(m, [(0, 0, True), (4, 0, True), (1, 0, False)])
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
        return [noc_tool.combine_click_masks([one(x, y) for x, y, _ in c], c) for c in objects]

    got = noc_tool.simulate_objects(predict_many, gts, max_clicks=6, stop_iou=0.9)
    for g, ious in zip(gts, got):
        want = simulate_clicks(
            lambda c: noc_tool.combine_click_masks([one(x, y) for x, y, _ in c], c), g,
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
    out = tmp / 'out' / 'noc.json'
    rc = noc_tool.main([str(tmp / 'cfg.py'), str(tmp / 'toy.pth'), '--max-images', '2',
                        '--max-clicks', '3', '--out', str(out), '--device', 'cpu'])
    return rc, out, toy_root


def test_tool_on_toy_data_writes_the_schema(toy_run):
    rc, out, _ = toy_run
    assert rc == 0
    res = json.loads(out.read_text())
    assert set(res) == {'mIoU@1', 'NoC@85', 'NoC@90', 'num_objects'}
    assert res['num_objects'] > 2                      # several segments in 2 toy images
    assert 0.0 <= res['mIoU@1'] <= 100.0
    for key in ('NoC@85', 'NoC@90'):
        assert 1.0 <= res[key] <= 3.0
    assert res['NoC@85'] <= res['NoC@90']


def test_tool_refuses_a_non_interactive_config(toy_run, tmp_path):
    _, out, toy_root = toy_run
    panoptic = ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-coco-panoptic.py'
    with pytest.raises(SystemExit, match='interactive'):
        noc_tool.main([str(panoptic), str(out.parent.parent / 'toy.pth'), '--out',
                       str(tmp_path / 'x.json')])
