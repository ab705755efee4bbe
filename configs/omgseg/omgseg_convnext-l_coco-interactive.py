# Evaluate OMG-Seg (frozen ConvNeXt-L CLIP) on COCO-SAM interactive segmentation: COCO panoptic
# val2017, one point-box prompt (interior-most point +- 3 px) per non-crowd segment, mean IoU
# of the prompted masks (paper: 58.0).
#   bash tools/dist_test.sh configs/omgseg/omgseg_convnext-l_coco-interactive.py CHECKPOINT 8
# Multi-click NoC@85 / NoC@90 (single process):
#   python tools/analysis_tools/eval_interactive_noc.py \
#       configs/omgseg/omgseg_convnext-l_coco-interactive.py CHECKPOINT --max-images 500
_base_ = [
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_12e.py',
    '../_base_/models/omgseg_convnext-l.py', '../_base_/datasets/coco_interactive.py',
    '../_base_/cotrain/vocabularies.py'
]
# Prompts are class-agnostic here, but the model still loads a classifier (it labels prompts,
# see ..._coco-interactive-ov.py): COCO's open-vocabulary names, the COCO eval's file.
#   python tools/gen_class_embeddings.py configs/omgseg/omgseg_convnext-l_coco-interactive.py
vocabulary = 'coco_panoptic_ov'
model = dict(panoptic_head=dict(vocabulary=vocabulary,
                                class_embed_path=_base_.embed_dir + 'coco_panoptic_ov.pth',
                                prompt_encoder=dict(type='PromptEncoder')))
test_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False), dataset=_base_.coco_interactive_val)
test_evaluator = _base_.coco_interactive_evaluator
