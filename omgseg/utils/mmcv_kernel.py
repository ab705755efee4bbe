"""mmcv's CUDA deformable-attention kernel, compiled on its own from mmcv's source, as the
baseline of the deformable-attention and training benchmarks where the installed mmcv has CPU
ops only (command line: ``tools/analysis_tools/mmcv_msda_jit.py``).

omgseg's install builds mmcv with CPU ops (docs/install_gpu.md), so on a GPU node mmcv's CUDA
kernel, the one users of mmdet's Mask2Former and of the original OMG-Seg run, is absent unless
the whole of mmcv is rebuilt with ``FORCE_CUDA=1`` (over a hundred CUDA files). :func:`build`
compiles the one kernel file that matters here, ``mmcv/ops/csrc/pytorch/cuda/
ms_deform_attn_cuda.cu`` of an mmcv source release (the sdist ``mmcv-2.1.0.tar.gz`` or its
unpacked folder), unchanged, with torch's JIT extension builder and a small binding of its two
entry points under the names mmcv's ``_ext`` gives them; :func:`install` then routes
``impl='mmcv'`` to it. Needs nvcc.
"""
from __future__ import annotations

import importlib
import tarfile
import time
from pathlib import Path
from types import ModuleType

import torch

# what a failed build raises: no nvcc or source file (OSError), a failed compile
# (RuntimeError), a source that is no archive (ValueError)
BUILD_ERRORS = (OSError, RuntimeError, ValueError)

KERNEL = 'mmcv/ops/csrc/pytorch/cuda/ms_deform_attn_cuda.cu'
HEADERS = ('mmcv/ops/csrc/common/pytorch_cuda_helper.hpp',
           'mmcv/ops/csrc/common/cuda/common_cuda_helper.hpp',
           'mmcv/ops/csrc/common/cuda/ms_deform_attn_cuda_kernel.cuh')

# The signatures of ms_deform_attn_cuda.cu and the argument names of mmcv's pybind.cpp, so that
# mmcv's MultiScaleDeformableAttnFunction calls it exactly as it calls its own ``_ext``.
BINDING = r'''
#include <torch/extension.h>

at::Tensor ms_deform_attn_cuda_forward(
    const at::Tensor &value, const at::Tensor &spatial_shapes,
    const at::Tensor &level_start_index, const at::Tensor &sampling_loc,
    const at::Tensor &attn_weight, const int im2col_step);
void ms_deform_attn_cuda_backward(
    const at::Tensor &value, const at::Tensor &spatial_shapes,
    const at::Tensor &level_start_index, const at::Tensor &sampling_loc,
    const at::Tensor &attn_weight, const at::Tensor &grad_output, at::Tensor &grad_value,
    at::Tensor &grad_sampling_loc, at::Tensor &grad_attn_weight, const int im2col_step);

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("ms_deform_attn_forward", &ms_deform_attn_cuda_forward,
        py::arg("value"), py::arg("value_spatial_shapes"), py::arg("value_level_start_index"),
        py::arg("sampling_locations"), py::arg("attention_weights"), py::arg("im2col_step"));
  m.def("ms_deform_attn_backward", &ms_deform_attn_cuda_backward,
        py::arg("value"), py::arg("value_spatial_shapes"), py::arg("value_level_start_index"),
        py::arg("sampling_locations"), py::arg("attention_weights"), py::arg("grad_output"),
        py::arg("grad_value"), py::arg("grad_sampling_loc"), py::arg("grad_attn_weight"),
        py::arg("im2col_step"));
}
'''


def read_sources(source: Path) -> dict[str, bytes]:
    """The kernel and its headers from an mmcv sdist (``.tar.gz``) or unpacked source folder."""
    wanted = (KERNEL,) + HEADERS
    if source.is_dir():
        missing = [w for w in wanted if not (source / w).is_file()]
        if missing:
            raise FileNotFoundError(f'{source}: no {missing[0]}; give the unpacked mmcv source '
                                    f'release (the folder holding mmcv/ops/csrc) or its .tar.gz')
        return {w: (source / w).read_bytes() for w in wanted}
    if not source.is_file():
        raise FileNotFoundError(f'{source}: no such file or folder; give mmcv\'s source release '
                                f'(e.g. mmcv-2.1.0.tar.gz from PyPI) or its unpacked folder')
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(source) as tar:
            for member in tar.getmembers():
                # members are '<name>-<version>/mmcv/...'
                inner = member.name.split('/', 1)[-1]
                if inner in wanted and member.isfile():
                    found[inner] = tar.extractfile(member).read()
    except tarfile.TarError as err:
        raise ValueError(f'{source}: not a readable tar archive ({err}); give mmcv\'s sdist '
                         f'.tar.gz or its unpacked folder') from err
    missing = [w for w in wanted if w not in found]
    if missing:
        raise FileNotFoundError(f'{source}: the archive has no {missing[0]}; is it mmcv\'s '
                                f'source release?')
    return found


def build(source: str | Path, build_dir: str | Path, verbose: bool = False) -> ModuleType:
    """Compile (or load, when ``build_dir`` already holds this build) the kernel module."""
    from torch.utils.cpp_extension import load
    build_dir = Path(build_dir)
    files = read_sources(Path(source))
    src_dir = build_dir / 'src'
    for rel, data in files.items():
        path = src_dir / Path(rel).name  # every include is by bare name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    binding = src_dir / 'binding.cpp'
    if not binding.is_file() or binding.read_text() != BINDING:
        binding.write_text(BINDING)
    out_dir = build_dir / 'out'
    out_dir.mkdir(parents=True, exist_ok=True)
    return load(name='mmcv_msda_jit', sources=[str(binding), str(src_dir / Path(KERNEL).name)],
                extra_include_paths=[str(src_dir)], build_directory=str(out_dir),
                verbose=verbose)


def install(ext: ModuleType) -> None:
    """Route ``impl='mmcv'`` of omgseg's dispatch through mmcv's own autograd Function to
    ``ext`` (a benchmark-process patch: mmcv's module-level ``ext_module`` and omgseg's check of
    mmcv's CUDA ops)."""
    mmcv_msda = importlib.import_module('mmcv.ops.multi_scale_deform_attn')
    # by module path: the package re-exports a function under the module's name
    dispatch = importlib.import_module('omgseg.models.layers.ms_deform_attn')
    mmcv_msda.ext_module = ext
    dispatch.mmcv_has_cuda_ops = lambda: True


def use_if_needed(source: str | None, build_dir: str, device: torch.device) -> str:
    """For a benchmark's ``--mmcv-source``: build and install the kernel when ``source`` is
    given, ``device`` is CUDA and the installed mmcv has no CUDA ops. Returns a note on which
    mmcv kernel 'mmcv' runs."""
    dispatch = importlib.import_module('omgseg.models.layers.ms_deform_attn')
    if dispatch.mmcv_has_cuda_ops():
        return 'the installed mmcv\'s'
    if not source or device.type != 'cuda':
        return 'none (mmcv has CPU ops only; --mmcv-source compiles its kernel)'
    start = time.perf_counter()
    try:
        ext = build(source, build_dir)
    except BUILD_ERRORS as err:
        # the other kernels' numbers must not be lost: 'mmcv' is then skipped with this reason
        return f'none: building it from {source} failed ({type(err).__name__}: {err})'
    install(ext)
    return f'compiled from {source} ({time.perf_counter() - start:.0f} s to build or load)'
