"""browse_dataset on the toy co-training config: a drawing per sample of every dataset
(images, pseudo-videos, videos, prompts), overlays visibly drawn on the pipeline's frames."""
from __future__ import annotations

import numpy as np
from mmengine.config import Config
from PIL import Image

from omgseg.datasets.browse import browse_dataset, render_sample, sample_frames
from omgseg.datasets.converters import cityscapes
from omgseg.datasets.toy.cityscapes_writer import generate_toy_cityscapes
from omgseg.visualization.training_sample import tile_frames
from tests.conftest import ROOT


def _quiet(msg: str) -> None:
    """A ``log`` that drops progress lines."""


def test_browse_draws_every_dataset_of_the_toy_cotraining_config(toy_root, tmp_path):
    city = generate_toy_cityscapes(tmp_path, num_train=2, num_val=0, size=(64, 64), log=_quiet)
    cityscapes.convert(city['root'], ['train'], log=_quiet)
    cfg = Config.fromfile(str(ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-cotrain.py'))
    joint = cfg.train_dataloader.dataset
    for part in joint.datasets:
        part.data_root = part.data_root.replace('data/toy/', f'{toy_root}/')
    joint.datasets[1].data_root = str(city['root']) + '/'
    written = browse_dataset(cfg, tmp_path / 'browse', samples=2, log=_quiet)
    names = ['0_OMGCocoPanopticDataset(toy)', '1_OMGCocoPanopticDataset(cityscapes_panoptic)',
             '2_OMGVIPSegDataset(toy)', '3_OMGYouTubeVISDataset(toy)',
             '4_OMGCocoPanopticDataset(toy)']
    assert list(written) == names
    for name, paths in written.items():
        assert len(paths) == 2 and all(p.is_file() for p in paths), name
        assert len({p.parent for p in paths}) == 1
        image = np.asarray(Image.open(paths[0]))
        # pseudo-videos and video clips are 2 frames side by side, images (Cityscapes,
        # prompts) 1; toy frames are drawn at >= 256 px
        frames = 1 if name[0] in '14' else 2
        assert image.ndim == 3 and image.shape[1] >= frames * 256, (name, image.shape)
    assert len({p.parent for paths in written.values() for p in paths}) == 5


def test_overlay_differs_from_the_bare_frames(toy_root):
    from mmdet.registry import DATASETS
    cfg = Config.fromfile(str(ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-cotrain.py'))
    vipseg = cfg.train_dataloader.dataset.datasets[2]
    vipseg.data_root = f'{toy_root}/vipseg/'
    dataset = DATASETS.build(vipseg)
    sample = dataset[0]
    classes = dataset.metainfo['classes']
    drawn = render_sample(sample, class_names=classes, num_things=5, title='vipseg')
    # small frames are drawn enlarged by an integer factor, to at least 256 px
    factor = -(-256 // min(sample['inputs'].shape[-2:]))
    bare = tile_frames([np.repeat(np.repeat(f, factor, 0), factor, 1)
                        for f in sample_frames(sample)], 'vipseg')
    assert drawn.shape == bare.shape and drawn.shape[1] > 2 * 256
    changed = np.abs(drawn.astype(int) - bare.astype(int)).sum(-1) > 30
    assert changed.mean() > 0.2, changed.mean()        # masks cover most of a toy frame
    assert sample['inputs'].shape[0] == 2              # a 2-frame clip, side by side
