from .backbone_weights_hook import PretrainedBackboneHook
from .visualization_hook import SegVisualizationHook
from .vocabulary_check_hook import VocabularyCheckHook

__all__ = ['PretrainedBackboneHook', 'SegVisualizationHook', 'VocabularyCheckHook']
