"""COCO-panoptic-format image datasets (COCO, and anything written in its layout)."""
from __future__ import annotations

import json
import os.path as osp

from mmengine.logging import print_log

from omgseg.registry import DATASETS
from omgseg.structures import TASK_PANOPTIC

from .base import VocabularyDataset, match_category


def panoptic_category_label(cat: dict, metainfo: dict) -> tuple[int | None, str | None]:
    """``(label, None)`` of a json category in a dataset's vocabulary, or ``(None, why not)``.

    A vocabulary with json ids (``cat_ids``: coco_panoptic_ov's synonym names, which lack
    COCO's own names such as 'door-stuff', or one read ``from_annotations``) maps by id,
    otherwise by name or shared synonym; the json's ``isthing`` must agree with the label.
    """
    num_things = len(metainfo['thing_classes'])
    vocab_ids = {int(c): i for i, c in enumerate(metainfo.get('cat_ids') or ())}
    if vocab_ids:
        label = vocab_ids.get(int(cat['id']))
        if label is None:
            return None, (f'category {cat["name"]!r} has id {cat["id"]}, which vocabulary '
                          f'{metainfo["vocabulary"]!r} does not list in its cat_ids; is this '
                          f'the right annotation file?')
    else:
        label = match_category(cat['name'], metainfo['classes'])
        if label is None:
            return None, (f'category {cat["name"]!r} (id {cat["id"]}) is not in vocabulary '
                          f'{metainfo["vocabulary"]!r}.')
    if bool(cat.get('isthing', 1)) != (label < num_things):
        return None, (f'category {cat["name"]!r} is '
                      f'{"a thing" if cat.get("isthing", 1) else "stuff"} in the json but not '
                      f'in the vocabulary.')
    return label, None


def read_coco_json(ann_file: str, kind: str) -> dict:
    """A COCO json with ``images``, ``annotations`` and ``categories`` (``kind``: 'panoptic' or
    'instances', for the error message)."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(
            f'annotation file {ann_file} does not exist; see data/README.md (or '
            f'docs/custom_dataset.md) for the expected layout and the converter that writes it.')
    with open(ann_file) as f:
        coco = json.load(f)
    for key in ('images', 'annotations', 'categories'):
        if key not in coco:
            raise ValueError(f'{ann_file} has no "{key}" list; is it a COCO *{kind}* json?')
    return coco


def coco_category_labels(dataset, categories: list[dict]) -> dict[int, int]:
    """json category id -> label of every category (an error names the first that is not in
    the dataset's vocabulary); stored as the dataset's ``cat2label`` / ``label2cat``."""
    cat2label = {}
    for cat in categories:
        label, error = panoptic_category_label(cat, dataset.metainfo)
        if error:
            raise ValueError(f'{dataset.ann_file}: {error}')
        cat2label[cat['id']] = label
    dataset._metainfo['cat2label'] = cat2label
    dataset._metainfo['label2cat'] = {v: k for k, v in cat2label.items()}
    return cat2label


@DATASETS.register_module()
class OMGCocoPanopticDataset(VocabularyDataset):
    """Images with COCO panoptic annotations (PNG + JSON); each sample is a 1-frame clip.

    Args:
        ann_file: panoptic json (``annotations/panoptic_val2017.json``).
        data_root: prefix of relative paths.
        data_prefix: ``img`` folder and ``seg`` folder of panoptic PNGs.
        vocabulary: name in ``omgseg.vocab`` or a dict of thing/stuff classes;
            json categories are mapped to its labels by name (things first).
        task: stamped on every sample (the model routes on it).
        filter_cfg: ``filter_empty_gt`` drops images without segments (training).
        Other arguments as mmengine's ``BaseDataset``.
    """

    def __init__(self, *, ann_file: str, vocabulary: str | dict,
                 data_prefix: dict | None = None, task: str = TASK_PANOPTIC,
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file, vocabulary=vocabulary, task=task,
                         data_prefix=data_prefix, default_prefix=dict(img='', seg=''), **kwargs)

    def load_data_list(self) -> list[dict]:
        coco = read_coco_json(self.ann_file, 'panoptic')
        num_things = len(self.metainfo['thing_classes'])
        cat2label = coco_category_labels(self, coco['categories'])
        anns = {a['image_id']: a for a in coco['annotations']}
        data_list, missing = [], 0
        for img in coco['images']:
            ann = anns.get(img['id'])
            if ann is None:
                missing += 1
                continue
            segments = []
            for seg in ann['segments_info']:
                if seg['category_id'] not in cat2label:
                    raise ValueError(f'{self.ann_file}: image {img["id"]} has a segment of '
                                     f'unknown category id {seg["category_id"]}.')
                label = cat2label[seg['category_id']]
                segments.append(dict(id=seg['id'], category=label,
                                     is_thing=label < num_things,
                                     iscrowd=bool(seg.get('iscrowd', 0))))
            data_list.append(dict(
                img_id=img['id'], img_path=osp.join(self.data_prefix['img'], img['file_name']),
                seg_map_path=osp.join(self.data_prefix['seg'], ann['file_name']),
                height=img['height'], width=img['width'], segments_info=segments,
                task=self.task))
        if missing:
            print_log(f'{self.ann_file}: skipped {missing} image(s) without a panoptic '
                      f'annotation entry.', logger='current', level=30)
        return data_list

    def filter_data(self) -> list[dict]:
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return self.data_list
        kept = [d for d in self.data_list
                if any(not s['iscrowd'] for s in d['segments_info'])]
        if len(kept) < len(self.data_list):
            print_log(f'{self.ann_file}: {len(self.data_list) - len(kept)} image(s) without '
                      f'annotated segments are not used for training.', logger='current')
        return kept
