"""Typed test settings: sections merge over defaults, every bad key is named with its section,
the old flat layout points to the new place."""
import pytest

from omgseg.models.tasks import InferenceSettings

TOY_OV = dict(train_vocabulary=dict(thing_classes=['cat'], stuff_classes=['sky']), alpha=0.3)


def test_defaults_and_merging():
    s = InferenceSettings.from_cfg(None)
    assert s.objects.panoptic_on and s.clips.clip_size == 5 and s.vos.num_proposals == 25
    assert s.open_vocab is None and s.interactive.mask_thr == 0.0
    m = s.merged(dict(clips=dict(clip_size=2), objects=dict(instance_on=False),
                      open_vocab=TOY_OV))
    assert m.clips.clip_size == 2 and m.clips.clip_size_small == 3      # others kept
    assert not m.objects.instance_on and m.objects.semantic_on
    assert m.open_vocab.train_classes == ('cat', 'sky') and m.open_vocab.alpha == 0.3
    assert s.clips.clip_size == 5                                       # s itself unchanged
    # merging keeps the open vocabulary unless the override names it; None switches it off
    assert m.merged(dict(vos=dict(num_proposals=3))).open_vocab == m.open_vocab
    assert m.merged(dict(open_vocab=None)).open_vocab is None


@pytest.mark.parametrize('cfg,error,match', [
    (dict(objects=dict(panoptic=True)), KeyError, r'test_cfg\.objects\.panoptic'),
    (dict(vos=dict(num_proposal=3)), KeyError, r'test_cfg\.vos\.num_proposal'),
    (dict(video=dict()), KeyError, r"unknown test_cfg section\(s\) \['video'\]"),
    (dict(num_proposals=3), KeyError, r'test_cfg\.num_proposals -> test_cfg\.vos\.'),
    (dict(overlap_thr=0.5, clip_size=2), KeyError, r'test_cfg\.clip_size -> test_cfg\.clips'),
    (dict(clips=[2]), TypeError, r'test_cfg\.clips must be a dict'),
    (dict(vos=dict(num_proposals=0)), ValueError, r'test_cfg\.vos\.num_proposals must be'),
    (dict(open_vocab=dict(TOY_OV, alpha=2)), ValueError, r'test_cfg\.open_vocab\.alpha'),
    (dict(open_vocab=dict(alpha=0.2)), ValueError, 'train_vocabulary is required'),
    ('clips', TypeError, 'test_cfg must be a dict of sections'),
])
def test_bad_settings_are_named(cfg, error, match):
    with pytest.raises(error, match=match):
        InferenceSettings.from_cfg(cfg)
