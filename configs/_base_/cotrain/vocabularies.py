# The co-training vocabularies, as merges of the datasets' named vocabularies (things merge with
# things, stuff with stuff, by shared synonym; omgseg/vocab/merge.py). Never typed:
# the class lists and counts follow from the names. One place, so the recipes, their class
# embeddings and the open-vocabulary evaluations (test_cfg.open_vocab.train_vocabulary) agree.
#   open-vocabulary recipe:            136 things / 101 stuff
#   + YouTube-VIS 2021:                139 / 101 (= OMG-Seg's demo vocabulary th139_st101)
#   closed-set recipe (ADE20K added):  196 / 124 in OMG-Seg (see the closed-set recipe's note)
cotrain_ov_vocabulary = dict(
    merge=['coco_panoptic_ov', 'youtube_vis_2019', 'vipseg', 'cityscapes_panoptic'])
cotrain_ov_yt21_vocabulary = dict(
    merge=['coco_panoptic_ov', 'youtube_vis_2019', 'youtube_vis_2021', 'vipseg',
           'cityscapes_panoptic'])
cotrain_closed_vocabulary = dict(
    merge=['coco_panoptic_ov', 'ade20k_panoptic', 'youtube_vis_2019', 'youtube_vis_2021',
           'vipseg', 'cityscapes_panoptic'])
# text embeddings of the frozen ConvNeXt-L CLIP, one file per vocabulary
embed_dir = 'data/class_embeddings/convnext_large_d_320/'
