"""The offline evaluators return the same numbers with their progress bar drawn or off."""
import json

import pytest

from omgseg.evaluation.functional import ytvis_evaluate
from omgseg.evaluation.offline.davis import davis_evaluate_folder
from omgseg.evaluation.offline.panoptic import pq_compute_files
from omgseg.evaluation.offline.vpq import vpq_compute_files
from tests.terminal import fake_terminal
from tests.test_evaluation.test_ytvis_ap import random_dataset
from tests.test_tools import test_eval_davis_cli as davis_cli
from tests.test_tools import test_eval_panoptic_cli as pq_cli
from tests.test_tools import test_eval_vpq_cli as vpq_cli


def _twice(run, label):
    """``run(progress)`` with the bar on (and checked to be drawn) and off."""
    with fake_terminal() as terminal:
        with_bar = run(True)
    assert label in terminal.getvalue()
    with fake_terminal() as terminal:
        without = run(False)
    assert terminal.getvalue() == ''
    return with_bar, without


def _same(a, b) -> bool:
    """Equal, NaN included (``nan != nan`` would fail a plain ``==``)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_pq_files(tmp_path):
    pq_cli.write_dataset(tmp_path)
    args = [str(tmp_path / n) for n in ('gt.json', 'pred.json', 'gt', 'pred')]
    (a, stat_a), (b, stat_b) = _twice(
        lambda p: pq_compute_files(*args, nproc=1, progress=p), 'PQ')
    assert _same(a, b) and stat_a == stat_b and a['All']['n'] == 3


def test_vpq_files(tmp_path):
    vpq_cli.write_layout(tmp_path)
    args = (str(tmp_path / 'gt.json'), str(tmp_path / 'panomasksRGB'), str(tmp_path / 'sub'))
    (a, stats_a), (b, stats_b) = _twice(
        lambda p: vpq_compute_files(*args, nproc=1, progress=p),
        'VPQ')
    assert _same(a, b) and stats_a == stats_b
    assert vpq_cli.flat(a) == pytest.approx(vpq_cli.flat(vpq_cli.expected_summary()), abs=1e-12)


def test_davis_folder(tmp_path):
    davis, results = davis_cli.write_layout(tmp_path)
    a, b = _twice(lambda p: davis_evaluate_folder(
        str(davis), str(results), nproc=1, progress=p), 'J&F')
    assert _same(a, b)
    assert a['J&F-Mean'] == pytest.approx(davis_cli.EXPECTED['J&F-Mean'], abs=1e-6)


def test_ytvis():
    gt, results = random_dataset(seed=3)
    a, b = _twice(lambda p: ytvis_evaluate(gt, results, progress=p), 'YT-VIS AP')
    assert _same(a, b) and a['AP'] > 0
