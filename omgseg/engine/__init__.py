from .hooks import PretrainedBackboneHook, SegVisualizationHook, VocabularyCheckHook
from .multi_dataset_loop import MultiDatasetTestLoop, MultiDatasetValLoop, evaluation_setting

__all__ = ['PretrainedBackboneHook', 'SegVisualizationHook', 'VocabularyCheckHook',
           'MultiDatasetValLoop', 'MultiDatasetTestLoop', 'evaluation_setting']
