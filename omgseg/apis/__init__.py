"""High-level inference API (build a model, segment prompts, run every task on your files).

Names are imported on first use, so command lines that only check their arguments start
without loading torch and the model code.
"""
import importlib

_EXPORTS = {
    'init_model': 'inference', 'pipeline_resize': 'inference', 'segment_prompts': 'inference',
    'vocabulary_override': 'inference', 'OMGSegInferencer': 'inferencer',
    'INFER_TASKS': 'infer_results',
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'{__name__}.{_EXPORTS[name]}'), name)
