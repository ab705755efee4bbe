"""PromptEncoder: checkpoint names, encoding, independence of prompts through the decoder head."""
import math

import pytest
import torch
from mmdet.models.layers import coordinate_to_encoding
from mmengine.config import Config

from omgseg.models.prompts import PromptEncoder
from omgseg.registry import MODELS
from omgseg.structures.prompts import point_boxes
from tests.conftest import TOY_CONFIG

C = 16


@pytest.fixture(scope='module')
def encoder():
    torch.manual_seed(0)
    return MODELS.build(dict(type='PromptEncoder', feat_channels=C)).eval()


def test_parameter_names_and_shapes(encoder):
    shapes = {k: tuple(v.shape) for k, v in encoder.state_dict().items()}
    assert shapes == {'mask_tokens.weight': (1, C), 'pb_embedding.weight': (2, C),
                      'pos_linear.weight': (C, 2 * C), 'pos_linear.bias': (C,)}


def test_shapes_content_and_identity_attention_mask(encoder):
    boxes = torch.tensor([[[2., 4., 10., 12.], [5., 5., 5., 5.], [0., 0., 3., 3.]],
                          [[1., 1., 2., 2.], [7., 3., 7., 3.], [4., 4., 9., 9.]]])
    kinds = torch.tensor([[0, 1, 0], [0, 1, 1]])
    content, pos, mask = encoder(boxes, kinds, (20, 30), num_heads=4)
    assert content.shape == pos.shape == (2, 3, C)
    assert mask.shape == (8, 3, 3) and mask.dtype == torch.bool
    # each prompt attends to itself only
    assert torch.equal(mask, ~torch.eye(3, dtype=torch.bool).expand(8, 3, 3))
    token = encoder.mask_tokens.weight[0]
    assert torch.allclose(content[0, 0], encoder.pb_embedding.weight[0] + token)
    assert torch.allclose(content[0, 1], encoder.pb_embedding.weight[1] + token)
    assert torch.allclose(content[1, 2], encoder.pb_embedding.weight[1] + token)


def test_positional_is_sine_encoding_of_cxcywh_normalised_by_image_size(encoder):
    h, w = 40, 80
    boxes = torch.tensor([[[8., 4., 24., 20.]]])
    _, pos, _ = encoder(boxes, torch.tensor([[0]]), (h, w), num_heads=1)
    cxcywh = torch.tensor([[[16 / 80, 12 / 40, 16 / 80, 16 / 40]]])
    expected = encoder.pos_linear(coordinate_to_encoding(cxcywh, num_feats=C // 2))
    assert torch.allclose(pos, expected, atol=1e-6)
    # the same box relative to the image gives the same query at another resolution
    _, pos2, _ = encoder(boxes * 2, torch.tensor([[0]]), (2 * h, 2 * w), num_heads=1)
    assert torch.allclose(pos, pos2, atol=1e-6)
    # per-sample sizes: sample 1 is normalised by its own (unpadded) size
    both = torch.cat([boxes, boxes * 2])
    _, pos3, _ = encoder(both, torch.zeros(2, 1, dtype=torch.long),
                         torch.tensor([[h, w], [2 * h, 2 * w]]), num_heads=1)
    assert torch.allclose(pos3[0], pos[0], atol=1e-6) and torch.allclose(pos3[1], pos[0],
                                                                         atol=1e-6)
    # normalising by a padded size would be a different query
    _, pos_pad, _ = encoder(boxes, torch.tensor([[0]]), (h + 8, w + 8), num_heads=1)
    assert not torch.allclose(pos, pos_pad, atol=1e-4)


def test_encoding_scale_and_temperature_options():
    """``pos_scale`` / ``pos_temperature`` reach the sine encoding; a larger scale tells two
    nearby points apart more sharply; bad values are refused."""
    torch.manual_seed(0)
    sharp = PromptEncoder(feat_channels=C, pos_scale=8 * math.pi, pos_temperature=100.0).eval()
    boxes = torch.tensor([[[8., 4., 24., 20.], [10., 4., 26., 20.]]])
    kinds = torch.zeros(1, 2, dtype=torch.long)
    _, pos, _ = sharp(boxes, kinds, (40, 80), num_heads=1)
    cxcywh = torch.tensor([[[16 / 80, 12 / 40, 16 / 80, 16 / 40],
                            [18 / 80, 12 / 40, 16 / 80, 16 / 40]]])
    raw = {s: coordinate_to_encoding(cxcywh, num_feats=C // 2, temperature=t, scale=s)
           for s, t in ((2 * math.pi, 10000), (8 * math.pi, 100.0))}
    assert torch.allclose(pos, sharp.pos_linear(raw[8 * math.pi]), atol=1e-6)
    # the two points, 2 px apart in an 80 px image, differ more in the sharper encoding
    gap = {s: (e[0, 0] - e[0, 1]).norm() for s, e in raw.items()}
    assert gap[8 * math.pi] > 3 * gap[2 * math.pi]
    for bad in (dict(pos_scale=0.0), dict(pos_temperature=1.0)):
        with pytest.raises(ValueError, match='pos_temperature must be > 1 and pos_scale > 0'):
            PromptEncoder(feat_channels=C, **bad)


def test_point_boxes_overhanging_the_border_are_clamped(encoder):
    pts = torch.tensor([[[0., 0.], [10., 5.]]])
    boxes = point_boxes(pts)
    assert torch.equal(boxes, torch.tensor([[[-3., -3., 3., 3.], [7., 2., 13., 8.]]]))
    _, pos, _ = encoder(boxes, torch.zeros(1, 2, dtype=torch.long), (10, 20), num_heads=1)
    # clamped to [0, 1], then through the original's sigmoid(inverse_sigmoid(., eps=1e-5)),
    # which maps 0 to 1e-5 / (1 + 1e-5) and 1 to 1 / (1 + 1e-5)
    low, high = 1e-5 / (1 + 1e-5), 1 / (1 + 1e-5)
    cxcywh = torch.tensor([[[low, low, 6 / 20, 6 / 10], [10 / 20, 5 / 10, 6 / 20, 6 / 10]]])
    assert torch.allclose(pos, encoder.pos_linear(coordinate_to_encoding(cxcywh, C // 2)),
                          atol=1e-6)
    # a box wider than the image keeps its centre and gets width 1
    _, wide, _ = encoder(torch.tensor([[[-30., 0., 50., 10.]]]), torch.tensor([[0]]), (10, 20),
                         num_heads=1)
    clamped = torch.tensor([[[0.5, 0.5, high, high]]])
    assert torch.allclose(wide, encoder.pos_linear(coordinate_to_encoding(clamped, C // 2)),
                          atol=1e-6)


def test_training_jitter_only_with_flag_and_small(monkeypatch):
    import omgseg.models.prompts.prompt_encoder as pe
    seen = []

    def spy(coords, num_feats, **kwargs):
        seen.append(coords.clone())
        return coordinate_to_encoding(coords, num_feats, **kwargs)

    monkeypatch.setattr(pe, 'coordinate_to_encoding', spy)
    enc = PromptEncoder(feat_channels=C, jitter=True).train()
    boxes = torch.tensor([[[10., 10., 50., 30.]]])
    kinds = torch.tensor([[0]])
    exact = torch.tensor([30 / 64, 20 / 64, 40 / 64, 20 / 64])
    for _ in range(20):
        enc(boxes, kinds, (64, 64), 1)
    jittered = torch.stack([s[0, 0] for s in seen])
    bound = 0.4 * 0.01 * torch.tensor([20 / 64, 10 / 64, 40 / 64, 20 / 64])
    dev = (jittered - exact).abs()
    assert (dev <= bound + 1e-7).all()
    assert (dev > 0).any(dim=0).all() and dev.amax(0).gt(bound / 4).all()
    seen.clear()
    enc.eval()
    enc(boxes, kinds, (64, 64), 1)
    PromptEncoder(feat_channels=C, jitter=False).train()(boxes, kinds, (64, 64), 1)
    assert torch.allclose(seen[0][0, 0], exact) and torch.allclose(seen[1][0, 0], exact)
    # the original always jitters in training: the default
    assert PromptEncoder(feat_channels=C).jitter


@pytest.mark.parametrize('boxes,kinds,match', [
    ([[[1., 1., 5., 5.], [70., 10., 80., 20.]]], [[0, 0]], 'prompt 1 of sample 0.*outside'),
    ([[[-2., 3., -2., 3.]]], [[1]], 'prompt 0 of sample 0 \\(point.*outside'),
    ([[[1., 1., 5., 5.], [6., 6., 4., 9.]]], [[0, 0]],
     'prompt 1 of sample 0 \\(box\\) is degenerate'),
    ([[[3., 3., 3., 3.]]], [[0]], 'prompt 0 .* degenerate'),
    ([[[1., 1., 5., 5.]]], [[2]], 'prompt 0 of sample 0 has kind 2'),
    ([[[1., float('nan'), 5., 5.]]], [[0]], 'non-finite'),
])
def test_bad_prompts_are_clear_errors(encoder, boxes, kinds, match):
    with pytest.raises(ValueError, match=match):
        encoder(torch.tensor(boxes), torch.tensor(kinds), (32, 64), num_heads=2)


def test_bad_shapes_and_zero_prompts(encoder):
    with pytest.raises(ValueError, match='zero prompts'):
        encoder(torch.zeros(1, 0, 4), torch.zeros(1, 0, dtype=torch.long), (8, 8), 1)
    with pytest.raises(ValueError, match=r'\(B, P, 4\)'):
        encoder(torch.zeros(3, 4), torch.zeros(3, dtype=torch.long), (8, 8), 1)
    with pytest.raises(ValueError, match='kinds must be'):
        encoder(torch.ones(1, 2, 4), torch.zeros(1, 3, dtype=torch.long), (8, 8), 1)
    with pytest.raises(ValueError, match='img_shape'):
        encoder(torch.tensor([[[1., 1., 2., 2.]]]), torch.zeros(1, 1, dtype=torch.long),
                (8, 8, 3), 1)


@pytest.fixture(scope='module')
def toy_head():
    """The toy config's decoder head (real architecture, shrunk) with a synthetic vocabulary,
    built without the toy world on disk (that fixture takes a minute)."""
    torch.manual_seed(0)
    cfg = Config.fromfile(str(TOY_CONFIG)).model.panoptic_head
    head = MODELS.build(dict(cfg, in_channels=[16, 32, 64, 128], clip_dim=32,
                             class_embed_path='unused.pth'))
    k = head.num_classes
    emb = torch.nn.functional.normalize(torch.randn(k, 1, 32), dim=-1)
    head.classifier.set_embeddings(emb, [f'c{i}' for i in range(k)])
    for name, p in head.named_parameters():
        if p.dim() > 1 and 'transformer_decoder' in name:
            torch.nn.init.xavier_normal_(p)
    return head.eval()


def test_prompt_mask_independent_of_other_prompts(toy_head):
    torch.manual_seed(0)
    c = toy_head.transformer_decoder.embed_dims
    enc = PromptEncoder(feat_channels=c).eval()
    h, w = 64, 96
    feats = [torch.randn(1, ch, h // s, w // s) for ch, s in zip([16, 32, 64, 128],
                                                                 [4, 8, 16, 32])]
    boxes = torch.tensor([[[10., 10., 40., 30.], [57., 37., 63., 43.], [70., 5., 70., 5.]]])
    kinds = torch.tensor([[0, 0, 1]])
    nh = toy_head.num_heads
    with torch.no_grad():
        content, pos, attn = enc(boxes, kinds, (h, w), nh)
        together = toy_head(feats, 1, queries=(content, pos), self_attn_mask=attn)
        assert together[-1]['mask'].shape == (1, 3, 1, h // 4, w // 4)
        for j in range(3):
            cj, pj, aj = enc(boxes[:, j:j + 1], kinds[:, j:j + 1], (h, w), nh)
            alone = toy_head(feats, 1, queries=(cj, pj), self_attn_mask=aj)
            for s_all, s_one in zip(together, alone):
                assert torch.allclose(s_all['mask'][:, j], s_one['mask'][:, 0], atol=1e-5)
        # without the mask prompts do talk to each other: the test would notice a broken mask
        mixed = toy_head(feats, 1, queries=(content, pos), self_attn_mask=None)
    assert not torch.allclose(mixed[-1]['mask'], together[-1]['mask'], atol=1e-3)
    assert not math.isnan(float(together[-1]['mask'].sum()))
