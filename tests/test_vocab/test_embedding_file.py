"""The class-embedding file format: a (K, P, D) tensor plus its JSON sidecar, and every check
that loading makes."""
from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from omgseg.vocab import VILD_TEMPLATES, normalize_class_name
from omgseg.vocab.embedding_file import (check_class_names, load_class_embeddings,
                                         save_class_embeddings, sidecar_path)

NAMES = ['person,child,girl', 'handrail_or_fence', 'sky', 'tv remote/remote control']
D = 16


@pytest.fixture
def emb() -> torch.Tensor:
    """(4, 3, 16) unit vectors: the file format does not care where they come from."""
    return F.normalize(torch.randn(len(NAMES), 3, D, generator=torch.Generator().manual_seed(0)),
                       dim=-1)


def _save(path, emb, names=NAMES, **kw):
    synonyms = [normalize_class_name(n) for n in names]
    return save_class_embeddings(path, emb, names, synonyms=synonyms, clip_model=None,
                                 clip_pretrained=None, templates=VILD_TEMPLATES, **kw)


def test_sidecar_path():
    assert sidecar_path('x/coco.pth') == 'x/coco.json'


def test_save_load_roundtrip(tmp_path, emb):
    synonyms = [normalize_class_name(n) for n in NAMES]
    path = str(tmp_path / 'sub' / 'vocab.pth')
    _save(path, emb, num_things=2, num_stuff=2)
    raw = torch.load(path, weights_only=True)
    assert type(raw) is torch.Tensor and raw.dtype == torch.float32 and torch.equal(raw, emb)
    loaded, meta = load_class_embeddings(path, expected_class_names=NAMES)
    assert torch.equal(loaded, emb)
    assert meta['class_names'] == NAMES and meta['synonyms'] == synonyms
    assert (meta['num_things'], meta['num_stuff'], meta['embed_dim']) == (2, 2, D)
    assert meta['clip_model'] == 'custom cfg' and meta['templates'] == list(VILD_TEMPLATES)
    assert meta['format_version'] == 1


def test_load_errors(tmp_path, emb):
    path = str(tmp_path / 'vocab.pth')
    with pytest.raises(FileNotFoundError, match=r'vocab\.pth.*gen_class_embeddings\.py'):
        load_class_embeddings(path)
    _save(path, emb)
    # Names: wrong count, then wrong names (with label indices).
    with pytest.raises(ValueError, match=r'(?s)vocab\.pth.*4 classes, 3 are expected.*'
                                         r'only in the file.*gen_class_embeddings'):
        load_class_embeddings(path, expected_class_names=NAMES[:3])
    wrong = NAMES[:1] + ['fence', 'sky', 'tv']
    with pytest.raises(ValueError, match=r"(?s)label 1: file 'handrail_or_fence' != "
                                         r"expected 'fence'.*label 3"):
        load_class_embeddings(path, expected_class_names=wrong)
    # Sidecar out of sync with the tensor.
    meta = json.load(open(sidecar_path(path)))
    json.dump(dict(meta, class_names=NAMES[:3]), open(sidecar_path(path), 'w'))
    with pytest.raises(ValueError, match=r'vocab\.pth.*out of sync'):
        load_class_embeddings(path)
    json.dump(meta, open(sidecar_path(path), 'w'))
    # Vectors that are not unit norm.
    torch.save(emb * 2, path)
    with pytest.raises(ValueError, match=r'vocab\.pth.*unit norm.*gen_class_embeddings'):
        load_class_embeddings(path)
    # Missing sidecar.
    torch.save(emb, path)
    (tmp_path / 'vocab.json').unlink()
    with pytest.raises(FileNotFoundError, match=r'vocab\.json.*gen_class_embeddings'):
        load_class_embeddings(path)


def test_save_rejects_inconsistent_input(tmp_path, emb):
    path = str(tmp_path / 'v.pth')
    with pytest.raises(ValueError, match='must end with .pth'):
        _save(str(tmp_path / 'v.pt'), emb)
    with pytest.raises(ValueError, match='4 embedding rows but 3 class names'):
        _save(path, emb, names=NAMES[:3])
    with pytest.raises(ValueError, match=r'num_things \(1\) \+ num_stuff \(1\) != K \(4\)'):
        _save(path, emb, num_things=1, num_stuff=1)
    with pytest.raises(ValueError, match='unit norm'):
        _save(path, emb * 3)
    with pytest.raises(ValueError, match=r'1\.\.2 synonyms'):
        _save(path, emb[:, :2])  # 'person,child,girl' has 3 synonyms but P = 2


def test_check_class_names_message_names_the_source():
    check_class_names('v.pth', ['a', 'b'], ['a', 'b'])
    with pytest.raises(ValueError, match=r"(?s)do not match the train dataset.*label 1: file "
                                         r"'b' != expected 'c'.*gen_class_embeddings"):
        check_class_names('v.pth', ['a', 'b'], ['a', 'c'], source='the train dataset')
