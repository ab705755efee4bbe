from .backbone_weights_hook import PretrainedBackboneHook
from .exact_resume_hook import ExactResumeHook
from .visualization_hook import SegVisualizationHook
from .vocabulary_check_hook import VocabularyCheckHook

__all__ = ['ExactResumeHook', 'PretrainedBackboneHook', 'SegVisualizationHook',
           'VocabularyCheckHook']
