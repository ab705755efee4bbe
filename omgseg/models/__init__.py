"""Importing this package registers every model component in mmdet's MODELS registry."""
from .backbones import OpenCLIPBackbone
from .data_preprocessors import ClipDataPreprocessor
from .detectors import OMGSeg
from .heads import OMGQueryHead
from .losses import OMGCriterion
from .pixel_decoders import OMGPixelDecoder
from .prompts import PromptEncoder
from .task_modules import HungarianMatcher
from .text import TextEmbeddingClassifier

__all__ = ['OpenCLIPBackbone', 'ClipDataPreprocessor', 'OMGSeg', 'OMGQueryHead', 'OMGCriterion',
           'OMGPixelDecoder', 'PromptEncoder', 'HungarianMatcher', 'TextEmbeddingClassifier']
