"""mmengine checkpoints load with torch.load(weights_only=True) once omgseg allow-lists their
contents, and the allow-list does not open a path to arbitrary calls."""
import collections
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from omgseg.utils.safe_load import register_safe_globals


def _mmengine_like_checkpoint(path):
    hub = MessageHub.get_instance('safe_load_test')
    for i in range(5):
        hub.update_scalar('train/loss', float(i))
    torch.save(dict(meta=dict(seed=np.int64(3), epoch=2), state_dict={'w': torch.ones(2)},
                    message_hub=hub.state_dict(),
                    param_schedulers=[dict(milestones=collections.Counter({8: 1, 11: 1}))]),
               path)


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    _mmengine_like_checkpoint(path)
    register_safe_globals()
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer) and buf.mean() == pytest.approx(2.0)
    assert ckpt['param_schedulers'][0]['milestones'][8] == 1


class _Sneaky:
    """Pickles as getattr(np.ndarray, 'tofile'): a file-writing method of an allowed class."""

    def __reduce__(self):
        return getattr, (np.ndarray, 'tofile')


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': _Sneaky()}, path)
    register_safe_globals()
    with pytest.raises(pickle.UnpicklingError, match='tofile'):
        torch.load(path, map_location='cpu', weights_only=True)
