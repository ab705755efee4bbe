from .backbone_weights_hook import PretrainedBackboneHook
from .exact_resume_hook import ExactResumeHook
from .protocol_check_hook import ProtocolCheckHook
from .visualization_hook import SegVisualizationHook
from .vocabulary_check_hook import VocabularyCheckHook

__all__ = ['ExactResumeHook', 'PretrainedBackboneHook', 'ProtocolCheckHook',
           'SegVisualizationHook', 'VocabularyCheckHook']
