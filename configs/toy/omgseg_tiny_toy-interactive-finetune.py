# Second stage of the toy schedule: the co-trained toy model (omgseg_tiny_toy-cotrain.py)
# trained on prompt batches only. On this CPU budget prompted queries learn far more slowly than
# object queries: after co-training their thing masks are still empty (interactive mIoU on
# things under 1; docs/results.md), so the toy job gives them 12 more epochs of their own.
#   bash tools/dist_train.sh configs/toy/omgseg_tiny_toy-interactive-finetune.py 2 \
#       --cfg-options load_from=work_dirs/omgseg_tiny_toy-cotrain/epoch_12.pth
# (tools/toy_demo.sh runs both stages.)
_base_ = ['./omgseg_tiny_toy-cotrain.py']

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
train_dataloader = dict(
    batch_size=8,  # co-training's 4 gave no better prompts here, and 8 is faster
    batch_sampler=dict(_delete_=True, type='TaskBatchSampler'),
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(_delete_=True, type='JointDataset', vocabulary=_base_.vocabulary,
                 datasets=[_base_.toy_sam_train]))
val_dataloader = dict(batch_size=1, dataset=_base_.toy_sam_val)
val_evaluator = _base_.toy_interactive_evaluator
val_cfg = dict(_delete_=True, type='ValLoop')
test_dataloader = val_dataloader
test_evaluator = val_evaluator
test_cfg = dict(_delete_=True, type='TestLoop')
