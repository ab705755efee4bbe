from .backbone_weights_hook import PretrainedBackboneHook
from .panoptic_visualization_hook import PanopticVisualizationHook
from .vocabulary_check_hook import VocabularyCheckHook

__all__ = ['PanopticVisualizationHook', 'PretrainedBackboneHook', 'VocabularyCheckHook']
