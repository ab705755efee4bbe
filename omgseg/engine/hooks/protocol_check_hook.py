"""Stop a run before it starts when a test setting applies to none of the evaluated tasks."""
from __future__ import annotations

from omgseg.models.tasks.setting_scope import check_settings_apply
from omgseg.registry import HOOKS

from .loop_check import LoopCheckHook, loop_entries


def _tasks(entry: dict) -> set[str]:
    meta = getattr(entry['dataloader'].dataset, 'metainfo', {}) or {}
    task = meta.get('task')
    return {task} if isinstance(task, str) else set(task or ())


def _check(runner, loop_name: str) -> None:
    entries = loop_entries(runner, loop_name)
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
class ProtocolCheckHook(LoopCheckHook):
    """Check ``model.test_cfg`` against the tasks of every evaluation of the run (and each
    multi-dataset entry's ``test_cfg`` against its own dataset's task) before training,
    validation and testing (:func:`check_settings_apply`)."""

    def check(self, runner, loop_name: str) -> None:
        _check(runner, loop_name)
