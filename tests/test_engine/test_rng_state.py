"""Random states survive a checkpoint loaded with weights_only=True and resume every stream."""
import random

import numpy as np
import torch

from omgseg.engine.rng_state import capture_rng_state, restore_rng_state
from omgseg.utils.safe_load import register_safe_globals


def _draw():
    return (random.random(), random.gauss(0, 1), float(np.random.rand()),
            float(np.random.randn()), torch.rand(3).tolist())


def test_states_round_trip_through_a_weights_only_checkpoint(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    random.gauss(0, 1)       # leaves a cached gaussian in Python's state
    np.random.randn()        # and in numpy's
    state = capture_rng_state()
    expected = _draw()
    torch.save(dict(resume_state=dict(rng=[state])), tmp_path / 'ckpt.pth')
    _draw()
    register_safe_globals()
    loaded = torch.load(tmp_path / 'ckpt.pth', weights_only=True)
    restore_rng_state(loaded['resume_state']['rng'][0])
    assert _draw() == expected
