"""Text encoder and the text-embedding classifier (the names and file format: tests/test_vocab)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from omgseg.models.backbones.clip_factory import TINY_CLIP_CFG
from omgseg.models.text import (ORIGINAL_LOGIT_SCALE, CLIPTextEncoder, TextEmbeddingClassifier,
                                compute_class_embeddings)
from omgseg.registry import MODELS
from omgseg.vocab import VILD_TEMPLATES, normalize_class_name
from omgseg.vocab.embedding_file import load_class_embeddings, save_class_embeddings, sidecar_path

NAMES = ['person,child,girl', 'handrail_or_fence', 'sky', 'tv remote/remote control']
D = TINY_CLIP_CFG['embed_dim']


@pytest.fixture(scope='module')
def encoder() -> CLIPTextEncoder:
    torch.manual_seed(0)  # random tiny CLIP: embeddings are arbitrary but deterministic
    return CLIPTextEncoder(model_cfg=TINY_CLIP_CFG)


@pytest.fixture(scope='module')
def class_emb(encoder):
    return compute_class_embeddings(encoder, NAMES)


def _save(path, emb, names=NAMES, **kw):
    synonyms = [normalize_class_name(n) for n in names]
    return save_class_embeddings(path, emb, names, synonyms=synonyms, clip_model=None,
                                 clip_pretrained=None, templates=VILD_TEMPLATES, **kw)


# --- text encoder -----------------------------------------------------------------------------
def test_encode_shape_norm_and_chunking(encoder):
    texts = ['a cat', 'a dog', 'a photo of a tv remote.', 'sky']
    full = encoder.encode(texts)
    assert full.shape == (4, D) and full.dtype == torch.float32
    torch.testing.assert_close(full.norm(dim=-1), torch.ones(4))
    torch.testing.assert_close(encoder.encode(texts, batch_size=3), full, atol=1e-5, rtol=0)
    assert encoder.encode([]).shape == (0, D)
    with pytest.raises(TypeError):
        encoder.encode('a cat')


def test_encoder_no_io_in_init():
    enc = CLIPTextEncoder(model_cfg=TINY_CLIP_CFG, pretrained='/nonexistent/clip.pth')
    with pytest.raises(FileNotFoundError, match='nonexistent'):
        enc.load_weights()


def test_class_embeddings_shape_padding_norm(class_emb):
    emb, synonyms = class_emb
    assert synonyms == [['person', 'child', 'girl'], ['handrail', 'fence'], ['sky'],
                        ['tv remote', 'remote control']]
    assert emb.shape == (4, 3, D) and emb.dtype == torch.float32
    torch.testing.assert_close(emb.norm(dim=-1), torch.ones(4, 3))
    # Padding repeats the first synonym vector exactly.
    assert torch.equal(emb[1, 2], emb[1, 0])
    assert torch.equal(emb[2, 1], emb[2, 0]) and torch.equal(emb[2, 2], emb[2, 0])
    assert torch.equal(emb[3, 2], emb[3, 0])
    assert not torch.allclose(emb[0, 1], emb[0, 0])


def test_class_embedding_golden(encoder, class_emb):
    emb, _ = class_emb
    # Direct computation for one synonym: normalise, mean over templates, normalise.
    prompts = [t.format('fence') for t in VILD_TEMPLATES]
    direct = F.normalize(F.normalize(encoder.encode(prompts), dim=-1).mean(0), dim=-1)
    torch.testing.assert_close(emb[1, 1], direct, atol=1e-6, rtol=0)


def test_class_embeddings_deterministic_and_chunks(encoder, class_emb, monkeypatch):
    emb, _ = class_emb
    assert torch.equal(compute_class_embeddings(encoder, NAMES)[0], emb)
    sizes = []
    orig = encoder.clip.encode_text
    monkeypatch.setattr(encoder.clip, 'encode_text',
                        lambda tokens, **kw: (sizes.append(len(tokens)), orig(tokens, **kw))[1])
    chunked, _ = compute_class_embeddings(encoder, NAMES, batch_size=10)
    num_prompts = 8 * len(VILD_TEMPLATES)
    assert sum(sizes) == num_prompts and all(0 < s <= 10 for s in sizes)
    assert len(sizes) == -(-num_prompts // 10)
    torch.testing.assert_close(chunked, emb, atol=1e-5, rtol=0)


# --- classifier -------------------------------------------------------------------------------
@pytest.fixture
def emb_file(tmp_path, class_emb):
    path = str(tmp_path / 'vocab.pth')
    _save(path, class_emb[0])
    return path


def test_classifier_golden(emb_file, class_emb):
    emb, _ = class_emb
    clf = MODELS.build(dict(type='TextEmbeddingClassifier', embed_path=emb_file, num_classes=4))
    assert not clf.is_loaded and clf.class_names is None
    assert 'class_embed' not in clf.state_dict()
    torch.manual_seed(1)
    x = torch.randn(2, 5, D)
    logits = clf(x)  # loads lazily
    assert clf.is_loaded and clf.class_names == NAMES and clf.class_embed.shape == (5, 3, D)
    assert logits.shape == (2, 5, 5)
    assert torch.all(logits[..., 4] == 0)
    expected = torch.empty(2, 5, 4)
    for b in range(2):
        for q in range(5):
            xq = x[b, q] / x[b, q].norm()
            for k in range(4):
                expected[b, q, k] = ORIGINAL_LOGIT_SCALE * max(float(xq @ emb[k, p]) for p in range(3))
    torch.testing.assert_close(logits[..., :4], expected, atol=1e-4, rtol=0)
    assert 'class_embed' not in clf.state_dict()


def test_classifier_no_io_in_init_and_errors(tmp_path, emb_file):
    missing = TextEmbeddingClassifier(embed_path=str(tmp_path / 'nope.pth'), num_classes=4)
    with pytest.raises(FileNotFoundError, match=r'nope\.pth.*gen_class_embeddings'):
        missing(torch.randn(3, D))
    clf = TextEmbeddingClassifier(embed_path=emb_file, num_classes=5)
    with pytest.raises(ValueError, match=r'vocab\.pth.*4 classes.*num_classes=5.*gen_class'):
        clf.load()
    clf = TextEmbeddingClassifier(embed_path=emb_file, num_classes=4,
                                  class_names=['a', 'b', 'c', 'd'])
    with pytest.raises(ValueError, match=r"(?s)vocab\.pth.*label 0: file 'person,child,girl'"):
        clf.init_weights()
    clf = TextEmbeddingClassifier(embed_path=emb_file, num_classes=4, class_names=NAMES)
    clf.init_weights()
    assert clf.is_loaded and clf.embed_dim == D
    clf.check_class_names(NAMES, source='the train dataset')
    with pytest.raises(ValueError, match=r"(?s)vocab\.pth do not match the train dataset.*"
                                         r"label 2: file 'sky' != expected 'class2'"):
        clf.check_class_names(NAMES[:2] + ['class2', NAMES[3]], source='the train dataset')
    with pytest.raises(ValueError, match='input dim'):
        clf(torch.randn(3, D + 1))


def test_classifier_set_embeddings(emb_file, encoder):
    clf = TextEmbeddingClassifier(embed_path=emb_file, num_classes=4, logit_scale=10.0)
    clf.load()
    new, _ = compute_class_embeddings(encoder, ['cat', 'dog_or_puppy'])
    clf.set_embeddings(new, ['cat', 'dog_or_puppy'])
    x = new[1, 1] * 3  # exactly the 'puppy' prototype
    out = clf(x)
    assert out.shape == (3,) and clf.num_classes == 2 and clf.class_names == ['cat', 'dog_or_puppy']
    torch.testing.assert_close(out[1], torch.tensor(10.0))
    assert out[2] == 0
    with pytest.raises(ValueError, match='unit norm'):
        clf.set_embeddings(new * 2, ['cat', 'dog'])


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_classifier_follows_module_device(emb_file):
    clf = TextEmbeddingClassifier(embed_path=emb_file, num_classes=4).cuda()
    clf.load()
    assert clf.class_embed.is_cuda
    assert clf(torch.randn(2, D, device='cuda')).is_cuda
