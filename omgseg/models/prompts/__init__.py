"""Interactive prompts: the prompt encoder.

Prompt kinds and point boxes are ``omgseg.structures.prompts``; sampling prompts from ground
truth is the data pipeline's job (the ``SamplePrompts`` transform).
"""
from .prompt_encoder import PromptEncoder

__all__ = ['PromptEncoder']
