"""VIPSeg (official 720p release) video panoptic dataset; one sample per video."""
from __future__ import annotations

import hashlib
import os
import os.path as osp

from PIL import Image
from mmengine.logging import print_log

from omgseg.datasets.base import VocabularyDataset
from omgseg.datasets.vipseg_cache import CACHE_DIRNAME, load_or_build
from omgseg.datasets.vipseg_format import classify_value, label_lookup
from omgseg.registry import DATASETS
from omgseg.structures import TASK_PANOPTIC
from omgseg.vocab import vocabulary_from

IMG_EXTS = ('.jpg', '.jpeg', '.png')


def _listdir(folder: str, exts: tuple[str, ...]) -> dict[str, str]:
    """stem -> file name of the files in ``folder`` with one of ``exts``."""
    return {osp.splitext(n)[0]: n for n in os.listdir(folder)
            if n.lower().endswith(exts) and not n.startswith('.')}


@DATASETS.register_module()
class OMGVIPSegDataset(VocabularyDataset):
    """VIPSeg videos: ``imgs/<video>/<frame>.jpg`` + ``panomasks/<video>/<frame>.png``.

    Videos are those listed in ``ann_file`` (``train.txt`` / ``val.txt`` / ``test.txt``). The
    segments of every frame come from a cache under ``<data_root>/.omgseg_cache/`` (built once
    with ``nproc`` processes, rebuilt when a panomask file changes; see
    ``omgseg.datasets.vipseg_cache``).

    Each ``data_list`` entry: ``dict(video_id, video_name, video_length, task, images=[per
    frame dict(img_path, img_id, seg_map_path, frame_id, height, width, segments=[dict(id
    (panomask value, stable across frames), label, area, bbox (xyxy), is_thing, iscrowd)])])``.
    A thing-class region stored with a stuff value (no instance id) is a crowd segment.

    Args:
        ann_file: the split's video list (``train.txt``).
        vocabulary: default ``'vipseg'``; a dict needs ``raw_class_ids`` (label -> raw VIPSeg
            class); raw classes it lacks become void.
        data_prefix: ``img`` and ``seg`` folders (``imgs/``, ``panomasks/``).
        task: stamped on every sample.
        nproc: processes used to build the segment cache.
        cache_dir: default ``<data_root>/.omgseg_cache``.
        with_masks: False for splits without panomasks (frames only, no cache).
        filter_cfg: ``filter_empty_gt`` drops videos without segments (training).
    """

    def __init__(self, *, ann_file: str, vocabulary: str | dict = 'vipseg',
                 data_prefix: dict | None = None, task: str = TASK_PANOPTIC, nproc: int = 8,
                 cache_dir: str | None = None, with_masks: bool = True, **kwargs) -> None:
        if 'raw_class_ids' not in vocabulary_from(vocabulary):
            raise ValueError(f'vocabulary {vocabulary!r} has no raw_class_ids (label -> VIPSeg '
                             f'raw class); use "vipseg" or add them to the vocabulary.')
        self.nproc = nproc
        self.with_masks = with_masks
        self._cache_dir = cache_dir
        super().__init__(ann_file=ann_file, vocabulary=vocabulary, task=task,
                         data_prefix=data_prefix,
                         default_prefix=dict(img='imgs/', seg='panomasks/'), **kwargs)

    def _videos(self) -> list[str]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'VIPSeg split file {self.ann_file} does not exist; the '
                                    f'official release has train.txt / val.txt / test.txt '
                                    f'next to imgs/ and panomasks/.')
        with open(self.ann_file) as f:
            return [line.strip() for line in f if line.strip()]

    def _frames(self, video: str) -> list[tuple[str, str | None]]:
        """(image file, panomask file or None) per frame, in frame order."""
        img_dir = osp.join(self.data_prefix['img'], video)
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'video {video!r} is listed in {self.ann_file} but its frame '
                                    f'folder {img_dir} does not exist.')
        imgs = _listdir(img_dir, IMG_EXTS)
        if not self.with_masks:
            return [(imgs[s], None) for s in sorted(imgs)]
        seg_dir = osp.join(self.data_prefix['seg'], video)
        if not osp.isdir(seg_dir):
            raise FileNotFoundError(f'video {video!r} is listed in {self.ann_file} but its '
                                    f'panomask folder {seg_dir} does not exist.')
        masks = _listdir(seg_dir, ('.png',))
        for stem in sorted(set(imgs) ^ set(masks)):
            if stem in imgs:
                raise FileNotFoundError(
                    f'frame {osp.join(img_dir, imgs[stem])} has no panomask '
                    f'{osp.join(seg_dir, stem + ".png")}.')
            raise FileNotFoundError(
                f'panomask {osp.join(seg_dir, masks[stem])} has no frame '
                f'{osp.join(img_dir, stem + ".jpg")}.')
        return [(imgs[s], masks[s]) for s in sorted(imgs)]

    def _cache_path(self) -> str:
        root = self._cache_dir or osp.join(self.data_root or osp.dirname(self.ann_file),
                                           CACHE_DIRNAME)
        seg_key = hashlib.sha1(osp.abspath(self.data_prefix['seg']).encode()).hexdigest()[:8]
        stem = osp.splitext(osp.basename(self.ann_file))[0]
        return osp.join(root, f'vipseg_{stem}_{seg_key}.json')

    def _segments(self, entry: list, source: str) -> list[dict]:
        lookup = self._lookup
        num_things = len(self.metainfo['thing_classes'])
        segments = []
        for value, area, x1, y1, x2, y2 in entry[2]:
            kind = classify_value(value, lookup, num_things, source)
            if kind is None:
                continue
            label, instance_value = kind
            is_thing = label < num_things
            segments.append(dict(id=value, label=label, area=area, bbox=[x1, y1, x2, y2],
                                 is_thing=is_thing, iscrowd=is_thing and not instance_value))
        return segments

    def load_data_list(self) -> list[dict]:
        self._lookup = label_lookup(self.metainfo['raw_class_ids'])
        videos = self._videos()
        frames_of = {v: self._frames(v) for v in videos}
        index = {}
        if self.with_masks:
            rel = [f'{v}/{m}' for v in videos for _, m in frames_of[v]]
            index, _ = load_or_build(self._cache_path(), self.data_prefix['seg'], rel,
                                     nproc=self.nproc,
                                     log=lambda msg: print_log(msg, logger='current'))
        data_list, img_id = [], 0
        for vid, video in enumerate(videos):
            images = []
            for fid, (img, mask) in enumerate(frames_of[video]):
                frame = dict(img_path=osp.join(self.data_prefix['img'], video, img),
                             img_id=img_id, frame_id=fid)
                img_id += 1
                if mask is not None:
                    seg_path = osp.join(self.data_prefix['seg'], video, mask)
                    entry = index[f'{video}/{mask}']
                    frame.update(seg_map_path=seg_path, height=entry[0], width=entry[1],
                                 segments=self._segments(entry, seg_path))
                else:
                    # header read only; samplers group videos by frame size
                    with Image.open(frame['img_path']) as im:
                        frame.update(width=im.size[0], height=im.size[1])
                images.append(frame)
            data_list.append(dict(video_id=vid, video_name=video, video_length=len(images),
                                  images=images, task=self.task))
        return data_list

    def filter_data(self) -> list[dict]:
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return self.data_list
        kept = [v for v in self.data_list
                if any(s for im in v['images'] for s in im.get('segments', []))]
        if len(kept) < len(self.data_list):
            print_log(f'{self.ann_file}: {len(self.data_list) - len(kept)} video(s) without '
                      f'segments are not used for training.', logger='current')
        return kept
