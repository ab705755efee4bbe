"""omgseg.apis: init_model from a saved checkpoint, segment_prompts (sizes, prompt independence,
open-vocabulary labels, errors) and the pieces of the interactive command-line demo."""
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from omgseg.apis import init_model, pipeline_resize, segment_prompts
from omgseg.registry import MODELS
from omgseg.visualization import describe_prompt_result, draw_overlay
from tests.conftest import ROOT, toy_cfg

PROMPT_OPTS = {'model.panoptic_head.prompt_encoder': dict(type='PromptEncoder')}


@pytest.fixture(scope='module')
def saved(toy_root, tmp_path_factory):
    """(config file, checkpoint, state dict) of a toy model with a prompt encoder."""
    tmp = tmp_path_factory.mktemp('api')
    cfg = toy_cfg(toy_root, **PROMPT_OPTS)
    cfg_path = tmp / 'toy_prompt.py'
    cfg.dump(str(cfg_path))
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.state_dict()
    ckpt = tmp / 'model.pth'
    torch.save({'state_dict': state, 'meta': {}}, str(ckpt))
    return cfg_path, ckpt, state


@pytest.fixture(scope='module')
def model(saved):
    cfg_path, ckpt, _ = saved
    return init_model(str(cfg_path), str(ckpt), device='cpu')


@pytest.fixture(scope='module')
def image(toy_root):
    # a non-square size, so the resize (keep ratio to 128 x 128) really rescales the prompts
    img = cv2.imread(str(sorted((toy_root / 'coco' / 'val2017').glob('*'))[0]))
    return np.ascontiguousarray(cv2.resize(img, (200, 150)))


def test_init_model_loads_the_checkpoint(saved, model):
    _, _, state = saved
    assert not model.training and model.cfg.model.panoptic_head.prompt_encoder is not None
    got = model.state_dict()
    assert set(got) == set(state)
    for key in ('panoptic_head.prompt_encoder.pos_linear.weight',
                'panoptic_head.query_feat.weight'):
        assert torch.equal(got[key], state[key]), key


def test_init_model_errors(saved, tmp_path):
    cfg_path, _, state = saved
    with pytest.raises(FileNotFoundError, match='nope.py'):
        init_model(str(tmp_path / 'nope.py'))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        init_model(str(cfg_path), str(tmp_path / 'missing.pth'))
    partial = tmp_path / 'partial.pth'
    torch.save({'state_dict': {k: v for k, v in state.items() if 'prompt_encoder' not in k}},
               str(partial))
    with pytest.raises(ValueError, match='missing keys'):
        init_model(str(cfg_path), str(partial))


def test_masks_have_the_original_size(model, image):
    out = segment_prompts(model, image, points=[[40, 30], [150, 100]], boxes=[[10, 20, 90, 120]])
    assert len(out) == 3
    assert [r['prompt'][0] for r in out] == ['point', 'point', 'box']
    names = model.panoptic_head.classifier.class_names
    for r in out:
        assert r['mask'].shape == (150, 200) and r['mask'].dtype == bool
        assert r['label'] in names and 0.0 <= r['score'] <= 1.0
    assert pipeline_resize(model.cfg) == ((128, 128), True)


def test_a_prompt_gives_the_same_mask_alone_or_with_others(model, image):
    together = segment_prompts(model, image, points=[[40, 30], [150, 100]],
                               boxes=[[10, 20, 90, 120]])
    alone_box = segment_prompts(model, image, boxes=[[10, 20, 90, 120]])[0]
    alone_pt = segment_prompts(model, image, points=[[150, 100]])[0]
    for a, b in ((together[2], alone_box), (together[1], alone_pt)):
        # float batching may flip a pixel sitting exactly at the threshold, no more
        assert (a['mask'] != b['mask']).mean() < 1e-3
        assert a['label'] == b['label'] and a['score'] == pytest.approx(b['score'], abs=1e-4)
    # and different prompts really differ (the test above would be void otherwise)
    assert (together[0]['mask'] != together[2]['mask']).any()


def test_point_prompts_follow_the_resize(model, image):
    """A point at original (x, y) must reach the model as a +-3 px box around (x, y) * s."""
    seen = {}
    orig = model.predict

    def spy(inputs, samples, *a, **k):
        seen['boxes'] = samples[0].video_data_samples[0].prompts.boxes.clone()
        seen['kinds'] = samples[0].video_data_samples[0].prompts.kinds.clone()
        return orig(inputs, samples, *a, **k)
    model.predict = spy
    try:
        segment_prompts(model, image, points=[[100, 50]], boxes=[[20, 30, 180, 140]])
    finally:
        del model.predict
    s = 128 / 200                                  # keep_ratio: the long side 200 -> 128
    expect = torch.tensor([[100 * s - 3, 50 * s - 3, 100 * s + 3, 50 * s + 3],
                           [20 * s, 30 * s, 180 * s, 140 * s]])
    assert torch.allclose(seen['boxes'], expect, atol=1e-3)
    assert seen['kinds'].tolist() == [0, 0]


def test_vocabulary_override_changes_labels_then_restores(model, image):
    clf = model.panoptic_head.classifier
    before = segment_prompts(model, image, points=[[40, 30], [150, 100]])
    names = list(clf.class_names)
    vocab = ['zebra', 'teapot']
    out = segment_prompts(model, image, points=[[40, 30], [150, 100]], vocabulary=vocab)
    assert {r['label'] for r in out} <= set(vocab)
    assert all(r['label_id'] < 2 for r in out)
    # masks do not depend on the vocabulary; the model's own classes come back afterwards
    for a, b in zip(before, out):
        assert np.array_equal(a['mask'], b['mask'])
    assert clf.class_names == names and clf.num_classes == len(names)
    after = segment_prompts(model, image, points=[[40, 30], [150, 100]])
    assert [r['label'] for r in after] == [r['label'] for r in before]
    assert [r['score'] for r in after] == [r['score'] for r in before]


@pytest.mark.parametrize('kwargs, match', [
    (dict(), 'at least one prompt'),
    (dict(points=[[200, 10]]), 'point 0'),
    (dict(points=[[5, 5], [10, -1]]), 'point 1'),
    (dict(boxes=[[50, 10, 40, 60]]), 'box 0 .*degenerate'),
    (dict(boxes=[[10, 10, 60, 60], [5, 30, 20, 30]]), 'box 1 .*degenerate'),
    (dict(points=[1, 2, 3]), r'points must be \(N, 2\)'),
    (dict(points=[[1, 1]], vocabulary='cat'), 'vocabulary'),
])
def test_bad_prompts_are_refused(model, image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        segment_prompts(model, image, **kwargs)


def test_demo_overlay_and_lines(model, toy_root):
    """What tools/demo/interactive_demo.py does with the model's results: one line per prompt,
    an overlay that differs from the image."""
    img_path = sorted((toy_root / 'coco' / 'val2017').glob('*'))[0]
    source = cv2.imread(str(img_path))
    results = segment_prompts(model, source, points=np.asarray([[20, 30]]),
                              boxes=np.asarray([[10, 10, 60, 50]]), vocabulary=['cat', 'dog'])
    lines = [describe_prompt_result(i, res) for i, res in enumerate(results)]
    assert len(lines) == 2 and lines[0].startswith('prompt 0 point (20 30)')
    assert lines[1].startswith('prompt 1 box (10 10 60 50)')
    assert all((' cat ' in ln) or (' dog ' in ln) for ln in lines)
    assert lines[0].endswith(f'area={int(results[0]["mask"].sum())} px')
    overlay = draw_overlay(source, results)
    assert overlay.shape == source.shape and overlay.dtype == np.uint8
    assert not np.array_equal(overlay, source)


def test_demo_cli_refuses_bad_prompts_before_loading(tmp_path):
    demo = ROOT / 'tools' / 'demo' / 'interactive_demo.py'
    for prompts, message in ((['--points', '1', '2', '3'], 'x y pairs'),
                             ([], 'at least one prompt')):
        proc = subprocess.run([sys.executable, str(demo), 'img.png', 'cfg.py', 'ckpt.pth',
                               *prompts, '--out', str(tmp_path / 'x.png')], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and message in proc.stderr
        assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'x.png').exists()
