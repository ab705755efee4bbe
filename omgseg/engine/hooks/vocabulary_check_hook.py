"""Stop a run before it starts when the class embeddings do not match a dataset's classes."""
from __future__ import annotations

from mmengine.model import is_model_wrapper

from omgseg.registry import HOOKS
from omgseg.structures import CLASS_AGNOSTIC_TASKS
from omgseg.vocab import vocabulary_from

from .loop_check import LoopCheckHook, loop_entries


def _classifier(runner):
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    head = getattr(model, 'panoptic_head', None)
    return getattr(head, 'classifier', None)


def _check_entry(classifier, entry: dict, loop_name: str) -> None:
    meta = entry['dataloader'].dataset.metainfo
    classes = meta.get('classes')
    # prompts and VOS objects have no class: their outputs never use the classifier's labels
    if classes is None or meta.get('task') in CLASS_AGNOSTIC_TASKS:
        return
    source = f'the {loop_name} dataset {entry["name"]!r}'
    if entry.get('vocabulary') is None:
        classifier.check_class_names(list(classes), source=source)
        return
    spec = entry['vocabulary']
    expected = list(vocabulary_from(spec if isinstance(spec, str) else dict(spec))['classes'])
    if list(classes) != expected:
        raise ValueError(f'{source} has classes {list(classes)[:5]}... ({len(classes)}) but its '
                         f'evaluation vocabulary {spec!r} has {expected[:5]}... '
                         f'({len(expected)}); give the dataset the same `vocabulary`.')


def _check(runner, loop_name: str) -> None:
    classifier = _classifier(runner)
    if classifier is None:
        return
    for entry in loop_entries(runner, loop_name):
        _check_entry(classifier, entry, loop_name)


@HOOKS.register_module()
class VocabularyCheckHook(LoopCheckHook):
    """Compare the classifier's embedding file (sidecar class names) with each dataset's
    vocabulary before training, validation and testing; raise with the fix on a mismatch."""

    check_train_loop = True

    def check(self, runner, loop_name: str) -> None:
        _check(runner, loop_name)
