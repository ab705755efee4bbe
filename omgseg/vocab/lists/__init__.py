"""Class lists as plain data (no imports): ``coco_ov`` (COCO panoptic with open-vocabulary
synonyms), ``image`` (Cityscapes, ADE20K), ``video`` (VIPSeg, YouTube-VIS) and ``toy`` (the
synthetic toy world)."""
