"""Local YouTube-VIS AP: the holdout evaluation configs' dataset and metric, on toy videos
converted with ``--holdout`` (the converter's), report AP from the held-out ground truth."""
import json
from pathlib import Path

from mmengine.config import Config

from omgseg.datasets.converters import youtube_vis

ROOT = Path(__file__).resolve().parents[2]


def test_holdout_config_reports_local_ap(toy_root, tmp_path):
    data = tmp_path / 'ytvis'
    data.mkdir()
    (data / 'train').symlink_to(toy_root / 'youtube_vis' / 'train')
    out = youtube_vis.convert(data, 'toy', holdout=1, seed=0)
    holdout = Config.fromfile(str(ROOT / 'configs/omgseg/omgseg_convnext-l_youtube-vis-2019-'
                                         'holdout.py'))
    cfg = Config.fromfile(str(ROOT / 'configs/toy/omgseg_tiny_toy-ytvis.py'))
    # the holdout config's dataset and metric, re-rooted at the toy data (toy vocabulary and
    # input size)
    dataset = holdout.test_dataloader.dataset
    assert dataset.ann_file == 'annotations/youtube_vis_2019_holdout.json'
    assert holdout.test_evaluator[0].ann_file.endswith('youtube_vis_2019_holdout_gt.json')
    dataset.update(data_root=str(data) + '/', ann_file=str(out['holdout']), vocabulary='toy',
                   pipeline=cfg.test_dataloader.dataset.pipeline)
    cfg.test_dataloader.update(dataset=dataset, num_workers=0, persistent_workers=False)
    cfg.test_evaluator = [dict(holdout.test_evaluator[0], ann_file=str(out['holdout_gt']))]
    cfg.model.backbone.pretrained = str(toy_root / 'tiny_clip.pth')
    cfg.model.panoptic_head.class_embed_path = str(
        toy_root / 'class_embeddings' / 'tiny_clip_toy.pth')
    cfg.work_dir = str(tmp_path / 'work')
    from mmengine.runner import Runner
    metrics = Runner.from_cfg(cfg).test()
    for key in ('ytvis/AP', 'ytvis/AP50', 'ytvis/AR10'):
        assert 0.0 <= metrics[key] <= 100.0, metrics
    assert len(json.loads(out['holdout_gt'].read_text())['videos']) == 1
