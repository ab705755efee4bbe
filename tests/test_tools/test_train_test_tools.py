"""tools/dist_train.sh, tools/dist_test.sh, tools/train.py --resume and --show-dir, on CPU."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_tool, toy_cfg

METRIC = re.compile(r'panoptic/PQ: ([0-9.]+)')


def _write_cfg(toy_root: Path, path: Path, **overrides) -> Path:
    cfg = toy_cfg(toy_root, **overrides)
    cfg.train_dataloader.batch_size = 2
    cfg.val_dataloader.batch_size = 2
    cfg.test_dataloader.batch_size = 2
    cfg.dump(str(path))
    return path


def _log(work_dir: Path) -> str:
    logs = sorted(work_dir.glob('*/*.log'))
    assert logs, f'no log in {work_dir}'
    return logs[-1].read_text()


def _bash(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(['bash', *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc


@pytest.fixture(scope='module')
def dist_run(toy_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('dist')
    cfg = _write_cfg(toy_root, tmp / 'cfg.py', **{
        'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 1})
    work = tmp / 'work'
    _bash('tools/dist_train.sh', str(cfg), '2', '--work-dir', str(work))
    return cfg, work


def test_dist_train_two_processes_ends_with_pq(dist_run):
    _, work = dist_run
    log = _log(work)
    assert 'Distributed training: True' in log and "backend='gloo'" in log
    # 24 training images, 2 per batch: 6 iterations per epoch only when 2 processes share them
    assert 'Epoch(train) [1][6/6]' in log
    assert 'Panoptic quality' in log and METRIC.search(log)
    assert (work / 'epoch_2.pth').is_file()


def test_dist_test_reproduces_training_pq(dist_run, tmp_path):
    cfg, work = dist_run
    train_pq = METRIC.findall(_log(work))[-1]
    test_work = tmp_path / 'test'
    _bash('tools/dist_test.sh', str(cfg), str(work / 'epoch_2.pth'), '1',
          '--work-dir', str(test_work), '--show-dir', str(tmp_path / 'vis'))
    assert METRIC.findall(_log(test_work))[-1] == train_pq
    metrics = json.loads((test_work / 'test_metrics.json').read_text())
    assert abs(metrics['panoptic/PQ'] - float(train_pq)) < 1e-4
    overlays = list((tmp_path / 'vis').glob('*.jpg'))
    assert len(overlays) == 8



def test_bf16_inference_scores_close_to_fp32(dist_run, tmp_path):
    """tools/test.py --amp bf16: the forward passes under bf16 autocast, metrics in fp32."""
    cfg, work = dist_run
    train_pq = float(METRIC.findall(_log(work))[-1])
    proc = run_tool('tools/test.py', str(cfg), str(work / 'epoch_2.pth'), '--amp', 'bf16',
                    '--work-dir', str(tmp_path / 'test'))
    assert 'the forward passes run under bf16 autocast' in _log(tmp_path / 'test'), proc.stdout
    metrics = json.loads((tmp_path / 'test' / 'test_metrics.json').read_text())
    # bf16 keeps ~3 significant digits: a few masks or labels may flip on the toy model
    assert abs(metrics['panoptic/PQ'] - train_pq) < 10.0, (metrics, train_pq)

def test_resume_continues_from_last_checkpoint(toy_root, tmp_path):
    work = tmp_path / 'work'
    one = _write_cfg(toy_root, tmp_path / 'one.py', **{
        'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 10})
    run_tool('tools/train.py', str(one), '--work-dir', str(work))
    assert (work / 'epoch_1.pth').is_file()
    two = _write_cfg(toy_root, tmp_path / 'two.py', **{
        'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 10})
    run_tool('tools/train.py', str(two), '--work-dir', str(work), '--resume')
    log = _log(work)
    assert 'resumed epoch: 1' in log
    assert 'Epoch(train) [2]' in log and 'Epoch(train) [1]' not in log
    assert (work / 'epoch_2.pth').is_file()


def test_embeddings_of_another_vocabulary_stop_training_before_it_starts(toy_root, tmp_path):
    import torch
    other = tmp_path / 'other.pth'
    emb = torch.nn.functional.normalize(torch.randn(8, 1, 64), dim=-1)
    torch.save(emb, other)
    sidecar = json.loads((toy_root / 'class_embeddings' / 'tiny_clip_toy.json').read_text())
    sidecar['class_names'] = [f'class{i}' for i in range(8)]
    other.with_suffix('.json').write_text(json.dumps(sidecar))
    cfg = _write_cfg(toy_root, tmp_path / 'cfg.py',
                     **{'model.panoptic_head.class_embed_path': str(other)})
    proc = subprocess.run([sys.executable, 'tools/train.py', str(cfg), '--work-dir',
                           str(tmp_path / 'w')], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    assert 'other.pth' in proc.stderr and 'class0' in proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr


def _video_cfg(toy_root: Path, name: str, path: Path) -> Path:
    from mmengine.config import Config
    cfg = Config.fromfile(str(ROOT / 'configs' / 'toy' / f'omgseg_tiny_toy-{name}.py'))
    cfg.model.backbone.pretrained = str(toy_root / 'tiny_clip.pth')
    cfg.model.panoptic_head.class_embed_path = str(
        toy_root / 'class_embeddings' / 'tiny_clip_toy.pth')
    # stream the 8-frame videos clip by clip (uint8 in host memory, masks spilled to disk)
    cfg.model.data_preprocessor.stream_frames = 4
    cfg.model.test_cfg.clips.mask_memory_mb = 0
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    folder = dict(vipseg='vipseg', ytvis='youtube_vis', davis='davis')[name]
    cfg.test_dataloader.dataset.data_root = str(toy_root / folder) + '/'
    if name == 'ytvis':
        cfg.test_evaluator[0].ann_file = str(toy_root / 'youtube_vis/valid/instances.json')
        cfg.test_evaluator[0].outfile_prefix = str(path.parent / 'ytvis_out')
    else:
        cfg.test_evaluator[0].outfile_prefix = str(path.parent / f'{name}_out')
    cfg.dump(str(path))
    return path


@pytest.mark.parametrize('name', ['vipseg', 'ytvis', 'davis'])
def test_video_evaluation_configs_run_end_to_end(dist_run, toy_root, tmp_path, name):
    """The toy video evaluation configs on a trained checkpoint: whole videos through the
    streaming inference path, scored by VPQ / VSS, YouTube-VIS AP or DAVIS J&F; the written
    submissions score the same with the offline evaluators."""
    _, work = dist_run
    cfg = _video_cfg(toy_root, name, tmp_path / 'cfg.py')
    run_tool('tools/test.py', str(cfg), str(work / 'epoch_2.pth'), '--work-dir',
             str(tmp_path / 'test'))
    metrics = json.loads((tmp_path / 'test' / 'test_metrics.json').read_text())
    if name == 'vipseg':
        keys = ['vipseg/VPQ', 'vipseg/VPQ@8', 'vipseg/VPQ_omg', 'vipseg/mIoU']
        run_tool('tools/analysis_tools/eval_vpq.py', '--gt-json',
                 str(toy_root / 'vipseg/panoptic_gt_VIPSeg_val.json'), '--gt-folder',
                 str(toy_root / 'vipseg/panomasksRGB'), '--pred-dir',
                 str(tmp_path / 'vipseg_out'), '--out', str(tmp_path / 'vpq.json'))
        offline = json.loads((tmp_path / 'vpq.json').read_text())
        assert abs(offline['VPQ'] * 100 - metrics['vipseg/VPQ']) < 1e-6
    elif name == 'davis':
        keys = ['davis/J&F-Mean', 'davis/J-Mean', 'davis/F-Mean']
        run_tool('tools/analysis_tools/eval_davis.py', '--davis-root', str(toy_root / 'davis'),
                 '--results', str(tmp_path / 'davis_out'), '--set', 'val', '--out',
                 str(tmp_path / 'jf.json'))
        offline = json.loads((tmp_path / 'jf.json').read_text())
        assert abs(offline['J&F-Mean'] * 100 - metrics['davis/J&F-Mean']) < 1e-6
    else:
        keys = ['ytvis/AP', 'ytvis/AP50', 'ytvis/AR10']
        run_tool('tools/analysis_tools/eval_ytvis.py', '--gt-json',
                 str(toy_root / 'youtube_vis/valid/instances.json'), '--results',
                 str(tmp_path / 'ytvis_out' / 'submission.zip'), '--out', str(tmp_path / 'ap.json'))
        offline = json.loads((tmp_path / 'ap.json').read_text())
        assert abs(offline['AP'] * 100 - metrics['ytvis/AP']) < 1e-6
    for key in keys:
        assert 0.0 <= metrics[key] <= 100.0, (key, metrics)
