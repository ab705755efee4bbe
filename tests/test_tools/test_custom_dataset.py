"""Issue 13's custom-dataset path: a generic COCO-panoptic and a generic YouTube-VIS dataset
(renamed toy scenes, class names no built-in vocabulary knows) trained with the template
configs of configs/custom/ after editing only their path lines, evaluated, and co-trained with
toy COCO through the merged vocabulary. Nothing is converted by hand: the YouTube-VIS json goes
through the converter a user runs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from omgseg.apis.gen_class_embeddings import generate_class_embeddings
from omgseg.datasets.converters import youtube_vis
from omgseg.datasets.toy.generic_writer import write_generic_coco_panoptic, write_generic_ytvis
from omgseg.vocab import vocabulary_from
from tests.conftest import ROOT

CUSTOM = ROOT / 'configs' / 'custom'


def _quiet(msg: str) -> None:
    """A ``log`` that drops the writers' progress lines."""


def template_config(name: str, data_root: Path, out_dir: Path) -> Path:
    """The template with its edit-me root pointed at ``data_root`` (as a user edits it),
    written next to its re-rooted base so relative ``_base_`` paths still resolve."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for base in dict.fromkeys(('omgseg_tiny_custom-coco-panoptic.py', name)):
        text = (CUSTOM / base).read_text()
        text, n = re.subn(r"^custom_root = '[^']*'", f"custom_root = '{data_root}/'", text,
                          flags=re.M)
        assert n == 1 or 'custom_root =' not in text
        text = text.replace("'../", f"'{CUSTOM.parent}/")
        (out_dir / base).write_text(text)
    return out_dir / name


def _small_images(steps) -> None:
    """64 px resizes and crops in a pipeline (in place; ForEachFrame steps included)."""
    for step in steps:
        if step.get('type') in ('RandomResize', 'Resize'):
            step['scale'] = (64, 64)
        elif step.get('type') == 'RandomCrop':
            step['crop_size'] = (64, 64)
        _small_images(step.get('transforms') or [])


def _shrink(cfg: Config, toy_root: Path, work_dir: Path) -> Config:
    """Seconds instead of minutes: two iterations of a 2-layer decoder on 64 px crops."""
    cfg.work_dir = str(work_dir)
    cfg.model.panoptic_head.transformer_decoder.num_layers = 2
    for dataset in [cfg.train_dataloader.dataset, *cfg.train_dataloader.dataset.get(
            'datasets', []), cfg.test_dataloader.dataset]:
        _small_images(dataset.get('pipeline') or [])
    cfg.model.backbone.pretrained = str(toy_root / 'tiny_clip.pth')
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.interval = 1
    for key in ('train_dataloader', 'test_dataloader'):
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
        cfg[key].batch_size = 2
    if cfg.train_dataloader.dataset.type != 'JointDataset':
        cfg.train_dataloader.dataset.indices = 4       # two iterations
    # evaluated once, after training, by runner.test() (the same dataset as val)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    return cfg


def _embed(cfg: Config, entry: str | None = None) -> None:
    generate_class_embeddings(Config(cfg.to_dict(), filename=cfg.filename), entry=entry,
                              log=_quiet)


@pytest.fixture(scope='module')
def generic_panoptic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('kitchen_images')
    write_generic_coco_panoptic(root, num_train=6, num_val=3, size=(64, 64))
    return root


@pytest.fixture(scope='module')
def generic_ytvis(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('kitchen_videos')
    write_generic_ytvis(root, num_train=3, num_val=2, num_frames=5, size=(64, 64))
    youtube_vis.convert(root, 'custom', log=_quiet)
    return root


def test_vocabulary_comes_from_the_annotation_file(generic_panoptic):
    vocab = vocabulary_from(dict(
        from_annotations=str(generic_panoptic / 'annotations/panoptic_train.json')))
    assert vocab['thing_classes'] == ('kettle', 'mug,cup', 'bowl', 'spoon', 'jar')
    assert vocab['stuff_classes'] == ('table-top,tabletop,counter', 'wall', 'tablecloth')
    assert vocab['cat_ids'] == (101, 103, 105, 107, 109, 202, 204, 206)


def _train(name: str, data_root: Path, toy_root: Path, tmp_path: Path, edit=None,
           entries=(None,)) -> Runner:
    """Train template ``name`` re-rooted at ``data_root`` for two iterations, after making the
    embedding files of ``entries`` (None: the model's own)."""
    cfg = Config.fromfile(str(template_config(name, data_root, tmp_path / 'cfg')))
    _shrink(cfg, toy_root, tmp_path / 'work')
    if edit is not None:
        edit(cfg)
    for entry in entries:
        _embed(cfg, entry)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_coco_panoptic_template_trains_and_evaluates(generic_panoptic, toy_root, tmp_path):
    runner = _train('omgseg_tiny_custom-coco-panoptic.py', generic_panoptic, toy_root, tmp_path)
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
    metrics = runner.test()
    assert 0.0 <= metrics['panoptic/PQ'] <= 100.0 and 'panoptic/PQ_st' in metrics
    assert runner.test_dataloader.dataset.metainfo['classes'][5].startswith('table-top')


def test_coco_instances_template_trains_and_evaluates(generic_panoptic, toy_root, tmp_path):
    runner = _train('omgseg_tiny_custom-coco-instances.py', generic_panoptic, toy_root,
                    tmp_path)
    sample = runner.train_dataloader.dataset[0]['data_samples']
    assert sample.metainfo['task'] == 'instance'
    assert len(sample.video_data_samples[0].gt_instances) > 0
    assert runner.train_dataloader.dataset.metainfo['classes'] == (
        'kettle', 'mug,cup', 'bowl', 'spoon', 'jar')
    metrics = runner.test()
    assert 0.0 <= metrics['segm/AP'] <= 100.0 and 'segm/AP50' in metrics, metrics


def test_ytvis_template_trains_and_evaluates(generic_ytvis, toy_root, tmp_path):
    def edit(cfg):
        cfg.test_evaluator[0].outfile_prefix = str(tmp_path / 'ytvis_out')
    runner = _train('omgseg_tiny_custom-ytvis.py', generic_ytvis, toy_root, tmp_path, edit)
    metrics = runner.test()
    assert 0.0 <= metrics['ytvis/AP'] <= 100.0, metrics
    assert runner.train_dataloader.dataset.metainfo['classes'][1] == 'mug,cup'


def test_cotraining_with_toy_coco_in_the_merged_vocabulary(generic_panoptic, toy_root,
                                                           tmp_path):
    toy_coco = str(toy_root / 'coco') + '/'

    def edit(cfg):
        cfg.train_dataloader.dataset.datasets[1].data_root = toy_coco
        cfg.train_dataloader.sampler.num_samples_per_epoch = 4
        toy_entry = cfg.test_cfg.extra[0]
        toy_entry.dataloader.dataset.data_root = toy_coco
        toy_entry.dataloader.dataset.indices = 2
        toy_entry.dataloader.num_workers = 0
    runner = _train('omgseg_tiny_custom-cotrain.py', generic_panoptic, toy_root, tmp_path,
                    edit, entries=(None, 'custom', 'toy_coco'))
    joint = runner.train_dataloader.dataset
    # the merge: 5 + 5 things and 3 + 3 stuff, nothing shared between kitchen and toy names
    assert len(joint.metainfo['thing_classes']) == 10
    assert len(joint.metainfo['stuff_classes']) == 6
    assert joint.metainfo['label_maps'][1] == [5, 6, 7, 8, 9, 13, 14, 15]
    metrics = runner.test()
    assert 0.0 <= metrics['custom/panoptic/PQ'] <= 100.0, metrics
    assert 0.0 <= metrics['toy_coco/panoptic/PQ'] <= 100.0, metrics
