"""DAVIS 2017 semi-supervised video object segmentation; one sample per sequence."""
from __future__ import annotations

import os
import os.path as osp

from PIL import Image

from omgseg.registry import DATASETS
from omgseg.structures import TASK_VOS

from .base import VocabularyDataset
from .davis_format import DAVIS_VOID, mask_object_ids, read_davis_mask

_IMG_EXTS = ('.jpg', '.jpeg', '.png')


def _stems(folder: str, exts: tuple[str, ...]) -> dict[str, str]:
    """stem -> file name of the files in ``folder`` with one of ``exts``."""
    return {osp.splitext(n)[0]: n for n in os.listdir(folder)
            if n.lower().endswith(exts) and not n.startswith('.')}


@DATASETS.register_module()
class OMGDAVISDataset(VocabularyDataset):
    """DAVIS 2017: ``JPEGImages/480p/<seq>/00000.jpg`` + ``Annotations/480p/<seq>/00000.png``.

    Sequences are those listed in ``ann_file`` (``ImageSets/2017/val.txt``). Annotations are
    indexed PNGs (0 background, k = object k, 255 void); the objects to segment are those of
    the first frame, whose annotation must exist. Later frames may lack an annotation (as in
    test-dev); their ``seg_map_path`` is None.

    Each ``data_list`` entry: ``dict(video_id, video_name, video_length, task, num_objects
    (largest object index of the first frame, as davis2017-evaluation counts them),
    object_ids (the indices present in the first frame), images=[per frame dict(img_path,
    img_id, seg_map_path (or None), frame_id, height, width)])``, frames in file-name order.

    Args:
        ann_file: the split's sequence list (``ImageSets/2017/val.txt``).
        vocabulary: default ``'davis'`` (one class-agnostic thing class, ``'object'``).
        data_prefix: ``img`` and ``seg`` folders (``JPEGImages/480p/``, ``Annotations/480p/``;
            use ``Full-Resolution`` for the full-size release).
        task: stamped on every sample (default ``'vos'``).
        Other arguments as mmengine's ``BaseDataset``.
    """

    def __init__(self, *, ann_file: str = 'ImageSets/2017/val.txt',
                 vocabulary: str | dict = 'davis', data_prefix: dict | None = None,
                 task: str = TASK_VOS, **kwargs) -> None:
        super().__init__(ann_file=ann_file, vocabulary=vocabulary, task=task,
                         data_prefix=data_prefix,
                         default_prefix=dict(img='JPEGImages/480p/', seg='Annotations/480p/'),
                         **kwargs)

    def _sequences(self) -> list[str]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'DAVIS sequence list {self.ann_file} does not exist; the '
                                    f'DAVIS 2017 release has ImageSets/2017/train.txt and '
                                    f'val.txt next to JPEGImages/ and Annotations/.')
        with open(self.ann_file) as f:
            return [line.strip() for line in f if line.strip()]

    def _frames(self, seq: str) -> list[tuple[str, str | None]]:
        """(image path, annotation path or None) per frame, in file-name order."""
        img_dir = osp.join(self.data_prefix['img'], seq)
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'sequence {seq!r} is listed in {self.ann_file} but its frame '
                                    f'folder {img_dir} does not exist.')
        imgs = _stems(img_dir, _IMG_EXTS)
        if not imgs:
            raise FileNotFoundError(f'sequence {seq!r} (listed in {self.ann_file}) has no frames '
                                    f'in {img_dir}.')
        seg_dir = osp.join(self.data_prefix['seg'], seq)
        masks = _stems(seg_dir, ('.png',)) if osp.isdir(seg_dir) else {}
        orphans = sorted(set(masks) - set(imgs))
        if orphans:
            raise FileNotFoundError(
                f'annotation {osp.join(seg_dir, masks[orphans[0]])} has no frame '
                f'{osp.join(img_dir, orphans[0] + ".jpg")}; frames and annotations of a '
                f'sequence must share file names.')
        stems = sorted(imgs)
        if stems[0] not in masks:
            raise FileNotFoundError(
                f'sequence {seq!r} has no first-frame annotation '
                f'{osp.join(seg_dir, stems[0] + ".png")}; semi-supervised VOS needs the '
                f'first frame\'s object masks (frame {osp.join(img_dir, imgs[stems[0]])}).')
        return [(osp.join(img_dir, imgs[s]),
                 osp.join(seg_dir, masks[s]) if s in masks else None) for s in stems]

    def load_data_list(self) -> list[dict]:
        data_list, img_id = [], 0
        for vid, seq in enumerate(self._sequences()):
            frames = self._frames(seq)
            first_img, first_seg = frames[0]
            first = read_davis_mask(first_seg)
            object_ids = mask_object_ids(first)
            if not object_ids:
                raise ValueError(f'first-frame annotation {first_seg} of sequence {seq!r} has no '
                                 f'object (only 0 / {DAVIS_VOID}); semi-supervised VOS needs at '
                                 f'least one.')
            height, width = first.shape
            # header only: DAVIS frames of one sequence share one size
            with Image.open(first_img) as im:
                img_w, img_h = im.size
            if (img_h, img_w) != (height, width):
                raise ValueError(f'first-frame annotation {first_seg} is {width}x{height} (WxH) '
                                 f'but its frame {first_img} is {img_w}x{img_h}; use the '
                                 f'annotations of the same resolution (480p / '
                                 f'Full-Resolution) as the frames.')
            images = []
            for fid, (img_path, seg_path) in enumerate(frames):
                images.append(dict(img_path=img_path, img_id=img_id, seg_map_path=seg_path,
                                   frame_id=fid, height=height, width=width))
                img_id += 1
            data_list.append(dict(video_id=vid, video_name=seq, video_length=len(images),
                                  num_objects=max(object_ids), object_ids=object_ids,
                                  images=images, task=self.task))
        return data_list


__all__ = ['OMGDAVISDataset']
