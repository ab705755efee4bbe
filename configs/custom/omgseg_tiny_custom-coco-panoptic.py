# Train on your own images in COCO panoptic format (docs/custom_dataset.md): the tiny toy model
# (configs/toy/omgseg_tiny_toy-coco-panoptic.py) on your data; the classes are the categories
# of your training json (isthing flags, optional synonyms), never typed here.
#   python tools/analysis_tools/check_dataset.py configs/custom/omgseg_tiny_custom-coco-panoptic.py
#   python tools/gen_class_embeddings.py configs/custom/omgseg_tiny_custom-coco-panoptic.py
#   python tools/train.py configs/custom/omgseg_tiny_custom-coco-panoptic.py --check-data
# -- edit these: your dataset ----------------------------------------------------------------
custom_root = 'data/my_dataset/'
custom_train = dict(ann_file='annotations/panoptic_train.json',
                    data_prefix=dict(img='images/train/', seg='annotations/panoptic_train/'))
custom_val = dict(ann_file='annotations/panoptic_val.json',
                  data_prefix=dict(img='images/val/', seg='annotations/panoptic_val/'))
custom_embed_path = custom_root + 'class_embeddings/tiny_clip.pth'
# -----------------------------------------------------------------------------------------
_base_ = ['../toy/omgseg_tiny_toy-coco-panoptic.py']
custom_vocabulary = dict(from_annotations=custom_root + custom_train['ann_file'])
vocabulary = custom_vocabulary  # what tools/gen_class_embeddings.py embeds

model = dict(panoptic_head=dict(vocabulary=dict(custom_vocabulary, _delete_=True),
                                class_embed_path=custom_embed_path))
custom_panoptic_train = dict(_base_.toy_panoptic_train, data_root=custom_root,
                             vocabulary=custom_vocabulary, **custom_train)
custom_panoptic_val = dict(_base_.toy_panoptic_val, data_root=custom_root,
                           vocabulary=custom_vocabulary, **custom_val)
train_dataloader = dict(dataset=dict(custom_panoptic_train, _delete_=True))
val_dataloader = dict(dataset=dict(custom_panoptic_val, _delete_=True))
test_dataloader = val_dataloader
# PQ against your panoptic PNGs and mIoU against the semantic maps derived from them
val_evaluator = [dict(type='PanopticQualityMetric'), dict(type='SemanticIoUMetric')]
test_evaluator = val_evaluator
