"""OMGCriterion against losses computed by hand (numpy) on 4x4 masks.

The criterion samples mask points by uncertainty at random; the ``every_pixel`` fixture replaces
that sampler with every pixel centre of the clip film, so BCE and dice over the points equal
BCE and dice over the whole mask. Everything else (matching, class / objectness targets,
normalisation, point sampling of logits and ground truth, frame stacking) is the real code.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from omgseg.models.losses import OMGCriterion
from omgseg.models.losses import criterion as criterion_module
from tests.test_models.golden import cross_entropy as ce
from tests.test_models.golden import focal, mask_bce, mask_dice, pixel_centres

K = 2          # classes; index 2 is void
VOID = K
# the criterion keeps its class weights (0.1 for void) in float32, hence not 1e-12
REL = 1e-7


@pytest.fixture
def every_pixel(monkeypatch):
    """Sample every pixel centre of the film once; record what the criterion asked for."""
    calls = []

    def sample(film, num_points, oversample_ratio, importance_sample_ratio):
        calls.append(dict(shape=tuple(film.shape), num_points=num_points,
                          oversample_ratio=oversample_ratio,
                          importance_sample_ratio=importance_sample_ratio))
        m, _, h, w = film.shape
        return pixel_centres(h, w).to(film)[None].expand(m, -1, -1)

    monkeypatch.setattr(criterion_module, 'uncertain_point_coords', sample)
    return calls


# the hand-made case: 2 queries, 1 target (class 0, top-left 2x2 of a 4x4 frame)
CLS = np.array([[2.0, 0.0, -1.0], [0.5, 0.0, 1.0]])
OBJ = np.array([1.5, -0.5])
Q0_MASK = np.array([[3., 2., -1., -2.], [1., 4., -3., 0.], [-2., -1., -4., -1.],
                    [0., -3., -2., -5.]])
Q1_MASK = np.full((4, 4), -2.0)
GT = np.zeros((4, 4))
GT[:2, :2] = 1


def preds(cls=CLS, obj=OBJ, masks=(Q0_MASK, Q1_MASK), dtype=torch.float64
          ) -> dict[str, torch.Tensor]:
    """One prediction set of one single-frame clip: cls (1,2,3), obj (1,2), mask (1,2,1,4,4)."""
    return dict(cls=torch.tensor(cls[None], dtype=dtype, requires_grad=True),
                obj=torch.tensor(obj[None], dtype=dtype, requires_grad=True),
                mask=torch.tensor(np.stack(masks)[None, :, None], dtype=dtype,
                                  requires_grad=True))


def target(label=0, mask=GT) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor([label]), torch.tensor(mask[None, None], dtype=torch.bool)


def empty_target(t=1) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(0, dtype=torch.long), torch.zeros((0, t, 4, 4), dtype=torch.bool)


def criterion(**kwargs) -> OMGCriterion:
    return OMGCriterion(num_classes=K, **kwargs).double()


Q0_TO_GT0 = [(torch.tensor([0]), torch.tensor([0]))]


def hand_losses(cls=CLS, obj=OBJ, mask=Q0_MASK, w_cls=2.0, w_obj=2.0, w_mask=5.0,
                w_dice=5.0, no_obj=0.1) -> dict[str, float]:
    """Query 0 matched to the target, query 1 unmatched (void)."""
    avg = max(1.0 + no_obj, 1.0)    # sum of class weights of the targets
    return dict(loss_cls=w_cls * (ce(cls[0], 0) + no_obj * ce(cls[1], VOID)) / avg,
                loss_obj=w_obj * (focal(obj[0], 1) + focal(obj[1], 0)) / avg,
                loss_mask=w_mask * mask_bce(mask, GT),
                loss_dice=w_dice * mask_dice(mask, GT))


def assert_losses(got: dict, expected: dict, prefix: str = '', rel: float = REL) -> None:
    for key, value in expected.items():
        assert float(got[prefix + key].detach()) == pytest.approx(value, rel=rel), prefix + key


def test_golden_values_with_default_weights(every_pixel):
    losses = criterion()([preds()], [target()], matched=Q0_TO_GT0)
    assert set(losses) == {'loss_cls', 'loss_obj', 'loss_mask', 'loss_dice'}
    assert_losses(losses, hand_losses())
    # one film of 1 mask x 1 frame x 4 x 4, with the configured sampling parameters
    assert every_pixel == [dict(shape=(1, 1, 4, 4), num_points=12544, oversample_ratio=3.0,
                                importance_sample_ratio=0.75)]


def test_hungarian_matching_picks_the_matching_query(every_pixel):
    # query 0 is right in class and mask, query 1 is wrong in both: same losses as given match
    # (float32: the matcher's random points are float32)
    losses = OMGCriterion(num_classes=K)([preds(dtype=torch.float32)], [target()])
    assert_losses(losses, hand_losses(), rel=1e-5)


def test_weights_and_no_object_weight(every_pixel):
    kw = dict(cls_weight=1.0, obj_weight=3.0, mask_weight=0.5, dice_weight=7.0,
              no_object_weight=0.5)
    losses = criterion(**kw)([preds()], [target()], matched=Q0_TO_GT0)
    assert_losses(losses, hand_losses(w_cls=1.0, w_obj=3.0, w_mask=0.5, w_dice=7.0,
                                      no_obj=0.5))
    # the void weight changes the class loss and nothing else
    base = criterion()([preds()], [target()], matched=Q0_TO_GT0)
    assert float(losses['loss_cls'].detach()) != pytest.approx(float(base['loss_cls'].detach()))


def test_deep_supervision_keys_and_sum(every_pixel):
    sets = [preds(cls=CLS * s, obj=OBJ * s, masks=(Q0_MASK * s, Q1_MASK)) for s in (0.5, 1, 2)]
    losses = criterion()(sets, [target()], matched=Q0_TO_GT0)
    assert set(losses) == {f'{p}loss_{n}' for p in ('d0.', 'd1.', '')
                           for n in ('cls', 'obj', 'mask', 'dice')}
    total = 0.0
    for prefix, s in (('d0.', 0.5), ('d1.', 1), ('', 2)):
        expected = hand_losses(cls=CLS * s, obj=OBJ * s, mask=Q0_MASK * s)
        assert_losses(losses, expected, prefix)
        total += sum(expected.values())
    # the training loss is the plain sum over every layer's terms (equal weights per layer)
    assert float(sum(losses.values()).detach()) == pytest.approx(total, rel=REL)


def test_empty_ground_truth(every_pixel):
    p = preds()
    losses = criterion()([p], [empty_target()])
    # every query is void (weight 0.1 each); the normaliser 0.2 is clamped to 1
    assert float(losses['loss_cls'].detach()) == pytest.approx(
        2 * 0.1 * (ce(CLS[0], VOID) + ce(CLS[1], VOID)), rel=REL)
    assert float(losses['loss_cls'].detach()) > 0
    assert float(losses['loss_obj'].detach()) == pytest.approx(
        2 * (focal(OBJ[0], 0) + focal(OBJ[1], 0)), rel=REL)
    assert float(losses['loss_mask'].detach()) == 0.0 and float(losses['loss_dice'].detach()) == 0.0
    assert every_pixel == []    # no mask to sample
    # still in the graph (DDP needs every mask parameter used), with zero gradient
    (losses['loss_mask'] + losses['loss_dice']).backward()
    assert p['mask'].grad is not None and torch.count_nonzero(p['mask'].grad) == 0


def test_normalisers_span_the_batch(every_pixel):
    # two clips: the first as above, the second with no ground truth
    one = preds()
    two = {k: torch.cat([v.detach(), v.detach()]) for k, v in one.items()}
    losses = criterion()([two], [target(), empty_target()],
                         matched=[Q0_TO_GT0[0], (torch.tensor([], dtype=torch.long),) * 2])
    avg = 1.0 + 0.1 * 3    # one matched query + three void queries
    assert float(losses['loss_cls'].detach()) == pytest.approx(
        2 * (ce(CLS[0], 0) + 0.1 * ce(CLS[1], VOID)
             + 0.1 * (ce(CLS[0], VOID) + ce(CLS[1], VOID))) / avg, rel=REL)
    assert float(losses['loss_obj'].detach()) == pytest.approx(
        2 * (focal(OBJ[0], 1) + focal(OBJ[1], 0) + focal(OBJ[0], 0) + focal(OBJ[1], 0)) / avg,
        rel=REL)
    # one mask in the batch: mask losses as for the single clip
    assert float(losses['loss_mask'].detach()) == pytest.approx(5 * mask_bce(Q0_MASK, GT), rel=REL)


def test_class_agnostic_target_has_no_class_loss(every_pixel):
    losses = criterion()([preds()], [target(label=-1)], matched=Q0_TO_GT0)
    # query 0's class term has weight 0; query 1 is void; the normaliser 0.1 is clamped to 1
    assert float(losses['loss_cls'].detach()) == pytest.approx(2 * 0.1 * ce(CLS[1], VOID), rel=REL)
    # objectness still says "foreground" for the matched query
    assert float(losses['loss_obj'].detach()) == pytest.approx(
        2 * (focal(OBJ[0], 1) + focal(OBJ[1], 0)), rel=REL)
    assert float(losses['loss_dice'].detach()) == pytest.approx(5 * mask_dice(Q0_MASK, GT), rel=REL)


def test_two_frame_clip_stacks_frames(every_pixel):
    # the thing is in frame 0 only; query 0 predicts frame 1 with other logits
    frame1 = np.array([[-1., 0., 1., -2.], [2., -3., 0., -1.], [-1., -1., -2., 3.],
                       [0., -4., -2., -1.]])
    gt = np.stack([GT, np.zeros((4, 4))])                          # (T=2, 4, 4)
    p = preds()
    p['mask'] = torch.tensor(np.stack([np.stack([Q0_MASK, frame1]),
                                       np.stack([Q1_MASK, Q1_MASK])])[None],
                             dtype=torch.float64)                  # (1, 2, 2, 4, 4)
    t = (torch.tensor([0]), torch.tensor(gt[None], dtype=torch.bool))
    losses = criterion()([p], [t], matched=Q0_TO_GT0)
    film = np.stack([Q0_MASK, frame1])
    # BCE is the mean over both frames' 32 pixels; dice counts both frames together
    assert float(losses['loss_mask'].detach()) == pytest.approx(5 * mask_bce(film, gt), rel=REL)
    assert float(losses['loss_dice'].detach()) == pytest.approx(5 * mask_dice(film, gt), rel=REL)
    assert every_pixel[0]['shape'] == (1, 1, 8, 4)
