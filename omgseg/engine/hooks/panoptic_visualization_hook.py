"""Write panoptic overlays of test predictions (``tools/test.py --show-dir``)."""
from __future__ import annotations

import os
import os.path as osp

import mmcv
from mmengine.hooks import Hook

from omgseg.evaluation.metrics.gt_reader import frames_of
from omgseg.registry import HOOKS
from omgseg.visualization import draw_panoptic


@HOOKS.register_module()
class PanopticVisualizationHook(Hook):
    """Save ``<show_dir>/<image stem>.png``: the image with its predicted panoptic segments.

    Args:
        show_dir: output folder (created on first use).
        interval: draw every ``interval``-th test iteration.
    """

    def __init__(self, *, show_dir: str, interval: int = 1) -> None:
        self.show_dir = show_dir
        self.interval = interval

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if outputs is None or batch_idx % self.interval:
            return
        os.makedirs(self.show_dir, exist_ok=True)
        class_names = list(runner.test_dataloader.dataset.metainfo['classes'])
        for sample in outputs:
            for frame in frames_of(sample):
                if 'pred_panoptic_seg' not in frame:
                    continue
                path = frame.metainfo['img_path']
                image = mmcv.imread(path, channel_order='rgb')
                pred = frame.pred_panoptic_seg
                drawn = draw_panoptic(image, pred.sem_seg[0].cpu().numpy(),
                                      pred.metainfo['segments_info'], class_names)
                stem = osp.splitext(osp.basename(path))[0]
                if 'frame_id' in frame.metainfo and len(frames_of(sample)) > 1:
                    stem = f'{stem}_{frame.metainfo["frame_id"]:05d}'
                mmcv.imwrite(drawn[..., ::-1], osp.join(self.show_dir, stem + '.png'))
