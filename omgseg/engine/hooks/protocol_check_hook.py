"""Stop a run before it starts when a test setting applies to none of the evaluated tasks."""
from __future__ import annotations

from mmengine.hooks import Hook

from omgseg.models.tasks.setting_scope import check_settings_apply
from omgseg.registry import HOOKS


def _entries(runner, loop_name: str) -> list[dict]:
    loop = getattr(runner, f'{loop_name}_loop', None)
    if loop is None:
        return []
    return getattr(loop, 'entries', None) or [dict(name=loop_name, dataloader=loop.dataloader)]


def _tasks(entry: dict) -> set[str]:
    meta = getattr(entry['dataloader'].dataset, 'metainfo', {}) or {}
    task = meta.get('task')
    return {task} if isinstance(task, str) else set(task or ())


def _check(runner, loop_name: str) -> None:
    entries = _entries(runner, loop_name)
    if not entries:
        return
    every = set()
    for entry in entries:
        tasks = _tasks(entry)
        every |= tasks
        check_settings_apply(entry.get('test_cfg'), tasks,
                             where=f'{loop_name}_cfg entry {entry["name"]!r} test_cfg')
    model_cfg = runner.cfg.get('model', {}) or {}
    check_settings_apply(model_cfg.get('test_cfg'), every, where='model.test_cfg')


@HOOKS.register_module()
class ProtocolCheckHook(Hook):
    """Check ``model.test_cfg`` against the tasks of every evaluation of the run (and each
    multi-dataset entry's ``test_cfg`` against its own dataset's task) before training,
    validation and testing (:func:`check_settings_apply`)."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        # the evaluation at the end of a co-training run is checked before hours of training
        if getattr(runner, '_val_loop', None) is not None and runner.train_loop is not None:
            _check(runner, 'val')

    def before_val(self, runner) -> None:
        _check(runner, 'val')

    def before_test(self, runner) -> None:
        _check(runner, 'test')
