"""Open-vocabulary fusion against the original's ``open_voc_inference`` (alpha 0.4, beta 0.8).

For an image and a 2-frame clip the original pooled a fixed CLIP map inside the query masks,
classified the projected features with the head's prototypes and fused the two distributions.
One query has an empty mask, so it keeps the decoder's probabilities.
"""
from __future__ import annotations

import pytest
import torch

from omgseg.models.layers import mask_pool
from omgseg.models.postprocess import clip_resolution_masks, fuse_open_vocab
from omgseg.models.text import TextEmbeddingClassifier
from tests.test_fidelity.original import ATOL, load_fixture

FX = load_fixture('open_vocab')
PROTOTYPES = load_fixture('head')['class_embeddings']


def classifier() -> TextEmbeddingClassifier:
    clf = TextEmbeddingClassifier(embed_path='fixture-embeddings-set-below.pth',
                                  num_classes=len(PROTOTYPES))
    clf.set_embeddings(PROTOTYPES, [f'class {i}' for i in range(len(PROTOTYPES))])
    return clf


@pytest.mark.parametrize('case', FX['cases'], ids=[c['name'] for c in FX['cases']])
def test_fusion_matches_original(case):
    t = case['num_frames']
    masks = case['masks'] if case['masks'].dim() == 5 else case['masks'][:, :, None]
    clip_map = case['clip_map'].view(1, t, *case['clip_map'].shape[1:])
    small, has_mask = clip_resolution_masks(masks, tuple(clip_map.shape[-2:]))
    pooled = mask_pool(clip_map, small)
    torch.testing.assert_close(pooled, case['pooled'], atol=ATOL, rtol=0)
    # the last query has no positive pixel; others may lose theirs at CLIP resolution
    assert not has_mask[0, -1] and has_mask.sum() >= 4
    with torch.no_grad():
        clip_logits = classifier()(case['projected'])
    torch.testing.assert_close(clip_logits, case['clip_logits'], atol=ATOL, rtol=0)
    seen = torch.tensor(FX['seen'], dtype=torch.bool)
    fused = fuse_open_vocab(case['cls'], clip_logits, seen, has_mask, alpha=FX['alpha'],
                            beta=FX['beta'])
    torch.testing.assert_close(fused, case['fused'], atol=ATOL, rtol=0)
    # the query without mask keeps the decoder's class distribution
    torch.testing.assert_close(fused[0, -1, :-1].softmax(-1),
                               case['cls'][0, -1, :-1].softmax(-1), atol=1e-6, rtol=0)


def test_underflow_gives_nan_in_the_original_not_here():
    case = FX['underflow']
    assert case['nan_rows'] > 0 and torch.isnan(case['fused']).any()
    k = case['cls'].shape[-1] - 1
    has_mask = torch.ones(case['cls'].shape[:-1], dtype=torch.bool)
    fused = fuse_open_vocab(case['cls'], case['clip_logits'], torch.tensor(FX['seen']).bool(),
                            has_mask, alpha=FX['alpha'], beta=FX['beta'])
    assert torch.isfinite(fused).all() and fused.shape[-1] == k + 1
    finite = ~torch.isnan(case['fused']).any(-1)
    torch.testing.assert_close(fused[finite], case['fused'][finite], atol=ATOL, rtol=0)
