"""Evaluate one checkpoint on several datasets and tasks in one validation or test run.

OMG-Seg is trained once on many datasets and evaluated on each with its own metric, output
settings (``test_cfg``: clip sizes, which outputs) and, for open-vocabulary evaluation, its own
vocabulary. An *entry* holds all of that::

    dict(name='vipseg',                 # prefix of the entry's metric keys ('vipseg/VPQ')
         dataloader=dict(...),          # as val_dataloader
         evaluator=[dict(...)],         # as val_evaluator
         test_cfg=dict(clips=dict(clip_size=2)),  # optional: model.test_cfg sections
         vocabulary='toy',              # optional: classify against this vocabulary's
         class_embed_path='x.pth')      #   text embeddings (the file's class names are checked)

The runner's own ``val_dataloader`` / ``val_evaluator`` (or test) is the first entry, named by
``name`` (the loop's ``test_cfg`` / ``vocabulary`` / ``class_embed_path`` apply to it);
``extra`` lists the others. Each entry's metrics are logged as one table and returned
with the entry name as prefix, so hooks (best checkpoint, logging) see every dataset.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from mmengine.runner.amp import autocast

from omgseg.models.tasks import InferenceSettings
from omgseg.registry import LOOPS
from omgseg.vocab import vocabulary_from
from omgseg.vocab.embedding_file import load_class_embeddings

from .autocast_test_loop import inference_autocast

_ENTRY_KEYS = {'name', 'dataloader', 'evaluator', 'test_cfg', 'vocabulary', 'class_embed_path'}


def _check_entry(entry: dict, where: str) -> dict:
    entry = dict(entry)
    unknown = set(entry) - _ENTRY_KEYS
    if unknown:
        raise KeyError(f'{where}: unknown key(s) {sorted(unknown)}; an entry has '
                       f'{sorted(_ENTRY_KEYS)}.')
    for key in ('name', 'dataloader', 'evaluator'):
        if key not in entry:
            raise KeyError(f'{where}: missing `{key}`.')
    try:  # a typo in an entry's test_cfg fails when the loop is built, not after training
        InferenceSettings.from_cfg(entry.get('test_cfg'))
    except (KeyError, ValueError, TypeError) as err:
        raise type(err)(f'{where}: {err.args[0] if err.args else err}') from None
    if ('vocabulary' in entry) != ('class_embed_path' in entry):
        raise KeyError(f'{where}: give `vocabulary` and `class_embed_path` together (the file '
                       f'is checked against the vocabulary\'s class names).')
    return entry


@contextlib.contextmanager
def evaluation_setting(model, *, test_cfg: dict | None = None, vocabulary=None,
                       class_embed_path: str | None = None) -> Iterator[None]:
    """Inside the block, ``model`` uses ``test_cfg`` section overrides and (optionally)
    classifies against ``vocabulary`` with the text embeddings in ``class_embed_path``; the
    model restores itself afterwards (:meth:`OMGSeg.evaluation_setting`)."""
    model = model.module if is_model_wrapper(model) else model
    vocab_args = {}
    if vocabulary is not None:
        vocab = vocabulary_from(vocabulary)
        embeddings, _ = load_class_embeddings(class_embed_path,
                                              expected_class_names=vocab['classes'])
        vocab_args = dict(class_embeddings=embeddings, class_names=list(vocab['classes']),
                          num_things=len(vocab['thing_classes']))
    with model.evaluation_setting(test_cfg=test_cfg, **vocab_args):
        yield


def _table(name: str, metrics: dict) -> str:
    width = max([len(k) for k in metrics] + [6])
    rows = [f'{k:<{width}}  {v:.4f}' if isinstance(v, float) else f'{k:<{width}}  {v}'
            for k, v in metrics.items()]
    rule = '-' * (width + 12)
    return '\n'.join([f'results: {name}', rule, *rows, rule])


class _MultiDatasetMixin:
    """Shared by the val and test loops: builds every entry, runs them in order."""

    def _setup_entries(self, name: str, extra: Sequence[dict], kind: str,
                       overrides: dict) -> None:
        first = {k: v for k, v in overrides.items() if v is not None}
        first = _check_entry(dict(first, name=name, dataloader=self.dataloader,
                                  evaluator=self.evaluator), f'{kind}_cfg')
        self.entries = [first]
        names = {name}
        for i, raw in enumerate(extra):
            entry = _check_entry(raw, f'{kind}_cfg.extra[{i}]')
            if entry['name'] in names:
                raise ValueError(f'{kind}_cfg.extra[{i}]: entry name {entry["name"]!r} is used '
                                 f'twice; metric keys would collide.')
            names.add(entry['name'])
            if isinstance(entry['dataloader'], dict):
                entry['dataloader'] = self.runner.build_dataloader(
                    entry['dataloader'], seed=self.runner.seed)
            if isinstance(entry['evaluator'], (dict, list)):
                entry['evaluator'] = self.runner.build_evaluator(entry['evaluator'])
            evaluator = entry['evaluator']
            if hasattr(entry['dataloader'].dataset, 'metainfo'):
                evaluator.dataset_meta = entry['dataloader'].dataset.metainfo
            self.entries.append(entry)

    def _run_entries(self, hook_prefix: str) -> dict:
        self.runner.call_hook(f'before_{hook_prefix}')
        self.runner.call_hook(f'before_{hook_prefix}_epoch')
        self.runner.model.eval()
        metrics: dict = {}
        for entry in self.entries:
            with evaluation_setting(self.runner.model, test_cfg=entry.get('test_cfg'),
                                    vocabulary=entry.get('vocabulary'),
                                    class_embed_path=entry.get('class_embed_path')):
                for idx, data_batch in enumerate(entry['dataloader']):
                    self._run_entry_iter(idx, data_batch, entry['evaluator'], hook_prefix)
                result = entry['evaluator'].evaluate(len(entry['dataloader'].dataset))
            print_log(_table(entry['name'], result), logger='current')
            metrics.update({f'{entry["name"]}/{k}': v for k, v in result.items()})
        self.runner.call_hook(f'after_{hook_prefix}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{hook_prefix}')
        return metrics

    @torch.no_grad()
    def _run_entry_iter(self, idx: int, data_batch, evaluator, hook_prefix: str) -> None:
        self.runner.call_hook(f'before_{hook_prefix}_iter', batch_idx=idx,
                              data_batch=data_batch)
        with autocast(enabled=self.fp16), inference_autocast(self.runner.model, self.amp):
            outputs = self.runner.model.test_step(data_batch)
        evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(f'after_{hook_prefix}_iter', batch_idx=idx,
                              data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class MultiDatasetValLoop(_MultiDatasetMixin, ValLoop):
    """``ValLoop`` over the runner's val set (entry ``name``) and the ``extra`` entries."""

    def __init__(self, runner, dataloader, evaluator, *, name: str = 'val',
                 extra: Sequence[dict] = (), test_cfg: dict | None = None,
                 vocabulary: str | dict | None = None, class_embed_path: str | None = None,
                 fp16: bool = False, amp: str | None = None) -> None:
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        inference_autocast(torch.nn.Linear(1, 1), amp)  # an unknown dtype fails at build
        self.amp = amp
        self._setup_entries(name, extra, 'val', dict(test_cfg=test_cfg, vocabulary=vocabulary,
                                                      class_embed_path=class_embed_path))

    def run(self) -> dict:
        return self._run_entries('val')


@LOOPS.register_module()
class MultiDatasetTestLoop(_MultiDatasetMixin, TestLoop):
    """``TestLoop`` over the runner's test set (entry ``name``) and the ``extra`` entries."""

    def __init__(self, runner, dataloader, evaluator, *, name: str = 'test',
                 extra: Sequence[dict] = (), test_cfg: dict | None = None,
                 vocabulary: str | dict | None = None, class_embed_path: str | None = None,
                 fp16: bool = False, amp: str | None = None) -> None:
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        inference_autocast(torch.nn.Linear(1, 1), amp)  # an unknown dtype fails at build
        self.amp = amp
        self._setup_entries(name, extra, 'test', dict(test_cfg=test_cfg, vocabulary=vocabulary,
                                                      class_embed_path=class_embed_path))

    def run(self) -> dict:
        return self._run_entries('test')
