"""Shared fixtures: a small toy world on disk, the tiny CLIP and its class embeddings, and the
toy config pointed at them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import omgseg.register  # noqa: F401  (registers every module, as configs do)
from mmengine.registry import init_default_scope
from tests.offline import no_network  # noqa: F401,E402  (fixture shared by the offline tests)

# configs run with default_scope='mmdet'; tests that build outside a Runner do the same
init_default_scope('mmdet')

ROOT = Path(__file__).resolve().parents[1]
TOY_CONFIG = ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-coco-panoptic.py'


def run_tool(*args: str, cwd: Path = ROOT, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a repository tool with this interpreter; raise with its output on failure."""
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n'
                             f'{proc.stderr[-4000:]}')
    return proc


def _quiet(msg: str) -> None:
    """A ``log`` that drops the writers' progress lines."""


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory) -> Path:
    """data/toy-like folder with 24 train / 8 val images, tiny CLIP and embeddings, written
    in-process by the package functions the toy tools call."""
    from mmengine.config import Config

    from omgseg.apis.gen_class_embeddings import generate_class_embeddings
    from omgseg.datasets.toy.make_all import make_toy_data
    from omgseg.toy_clip.checkpoint import make_tiny_clip

    root = tmp_path_factory.mktemp('toy')
    # building the text encoder draws its random init: keep the tests' RNG stream as it was
    with torch.random.fork_rng(devices=[]):
        make_toy_data(root, num_train_videos=4, num_val_videos=2, video_frames=(6, 8),
                      num_davis_train=2, num_davis_val=2, davis_frames=6, num_train=24,
                      num_val=8, log=_quiet)
        make_tiny_clip(str(root / 'tiny_clip.pth'))
        cfg = Config.fromfile(str(TOY_CONFIG))
        cfg.merge_from_dict({'model.backbone.pretrained': str(root / 'tiny_clip.pth')})
        generate_class_embeddings(cfg, out=str(root / 'class_embeddings' / 'tiny_clip_toy.pth'),
                                  log=_quiet)
    return root


def toy_cfg(toy_root: Path, work_dir: Path | None = None, **overrides):
    """The toy config re-rooted at ``toy_root`` (and shrunk for speed by ``overrides``)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(TOY_CONFIG))
    data_root = str(toy_root / 'coco') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    for ev in ('val_evaluator', 'test_evaluator'):
        for metric in cfg[ev]:
            if 'ann_file' in metric:
                metric.ann_file = data_root + 'annotations/instances_val2017.json'
    cfg.model.backbone.pretrained = str(toy_root / 'tiny_clip.pth')
    cfg.model.panoptic_head.class_embed_path = str(
        toy_root / 'class_embeddings' / 'tiny_clip_toy.pth')
    if work_dir is not None:
        cfg.work_dir = str(work_dir)
    cfg.merge_from_dict(overrides)
    return cfg


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
