from .autocast_optim_wrapper import AutocastOptimWrapper
from .dashboards import DashboardVisualizer
from .hooks import (ExactResumeHook, PretrainedBackboneHook, SegVisualizationHook,
                    VocabularyCheckHook)
from .loss_log_processor import LossGroupLogProcessor
from .multi_dataset_loop import MultiDatasetTestLoop, MultiDatasetValLoop, evaluation_setting

__all__ = ['AutocastOptimWrapper', 'DashboardVisualizer', 'ExactResumeHook', 'LossGroupLogProcessor',
           'PretrainedBackboneHook', 'SegVisualizationHook', 'VocabularyCheckHook',
           'MultiDatasetValLoop', 'MultiDatasetTestLoop', 'evaluation_setting']
