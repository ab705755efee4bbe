from .ratio_sampler import DatasetRatioSampler
from .task_batch_sampler import TaskBatchSampler, task_group

__all__ = ['DatasetRatioSampler', 'TaskBatchSampler', 'task_group']
