"""omgseg.utils.mmcv_kernel (tools/analysis_tools/mmcv_msda_jit.py) without a compiler: it
finds mmcv's kernel and headers in a source release (archive or folder) and names the file and
the fix when they are not there;
``install`` routes omgseg's ``impl='mmcv'`` through mmcv's own autograd Function to the module
it is given. (Compiling needs nvcc: tools/gpu_check.sh does it on a GPU machine.)"""
import importlib
import subprocess
import sys
import tarfile

import pytest
import torch

import omgseg.utils.mmcv_kernel as jit
from tests.conftest import ROOT

SCRIPT = ROOT / 'tools' / 'analysis_tools' / 'mmcv_msda_jit.py'


def _release(tmp_path, drop=None):
    """A folder and a .tar.gz laid out like mmcv's sdist (one top folder), files tagged by name."""
    top = tmp_path / 'mmcv-2.1.0'
    for rel in (jit.KERNEL,) + jit.HEADERS:
        if rel != drop:
            (top / rel).parent.mkdir(parents=True, exist_ok=True)
            (top / rel).write_bytes(f'// {rel}\n'.encode())
    archive = tmp_path / 'mmcv-2.1.0.tar.gz'
    with tarfile.open(archive, 'w:gz') as tar:
        tar.add(top, arcname='mmcv-2.1.0')
    return top, archive


def test_reads_the_kernel_and_headers_from_an_archive_or_a_folder(tmp_path):
    top, archive = _release(tmp_path)
    for source in (top, archive):
        files = jit.read_sources(source)
        assert sorted(files) == sorted((jit.KERNEL,) + jit.HEADERS)
        assert all(data == f'// {rel}\n'.encode() for rel, data in files.items())


def test_missing_kernel_or_header_names_the_file(tmp_path):
    top, archive = _release(tmp_path, drop=jit.HEADERS[2])
    for source in (top, archive):
        with pytest.raises(FileNotFoundError, match='ms_deform_attn_cuda_kernel.cuh'):
            jit.read_sources(source)
    with pytest.raises(FileNotFoundError, match="no such file or folder; give mmcv's source"):
        jit.read_sources(tmp_path / 'nowhere.tar.gz')


def test_a_file_that_is_no_archive_is_named(tmp_path):
    bad = tmp_path / 'mmcv.tar.gz'
    bad.write_bytes(b'not a tar')
    with pytest.raises(ValueError, match=r'mmcv.tar.gz: not a readable tar archive'):
        jit.read_sources(bad)
    proc = subprocess.run([sys.executable, str(SCRIPT), str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and 'not a readable tar archive' in proc.stderr
    assert 'Traceback' not in proc.stderr


class _Recorder:
    """Stands in for the compiled module: records the calls mmcv's Function makes."""

    def __init__(self):
        self.calls = []

    def ms_deform_attn_forward(self, value, value_spatial_shapes, value_level_start_index,
                               sampling_locations, attention_weights, im2col_step):
        self.calls.append(('forward', value.dtype, im2col_step))
        b, _, heads, dims = value.shape
        return torch.full((b, sampling_locations.shape[1], heads * dims), 7.0)

    def ms_deform_attn_backward(self, value, value_spatial_shapes, value_level_start_index,
                                sampling_locations, attention_weights, grad_output, grad_value,
                                grad_sampling_loc, grad_attn_weight, im2col_step):
        self.calls.append(('backward', grad_output.shape))
        grad_value.fill_(1.0)


def test_install_routes_impl_mmcv_through_mmcv_function(monkeypatch):
    mmcv_msda = importlib.import_module('mmcv.ops.multi_scale_deform_attn')
    dispatch = importlib.import_module('omgseg.models.layers.ms_deform_attn')
    monkeypatch.setattr(mmcv_msda, 'ext_module', mmcv_msda.ext_module)
    monkeypatch.setattr(dispatch, 'mmcv_has_cuda_ops', dispatch.mmcv_has_cuda_ops)
    monkeypatch.delenv(dispatch.MSDA_IMPL_ENV, raising=False)
    ext = _Recorder()
    jit.install(ext)
    assert dispatch.mmcv_has_cuda_ops()
    # CPU tensors are still refused by the dispatch ('mmcv' needs CUDA tensors) ...
    value = torch.randn(2, 5, 2, 4, requires_grad=True)
    shapes, starts = torch.tensor([[1, 5]]), torch.tensor([0])
    loc, weights = torch.rand(2, 3, 2, 1, 2, 2), torch.rand(2, 3, 2, 1, 2)
    with pytest.raises(ValueError, match="'mmcv' needs CUDA tensors"):
        dispatch.ms_deform_attn(value, shapes, starts, loc, weights, impl='mmcv')
    # ... so call mmcv's Function as the dispatch does on CUDA: it reaches the given module
    out = mmcv_msda.MultiScaleDeformableAttnFunction.apply(value, shapes, starts, loc, weights,
                                                           64)
    out.sum().backward()
    assert torch.equal(out, torch.full((2, 3, 8), 7.0))
    assert torch.equal(value.grad, torch.ones_like(value))
    assert ext.calls == [('forward', torch.float32, 64), ('backward', (2, 3, 8))]


def test_a_failed_build_leaves_mmcv_unavailable_instead_of_stopping_the_benchmark(
        tmp_path, monkeypatch):
    dispatch = importlib.import_module('omgseg.models.layers.ms_deform_attn')
    monkeypatch.setattr(dispatch, 'mmcv_has_cuda_ops', lambda: False)  # an mmcv with CPU ops
    note = jit.use_if_needed(str(tmp_path / 'missing.tar.gz'), str(tmp_path / 'build'),
                             torch.device('cuda'))
    assert note.startswith(f'none: building it from {tmp_path / "missing.tar.gz"} failed '
                           f'(FileNotFoundError')
    assert not dispatch.mmcv_has_cuda_ops()  # not installed: 'mmcv' stays skipped
    assert 'CPU ops only' in jit.use_if_needed(None, str(tmp_path), torch.device('cuda'))
    assert 'CPU ops only' in jit.use_if_needed('x.tar.gz', str(tmp_path), torch.device('cpu'))
