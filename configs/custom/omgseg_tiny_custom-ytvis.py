# Train on your own videos in YouTube-VIS format (video instance segmentation; things only),
# the tiny toy model (docs/custom_dataset.md). Convert the official-layout json once:
#   python tools/dataset_converters/youtube_vis.py --root data/my_videos --version custom
# (writes annotations/youtube_vis_custom_{train,valid}.json; the valid json keeps no
# annotations, so AP is computed against valid/instances.json, which must then hold them).
#   python tools/analysis_tools/check_dataset.py configs/custom/omgseg_tiny_custom-ytvis.py
#   python tools/gen_class_embeddings.py configs/custom/omgseg_tiny_custom-ytvis.py
#   python tools/train.py configs/custom/omgseg_tiny_custom-ytvis.py --check-data
# -- edit these: your dataset ----------------------------------------------------------------
custom_root = 'data/my_videos/'
custom_train = dict(ann_file='annotations/youtube_vis_custom_train.json',
                    data_prefix=dict(img='train/JPEGImages/'))
custom_val = dict(ann_file='annotations/youtube_vis_custom_valid.json',
                  data_prefix=dict(img='valid/JPEGImages/'))
custom_val_gt = custom_root + 'valid/instances.json'  # official layout, with annotations
custom_embed_path = custom_root + 'class_embeddings/tiny_clip.pth'
# -----------------------------------------------------------------------------------------
_base_ = ['../toy/omgseg_tiny_toy-coco-panoptic.py', '../_base_/datasets/toy_video.py']
# the official-layout json keeps the categories' synonyms
custom_vocabulary = dict(from_annotations=custom_root + 'train/instances.json')
vocabulary = custom_vocabulary  # what tools/gen_class_embeddings.py embeds

model = dict(
    panoptic_head=dict(vocabulary=dict(custom_vocabulary, _delete_=True),
                       class_embed_path=custom_embed_path),
    test_cfg=dict(objects=dict(panoptic_on=False, semantic_on=False, instance_masks='rle'),
                  clips=dict(clip_size=5, clip_size_small=3, small_clip_thr=15)))
# training clips: 2 frames, 2 apart (ClipSample in the pipeline); shorter videos are skipped
custom_ytvis_train = dict(_base_.toy_ytvis_train, data_root=custom_root,
                          vocabulary=custom_vocabulary, **custom_train)
custom_ytvis_val = dict(_base_.toy_ytvis_val, data_root=custom_root,
                        vocabulary=custom_vocabulary, **custom_val)
train_dataloader = dict(batch_size=4, dataset=dict(custom_ytvis_train, _delete_=True))
val_dataloader = dict(batch_size=1, dataset=dict(custom_ytvis_val, _delete_=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='YouTubeVISAPMetric', ann_file=custom_val_gt,
                      outfile_prefix='work_dirs/custom_ytvis_results')]
test_evaluator = val_evaluator
