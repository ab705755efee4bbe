from .autocast_optim_wrapper import AutocastOptimWrapper
from .autocast_test_loop import AutocastTestLoop
from .dashboards import DashboardVisualizer
from .hooks import (ExactResumeHook, PretrainedBackboneHook, SegVisualizationHook,
                    VocabularyCheckHook)
from .loss_log_processor import LossGroupLogProcessor
from .multi_dataset_loop import MultiDatasetTestLoop, MultiDatasetValLoop, evaluation_setting

__all__ = ['AutocastOptimWrapper', 'AutocastTestLoop', 'DashboardVisualizer', 'ExactResumeHook', 'LossGroupLogProcessor',
           'PretrainedBackboneHook', 'SegVisualizationHook', 'VocabularyCheckHook',
           'MultiDatasetValLoop', 'MultiDatasetTestLoop', 'evaluation_setting']
