"""tools/analysis_tools/eval_ytvis.py, the submission zip, and YouTubeVISAPMetric vs the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from mmdet.structures import TrackDataSample
from mmengine.structures import InstanceData

from omgseg.evaluation.functional.ytvis import (
    REPORTED_STATS,
    write_ytvis_submission,
    ytvis_evaluate,
)
from omgseg.registry import METRICS
from tests.test_evaluation.test_ytvis_ap import random_dataset

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'analysis_tools' / 'eval_ytvis.py'
CAT_IDS = [1, 2, 5]  # label i -> category id (the test data's categories)


def run_cli(gt: Path, results: Path, out: Path) -> subprocess.CompletedProcess:
    # report whether the CLI pulled in torch: it must start cheaply
    code = ('import runpy, sys; sys.argv = sys.argv[1:]; rc = 0\n'
            'try:\n    runpy.run_path(sys.argv[0], run_name="__main__")\n'
            'except SystemExit as e:\n    rc = e.code\n'
            'print("TORCH_LOADED", "torch" in sys.modules); sys.exit(rc)')
    return subprocess.run([sys.executable, '-c', code, str(SCRIPT), '--gt-json', str(gt),
                           '--results', str(results), '--out', str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('ytvis')
    gt, results = random_dataset(seed=11)
    (root / 'gt.json').write_text(json.dumps(gt))
    (root / 'results.json').write_text(json.dumps(results))
    return root, gt, results


def test_cli_schema_and_values(files):
    root, gt, results = files
    proc = run_cli(root / 'gt.json', root / 'results.json', root / 'out.json')
    assert proc.returncode == 0, proc.stderr
    assert 'TORCH_LOADED False' in proc.stdout
    metrics = json.loads((root / 'out.json').read_text())
    assert list(metrics) == ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10']
    expected = ytvis_evaluate(gt, results)
    for name, value in metrics.items():
        assert 0 <= value <= 1 and value == pytest.approx(expected[name], abs=1e-12)
    assert 0 < metrics['AP'] < metrics['AP50'] <= 1
    # the table shows percentages
    assert f'{100 * expected["AP"]:.1f}' in proc.stdout.split('Time elapsed')[0]


def test_submission_zip_content_and_cli_on_zip(files, tmp_path):
    root, _, results = files
    as_bytes = [{**r, 'segmentations': [
        {'size': s['size'], 'counts': s['counts'].encode()} if s else None
        for s in r['segmentations']]} for r in results]
    zip_path = write_ytvis_submission(as_bytes, tmp_path / 'sub' / 'submission.zip')
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ['results.json']  # at the root, no sub-folder (CodaLab)
        assert json.loads(zf.read('results.json')) == results  # bytes counts became str
    proc = run_cli(root / 'gt.json', zip_path, tmp_path / 'out.json')
    assert proc.returncode == 0, proc.stderr
    assert (json.loads((tmp_path / 'out.json').read_text())
            == json.loads(run_cli_out(root, tmp_path)))


def run_cli_out(root: Path, tmp_path: Path) -> str:
    proc = run_cli(root / 'gt.json', root / 'results.json', tmp_path / 'plain.json')
    assert proc.returncode == 0, proc.stderr
    return (tmp_path / 'plain.json').read_text()


def test_cli_errors(files, tmp_path):
    root, gt, results = files
    bad = [dict(r) for r in results]
    bad[3] = {**bad[3], 'video_id': 4242}
    (tmp_path / 'bad.json').write_text(json.dumps(bad))
    proc = run_cli(root / 'gt.json', tmp_path / 'bad.json', tmp_path / 'out.json')
    assert proc.returncode == 1
    assert 'video_id 4242' in proc.stderr and 'bad.json entry 3' in proc.stderr
    assert 'Traceback' not in proc.stderr and not (tmp_path / 'out.json').exists()

    proc = run_cli(tmp_path / 'missing.json', root / 'results.json', tmp_path / 'out.json')
    assert proc.returncode == 1 and 'missing.json' in proc.stderr

    (tmp_path / 'private.json').write_text(json.dumps({**gt, 'annotations': []}))
    proc = run_cli(tmp_path / 'private.json', root / 'results.json', tmp_path / 'out.json')
    assert proc.returncode == 1 and 'holds no "annotations"' in proc.stderr


def track_samples(results: list, as_dict: bool) -> list:
    """One TrackDataSample per video in the metric's input format (results in file order)."""
    by_video: dict = {}
    for r in results:
        by_video.setdefault(r['video_id'], []).append(r)
    samples = []
    for vid, dets in by_video.items():
        sample = TrackDataSample(metainfo={'video_id': vid})
        sample.pred_track_instances = InstanceData(
            scores=torch.tensor([d['score'] for d in dets], dtype=torch.float64),
            labels=torch.tensor([CAT_IDS.index(d['category_id']) for d in dets]),
            instances_id=torch.arange(len(dets)),
            masks_rle=[d['segmentations'] for d in dets])
        samples.append(sample.to_dict() if as_dict else sample)
    return samples


def make_metric(**kwargs):
    metric = METRICS.build(dict(type='YouTubeVISAPMetric', **kwargs))
    metric.dataset_meta = {'classes': ('person', 'dog', 'cat'), 'cat_ids': CAT_IDS}
    return metric


def test_metric_equals_cli(files, tmp_path):
    root, gt, results = files
    metric = make_metric(ann_file=str(root / 'gt.json'), outfile_prefix=str(tmp_path / 'm'))
    samples = track_samples(results, as_dict=False)
    metric.process({}, samples[:3])
    metric.process({}, track_samples(results, as_dict=True)[3:])  # mmengine passes dicts
    out = metric.evaluate(size=len(samples))
    assert sorted(out) == sorted(f'ytvis/{n}' for n in REPORTED_STATS)
    with zipfile.ZipFile(tmp_path / 'm' / 'submission.zip') as zf:
        assert zf.namelist() == ['results.json']
    proc = run_cli(root / 'gt.json', tmp_path / 'm' / 'results.json', tmp_path / 'cli.json')
    assert proc.returncode == 0, proc.stderr
    cli = json.loads((tmp_path / 'cli.json').read_text())
    for name in REPORTED_STATS:
        assert out[f'ytvis/{name}'] == pytest.approx(100 * cli[name], abs=1e-9)
    # the metric's results.json reproduces the original numbers (nothing lost in packing)
    assert cli['AP'] == pytest.approx(ytvis_evaluate(gt, results)['AP'], abs=1e-12)


def test_metric_format_only_and_private_gt(files, tmp_path):
    root, gt, results = files
    (tmp_path / 'private.json').write_text(json.dumps({**gt, 'annotations': []}))
    for k, kwargs in enumerate(({'ann_file': str(root / 'gt.json'), 'format_only': True},
                                {'ann_file': str(tmp_path / 'private.json')},
                                {'ann_file': None})):
        out_dir = tmp_path / f'run{k}'
        metric = make_metric(outfile_prefix=str(out_dir), **kwargs)
        samples = track_samples(results, as_dict=True)
        metric.process({}, samples)
        assert metric.evaluate(size=len(samples)) == {}
        written = json.loads((out_dir / 'results.json').read_text())
        assert len(written) == len(results)
        assert sorted(json.dumps(r, sort_keys=True) for r in written) == sorted(
            json.dumps(r, sort_keys=True) for r in results)


def test_metric_bad_input():
    with pytest.raises(ValueError, match='set outfile_prefix'):
        METRICS.build({'type': 'YouTubeVISAPMetric', 'ann_file': None})
    metric = make_metric(ann_file=None, outfile_prefix='unused')
    sample = TrackDataSample(metainfo={'video_id': 1})
    sample.pred_track_instances = InstanceData(
        scores=torch.tensor([0.5]), labels=torch.tensor([3]), instances_id=torch.tensor([0]),
        masks_rle=[[None]])
    with pytest.raises(ValueError, match='label 3 is outside'):
        metric.process({}, [sample])
    metric.dataset_meta = {'classes': ('a',)}
    with pytest.raises(KeyError, match="cat_ids"):
        metric.process({}, [sample])
