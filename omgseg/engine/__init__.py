from .dashboards import DashboardVisualizer
from .hooks import (ExactResumeHook, PanopticVisualizationHook, PretrainedBackboneHook,
                    VocabularyCheckHook)
from .loss_log_processor import LossGroupLogProcessor
from .multi_dataset_loop import MultiDatasetTestLoop, MultiDatasetValLoop, evaluation_setting

__all__ = ['DashboardVisualizer', 'ExactResumeHook', 'LossGroupLogProcessor',
           'PanopticVisualizationHook', 'PretrainedBackboneHook', 'VocabularyCheckHook',
           'MultiDatasetValLoop', 'MultiDatasetTestLoop', 'evaluation_setting']
