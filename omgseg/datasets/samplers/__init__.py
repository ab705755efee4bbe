from .task_batch_sampler import TaskBatchSampler, task_group

__all__ = ['TaskBatchSampler', 'task_group']
