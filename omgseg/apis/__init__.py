"""High-level inference API (build a model, segment prompts)."""
from .inference import init_model, pipeline_resize, segment_prompts, vocabulary_override

__all__ = ['init_model', 'pipeline_resize', 'segment_prompts', 'vocabulary_override']
