# Modules are registered in mmdet's registries by importing omgseg.
default_scope = 'mmdet'
custom_imports = dict(imports=['omgseg.register'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# Refuses to start when the class-embedding file does not match a dataset's classes, or when
# a test_cfg section applies to none of the evaluated tasks (ProtocolCheckHook).
# ExactResumeHook: checkpoints carry the random and sampler states (docs/resume.md).
custom_hooks = [dict(type='VocabularyCheckHook'), dict(type='ProtocolCheckHook'),
                dict(type='PretrainedBackboneHook'), dict(type='ExactResumeHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py and tools/test.py switch to gloo when no GPU is present
    dist_cfg=dict(backend='nccl'))
# log lines sum each loss over the decoder layers; the layers' terms go to the visualizer
log_processor = dict(type='LossGroupLogProcessor', window_size=50, by_epoch=True)
# JSON log always; dashboards by `tools/train.py --tensorboard / --wandb`, or
# `--cfg-options visualizer.tensorboard=True` (omgseg/engine/dashboards.py)
visualizer = dict(type='DashboardVisualizer', tensorboard=False, wandb=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
