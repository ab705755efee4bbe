"""End-to-end test of tools/analysis_tools/eval_panoptic.py and its job
(omgseg.evaluation.offline.panoptic) on a tiny panopticapi-format set."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omgseg.evaluation.functional import id2rgb
from omgseg.evaluation.offline.panoptic import pq_compute_files

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'eval_panoptic.py'
CATEGORIES = [
    {'id': 1, 'name': 'person', 'isthing': 1, 'supercategory': 'person'},
    {'id': 2, 'name': 'car', 'isthing': 1, 'supercategory': 'vehicle'},
    {'id': 3, 'name': 'sky', 'isthing': 0, 'supercategory': 'sky'},
]


def runs(*pairs, shape):
    """Id map of consecutive runs ``(id, n)`` reshaped to ``shape`` (PQ ignores position)."""
    return np.concatenate([np.full(n, i) for i, n in pairs]).reshape(shape)


def seg(seg_id, cat, crowd=0):
    return {'id': seg_id, 'category_id': cat, 'iscrowd': crowd}


# (gt map, gt segments, pred map, pred segments); arithmetic of the totals in test_cli_values.
IMAGES = [
    # 1: IoU exactly 0.5 -> person FN + FP; sky IoU 200 / (300 + 200 - 200) = 2/3.
    (runs((1, 200), (2, 200), shape=(20, 20)), [seg(1, 1), seg(2, 3)],
     runs((10, 100), (20, 300), shape=(20, 20)), [seg(10, 1), seg(20, 3)]),
    # 2: void: person 3 / (5 + 4 - 3 - 2) = 3/4; sky 4 / (5 + 4 - 4) = 4/5.
    (runs((0, 2), (1, 4), (2, 4), shape=(2, 5)), [seg(1, 1), seg(2, 3)],
     runs((10, 5), (20, 5), shape=(2, 5)), [seg(10, 1), seg(20, 3)]),
    # 3: car on a crowd person -> car FP; sky perfect (IoU 1).
    (runs((3, 6), (2, 6), shape=(3, 4)), [seg(3, 1, crowd=1), seg(2, 3)],
     runs((10, 6), (20, 6), shape=(3, 4)), [seg(10, 2), seg(20, 3)]),
]


def write_dataset(root: Path, images=IMAGES):
    for name in ('gt', 'pred'):
        (root / name).mkdir(parents=True, exist_ok=True)
    gt_anns, pred_anns = [], []
    for k, (gt, gs, pred, ps) in enumerate(images):
        Image.fromarray(id2rgb(gt)).save(root / 'gt' / f'{k:012d}.png')
        Image.fromarray(id2rgb(pred)).save(root / 'pred' / f'{k:012d}.png')
        gt_anns.append({'image_id': k, 'file_name': f'{k:012d}.png', 'segments_info': gs})
        pred_anns.append({'image_id': k, 'file_name': f'{k:012d}.png', 'segments_info': ps})
    images_info = [{'id': k, 'file_name': f'{k:012d}.jpg'} for k in range(len(images))]
    (root / 'gt.json').write_text(json.dumps(
        {'images': images_info, 'annotations': gt_anns, 'categories': CATEGORIES}))
    (root / 'pred.json').write_text(json.dumps({'annotations': pred_anns}))


def run_cli(root: Path, *extra):
    cmd = [sys.executable, str(SCRIPT), '--gt-json', str(root / 'gt.json'),
           '--gt-folder', str(root / 'gt'), '--pred-json', str(root / 'pred.json'),
           '--pred-folder', str(root / 'pred'), '--out', str(root / 'out' / 'metrics.json'),
           *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize('nproc', ['1', '2'])
def test_cli_values(tmp_path, nproc):
    write_dataset(tmp_path)
    proc = run_cli(tmp_path, '--nproc', nproc)
    assert proc.returncode == 0, proc.stderr
    assert 'Things' in proc.stdout
    res = json.loads((tmp_path / 'out' / 'metrics.json').read_text())
    assert set(res) == {'All', 'Things', 'Stuff', 'per_class'}
    assert set(res['per_class']) == {'1', '2', '3'}  # JSON keys are strings
    # person: TP 1 (IoU 3/4), FP 1, FN 1 -> PQ 0.75 / 2 = 0.375, SQ 0.75, RQ 0.5
    # car:    FP 1 -> 0, 0, 0 (counted)
    # sky:    TP 3, IoU 2/3 + 4/5 + 1 = 37/15 -> PQ = SQ = 37/45, RQ 1
    sky = 37 / 45
    expect = {'All': ((0.375 + sky) / 3, (0.75 + sky) / 3, 1.5 / 3, 3),
              'Things': (0.375 / 2, 0.75 / 2, 0.5 / 2, 2), 'Stuff': (sky, sky, 1, 1)}
    for name, (pq, sq, rq, n) in expect.items():
        assert res[name]['n'] == n
        for key, value in (('pq', pq), ('sq', sq), ('rq', rq)):
            assert res[name][key] == pytest.approx(value, abs=1e-9), (name, key)
    assert res['per_class']['1']['pq'] == pytest.approx(0.375, abs=1e-9)


def test_cli_missing_prediction_file(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / 'pred' / '000000000001.png').unlink()
    proc = run_cli(tmp_path)
    assert proc.returncode != 0
    assert '000000000001.png' in proc.stderr


def test_cli_image_without_prediction(tmp_path):
    write_dataset(tmp_path)
    pred = json.loads((tmp_path / 'pred.json').read_text())
    pred['annotations'] = pred['annotations'][:2]
    (tmp_path / 'pred.json').write_text(json.dumps(pred))
    proc = run_cli(tmp_path)
    assert proc.returncode != 0 and 'image with id 2' in proc.stderr


def test_errors_name_the_file(tmp_path):
    write_dataset(tmp_path)
    args = (tmp_path / 'gt.json', tmp_path / 'pred.json', tmp_path / 'gt', tmp_path / 'pred')
    (tmp_path / 'pred' / '000000000002.png').unlink()
    with pytest.raises(FileNotFoundError, match='000000000002.png'):
        pq_compute_files(*map(str, args), nproc=1)
    with pytest.raises(FileNotFoundError, match='nope.json'):
        pq_compute_files(str(tmp_path / 'nope.json'), *map(str, args[1:]), nproc=1)

    # PNG id absent from the prediction JSON: the error names the prediction file.
    write_dataset(tmp_path)
    pred = json.loads((tmp_path / 'pred.json').read_text())
    pred['annotations'][1]['segments_info'].pop()
    (tmp_path / 'pred.json').write_text(json.dumps(pred))
    with pytest.raises(ValueError, match=r'000000000001\.png.*disagree'):
        pq_compute_files(*map(str, args), nproc=1)


def test_cli_does_not_import_torch():
    # The tool and its job import numpy / Pillow only, so it (and every worker) starts in ~1 s
    # instead of importing torch/mmdet.
    proc = subprocess.run([sys.executable, '-X', 'importtime', str(SCRIPT), '--help'],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'omgseg.evaluation.offline.panoptic' in proc.stderr
    imported = {ln.rsplit('|', 1)[-1].strip() for ln in proc.stderr.splitlines()}
    assert not imported & {'torch', 'mmdet'}
