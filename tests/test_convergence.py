"""The toy schedule learns: the README's main job (joint training on toy images and videos, on
freshly generated toy data) reaches image PQ, video PQ (toy VIPSeg), video instance AP (toy
YouTube-VIS) and VOS J&F (toy DAVIS) far above an untrained model's (PQ 0, VPQ 0, AP 0,
J&F 5). About 11 minutes on 2 CPU cores. The tools run from a temporary folder, so the
configs' relative data/ paths land there."""
import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

TOY = ROOT / 'configs' / 'toy'
JOINT = str(TOY / 'omgseg_tiny_toy-joint.py')


def _run(cwd, *args):
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=1500)
    assert proc.returncode == 0, f'{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
    return proc


def test_toy_joint_schedule_learns_images_and_videos(tmp_path):
    py = sys.executable
    _run(tmp_path, py, ROOT / 'tools/dataset_converters/make_toy_data.py', '--out', 'data/toy')
    _run(tmp_path, py, ROOT / 'tools/misc/make_tiny_clip.py', '--out', 'data/toy/tiny_clip.pth')
    _run(tmp_path, py, ROOT / 'tools/gen_class_embeddings.py', JOINT)
    _run(tmp_path, 'bash', ROOT / 'tools/dist_train.sh', JOINT, 2, '--work-dir', 'work')
    ckpt = (tmp_path / 'work' / 'last_checkpoint').read_text().strip()
    log = sorted((tmp_path / 'work').glob('*/*.log'))[-1].read_text()
    pq = float(re.findall(r'panoptic/PQ: ([0-9.]+)', log)[-1])
    metrics = {}
    for name in ('vipseg', 'ytvis', 'davis'):
        _run(tmp_path, 'bash', ROOT / 'tools/dist_test.sh', TOY / f'omgseg_tiny_toy-{name}.py',
             ckpt, 2, '--work-dir', f'test_{name}')
        metrics.update(json.loads((tmp_path / f'test_{name}' / 'test_metrics.json').read_text()))
    print(json.dumps(dict(toy_pq=pq, **metrics)))
    assert pq >= 40.0, f'toy image PQ {pq:.2f} < 40 after the joint toy schedule'
    assert metrics['vipseg/VPQ'] >= 40.0, metrics
    assert metrics['vipseg/mIoU'] >= 60.0, metrics
    assert metrics['ytvis/AP'] >= 8.0, metrics
    assert metrics['davis/J&F-Mean'] >= 20.0, metrics
