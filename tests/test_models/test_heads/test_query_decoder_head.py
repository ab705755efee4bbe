"""OMGQueryHead built small in-process: prediction sets and shapes for T=1 and T=2, where frames
of a clip meet (the decoder's memory, not the pixel decoder), batch independence, prompts."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from omgseg.vocab.embedding_file import save_class_embeddings
from omgseg.registry import MODELS
from tests.test_models.tiny_modules import (C, IN_CHANNELS, SIZE, backbone_features,
                                            pixel_decoder_cfg)

Q, NUM_LAYERS, D = 5, 3, 8
K = 3     # 2 things + 1 stuff


@pytest.fixture(scope='module')
def embed_path(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('emb') / 'tiny.pth'
    names = ['cat', 'dog', 'sky']
    save_class_embeddings(path, F.normalize(torch.randn(K, 1, D), dim=-1), names,
                          synonyms=[[n] for n in names], clip_model=None, clip_pretrained=None,
                          templates=['{}'], num_things=2, num_stuff=1)
    return path


def _build_head(path, **extra):
    attn = dict(embed_dims=C, num_heads=2, dropout=0.0, batch_first=True)
    head = MODELS.build(dict(
        type='OMGQueryHead', in_channels=IN_CHANNELS, feat_channels=C, num_queries=Q,
        num_things_classes=2, num_stuff_classes=1, clip_dim=D, class_embed_path=str(path),
        pixel_decoder=dict(type='OMGPixelDecoder', **pixel_decoder_cfg()),
        transformer_decoder=dict(
            num_layers=NUM_LAYERS, return_intermediate=True, init_cfg=None,
            layer_cfg=dict(self_attn_cfg=attn, cross_attn_cfg=attn,
                           ffn_cfg=dict(embed_dims=C, feedforward_channels=32, num_fcs=2,
                                        ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
        **extra))
    head.init_weights()
    return head.eval()


@pytest.fixture(scope='module')
def head(embed_path):
    torch.manual_seed(0)
    return _build_head(embed_path)


@pytest.mark.parametrize('b, t', [(1, 1), (2, 1), (2, 2)])
def test_prediction_sets_and_shapes(head, b, t):
    with torch.no_grad():
        preds = head(backbone_features(b * t), num_frames=t)
    assert len(preds) == NUM_LAYERS + 1          # before the first layer and after each
    for p in preds:
        assert p['cls'].shape == (b, Q, K + 1)
        assert p['obj'].shape == (b, Q)
        assert p['mask'].shape == (b, Q, t, SIZE // 4, SIZE // 4)
        assert torch.all(p['cls'][..., -1] == 0)  # the void logit is a constant 0


def test_frames_meet_in_the_decoder_memory(head):
    feats = backbone_features(2)                  # one clip of two frames
    changed = [f.clone() for f in feats]
    for f in changed:
        f[1] += 1.0                               # alter frame 1 only
    with torch.no_grad():
        before, after = head(feats, num_frames=2), head(changed, num_frames=2)
    # the first prediction uses the learned queries and frame 0's own pixel features
    torch.testing.assert_close(before[0]['mask'][:, :, 0], after[0]['mask'][:, :, 0])
    # after the decoder layers, queries have attended to both frames: frame 0's masks move
    assert not torch.allclose(before[-1]['mask'][:, :, 0], after[-1]['mask'][:, :, 0],
                              atol=1e-4)


def test_clips_of_a_batch_are_independent(head):
    feats = backbone_features(4)                  # B=2 clips of T=2
    with torch.no_grad():
        both = head(feats, num_frames=2)
        second = head([f[2:] for f in feats], num_frames=2)
    for key in ('cls', 'obj', 'mask'):
        torch.testing.assert_close(both[-1][key][1:], second[-1][key], rtol=1e-4, atol=1e-4)


def test_given_queries_replace_the_learned_ones(head):
    content, pos = torch.randn(1, 3, C), torch.randn(1, 3, C)
    with torch.no_grad():
        preds = head(backbone_features(1), num_frames=1, queries=(content, pos))
    assert preds[-1]['cls'].shape == (1, 3, K + 1)
    assert preds[-1]['mask'].shape == (1, 3, 1, SIZE // 4, SIZE // 4)


def test_pixel_positions_start_at_zero_and_learn(head, embed_path):
    torch.manual_seed(1)
    pos_head = _build_head(embed_path, pixel_pos_encoding=dict(scale=25.0, temperature=100))
    missing, unexpected = pos_head.load_state_dict(head.state_dict(), strict=False)
    # the option adds one projection per memory level and one for the mask features, nothing else
    assert not unexpected
    assert sorted(missing) == sorted(f'pixel_pos_projs.{i}.{p}' for i in range(4)
                                     for p in ('weight', 'bias'))
    feats = backbone_features(2)
    with torch.no_grad():
        plain, with_pos = head(feats, num_frames=2), pos_head(feats, num_frames=2)
    for a, b in zip(plain, with_pos):         # zero projections: the plain head's outputs
        for key in ('cls', 'obj', 'mask'):
            torch.testing.assert_close(a[key], b[key])
    # ... and the projections get gradients from the masks from the first step
    pos_head.zero_grad()
    pos_head(feats, num_frames=2)[-1]['mask'].square().mean().backward()
    for i, proj in enumerate(pos_head.pixel_pos_projs):
        assert proj.weight.grad.abs().sum() > 0, f'level {i} gets no gradient'
    # once learned, identical features at different places differ
    with torch.no_grad():
        for proj in pos_head.pixel_pos_projs:
            proj.weight.normal_()
        maps = pos_head._add_pixel_pos([torch.zeros(1, C, 6, 6)] * 4)
    for m in maps:
        assert not torch.allclose(m[..., 1, 1], m[..., 4, 4])
        assert not torch.allclose(m[..., 1, 1], m[..., 1, 4])


def test_unknown_pixel_position_keyword_names_the_setting(embed_path):
    with pytest.raises(ValueError, match=r"panoptic_head.pixel_pos_encoding=\{'scael': 2.0\}: "
                                         r".*scael.*keywords of mmdet's SinePositionalEncoding"):
        _build_head(embed_path, pixel_pos_encoding=dict(scael=2.0))


def test_no_pixel_positions_keeps_the_released_keys(head):
    assert head.pixel_pos_projs is None
    assert not any(k.startswith('pixel_pos') for k in head.state_dict())


def test_level_cycle_sets_the_memory_each_layer_attends(head, embed_path):
    feats = backbone_features(1)
    cells = {lvl: (SIZE // s) ** 2 for lvl, s in enumerate((32, 16, 8))}
    with torch.no_grad():
        plain = head(feats, num_frames=1)
    # the original: layer i attends level i % 3, coarse to fine; each prediction's attention
    # mask is sized for the level the next layer attends to
    assert [p['attn_mask'].shape[-1] for p in plain] == [cells[i % 3] for i in range(4)]
    torch.manual_seed(0)
    fine_first = _build_head(embed_path, level_cycle=(2, 1, 0))
    fine_first.load_state_dict(head.state_dict())
    with torch.no_grad():
        preds = fine_first(feats, num_frames=1)
    assert [p['attn_mask'].shape[-1] for p in preds] == [cells[2], cells[1], cells[0],
                                                          cells[2]]
    # the same weights attending other levels give other queries
    assert not torch.allclose(preds[1]['mask'], plain[1]['mask'])
    torch.testing.assert_close(preds[0]['mask'], plain[0]['mask'])  # before any layer


@pytest.mark.parametrize('cycle', [(), (0, 3), (-1,)])
def test_level_cycle_names_the_setting(embed_path, cycle):
    with pytest.raises(ValueError, match=r'panoptic_head\.level_cycle must list memory '
                                         r'levels in 0\.\.2'):
        _build_head(embed_path, level_cycle=cycle)


def _first_cross_attn_mask(head, feats, **kwargs) -> torch.Tensor:
    seen = {}

    def grab(module, args, kw):
        seen['mask'] = kw['cross_attn_mask']
    handle = head.transformer_decoder.layers[0].register_forward_pre_hook(grab, with_kwargs=True)
    try:
        head(feats, num_frames=1, **kwargs)
    finally:
        handle.remove()
    return seen['mask']


def test_spatial_prior_centres_each_query_on_its_point(head, embed_path):
    torch.manual_seed(0)
    prior_head = _build_head(embed_path, spatial_prior=dict(sigma=0.1),
                             mask_prompt_first_layer=False)
    missing, unexpected = prior_head.load_state_dict(head.state_dict(), strict=False)
    assert missing == ['spatial_prior.anchors.weight'] and not unexpected
    feats = backbone_features(1)
    side = SIZE // 32                                 # the first layer's level: stride 32
    with torch.no_grad():
        plain = _first_cross_attn_mask(head, feats)
        mask = _first_cross_attn_mask(prior_head, feats)
    assert plain.dtype == torch.bool and mask.dtype == torch.float32
    assert mask.shape == plain.shape == (2 * 1, Q, side * side)     # (B * nH, Q, h * w)
    # where the plain head does not attend, neither does the prior's; elsewhere the logit is
    # -d^2 / (2 sigma^2), d from the cell centre to the query's anchor
    assert torch.isinf(mask[plain]).all()
    anchors = prior_head.spatial_prior.anchors.weight.sigmoid()
    centres = (torch.stack(torch.meshgrid(torch.arange(side), torch.arange(side),
                                          indexing='xy'), -1).reshape(-1, 2) + 0.5) / side
    def prior(points):
        logits = -((centres[None] - points[:, None]) ** 2).sum(-1) / (2 * 0.1 ** 2)
        return logits[None].expand(2, -1, -1)           # the same for both heads
    torch.testing.assert_close(mask[~plain], prior(anchors)[~plain])
    # prompts (first layer unmasked here): the caller's points are the centres; without them
    # the head says what is missing
    content, pos = torch.randn(1, 2, C), torch.randn(1, 2, C)
    points = torch.tensor([[0.1, 0.1], [0.9, 0.6]])
    with torch.no_grad():
        mask = _first_cross_attn_mask(prior_head, feats, queries=(content, pos),
                                      query_ref=points[None])
    torch.testing.assert_close(mask, prior(points))
    assert mask[0].argmax(-1).tolist() == [0, 3]        # top-left cell; bottom-right cell
    with pytest.raises(ValueError, match='spatial_prior needs the reference points'):
        prior_head(feats, num_frames=1, queries=(content, pos))


def test_spatial_prior_anchors_learn_and_stay_in_the_graph_for_prompts(embed_path):
    torch.manual_seed(0)
    prior_head = _build_head(embed_path, spatial_prior=dict(sigma=0.2)).train()
    anchors = prior_head.spatial_prior.anchors.weight
    # a grid over the canvas to start with
    assert anchors.sigmoid().min() > 0 and anchors.sigmoid().max() < 1
    assert len({tuple(p) for p in anchors.sigmoid().round(decimals=3).tolist()}) == Q
    prior_head(backbone_features(1), num_frames=1)[-1]['mask'].square().mean().backward()
    assert anchors.grad.abs().sum() > 0
    assert prior_head.unused_parameters_term(prompted=True).grad_fn is not None
    anchors.grad = None
    prior_head.unused_parameters_term(prompted=True).backward()
    assert anchors.grad is not None and not anchors.grad.any()


def test_spatial_prior_without_anchors_is_for_prompts_only(head, embed_path):
    torch.manual_seed(0)
    prompts_only = _build_head(embed_path, spatial_prior=dict(sigma=0.1, anchors=False))
    prompts_only.load_state_dict(head.state_dict())     # no parameter of its own
    feats = backbone_features(1)
    with torch.no_grad():
        plain, same = head(feats, num_frames=1), prompts_only(feats, num_frames=1)
        assert _first_cross_attn_mask(prompts_only, feats).dtype == torch.bool
        content, pos = torch.randn(1, 2, C), torch.randn(1, 2, C)
        mask = _first_cross_attn_mask(prompts_only, feats, queries=(content, pos),
                                      query_ref=torch.tensor([[[0.1, 0.1], [0.9, 0.6]]]))
    for a, b in zip(plain, same):                       # object queries: the plain head
        torch.testing.assert_close(a['mask'], b['mask'])
    assert mask.dtype == torch.float32 and torch.isfinite(mask).any()
    assert prompts_only.unused_parameters_term(prompted=True) is not None


@pytest.mark.parametrize('setting, cfg, message', [
    ('spatial_prior', dict(sigma=0), r'spatial_prior\.sigma must be > 0, got 0'),
    ('spatial_prior', dict(sigam=0.1),
     r"spatial_prior=\{'sigam': 0\.1\}: .*sigam.*takes sigma and anchors"),
    ('mask_window', dict(sigma=0), r'mask_window\.sigma must be > 0, got 0'),
    ('mask_window', dict(width=0.1), r"mask_window=\{'width': 0\.1\}: .*width.*takes sigma")])
def test_spatial_settings_are_checked(embed_path, setting, cfg, message):
    with pytest.raises(ValueError, match=message):
        _build_head(embed_path, **{setting: cfg})


def test_mask_window_shapes_every_mask_around_its_reference(head, embed_path):
    torch.manual_seed(0)
    window_head = _build_head(embed_path, mask_window=dict(sigma=0.3))
    missing, unexpected = window_head.load_state_dict(head.state_dict(), strict=False)
    assert sorted(missing) == ['mask_window.anchors.weight', 'mask_window.head.bias',
                               'mask_window.head.weight'] and not unexpected
    feats = backbone_features(2)
    with torch.no_grad():
        plain, windowed = head(feats, num_frames=2), window_head(feats, num_frames=2)
    # before any layer the queries are the same: the masks differ by the window alone, centred
    # on each object query's anchor, sigma wide (the window's head starts at zero)
    side = SIZE // 4
    grid = (torch.arange(side) + 0.5) / side
    anchors = window_head.mask_window.anchor_points(1)[0]
    for q in range(Q):
        ax, ay = anchors[q].tolist()
        want = -0.5 * (((grid[None, :] - ax) / 0.3) ** 2 + ((grid[:, None] - ay) / 0.3) ** 2)
        got = windowed[0]['mask'][0, q] - plain[0]['mask'][0, q]               # (T, H, W)
        torch.testing.assert_close(got, want.expand(2, -1, -1), rtol=1e-4, atol=1e-4)
    # prompts: the window sits on the caller's points; without them the head says so
    content, pos = torch.randn(1, 2, C), torch.randn(1, 2, C)
    points = torch.tensor([[[0.1, 0.1], [0.9, 0.6]]])
    with torch.no_grad():
        ref_plain = head([f[:1] for f in feats], num_frames=1,
                         queries=(content, pos))
        prompted = window_head([f[:1] for f in feats], num_frames=1, queries=(content, pos),
                               query_ref=points)
    diff = prompted[0]['mask'][0, :, 0] - ref_plain[0]['mask'][0, :, 0]       # (2, H, W)
    peaks = [divmod(int(d.argmax()), side) for d in diff]
    assert peaks == [(int(0.1 * side), int(0.1 * side)), (int(0.6 * side), int(0.9 * side))]
    with pytest.raises(ValueError, match='mask_window needs the reference points'):
        window_head([f[:1] for f in feats], num_frames=1, queries=(content, pos))


def test_mask_window_learns_and_its_anchors_stay_in_the_graph_for_prompts(embed_path):
    torch.manual_seed(0)
    window_head = _build_head(embed_path, mask_window=dict(sigma=0.3)).train()
    window_head(backbone_features(1), num_frames=1)[-1]['mask'].square().mean().backward()
    assert window_head.mask_window.head.weight.grad.abs().sum() > 0
    anchors = window_head.mask_window.anchors.weight
    assert anchors.grad.abs().sum() > 0
    anchors.grad = None
    window_head.unused_parameters_term(prompted=True).backward()
    assert anchors.grad is not None and not anchors.grad.any()

