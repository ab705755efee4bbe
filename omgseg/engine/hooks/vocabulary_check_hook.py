"""Stop a run before it starts when the class embeddings do not match a dataset's classes."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from omgseg.registry import HOOKS


def _classifier(runner):
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    head = getattr(model, 'panoptic_head', None)
    return getattr(head, 'classifier', None)


def _check(runner, loop_name: str) -> None:
    classifier = _classifier(runner)
    loop = getattr(runner, f'{loop_name}_loop', None)
    if classifier is None or loop is None:
        return
    classes = loop.dataloader.dataset.metainfo.get('classes')
    if classes is None:
        return
    classifier.check_class_names(list(classes), source=f'the {loop_name} dataset')


@HOOKS.register_module()
class VocabularyCheckHook(Hook):
    """Compare the classifier's embedding file (sidecar class names) with each dataset's
    vocabulary before training, validation and testing; raise with the fix on a mismatch."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        _check(runner, 'train')

    def before_val(self, runner) -> None:
        _check(runner, 'val')

    def before_test(self, runner) -> None:
        _check(runner, 'test')
