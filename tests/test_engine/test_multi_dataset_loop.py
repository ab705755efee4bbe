"""MultiDatasetValLoop / evaluation_setting: one checkpoint evaluated on several entries, each
with its own test_cfg and vocabulary, restored afterwards; head built from a vocabulary."""
import json

import pytest
import torch
from mmengine.runner import Runner

from omgseg.engine import evaluation_setting
from omgseg.registry import MODELS
from tests.conftest import toy_cfg


def _embeddings(tmp_path, toy_root, names, things):
    """A class-embedding file for ``names`` in the toy file's format."""
    path = tmp_path / 'vocab.pth'
    torch.save(torch.nn.functional.normalize(torch.randn(len(names), 1, 64), dim=-1), path)
    sidecar = json.loads((toy_root / 'class_embeddings' / 'tiny_clip_toy.json').read_text())
    sidecar.update(class_names=list(names), synonyms=[[n] for n in names],
                   num_classes=len(names), num_things=things, num_stuff=len(names) - things)
    path.with_suffix('.json').write_text(json.dumps(sidecar))
    return path


def test_evaluation_setting_swaps_and_restores(toy_root, tmp_path):
    model = MODELS.build(toy_cfg(toy_root).model)
    model.panoptic_head.classifier.load()
    vocab = dict(thing_classes=['cat', 'kite'], stuff_classes=['sea'])
    path = _embeddings(tmp_path, toy_root, ['cat', 'kite', 'sea'], 2)
    before = model.test_settings
    with evaluation_setting(model, test_cfg=dict(clips=dict(clip_size=7)), vocabulary=vocab,
                            class_embed_path=str(path)):
        assert model.test_settings.clips.clip_size == 7 and model.num_things == 2
        assert model.test_settings.clips.clip_size_small == before.clips.clip_size_small
        assert model.panoptic_head.classifier.class_names == ['cat', 'kite', 'sea']
        logits = model.panoptic_head.classifier(torch.randn(2, 64))
        assert logits.shape == (2, 4)                        # 3 classes + void
    assert model.test_settings == before and model.num_things == 5
    assert model.panoptic_head.classifier(torch.randn(2, 64)).shape == (2, 9)
    with pytest.raises(ValueError, match='vocab.pth'):      # file made for other names
        with evaluation_setting(model, vocabulary=dict(thing_classes=['dog'],
                                                       stuff_classes=['sky', 'sea']),
                                class_embed_path=str(path)):
            pass
    assert model.num_things == 5
    with pytest.raises(KeyError, match=r'test_cfg\.clips\.clip_sise'):
        with evaluation_setting(model, test_cfg=dict(clips=dict(clip_sise=3))):
            pass
    assert model.test_settings == before


def test_loop_reports_every_entry_with_its_prefix(toy_root, tmp_path):
    cfg = toy_cfg(toy_root, work_dir=tmp_path)
    cfg.val_evaluator = [dict(type='PanopticQualityMetric')]
    cfg.val_cfg = dict(type='MultiDatasetValLoop', name='coco', extra=[
        dict(name='coco_no_instances', dataloader=cfg.val_dataloader,
             evaluator=[dict(type='PanopticQualityMetric')],
             test_cfg=dict(objects=dict(instance_on=False)))])
    runner = Runner.from_cfg(cfg)
    metrics = runner.val()
    assert metrics['coco/panoptic/PQ'] == metrics['coco_no_instances/panoptic/PQ']
    assert {k.split('/')[0] for k in metrics} == {'coco', 'coco_no_instances'}
    assert runner.model.test_settings.objects.instance_on is True    # restored after the entry
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'results: coco_no_instances' in log


def test_loop_refuses_duplicate_names_and_unknown_keys(toy_root, tmp_path):
    cfg = toy_cfg(toy_root, work_dir=tmp_path)
    entry = dict(name='coco', dataloader=cfg.val_dataloader, evaluator=cfg.val_evaluator)
    cfg.val_cfg = dict(type='MultiDatasetValLoop', name='coco', extra=[entry])
    with pytest.raises(ValueError, match="'coco' is used twice"):
        Runner.from_cfg(cfg).val()
    cfg.val_cfg = dict(type='MultiDatasetValLoop', extra=[dict(entry, name='b', vocab='toy')])
    with pytest.raises(KeyError, match='vocab'):
        Runner.from_cfg(cfg).val()
    # a typo in an entry's test_cfg fails when the loop is built, before any evaluation
    cfg.val_cfg = dict(type='MultiDatasetValLoop',
                       extra=[dict(entry, name='b', test_cfg=dict(objects=dict(panoptic=1)))])
    with pytest.raises(KeyError, match=r'val_cfg\.extra\[0\].*test_cfg\.objects\.panoptic'):
        Runner.from_cfg(cfg).val()


def test_head_counts_follow_a_merged_vocabulary(toy_root):
    cfg = toy_cfg(toy_root)

    def build(**head):
        head = dict(dict(num_things_classes=None, num_stuff_classes=None,
                         vocabulary=dict(merge=['toy', 'cityscapes_panoptic'])), **head)
        model = dict(cfg.model, panoptic_head=dict(cfg.model.panoptic_head, **head))
        return MODELS.build(model).panoptic_head

    built = build()
    # toy (5 things, 3 stuff) + Cityscapes (8 + 11): person, car, bicycle, road, sky shared
    assert (built.num_things_classes, built.num_stuff_classes) == (10, 12)
    assert built.classifier.expected_class_names[:5] == ['person', 'bicycle', 'car', 'bird',
                                                         'dog']
    with pytest.raises(ValueError, match='num_things_classes=5 but'):
        build(num_things_classes=5)
