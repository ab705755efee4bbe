# Co-train your COCO-panoptic dataset (omgseg_tiny_custom-coco-panoptic.py: edit the paths
# there) with toy COCO, in the merged vocabulary of the two (classes sharing a synonym become
# one; things with things, stuff with stuff). One model, batches of one dataset each; the
# evaluation scores each dataset in its own vocabulary (docs/custom_dataset.md).
#   python tools/gen_class_embeddings.py configs/custom/omgseg_tiny_custom-cotrain.py
#   python tools/gen_class_embeddings.py configs/custom/omgseg_tiny_custom-cotrain.py --entry custom
#   python tools/gen_class_embeddings.py configs/custom/omgseg_tiny_custom-cotrain.py --entry toy_coco
#   python tools/train.py configs/custom/omgseg_tiny_custom-cotrain.py --check-data
_base_ = ['./omgseg_tiny_custom-coco-panoptic.py']
cotrain_embed_dir = _base_.custom_root + 'class_embeddings/'
vocabulary = dict(merge=[_base_.custom_vocabulary, 'toy'])

model = dict(panoptic_head=dict(vocabulary=dict(vocabulary, _delete_=True),
                                class_embed_path=cotrain_embed_dir + 'cotrain_toy.pth'))
train_dataloader = dict(
    batch_sampler=dict(type='TaskBatchSampler', group_by='dataset'),
    sampler=dict(_delete_=True, type='DatasetRatioSampler', ratios=[0.5, 0.5]),
    dataset=dict(_delete_=True, type='JointDataset', vocabulary=vocabulary,
                 names=['custom', 'toy_coco'],
                 datasets=[_base_.custom_panoptic_train, _base_.toy_panoptic_train]))
# each dataset in its own vocabulary: the runner's val set (custom) and toy COCO
val_cfg = dict(
    type='MultiDatasetValLoop', name='custom', vocabulary=_base_.custom_vocabulary,
    class_embed_path=_base_.custom_embed_path,
    extra=[dict(name='toy_coco', vocabulary='toy',
                class_embed_path=cotrain_embed_dir + 'toy.pth',
                dataloader=dict(batch_size=4, num_workers=1, persistent_workers=False,
                                drop_last=False,
                                sampler=dict(type='DefaultSampler', shuffle=False),
                                dataset=_base_.toy_panoptic_val),
                evaluator=[dict(type='PanopticQualityMetric')])])
test_cfg = dict(val_cfg, type='MultiDatasetTestLoop')
