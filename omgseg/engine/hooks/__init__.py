from .backbone_weights_hook import PretrainedBackboneHook
from .exact_resume_hook import ExactResumeHook
from .panoptic_visualization_hook import PanopticVisualizationHook
from .vocabulary_check_hook import VocabularyCheckHook

__all__ = ['ExactResumeHook', 'PanopticVisualizationHook', 'PretrainedBackboneHook',
           'VocabularyCheckHook']
