"""The fixtures were computed with one CPU thread. Logits reach ~100 (cosine x 100), where
float32 steps are ~8e-6, so a 1e-5 comparison needs the same summation order: multi-threaded
kernels split sums differently and move logits by a few 1e-5 (float rounding, not a model
difference). The fidelity tests therefore run single-threaded too, and with the deformable
attention the original ran on the CPU (mmcv's ``grid_sample`` path; omgseg's default there is
the fused numba kernel, equal to float rounding, which moves such logits by up to ~3e-5)."""
import pytest
import torch

from omgseg.models.layers import MSDA_IMPL_ENV


@pytest.fixture(autouse=True)
def original_arithmetic(monkeypatch):
    monkeypatch.setenv(MSDA_IMPL_ENV, 'pytorch')
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
