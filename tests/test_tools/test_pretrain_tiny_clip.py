"""Tiny-CLIP pre-training (omgseg.toy_clip.pretrain, command line
tools/misc/pretrain_tiny_clip.py): a short pre-training makes the tiny CLIP zero-shot classify
toy segments, and the output loads through the project's CLIP loaders."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from omgseg.models.backbones import OpenCLIPBackbone, build_clip_model
from omgseg.models.text import CLIPTextEncoder
from omgseg.toy_clip.pretrain import contrastive_loss, pretrain_tiny_clip

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'misc' / 'pretrain_tiny_clip.py'


def test_pretraining_gives_zero_shot_accuracy_and_a_loadable_checkpoint(tmp_path, capsys):
    out = tmp_path / 'clip.pth'
    report = pretrain_tiny_clip(str(out), pool_scenes=96, steps=80, eval_scenes=32, seed=0)
    printed = capsys.readouterr().out
    assert f'zero-shot segment accuracy {report["accuracy"]:.2f}' in printed
    ev, init = report['eval'], report['init_eval']
    assert ev['num_segments'] == init['num_segments'] > 80
    assert abs(ev['chance'] - 1 / 8) < 1e-9
    # Measured: 0.93 after pre-training (things 0.33-0.86, stuff 0.97-1.0), 0.05 for the
    # random init (it puts nearly every segment in one class); the most frequent class
    # covers 0.28 of the segments.
    assert report['accuracy'] > 0.75
    assert report['init_accuracy'] < max(init['majority'], ev['chance']) + 0.1
    things = [ev['per_class'][name] for name in ('person', 'bicycle', 'car', 'bird', 'dog')]
    assert None not in things and sum(things) / len(things) > 0.45  # not only stuff learned

    # The output loads as the segmentation model and gen_class_embeddings load it (strict).
    backbone = OpenCLIPBackbone(model_name='omgseg_tiny_convnext', pretrained=str(out))
    backbone.init_weights()
    encoder = CLIPTextEncoder(model_name='omgseg_tiny_convnext', pretrained=str(out))
    encoder.load_weights()
    # Same keys and shapes as make_tiny_clip.py's format: a plain open_clip state dict.
    state = torch.load(out, weights_only=True)
    torch.manual_seed(0)  # the init the tool starts from without --init
    init_state = build_clip_model('omgseg_tiny_convnext').state_dict()
    assert {k: v.shape for k, v in state.items()} == {k: v.shape for k, v in init_state.items()}
    # The CLIP head and text tower trained, the trunk kept its init.
    assert not torch.equal(state['visual.head.mlp.fc1.weight'],
                           init_state['visual.head.mlp.fc1.weight'])
    assert not torch.equal(state['text_projection'], init_state['text_projection'])
    assert torch.equal(state['visual.trunk.stages.3.blocks.1.mlp.fc2.weight'],
                       init_state['visual.trunk.stages.3.blocks.1.mlp.fc2.weight'])
    assert torch.equal(backbone.head[1].mlp.fc1.weight, state['visual.head.mlp.fc1.weight'])
    assert not list(tmp_path.glob('*.tmp*'))  # the atomic write left nothing behind

    # The command line keeps an existing output without --force.
    mtime = out.stat().st_mtime_ns
    proc = subprocess.run([sys.executable, str(SCRIPT), '--out', str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and 'skipping' in proc.stdout
    assert out.stat().st_mtime_ns == mtime


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match='multiple of 32'):
        pretrain_tiny_clip(str(tmp_path / 'x.pth'), size=100)
    with pytest.raises(ValueError, match='steps must be >= 1'):
        pretrain_tiny_clip(str(tmp_path / 'x.pth'), steps=0)
    assert not (tmp_path / 'x.pth').exists()


def test_contrastive_loss_prefers_aligned_pairs():
    text = torch.eye(4, 8)                                     # K = 4 orthogonal captions
    labels = torch.tensor([0, 0, 1, 2, 3, 3])
    aligned = text[labels] + 0.01 * torch.randn(6, 8)
    wrong = text[(labels + 1) % 4]
    scale = torch.tensor(10.0)
    good = contrastive_loss(aligned, text, labels, scale)
    bad = contrastive_loss(wrong, text, labels, scale)
    assert good < 0.3
    assert bad > 5.0
    # Duplicated classes: segment->class is a plain CE, class->segment spreads over positives
    # (two class-0 segments: its best possible term is log 2, not 0).
    perfect = contrastive_loss(text[labels] * 100, text, labels, scale)
    expected = (0 + (2 * torch.log(torch.tensor(2.0))) / 4) / 2
    torch.testing.assert_close(perfect, expected, atol=1e-3, rtol=0)
