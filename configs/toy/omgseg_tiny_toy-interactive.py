# Evaluate the toy main job on the interactive task (toy COCO val, one point-box prompt per
# segment at its interior-most point; mean IoU of the prompted masks):
#   python tools/test.py configs/toy/omgseg_tiny_toy-interactive.py work_dirs/.../epoch_8.pth
# Multi-click NoC@85 / NoC@90:
#   python tools/analysis_tools/eval_interactive_noc.py configs/toy/omgseg_tiny_toy-interactive.py \
#       work_dirs/.../epoch_8.pth --out noc.json
# The toy main job does not train prompts yet (its checkpoint loads with a fresh prompt
# encoder); add toy_interactive_train to a training ConcatDataset together with
# train_dataloader.batch_sampler=dict(type='TaskBatchSampler') to train them.
_base_ = ['./omgseg_tiny_toy-joint.py', '../_base_/datasets/toy_interactive.py']
model = dict(panoptic_head=dict(prompt_encoder=dict(type='PromptEncoder')))
test_dataloader = dict(batch_size=1, dataset=_base_.toy_interactive_val)
test_evaluator = _base_.toy_interactive_evaluator
