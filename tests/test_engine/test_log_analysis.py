"""analyze_logs.py plot_curve: curves of one or several JSON logs to a PNG; bad input named."""
import json
import subprocess
import sys

import pytest
from PIL import Image

from omgseg.engine.log_analysis import ROW_HEIGHT, WIDTH, LogAnalysisError, load_curves
from tests.conftest import ROOT


def _write_log(path, scale):
    """A JSON log in mmengine's vis_data format: train records, then one val record per epoch."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for epoch in (1, 2):
        for it in range(1, 4):
            step = (epoch - 1) * 3 + it
            lines.append(dict(lr=1e-4, data_time=0.01, loss=scale * 10.0 / step,
                              loss_mask=scale / step, time=0.5, epoch=epoch, iter=step,
                              memory=0, step=step))
        lines.append({'coco/panoptic/PQ': 10.0 * epoch * scale, 'data_time': 0.01,
                      'time': 0.1, 'step': epoch})
    path.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    return path


def _cli(*args):
    return subprocess.run([sys.executable, 'tools/analysis_tools/analyze_logs.py', *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_metric_records_take_the_last_training_iteration(tmp_path):
    curves = load_curves(_write_log(tmp_path / 'a.json', 1.0))
    assert curves['coco/panoptic/PQ'] == ([3, 6], [10.0, 20.0])
    assert curves['loss'][0] == [1, 2, 3, 4, 5, 6]
    assert 'iter' not in curves and 'step' not in curves


def test_plot_curve_two_runs_writes_png_of_expected_size(tmp_path):
    a = _write_log(tmp_path / 'a' / 'vis_data' / 'scalars.json', 1.0)
    b = _write_log(tmp_path / 'b.json', 2.0)
    out = tmp_path / 'plots' / 'curves.png'
    proc = _cli('plot_curve', str(a), str(b), '--keys', 'loss', 'loss_mask',
                'coco/panoptic/PQ', '--out', str(out), '--dpi', '50')
    assert proc.returncode == 0, proc.stderr
    with Image.open(out) as img:
        assert img.size == (int(WIDTH * 50), int(ROW_HEIGHT * 3 * 50))
        # curves were drawn: far from a blank canvas
        assert len(set(img.convert('RGB').getdata())) > 20


def test_bad_input_is_one_line_naming_it(tmp_path):
    log = _write_log(tmp_path / 'a.json', 1.0)
    missing = tmp_path / 'nope.json'
    proc = _cli('plot_curve', str(missing), '--keys', 'loss', '--out', str(tmp_path / 'x.png'))
    assert proc.returncode == 2
    assert proc.stderr.count('\n') == 1 and str(missing) in proc.stderr
    proc = _cli('plot_curve', str(log), '--keys', 'loss', 'coco/PQ',
                '--out', str(tmp_path / 'x.png'))
    assert proc.returncode == 2
    assert proc.stderr.count('\n') == 1 and "'coco/PQ'" in proc.stderr
    assert 'coco/panoptic/PQ' in proc.stderr          # lists what the log has
    assert not (tmp_path / 'x.png').exists()
    bad = tmp_path / 'bad.json'
    bad.write_text('{"loss": 1.0, "iter": 1}\nnot json\n')
    with pytest.raises(LogAnalysisError, match='bad.json:2'):
        load_curves(bad)
