"""Text side of the model: the CLIP text encoder and the text-embedding classifier.

Class names, prompt templates and the class-embedding file format are the vocabulary layer's
(``omgseg.vocab``).
"""
from .classifier import ORIGINAL_LOGIT_SCALE, TextEmbeddingClassifier
from .text_encoder import CLIPTextEncoder, compute_class_embeddings

__all__ = ['CLIPTextEncoder', 'compute_class_embeddings', 'TextEmbeddingClassifier',
           'ORIGINAL_LOGIT_SCALE']
