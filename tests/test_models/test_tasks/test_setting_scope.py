"""A test setting that applies to none of the evaluated tasks is an error before the run: the
rule, the hook that applies it to a runner's evaluations, and every shipped config."""
from pathlib import Path
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from omgseg.engine.hooks import ProtocolCheckHook
from omgseg.models.tasks.setting_scope import check_settings_apply

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize('cfg,tasks', [
    (dict(vos=dict(num_proposals=5)), {'vos'}),
    (dict(objects=dict(instance_topk='things'), clips=dict(clip_size=2)), {'instance'}),
    (dict(clips=dict(clip_size=2)), {'vos'}),
    (dict(open_vocab=dict(fusion='per_video')), {'panoptic', 'vos'}),
    (dict(open_vocab=dict(train_vocabulary='coco_panoptic')), {'interactive'}),
    (dict(open_vocab=None), {'vos'}),                       # switching fusion off is fine
    (dict(vos=dict(num_proposals=5)), set()),               # tasks unknown: not checked
])
def test_settings_that_apply_pass(cfg, tasks):
    check_settings_apply(cfg, tasks, where='model.test_cfg')


@pytest.mark.parametrize('cfg,tasks,section', [
    (dict(vos=dict(match_resolution='network')), {'panoptic', 'instance'}, 'vos'),
    (dict(open_vocab=dict(fusion='off')), {'vos'}, 'open_vocab'),
    (dict(objects=dict(instance_topk='things')), {'interactive'}, 'objects'),
    (dict(interactive=dict(mask_thr=0.5)), {'panoptic'}, 'interactive'),
])
def test_settings_for_other_tasks_are_named(cfg, tasks, section):
    with pytest.raises(ValueError, match=rf'model\.test_cfg\.{section} applies to tasks'):
        check_settings_apply(cfg, tasks, where='model.test_cfg')


def _runner(model_test_cfg, entries):
    """A runner with a multi-dataset test loop whose entries are (name, task, test_cfg)."""
    made = [dict(name=name, test_cfg=cfg, dataloader=SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(task=task)))) for name, task, cfg in entries]
    return SimpleNamespace(cfg=Config(dict(model=dict(test_cfg=model_test_cfg))),
                           test_loop=SimpleNamespace(entries=made))


def test_hook_checks_the_model_and_each_entry():
    hook = ProtocolCheckHook()
    # a vos section is fine when some entry evaluates vos, in the model or in that entry
    hook.before_test(_runner(dict(vos=dict(num_proposals=5)),
                             [('coco', 'panoptic', None), ('davis', 'vos', None)]))
    with pytest.raises(ValueError, match=r'model\.test_cfg\.vos applies'):
        hook.before_test(_runner(dict(vos=dict(num_proposals=5)),
                                 [('coco', 'panoptic', None)]))
    with pytest.raises(ValueError, match=r"entry 'davis' test_cfg\.objects applies"):
        hook.before_test(_runner(None, [('coco', 'panoptic', None),
                                        ('davis', 'vos', dict(objects=dict(max_per_image=5)))]))


def _dataset_tasks(ds) -> set:
    while 'dataset' in ds:
        ds = ds['dataset']
    if 'datasets' in ds:
        return {t for d in ds['datasets'] for t in _dataset_tasks(d)}
    return {ds['task']} if ds.get('task') else set()


@pytest.mark.parametrize('path', sorted(str(p.relative_to(ROOT)) for p in
                                        (ROOT / 'configs').glob('[!_]*/*.py')))
def test_every_config_sets_only_applicable_sections(path):
    cfg = Config.fromfile(str(ROOT / path))
    loop = cfg.get('test_cfg') or {}
    every = _dataset_tasks(cfg.test_dataloader.dataset) if 'test_dataloader' in cfg else set()
    for entry in loop.get('extra', []):
        tasks = _dataset_tasks(entry['dataloader']['dataset'])
        every |= tasks
        check_settings_apply(entry.get('test_cfg'), tasks, where=f'entry {entry["name"]}')
    check_settings_apply(cfg.model.get('test_cfg'), every, where='model.test_cfg')
