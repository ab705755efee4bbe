"""Which tasks each ``model.test_cfg`` section serves, and the check that a config's settings
apply to the tasks it evaluates.

A section given for an evaluation that has none of its tasks does nothing, silently: a
``vos`` section on a panoptic evaluation, or open-vocabulary fusion on a DAVIS one, is almost
always a config mistake (a copied block, a wrong base), so it is an error naming the section,
the evaluation and its tasks.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from omgseg.structures import (TASK_INSTANCE, TASK_INTERACTIVE, TASK_PANOPTIC, TASK_SEMANTIC,
                               TASK_VOS)

_OBJECTS = (TASK_PANOPTIC, TASK_INSTANCE, TASK_SEMANTIC)
# section of test_cfg -> the sample tasks whose handler reads it
SECTION_TASKS: dict[str, tuple[str, ...]] = {
    'objects': _OBJECTS,
    'clips': _OBJECTS + (TASK_VOS,),
    'vos': (TASK_VOS,),
    'interactive': (TASK_INTERACTIVE,),
    # prompt masks are classified too (pred_prompt_masks.labels)
    'open_vocab': _OBJECTS + (TASK_INTERACTIVE,),
}


def check_settings_apply(test_cfg: Mapping | None, tasks: Iterable[str], *,
                         where: str) -> None:
    """Raise when a section of ``test_cfg`` serves none of ``tasks``.

    Args:
        test_cfg: a (nested) ``test_cfg`` as written in the config; ``open_vocab=None`` (fusion
            switched off) is always allowed.
        tasks: the tasks of the evaluation(s) these settings are used for; an empty set (not
            known) skips the check.
        where: how the config names these settings, for the message (``'model.test_cfg'``).

    Raises:
        ValueError: naming ``<where>.<section>``, the tasks it serves and the evaluated ones.
    """
    tasks = set(tasks)
    if not test_cfg or not tasks:
        return
    for section, value in test_cfg.items():
        served = SECTION_TASKS.get(section)
        if served is None or value is None or set(served) & tasks:
            continue
        raise ValueError(f'{where}.{section} applies to tasks {list(served)}, but this '
                         f'evaluation has only {sorted(tasks)}: remove the section (or evaluate '
                         f'a dataset of one of its tasks).')


__all__ = ['SECTION_TASKS', 'check_settings_apply']
