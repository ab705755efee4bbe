"""The toy schedule learns: the README's main job, on freshly generated full toy data, reaches
PQ >= 50 (the untrained model scores 0). About 8 minutes on 2 CPU cores."""
import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TOY_CONFIG

pytestmark = pytest.mark.slow


def test_toy_schedule_reaches_pq_50(tmp_path):
    data = tmp_path / 'toy'
    subprocess.run([sys.executable, 'tools/dataset_converters/make_toy_data.py', '--out',
                    str(data)], cwd=ROOT, check=True, capture_output=True)
    subprocess.run([sys.executable, 'tools/misc/make_tiny_clip.py', '--out',
                    str(data / 'tiny_clip.pth')], cwd=ROOT, check=True, capture_output=True)
    root = str(data / 'coco') + '/'
    options = [f'train_dataloader.dataset.data_root={root}',
               f'val_dataloader.dataset.data_root={root}',
               f'test_dataloader.dataset.data_root={root}',
               f'val_evaluator.1.ann_file={root}annotations/instances_val2017.json',
               f'model.backbone.pretrained={data / "tiny_clip.pth"}',
               'model.panoptic_head.class_embed_path='
               f'{data / "class_embeddings" / "tiny_clip_toy.pth"}']
    subprocess.run([sys.executable, 'tools/gen_class_embeddings.py', str(TOY_CONFIG),
                    '--cfg-options', *options], cwd=ROOT, check=True, capture_output=True)
    work = tmp_path / 'work'
    proc = subprocess.run(['bash', 'tools/dist_train.sh', str(TOY_CONFIG), '2', '--work-dir',
                           str(work), '--cfg-options', *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-5000:]
    log = sorted(work.glob('*/*.log'))[-1].read_text()
    pq = float(re.findall(r'panoptic/PQ: ([0-9.]+)', log)[-1])
    print(json.dumps(dict(toy_pq=pq)))
    assert pq >= 50.0, f'toy PQ {pq:.2f} < 50 after the toy schedule'
