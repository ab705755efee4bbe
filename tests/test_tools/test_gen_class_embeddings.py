"""tools/misc/make_tiny_clip.py and tools/gen_class_embeddings.py (and the package code they
call: omgseg.toy_clip.checkpoint, omgseg.apis.gen_class_embeddings), end to end and offline."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import BaseDataset

from omgseg.apis.gen_class_embeddings import generate_class_embeddings, select_entry
from omgseg.models.backbones.clip_factory import TINY_CLIP_CFG
from omgseg.models.text import CLIPTextEncoder, TextEmbeddingClassifier, compute_class_embeddings
from omgseg.vocab import VILD_TEMPLATES
from omgseg.vocab.embedding_file import load_class_embeddings
from omgseg.toy_clip.checkpoint import make_tiny_clip

ROOT = Path(__file__).resolve().parents[2]
NAMES = ['person,child,girl', 'handrail_or_fence', 'sky', 'tv remote/remote control']


@DATASETS.register_module(name='OmgsegTestVocabDataset', force=True)
class _VocabDataset(BaseDataset):
    """Dataset with a vocabulary and no data: the tool must not read annotations."""
    METAINFO = dict(classes=('cat', 'dog_or_puppy', 'grass'),
                    thing_classes=('cat', 'dog_or_puppy'), stuff_classes=('grass',))

    def load_data_list(self):
        raise AssertionError('gen_class_embeddings must build datasets with lazy_init=True')


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _generate(config: str, options: dict | None = None, **kwargs) -> dict:
    """``generate_class_embeddings`` of a config file (in-process: no interpreter start)."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options or {})
    return generate_class_embeddings(cfg, **kwargs)


@pytest.fixture(scope='module')
def tiny_ckpt(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp('clip') / 'tiny_clip.pth')
    proc = _run('tools/misc/make_tiny_clip.py', '--out', path, '--seed', '0')
    assert proc.returncode == 0, proc.stderr
    return path


def _write_config(tmp_path: Path, ckpt: str, body: str, name: str = 'cfg.py') -> str:
    backbone = (f'dict(type="OpenCLIPBackbone", model_name=None, '
                f'model_cfg={TINY_CLIP_CFG!r}, pretrained={ckpt!r})')
    path = tmp_path / name
    path.write_text(f'{body}\nmodel = dict(type="OMGSeg", backbone={backbone}, '
                    f'panoptic_head=dict(class_embed_path={str(tmp_path / "emb" / "v.pth")!r}))\n')
    return str(path)


def test_make_tiny_clip_deterministic_and_loadable(tmp_path, tiny_ckpt):
    again = str(tmp_path / 'again.pth')
    torch.manual_seed(99)  # make_tiny_clip must reseed itself
    make_tiny_clip(again)
    after = torch.rand(1)
    torch.manual_seed(99)
    assert torch.equal(after, torch.rand(1))  # ... and leave the caller's RNG as it was
    a, b = torch.load(tiny_ckpt, weights_only=True), torch.load(again, weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    # the command line keeps an existing file without --force
    proc = _run('tools/misc/make_tiny_clip.py', '--out', again, '--seed', '1')
    assert proc.returncode == 0 and 'skipping' in proc.stdout
    assert torch.equal(torch.load(again, weights_only=True)['text_projection'],
                       a['text_projection'])
    make_tiny_clip(again, seed=1)
    assert not torch.equal(torch.load(again, weights_only=True)['text_projection'],
                           a['text_projection'])
    # The real loader (strict) accepts it and the weights change from a fresh init.
    torch.manual_seed(123)
    enc = CLIPTextEncoder(model_cfg=TINY_CLIP_CFG, pretrained=tiny_ckpt)
    assert not torch.equal(enc.clip.text_projection, a['text_projection'])
    enc.load_weights()
    assert torch.equal(enc.clip.text_projection, a['text_projection'])


def test_gen_from_config_vocabulary(tmp_path, tiny_ckpt):
    cfg = _write_config(tmp_path, tiny_ckpt,
                        f'vocabulary = dict(classes={NAMES!r}, thing_classes={NAMES[:2]!r}, '
                        f'stuff_classes={NAMES[2:]!r})')
    proc = _run('tools/gen_class_embeddings.py', cfg)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / 'emb' / 'v.pth'
    assert '(4, 3, 64)' in proc.stdout and str(out) in proc.stdout
    emb, meta = load_class_embeddings(out, expected_class_names=NAMES)
    assert emb.shape == (4, 3, 64)
    assert (meta['num_things'], meta['num_stuff']) == (2, 2)
    assert meta['clip_model'] == 'custom cfg' and meta['clip_pretrained'] == tiny_ckpt
    assert meta['templates'] == list(VILD_TEMPLATES) and meta['embed_dim'] == 64
    assert meta['synonyms'][3] == ['tv remote', 'remote control']
    # Same numbers as the in-process API with the same checkpoint.
    enc = CLIPTextEncoder(model_cfg=TINY_CLIP_CFG, pretrained=tiny_ckpt)
    enc.load_weights()
    torch.testing.assert_close(emb, compute_class_embeddings(enc, NAMES)[0], atol=1e-5, rtol=0)
    # out, batch_size and config overrides (in-process); other chunking, same embeddings.
    other = tmp_path / 'other.pth'
    _generate(cfg, {'vocabulary.classes': ['sky', 'person'], 'vocabulary.thing_classes': [],
                    'vocabulary.stuff_classes': ['sky', 'person']}, out=str(other), batch_size=9)
    emb2, meta2 = load_class_embeddings(other, expected_class_names=['sky', 'person'])
    assert (meta2['num_things'], meta2['num_stuff']) == (0, 2)
    torch.testing.assert_close(emb2[0, 0], emb[2, 0], atol=1e-5, rtol=0)
    torch.testing.assert_close(emb2[1, 0], emb[0, 0], atol=1e-5, rtol=0)
    # The classifier consumes the file.
    clf = TextEmbeddingClassifier(embed_path=str(out), num_classes=4, class_names=NAMES)
    logits = clf(emb[:, 0])
    assert logits.shape == (4, 5) and torch.equal(logits.argmax(-1), torch.arange(4))


def test_gen_from_dataset_metainfo(tmp_path, tiny_ckpt):
    cfg = _write_config(tmp_path, tiny_ckpt, 'val_dataloader = dict(dataset=dict('
                        'type="RepeatDataset", times=2, '
                        'dataset=dict(type="OmgsegTestVocabDataset")))')
    out = tmp_path / 'ds.pth'
    # The project's name for the tiny CLIP (as the toy config uses) instead of an explicit cfg.
    _generate(cfg, {'model.backbone.model_name': 'omgseg_tiny_convnext',
                    'model.backbone.model_cfg': None}, split='val', out=str(out))
    emb, meta = load_class_embeddings(out, expected_class_names=['cat', 'dog_or_puppy', 'grass'])
    assert emb.shape == (3, 2, 64) and (meta['num_things'], meta['num_stuff']) == (2, 1)
    assert 'RepeatDataset' in meta['vocabulary_source']
    assert meta['clip_model'] == 'omgseg_tiny_convnext'
    enc = CLIPTextEncoder(model_cfg=TINY_CLIP_CFG, pretrained=tiny_ckpt)
    enc.load_weights()
    torch.testing.assert_close(emb, compute_class_embeddings(enc, ['cat', 'dog_or_puppy',
                                                                   'grass'])[0])
    with pytest.raises(ValueError, match='train_dataloader'):
        _generate(cfg, out=str(out))  # default split: no train_dataloader


def test_gen_errors(tmp_path, tiny_ckpt):
    cfg = tmp_path / 'noout.py'
    cfg.write_text(f'vocabulary = dict(classes=["a"])\nmodel = dict(backbone=dict('
                   f'model_cfg={TINY_CLIP_CFG!r}, pretrained={tiny_ckpt!r}))\n')
    with pytest.raises(ValueError, match=r'--out.*class_embed_path'):
        _generate(str(cfg))
    bad = _write_config(tmp_path, tiny_ckpt, 'vocabulary = dict(classes=["a", "b"], '
                        'thing_classes=["b"], stuff_classes=["a"])', name='bad.py')
    with pytest.raises(ValueError, match='things first'):
        _generate(bad)


def test_entry_vocabulary_of_the_cotrain_config(toy_root, tmp_path):
    """--entry NAME embeds an evaluation entry's own (renamed) vocabulary."""
    import json

    from tests.conftest import run_tool
    config = ROOT / 'configs' / 'toy' / 'omgseg_tiny_toy-cotrain.py'
    out = tmp_path / 'heldout.pth'
    run_tool('tools/gen_class_embeddings.py', str(config), '--entry', 'ade_heldout',
             '--out', str(out), '--cfg-options',
             f'model.backbone.pretrained={toy_root / "tiny_clip.pth"}')
    names = json.loads(out.with_suffix('.json').read_text())['class_names']
    assert len(names) == 150
    assert 'animal,animate being,beast,brute,creature,fauna' in names
    assert not any('girraffe' in n for n in names)
    cfg = Config.fromfile(str(config))
    with pytest.raises(ValueError, match="no evaluation entry named 'nope'"):
        select_entry(cfg, 'nope')
    with pytest.raises(ValueError, match='has no `vocabulary`'):
        select_entry(cfg, 'davis')
