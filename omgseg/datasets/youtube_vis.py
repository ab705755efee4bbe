"""YouTube-VIS videos in the COCO-video json layout written by our converter."""
from __future__ import annotations

import json
import os.path as osp
from collections import defaultdict

from mmengine.logging import print_log

from omgseg.registry import DATASETS
from omgseg.structures import TASK_INSTANCE

from .base import VocabularyDataset, match_category


def track_category_label(cat: dict, metainfo: dict) -> tuple[int | None, str | None]:
    """``(label, None)`` of a YouTube-VIS json category (by name or shared synonym; it must be
    a thing of the vocabulary), or ``(None, why not)``."""
    label = match_category(cat['name'], metainfo['classes'])
    if label is None:
        return None, (f'category {cat["name"]!r} (id {cat["id"]}) is not in vocabulary '
                      f'{metainfo["vocabulary"]!r}.')
    if label >= len(metainfo['thing_classes']):
        return None, (f'category {cat["name"]!r} is a stuff class of the vocabulary; '
                      f'YouTube-VIS categories are things.')
    return label, None


@DATASETS.register_module()
class OMGYouTubeVISDataset(VocabularyDataset):
    """Video instance segmentation (YouTube-VIS 2019/2021); one sample per video.

    The json (``tools/dataset_converters/youtube_vis.py`` writes it) has ``videos``,
    ``images`` (one per frame, ``video_id``, ``frame_id``, ``file_name`` =
    ``<video>/<frame>.jpg``), ``annotations`` (one per instance per frame, ``instance_id``,
    ``category_id``, ``segmentation`` as RLE or polygons, ``bbox`` xywh, ``iscrowd``) and
    ``categories``. The valid split has no annotations.

    Each ``data_list`` entry: ``dict(video_id, video_name, video_length, task, images=[per
    frame dict(img_path, img_id, frame_id, height, width, instances=[dict(mask, bbox (xyxy),
    bbox_label, instance_id, ignore_flag)])])``, frames sorted by ``frame_id``.

    Args:
        ann_file: COCO-video json (``annotations/youtube_vis_2019_train.json``).
        vocabulary: name in ``omgseg.vocab`` or a dict; json categories are mapped
            to its thing labels by name.
        data_prefix: ``img`` folder holding ``<video>/<frame>.jpg``.
        task: stamped on every sample (the model routes on it).
        filter_cfg: ``filter_empty_gt`` drops videos without any annotated instance (training).
        Other arguments as mmengine's ``BaseDataset``.
    """

    def __init__(self, *, ann_file: str, vocabulary: str | dict = 'youtube_vis_2019',
                 data_prefix: dict | None = None, task: str = TASK_INSTANCE,
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file, vocabulary=vocabulary, task=task,
                         data_prefix=data_prefix, default_prefix=dict(img=''), **kwargs)

    def _read_json(self) -> dict:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'annotation file {self.ann_file} does not exist; write it with '
                f'tools/dataset_converters/youtube_vis.py (see data/README.md).')
        with open(self.ann_file) as f:
            data = json.load(f)
        if 'images' not in data and any('file_names' in v for v in data.get('videos', [])):
            raise ValueError(f'{self.ann_file} is an original YouTube-VIS json (videos with '
                             f'file_names); convert it with '
                             f'tools/dataset_converters/youtube_vis.py first.')
        for key in ('videos', 'images', 'categories'):
            if key not in data:
                raise ValueError(f'{self.ann_file} has no "{key}" list; is it a COCO-video '
                                 f'json written by tools/dataset_converters/youtube_vis.py?')
        return data

    def _category_labels(self, categories: list[dict]) -> dict[int, int]:
        cat2label = {}
        for cat in categories:
            label, error = track_category_label(cat, self.metainfo)
            if error:
                raise ValueError(f'{self.ann_file}: {error}')
            cat2label[cat['id']] = label
        return cat2label

    def load_data_list(self) -> list[dict]:
        data = self._read_json()
        cat2label = self._category_labels(data['categories'])
        label2cat = {v: k for k, v in cat2label.items()}
        vocab_ids = self.metainfo.get('cat_ids')
        self._metainfo['cat2label'] = cat2label
        self._metainfo['label2cat'] = label2cat
        # label -> json category id; labels the json lacks keep the vocabulary's id (or -1)
        self._metainfo['cat_ids'] = tuple(
            label2cat.get(i, vocab_ids[i] if vocab_ids else -1)
            for i in range(len(self.metainfo['classes'])))

        videos = {v['id']: v for v in data['videos']}
        frames_of: dict[int, list[dict]] = defaultdict(list)
        for img in data['images']:
            if img['video_id'] not in videos:
                raise ValueError(f'{self.ann_file}: image {img["id"]} ({img["file_name"]}) names '
                                 f'video_id {img["video_id"]}, which is not in "videos".')
            frames_of[img['video_id']].append(img)
        anns_of: dict[int, list[dict]] = defaultdict(list)
        for ann in data.get('annotations', []):
            anns_of[ann['image_id']].append(ann)

        data_list = []
        for vid, video in videos.items():
            frames = sorted(frames_of.get(vid, []), key=lambda im: im['frame_id'])
            if not frames:
                print_log(f'{self.ann_file}: video {video["name"]!r} has no frames; skipped.',
                          logger='current', level=30)
                continue
            label_of: dict[int, tuple[int, int]] = {}
            images = []
            for img in frames:
                instances = []
                for ann in anns_of.get(img['id'], []):
                    instances.append(self._instance(ann, cat2label, label_of, video, img))
                images.append(dict(
                    img_path=osp.join(self.data_prefix['img'], img['file_name']),
                    img_id=img['id'], frame_id=img['frame_id'], height=img['height'],
                    width=img['width'], instances=instances))
            data_list.append(dict(video_id=vid, video_name=video['name'],
                                  video_length=len(images), images=images, task=self.task))
        return data_list

    def _instance(self, ann: dict, cat2label: dict[int, int],
                  label_of: dict[int, tuple[int, int]], video: dict, img: dict) -> dict:
        if ann['category_id'] not in cat2label:
            raise ValueError(f'{self.ann_file}: annotation {ann["id"]} has unknown category id '
                             f'{ann["category_id"]}.')
        label = cat2label[ann['category_id']]
        iid = ann['instance_id']
        first = label_of.setdefault(iid, (label, img['frame_id']))
        if first[0] != label:
            names = self.metainfo['classes']
            raise ValueError(
                f'{self.ann_file}: video {video["name"]!r} (id {video["id"]}): instance '
                f'{iid} is {names[first[0]]!r} at frame {first[1]} but {names[label]!r} at '
                f'frame {img["frame_id"]}; an instance must keep one category.')
        x, y, w, h = ann['bbox']
        return dict(mask=ann['segmentation'], bbox=[x, y, x + w, y + h], bbox_label=label,
                    instance_id=iid, ignore_flag=int(bool(ann.get('iscrowd', 0))))

    def filter_data(self) -> list[dict]:
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return self.data_list
        kept = [v for v in self.data_list
                if any(not inst['ignore_flag'] for im in v['images'] for inst in im['instances'])]
        if len(kept) < len(self.data_list):
            print_log(f'{self.ann_file}: {len(self.data_list) - len(kept)} video(s) without '
                      f'annotated instances are not used for training.', logger='current')
        return kept
