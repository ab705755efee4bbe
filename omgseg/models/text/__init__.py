"""Text side of the model: vocabulary, CLIP text encoder, class-embedding files, classifier."""
from .class_embeddings import (check_class_names, load_class_embeddings,
                               save_class_embeddings, sidecar_path)
from .classifier import ORIGINAL_LOGIT_SCALE, TextEmbeddingClassifier
from .text_encoder import CLIPTextEncoder, compute_class_embeddings
from .vocabulary import VILD_TEMPLATES, class_synonyms, normalize_class_name

__all__ = [
    'VILD_TEMPLATES', 'normalize_class_name', 'class_synonyms', 'save_class_embeddings',
    'load_class_embeddings', 'check_class_names', 'sidecar_path', 'CLIPTextEncoder',
    'compute_class_embeddings', 'TextEmbeddingClassifier', 'ORIGINAL_LOGIT_SCALE',
]
