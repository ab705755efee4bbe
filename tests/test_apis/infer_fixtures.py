"""Shared fixtures of the inferencer tests: a toy model with a prompt encoder saved to disk, a
toy MP4, its frames as a folder, an image and a first-frame DAVIS mask."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from omgseg.registry import MODELS
from omgseg.visualization import VideoWriter
from tests.conftest import toy_cfg

NUM_FRAMES = 5
FPS = 7.0


@pytest.fixture(scope='session')
def infer_assets(toy_root, tmp_path_factory):
    """dict(config, checkpoint, video, frames, image, mask, scene_ids) of a toy model (random
    decoder, short clips so a 5-frame video spans several clips) and a toy video."""
    from omgseg.datasets.davis_format import save_davis_png
    from omgseg.datasets.toy.video import iter_video_frames, make_video_scene

    tmp = tmp_path_factory.mktemp('infer')
    cfg = toy_cfg(toy_root, **{'model.panoptic_head.prompt_encoder': dict(type='PromptEncoder')})
    cfg.model.test_cfg = dict(clips=dict(clip_size=2, clip_size_small=2, small_clip_thr=3))
    cfg_path = tmp / 'toy_infer.py'
    cfg.dump(str(cfg_path))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = MODELS.build(cfg.model)
        model.init_weights()
    ckpt = tmp / 'model.pth'
    torch.save({'state_dict': model.state_dict()}, str(ckpt))
    scene = make_video_scene(0, 'val', 3, height=72, width=96, num_frames=NUM_FRAMES)
    frames = tmp / 'frames'
    frames.mkdir()
    video = tmp / 'clip.mp4'
    first_ids = first_things = None
    with VideoWriter(video, fps=FPS) as writer:
        for t, (image, ids, segs) in enumerate(iter_video_frames(scene, NUM_FRAMES)):
            writer.write(image)
            cv2.imwrite(str(frames / f'f{t}.png'), image[..., ::-1])
            if first_ids is None:
                first_ids, first_things = ids, [s['id'] for s in segs if s['isthing']]
    mask = np.zeros(first_ids.shape, np.uint8)
    for k, oid in enumerate(first_things[:2]):
        mask[first_ids == oid] = k + 1
    save_davis_png(mask, tmp / 'first.png')
    return dict(config=str(cfg_path), checkpoint=str(ckpt), video=str(video),
                frames=str(frames), image=str(frames / 'f0.png'), mask=str(tmp / 'first.png'),
                tmp=tmp)
