"""High-level inference API (build a model, segment prompts)."""
from .inference import init_model, pipeline_resize, segment_prompts, vocabulary_override
from .inferencer import INFER_TASKS, OMGSegInferencer

__all__ = ['INFER_TASKS', 'OMGSegInferencer', 'init_model', 'pipeline_resize', 'segment_prompts',
           'vocabulary_override']
