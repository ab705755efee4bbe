"""Open-vocabulary fusion: the formula against a float64 reference, the seen mask on real
vocabularies, and the model using it for images, clips, streamed videos and prompts."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from omgseg.models.tasks import ClassScorer, parse_open_vocab_cfg
from omgseg.models.tasks.clips import clip_outputs, link_batch
from omgseg.models.tasks.interactive import batch_prompts
from omgseg.models.layers import mask_pool
from omgseg.models.postprocess import fuse_open_vocab, seen_classes
from omgseg.registry import MODELS
from omgseg.vocab import vocabulary_from
from omgseg.vocab.embedding_file import save_class_embeddings
from tests.conftest import toy_cfg
from tests.batches import make_batch


def _reference(query, clip, seen, has_mask, alpha, beta):
    """The formula written out as the original does it: products of powers, in float64."""
    query, clip = query.double(), clip.double()
    k = query.shape[-1] - 1
    p_q = query[..., :k].exp() / query[..., :k].exp().sum(-1, keepdim=True)
    p_c = clip[..., :k].exp() / clip[..., :k].exp().sum(-1, keepdim=True)
    valid = has_mask.double()[..., None]
    a = torch.ones_like(p_q) * alpha * valid
    b = torch.ones_like(p_q) * beta * valid
    seen = seen.double()
    mixed = ((p_q ** (1 - a) * p_c ** a).log() * seen
             + (p_q ** (1 - b) * p_c ** b).log() * (1 - seen))
    fused = mixed.exp() / mixed.exp().sum(-1, keepdim=True)
    p_void = query.exp()[..., -1:] / query.exp().sum(-1, keepdim=True)
    return torch.log(torch.cat([fused * (1 - p_void), p_void], -1) + 1e-8)


def _random_case(shape=(2, 6), k=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(*shape, k + 1, generator=g, dtype=torch.float64) * 3
    clip = torch.randn(*shape, k + 1, generator=g, dtype=torch.float64) * 5
    seen = torch.rand(k, generator=g) > 0.5
    seen[0], seen[1] = True, False
    has_mask = torch.rand(*shape, generator=g) > 0.3
    has_mask.view(-1)[0] = False
    return query, clip, seen, has_mask


def test_fusion_matches_the_float64_reference():
    query, clip, seen, has_mask = _random_case()
    got = fuse_open_vocab(query, clip, seen, has_mask, alpha=0.4, beta=0.8)
    assert got.shape == query.shape and got.dtype == torch.float64
    torch.testing.assert_close(got, _reference(query, clip, seen, has_mask, 0.4, 0.8),
                               atol=1e-6, rtol=0)
    # a CLIP void column is dropped, so K and K+1 columns give the same result
    torch.testing.assert_close(fuse_open_vocab(query, clip[..., :-1], seen, has_mask), got,
                               atol=0, rtol=0)
    # any leading shape; float32 inputs agree with the float64 reference to 1e-5
    q1, c1, s1, m1 = _random_case(shape=(3,), k=5, seed=1)
    torch.testing.assert_close(fuse_open_vocab(q1.float(), c1.float(), s1, m1).double(),
                               _reference(q1, c1, s1, m1, 0.4, 0.8), atol=1e-5, rtol=0)


def test_query_without_mask_keeps_its_own_probabilities():
    query, clip, seen, has_mask = _random_case()
    plain = torch.log(query.softmax(-1) + 1e-8)
    empty = fuse_open_vocab(query, clip, seen, torch.zeros_like(has_mask))
    torch.testing.assert_close(empty, plain, atol=1e-10, rtol=0)
    got = fuse_open_vocab(query, clip, seen, has_mask)
    torch.testing.assert_close(got[~has_mask], plain[~has_mask], atol=1e-10, rtol=0)
    assert (got[has_mask] - plain[has_mask]).abs().amax() > 0.1


def test_zero_weights_return_the_query_probabilities():
    query, clip, seen, _ = _random_case(seed=2)
    full = torch.ones(query.shape[:-1], dtype=torch.bool)
    got = fuse_open_vocab(query, clip, seen, full, alpha=0.0, beta=0.0)
    torch.testing.assert_close(got, torch.log(query.softmax(-1) + 1e-8), atol=1e-10, rtol=0)


def test_unit_weights_give_clip_ranking_with_the_query_void():
    query, clip, seen, _ = _random_case(seed=3)
    full = torch.ones(query.shape[:-1], dtype=torch.bool)
    got = fuse_open_vocab(query, clip, seen, full, alpha=1.0, beta=1.0)
    p_void = query.softmax(-1)[..., -1:]
    torch.testing.assert_close(got[..., -1:], torch.log(p_void + 1e-8), atol=1e-10, rtol=0)
    expected = torch.log(clip[..., :-1].softmax(-1) * (1 - p_void) + 1e-8)
    torch.testing.assert_close(got[..., :-1], expected, atol=1e-10, rtol=0)
    assert torch.equal(got[..., :-1].argsort(-1), clip[..., :-1].argsort(-1))


def test_seen_and_unseen_columns_use_their_own_exponent():
    """alpha=0, beta=1: seen columns keep the query's ratios, unseen ones take CLIP's."""
    query, clip, seen, _ = _random_case(seed=4)
    full = torch.ones(query.shape[:-1], dtype=torch.bool)
    p = fuse_open_vocab(query, clip, seen, full, alpha=0.0, beta=1.0).exp() - 1e-8
    k = query.shape[-1] - 1
    s, u = seen.nonzero()[:, 0], (~seen).nonzero()[:, 0]
    assert len(s) >= 2 and len(u) >= 2
    p_q, p_c = query[..., :k].softmax(-1), clip[..., :k].softmax(-1)
    torch.testing.assert_close(p[..., s[1]] / p[..., s[0]], p_q[..., s[1]] / p_q[..., s[0]])
    torch.testing.assert_close(p[..., u[1]] / p[..., u[0]], p_c[..., u[1]] / p_c[..., u[0]])
    # across the groups: p_seen / p_unseen = p_q / p_c, both renormalised together
    ratio = (p[..., s[0]] / p[..., u[0]]) / (p_q[..., s[0]] / p_c[..., u[0]])
    torch.testing.assert_close(ratio, ratio[..., :1].expand_as(ratio))


def test_fusion_rejects_inconsistent_inputs():
    query, clip, seen, has_mask = _random_case()
    with pytest.raises(ValueError, match='seen must have shape'):
        fuse_open_vocab(query, clip, seen[:-1], has_mask)
    with pytest.raises(ValueError, match='clip_logits'):
        fuse_open_vocab(query, clip[..., :-2], seen, has_mask)
    with pytest.raises(ValueError, match='has_mask'):
        fuse_open_vocab(query, clip, seen, has_mask[0])
    with pytest.raises(ValueError, match='alpha must be in'):
        fuse_open_vocab(query, clip, seen, has_mask, alpha=1.5)
    # half precision is computed in float32 (1e-8 would underflow to log(0) in float16)
    half = fuse_open_vocab(query.half(), clip.half(), seen, has_mask)
    assert half.dtype == torch.float32 and torch.isfinite(half).all()


def test_seen_classes_coco_panoptic_vs_youtube_vis_2019():
    train = vocabulary_from('coco_panoptic')['classes']
    test = vocabulary_from('youtube_vis_2019')['classes']
    seen = seen_classes(train, test)
    assert seen.dtype == torch.bool and seen.shape == (40,)
    # checked by hand against the two lists; 'tennis_racket' is COCO's 'tennis racket', while
    # 'motorbike' (COCO: motorcycle), 'sedan' (car) and 'giant_panda' (bear) are unseen
    expected = {'person', 'skateboard', 'dog', 'cat', 'cow', 'train', 'horse', 'bear',
                'giraffe', 'surfboard', 'airplane', 'truck', 'zebra', 'elephant', 'snowboard',
                'boat', 'mouse', 'tennis_racket'}
    assert {name for name, s in zip(test, seen.tolist()) if s} == expected
    for name in ('motorbike', 'sedan', 'giant_panda'):
        assert not seen[test.index(name)]


def test_seen_classes_normalise_and_split_synonyms():
    train = ['Person', 'tv remote/remote control', 'handrail_or_fence', 'brick']
    test = ['person ,child', 'Remote Control', 'fence', 'rail', 'wall, brick', 'TV_remote',
            'personal']
    assert seen_classes(train, test).tolist() == [True, True, True, False, True, True, False]
    assert seen_classes([], ['cat']).tolist() == [False]
    with pytest.raises(TypeError, match='single string'):
        seen_classes('person', ['person'])


def test_open_vocab_config_errors_name_the_key(ov_root):
    base = dict(train_vocabulary='coco_panoptic')
    settings = parse_open_vocab_cfg(base)
    assert (settings.alpha, settings.beta) == (0.4, 0.8) and len(settings.train_classes) == 133
    assert parse_open_vocab_cfg(None) is None
    with pytest.raises(ValueError, match=r'test_cfg\.open_vocab\.alpha'):
        parse_open_vocab_cfg(dict(base, alpha=1.5))
    with pytest.raises(ValueError, match=r'test_cfg\.open_vocab\.beta'):
        parse_open_vocab_cfg(dict(base, beta=True))
    with pytest.raises(KeyError, match=r'test_cfg\.open_vocab\.gamma'):
        parse_open_vocab_cfg(dict(base, gamma=0.1))
    with pytest.raises(ValueError, match=r'test_cfg\.open_vocab\.train_vocabulary is required'):
        parse_open_vocab_cfg(dict(alpha=0.3))
    with pytest.raises(KeyError, match=r'test_cfg\.open_vocab\.train_vocabulary.*no_such'):
        parse_open_vocab_cfg(dict(train_vocabulary='no_such_vocabulary'))
    with pytest.raises(TypeError, match='test_cfg.open_vocab must be'):
        parse_open_vocab_cfg('coco_panoptic')
    # the model checks it at build time
    cfg = _ov_cfg(ov_root)
    cfg.model.test_cfg = dict(open_vocab=dict(base, alpha=-0.1))
    with pytest.raises(ValueError, match=r'test_cfg\.open_vocab\.alpha'):
        MODELS.build(cfg.model)


# -- the model -------------------------------------------------------------------------------
# toy vocabulary: person, bicycle, car, bird, dog | road, sky, grass
OPEN_VOCAB = dict(train_vocabulary=dict(thing_classes=['person', 'car'],
                                        stuff_classes=['sky']))
TOY_SEEN = [True, False, True, False, False, False, True, False]


@pytest.fixture(scope='module')
def ov_root(tmp_path_factory):
    """Random unit class embeddings (2 synonyms each) for the toy vocabulary of the tiny
    CLIP; the CLIP keeps random weights (no subprocess, unlike the ``toy_root`` fixture)."""
    root = tmp_path_factory.mktemp('ov')
    names = list(vocabulary_from('toy')['classes'])
    g = torch.Generator().manual_seed(0)
    embeddings = F.normalize(torch.randn(len(names), 2, 64, generator=g), dim=-1)
    save_class_embeddings(root / 'toy.pth', embeddings, names,
                          synonyms=[[n, n + 's'] for n in names], clip_model=None,
                          clip_pretrained=None, templates=['a photo of a {}.'])
    return root


def _ov_cfg(root):
    cfg = toy_cfg(root)
    cfg.model.backbone.pretrained = None
    cfg.model.backbone.frozen = True
    cfg.model.panoptic_head.class_embed_path = str(root / 'toy.pth')
    return cfg


@pytest.fixture(scope='module')
def ov_model(ov_root):
    cfg = _ov_cfg(ov_root)
    cfg.model.panoptic_head.prompt_encoder = dict(type='PromptEncoder')
    cfg.model.test_cfg = dict(clips=dict(clip_size=3, clip_size_small=2, small_clip_thr=6),
                              open_vocab=OPEN_VOCAB)
    torch.manual_seed(0)  # module fixtures run before the per-test seed
    m = MODELS.build(cfg.model)
    assert m.backbone.clip_dim == 64
    m.init_weights()
    return m.eval()


def _plain(model):
    """Run a block without open-vocabulary fusion."""
    return model.evaluation_setting(test_cfg=dict(open_vocab=None))


def _clip_logits_by_hand(model, inputs, mask):
    """CLIP logits of each query recomputed from the backbone, mask_pool and the classifier,
    plus whether its mask has a positive pixel at CLIP resolution."""
    b, t = inputs.shape[:2]
    clip_map = model.backbone.get_clip_feature(model.backbone(inputs.flatten(0, 1))[-1])
    clip_map = clip_map.view(b, t, *clip_map.shape[1:])
    size = clip_map.shape[-2:]
    small = F.interpolate(mask.flatten(0, 2)[:, None], size=size, mode='bilinear',
                          align_corners=False)
    has_mask = (small.view(*mask.shape[:3], -1) > 0).flatten(2).any(-1)
    embed = model.backbone.project_pooled(mask_pool(clip_map, mask))
    return model.panoptic_head.classifier(embed), has_mask


@pytest.mark.parametrize('frames', [1, 3])
@torch.no_grad()
def test_model_fuses_clip_logits(ov_model, frames):
    model = ov_model
    torch.manual_seed(10 + frames)
    inputs = model.data_preprocessor(make_batch(2, frames), training=False)['inputs']
    with _plain(model):
        plain = clip_outputs(model.task_context(), inputs)
    fused = clip_outputs(model.task_context(), inputs)
    # without open_vocab the clip's logits are the decoder's own, untouched
    assert torch.equal(plain['cls'], model._forward(inputs)[-1]['cls'])
    for key in ('obj', 'query', 'mask'):
        assert torch.equal(plain[key], fused[key])
    clip_logits, has_mask = _clip_logits_by_hand(model, inputs, plain['mask'])
    assert torch.equal(model.scorer.seen(), torch.tensor(TOY_SEEN))
    expected = fuse_open_vocab(plain['cls'], clip_logits, torch.tensor(TOY_SEEN), has_mask,
                               alpha=0.4, beta=0.8)
    torch.testing.assert_close(fused['cls'], expected, atol=1e-5, rtol=0)
    # CLIP really moved the class distribution of queries with a mask
    moved = (fused['cls'].softmax(-1) - plain['cls'].softmax(-1)).abs().amax(-1)
    assert has_mask.any() and moved[has_mask].amax() > 1e-3


@torch.no_grad()
def test_predict_uses_fused_logits_for_images_and_videos(ov_model):
    model = ov_model
    torch.manual_seed(20)
    image = model.data_preprocessor(make_batch(1, 1), training=False)
    ctx = model.task_context()
    linkers, _ = link_batch(ctx, model.test_settings.clips, image['inputs'])
    torch.testing.assert_close(linkers[0].video_logits()[0],
                               clip_outputs(ctx, image['inputs'])['cls'][0])
    batch = make_batch(1, 3)
    frames = batch['inputs'][0]
    video = model.data_preprocessor(batch, training=False)
    # thing-only top-k keeps max_per_image results either way, so the scores line up (the
    # default all-class top-k keeps a logit-dependent number of them)
    things = dict(objects=dict(instance_topk='things'))
    with _plain(model), model.evaluation_setting(test_cfg=things):
        plain = model.predict(video['inputs'], video['data_samples'])[0].pred_track_instances
    with model.evaluation_setting(test_cfg=things):
        fused = model.predict(video['inputs'],
                              video['data_samples'])[0].pred_track_instances
    assert not torch.allclose(fused.scores, plain.scores)
    fused = model.predict(video['inputs'], video['data_samples'])[0].pred_track_instances
    # the streamed long-video path fuses too and agrees with predict
    streamed = model.predict_video(iter(frames), num_frames=3,
                                   meta=dict(img_shape=(64, 96), ori_shape=(64, 96)),
                                   sink=lambda i, o: None)
    torch.testing.assert_close(streamed['scores'], fused.scores)
    assert torch.equal(streamed['labels'], fused.labels)


@torch.no_grad()
def test_prompt_labels_come_from_fused_logits(ov_model):
    model = ov_model
    torch.manual_seed(30)
    batch = make_batch(1, 1)
    frame = batch['data_samples'][0].video_data_samples[0]
    batch['data_samples'][0].set_metainfo(dict(task='interactive'))
    frame.prompts = InstanceData(boxes=torch.tensor([[10., 8., 16., 14.], [30., 20., 80., 60.]]),
                                 kinds=torch.zeros(2, dtype=torch.long),
                                 instances_ids=torch.tensor([11, 12]))
    data = model.data_preprocessor(batch, training=False)
    inputs, samples = data['inputs'], data['data_samples']
    pred = model.predict(inputs, samples)[0].video_data_samples[0].pred_prompt_masks
    head = model.panoptic_head
    feats = model.extract_feat(inputs)
    boxes, kinds, shapes, _ = batch_prompts(samples, inputs.device)
    content, positional, attn = head.encode_prompts(boxes, kinds, shapes)
    last = head(feats, 1, queries=(content, positional), self_attn_mask=attn)[-1]
    clip_logits, has_mask = _clip_logits_by_hand(model, inputs, last['mask'])
    assert has_mask.all()
    fused = fuse_open_vocab(last['cls'], clip_logits, torch.tensor(TOY_SEEN), has_mask)
    scores, labels = fused[0].softmax(-1)[:, :-1].max(-1)
    torch.testing.assert_close(pred.scores, scores, atol=1e-5, rtol=0)
    assert torch.equal(pred.labels, labels)
    plain_scores = last['cls'][0].softmax(-1)[:, :-1].amax(-1)
    assert not torch.allclose(pred.scores, plain_scores)


def test_seen_mask_follows_a_vocabulary_swap_and_needs_class_names(ov_model):
    classifier = ov_model.panoptic_head.classifier
    assert ov_model.scorer.seen().tolist() == TOY_SEEN
    protos = classifier.class_embed[:-1]
    with ov_model.evaluation_setting(class_embeddings=protos[[6, 4, 0]],
                                     class_names=['Sky', 'puppy,dog', 'person_or_human']):
        assert ov_model.scorer.seen().tolist() == [True, False, True]
        assert ov_model.num_things == 3 and ov_model.num_classes == 3
    assert ov_model.scorer.seen().tolist() == TOY_SEEN and ov_model.num_classes == 8
    # prototypes without class names (e.g. swapped in by hand) cannot be told seen or unseen
    scorer = ClassScorer(classifier=classifier, clip=None, num_things=5,
                         open_vocab=ov_model.test_settings.open_vocab)
    saved = classifier._class_names
    classifier._class_names = None
    try:
        with pytest.raises(ValueError, match='fusion needs the class names'):
            scorer.seen()
    finally:
        classifier._class_names = saved
