"""Images with COCO *instances* annotations (things only): a user's detection-style dataset."""
from __future__ import annotations

import os.path as osp
from collections import defaultdict

from mmengine.logging import print_log

from omgseg.registry import DATASETS
from omgseg.structures import TASK_INSTANCE

from .base import VocabularyDataset
from .coco_panoptic import coco_category_labels, read_coco_json


@DATASETS.register_module()
class OMGCocoInstanceDataset(VocabularyDataset):
    """Images with a COCO instances json (polygons or RLE); each sample is a 1-frame clip.

    Each ``data_list`` entry: ``dict(img_id, img_path, height, width, task, instances=[dict(
    mask, bbox (xyxy), bbox_label, instance_id (the annotation id), ignore_flag (crowd))])``,
    the layout ``LoadTrackInstances`` decodes, so the pipeline is that of a video frame.

    Args:
        ann_file: instances json (``images``, ``annotations``, ``categories``).
        vocabulary: a spec of ``omgseg.vocab`` (e.g. ``dict(from_annotations=ann_file)``);
            every category must be one of its things.
        data_prefix: ``img`` folder.
        task: ``'instance'`` (things only; the default).
        filter_cfg: ``filter_empty_gt`` drops images without annotated instances (training).
        Other arguments as mmengine's ``BaseDataset``.
    """

    def __init__(self, *, ann_file: str, vocabulary: str | dict,
                 data_prefix: dict | None = None, task: str = TASK_INSTANCE, **kwargs) -> None:
        super().__init__(ann_file=ann_file, vocabulary=vocabulary, task=task,
                         data_prefix=data_prefix, default_prefix=dict(img=''), **kwargs)

    def load_data_list(self) -> list[dict]:
        coco = read_coco_json(self.ann_file, 'instances')
        cat2label = coco_category_labels(self, coco['categories'])
        anns_of = defaultdict(list)
        for ann in coco['annotations']:
            if ann['category_id'] not in cat2label:
                raise ValueError(f'{self.ann_file}: annotation {ann.get("id")} has unknown '
                                 f'category id {ann["category_id"]}.')
            x, y, w, h = ann['bbox']
            anns_of[ann['image_id']].append(dict(
                mask=ann['segmentation'], bbox=[x, y, x + w, y + h],
                bbox_label=cat2label[ann['category_id']], instance_id=int(ann['id']),
                ignore_flag=int(bool(ann.get('iscrowd', 0)))))
        return [dict(img_id=img['id'], img_path=osp.join(self.data_prefix['img'],
                                                         img['file_name']),
                     height=img['height'], width=img['width'], task=self.task,
                     instances=anns_of.get(img['id'], []))
                for img in coco['images']]

    def filter_data(self) -> list[dict]:
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return self.data_list
        kept = [d for d in self.data_list if any(not i['ignore_flag'] for i in d['instances'])]
        if len(kept) < len(self.data_list):
            print_log(f'{self.ann_file}: {len(self.data_list) - len(kept)} image(s) without '
                      f'annotated instances are not used for training.', logger='current')
        return kept
