# Train on your own videos in the VIPSeg layout (video panoptic segmentation), the tiny toy
# model (docs/custom_dataset.md): imgs/<video>/<frame>.jpg, panomasks/<video>/<frame>.png
# (16-bit: stuff = raw class + 1, things = (raw class + 1) * 100 + instance), train.txt /
# val.txt, and a categories json (VIPSeg's panoVIPSeg_categories.json: id = raw class, name,
# isthing, optional synonyms) that the vocabulary is read from.
#   python tools/analysis_tools/check_dataset.py configs/custom/omgseg_tiny_custom-vipseg.py
#   python tools/gen_class_embeddings.py configs/custom/omgseg_tiny_custom-vipseg.py
#   python tools/train.py configs/custom/omgseg_tiny_custom-vipseg.py --check-data
# -- edit these: your dataset ----------------------------------------------------------------
custom_root = 'data/my_vipseg/'
custom_categories = custom_root + 'panoVIPSeg_categories.json'
custom_train = dict(ann_file='train.txt', data_prefix=dict(img='imgs/', seg='panomasks/'))
custom_val = dict(ann_file='val.txt', data_prefix=dict(img='imgs/', seg='panomasks/'))
custom_embed_path = custom_root + 'class_embeddings/tiny_clip.pth'
# -----------------------------------------------------------------------------------------
_base_ = ['../toy/omgseg_tiny_toy-coco-panoptic.py', '../_base_/datasets/toy_video.py']
custom_vocabulary = dict(from_annotations=custom_categories)
vocabulary = custom_vocabulary  # what tools/gen_class_embeddings.py embeds

model = dict(
    panoptic_head=dict(vocabulary=dict(custom_vocabulary, _delete_=True),
                       class_embed_path=custom_embed_path),
    test_cfg=dict(objects=dict(instance_on=False),
                  clips=dict(clip_size=2, clip_size_small=3, small_clip_thr=15)))
custom_vipseg_train = dict(_base_.toy_vipseg_train, data_root=custom_root,
                           vocabulary=custom_vocabulary, **custom_train)
custom_vipseg_val = dict(_base_.toy_vipseg_val, data_root=custom_root,
                         vocabulary=custom_vocabulary, **custom_val)
train_dataloader = dict(batch_size=4, dataset=dict(custom_vipseg_train, _delete_=True))
val_dataloader = dict(batch_size=1, dataset=dict(custom_vipseg_val, _delete_=True))
test_dataloader = val_dataloader
# VPQ (windows 1, 2, 4, 6, 8) and video semantic mIoU
val_evaluator = [dict(type='VideoPanopticMetric', vss=True)]
test_evaluator = val_evaluator
