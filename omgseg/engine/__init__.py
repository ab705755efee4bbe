from .hooks import PanopticVisualizationHook, PretrainedBackboneHook, VocabularyCheckHook
from .multi_dataset_loop import MultiDatasetTestLoop, MultiDatasetValLoop, evaluation_setting

__all__ = ['PanopticVisualizationHook', 'PretrainedBackboneHook', 'VocabularyCheckHook',
           'MultiDatasetValLoop', 'MultiDatasetTestLoop', 'evaluation_setting']
