"""Official dataset releases -> the formats the datasets read (numpy / Pillow only, no torch):
``cityscapes`` (gtFine -> COCO panoptic), ``ade20k_panoptic`` (ADEChallengeData2016 ->
COCO panoptic), ``youtube_vis`` (official json -> COCO-video); ``common`` holds what they
share (errors, worker pool, split writer). The command lines are
``tools/dataset_converters/*.py``.
"""
