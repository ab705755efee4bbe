"""The fixtures were computed with one CPU thread. Logits reach ~100 (cosine x 100), where
float32 steps are ~8e-6, so a 1e-5 comparison needs the same summation order: multi-threaded
kernels split sums differently and move logits by a few 1e-5 (float rounding, not a model
difference). The fidelity tests therefore run single-threaded too."""
import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
