"""Deformable attention forward + backward at the pixel decoder's shapes: the PyTorch
(grid_sample) path, the fused numba CPU kernels, the Triton kernel and mmcv's CUDA kernel,
timed in one run.

The shapes are those of the full-size model's pixel-decoder encoder: levels at strides 8/16/32
of the padded input (1280x736 by default), every position a query, a clip of 2 frames as 2
batch items, and heads / points / channels read from the model config
(configs/_base_/models/omgseg_convnext-l.py: 8 heads, 4 points, 3 levels, 256 channels).

    python tools/analysis_tools/benchmark_msda.py                      # GPU: all kernels
    python tools/analysis_tools/benchmark_msda.py --dtype fp32 bf16 --iters 50
    python tools/analysis_tools/benchmark_msda.py --device cpu          # PyTorch + numba
    python tools/analysis_tools/benchmark_msda.py --mmcv-source mmcv-2.1.0.tar.gz

The last form is for an mmcv installed with CPU ops only (omgseg's default install): mmcv's
CUDA kernel is then compiled from mmcv's source release by ``mmcv_msda_jit.py`` (needs nvcc)
and timed as 'mmcv', through mmcv's own autograd Function as in an mmcv built with CUDA ops.

Prints per kernel and dtype the median forward and forward+backward time in ms, the peak
memory above the inputs, the largest difference of the output from the PyTorch path, and the
forward+backward time of the PyTorch path divided by the kernel's (its speed-up); mmcv's
and the numba kernels compute in fp32 whatever the dtype (the dispatch casts around them).
Triton needs CUDA (its CPU interpreter is for tests, not timing) and numba the CPU, so on the
CPU the PyTorch path and the numba kernels run, at a small input size unless --size is given.
"""
from __future__ import annotations

import argparse
import importlib
import math
import os
import statistics
import time
from pathlib import Path

import torch
from mmengine.config import Config

from omgseg.models.layers import MSDA_IMPL_ENV, ms_deform_attn
from omgseg.models.layers.ms_deform_attn import triton_missing
from omgseg.utils.mmcv_kernel import use_if_needed

# by module path: the package re-exports the function ms_deform_attn under the module's name
dispatch = importlib.import_module('omgseg.models.layers.ms_deform_attn')

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = ROOT / 'configs' / '_base_' / 'models' / 'omgseg_convnext-l.py'
STRIDES = (8, 16, 32)
DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16, 'fp16': torch.float16}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--config', default=str(DEFAULT_CONFIG),
                   help='model config whose pixel decoder gives heads, points, channels')
    p.add_argument('--size', type=int, nargs=2, metavar=('W', 'H'), default=None,
                   help='padded input size (default 1280 736 on GPU, 160 96 on CPU)')
    p.add_argument('--frames', type=int, default=2, help='frames per clip (batch items)')
    p.add_argument('--impls', nargs='+', default=['pytorch', 'numba', 'triton', 'mmcv'],
                   choices=['pytorch', 'numba', 'triton', 'mmcv'])
    p.add_argument('--dtype', nargs='+', default=['fp32', 'bf16'], choices=list(DTYPES))
    p.add_argument('--iters', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--mmcv-source', default=None,
                   help="mmcv's source release (.tar.gz or folder): where the installed mmcv has "
                        "no CUDA ops, compile its deformable-attention kernel from it to time")
    p.add_argument('--mmcv-build-dir', default='work_dirs/mmcv_msda_jit',
                   help='build folder of --mmcv-source (a finished build there is reused)')
    return p.parse_args(argv)


def attention_shape(config: str) -> dict:
    """Heads, levels, points and channels of the pixel decoder's deformable attention."""
    decoder = Config.fromfile(config).model.panoptic_head.pixel_decoder
    attn = decoder.encoder.layer_cfg.self_attn_cfg
    return dict(heads=attn.num_heads, levels=attn.num_levels, points=attn.num_points,
                channels=attn.embed_dims // attn.num_heads)


def make_inputs(size: tuple[int, int], frames: int, shape: dict, dtype: torch.dtype,
                device: torch.device) -> dict:
    """Random value, locations (10% beyond each border) and softmaxed weights."""
    w, h = size
    strides = STRIDES[-shape['levels']:]
    shapes = torch.tensor([[math.ceil(h / s), math.ceil(w / s)] for s in strides])
    sizes = shapes[:, 0] * shapes[:, 1]
    starts = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    n = int(sizes.sum())
    lead = (frames, n, shape['heads'], shape['levels'], shape['points'])
    g = torch.Generator().manual_seed(0)
    tensors = dict(value=torch.randn(frames, n, shape['heads'], shape['channels'], generator=g),
                   loc=torch.rand(*lead, 2, generator=g) * 1.2 - 0.1,
                   weights=torch.rand(*lead, generator=g).flatten(-2).softmax(-1).view(lead),
                   grad_out=torch.randn(frames, n, shape['heads'] * shape['channels'],
                                        generator=g))
    out = {k: t.to(device, dtype) for k, t in tensors.items()}
    out.update(shapes=shapes.to(device), starts=starts.to(device))
    return out


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def run_once(impl: str, inp: dict) -> tuple[torch.Tensor, float, float]:
    """One forward and backward; returns the output and the two times in ms."""
    device = inp['value'].device
    value, loc, weights = (inp[k].detach().requires_grad_() for k in ('value', 'loc', 'weights'))
    _sync(device)
    t0 = time.perf_counter()
    out = ms_deform_attn(value, inp['shapes'], inp['starts'], loc, weights, impl=impl)
    _sync(device)
    t1 = time.perf_counter()
    out.backward(inp['grad_out'])
    _sync(device)
    t2 = time.perf_counter()
    return out.detach(), (t1 - t0) * 1e3, (t2 - t0) * 1e3


def measure(impl: str, inp: dict, iters: int, warmup: int) -> dict:
    """Median times over ``iters`` runs after ``warmup`` (compilation, caches)."""
    device = inp['value'].device
    for _ in range(warmup):
        run_once(impl, inp)
    if device.type == 'cuda':
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    fwd, total = [], []
    for _ in range(iters):
        out, f, t = run_once(impl, inp)
        fwd.append(f)
        total.append(t)
    peak = torch.cuda.max_memory_allocated(device) - base if device.type == 'cuda' else None
    return dict(out=out, fwd=statistics.median(fwd), total=statistics.median(total),
                peak_mb=None if peak is None else peak / 2**20)


def unavailable(impl: str, device: torch.device) -> str | None:
    """Why ``impl`` is not timed on ``device``, or None."""
    if impl == 'triton' and device.type != 'cuda':
        return 'needs CUDA (Triton\'s CPU interpreter is for tests, not timing)'
    if impl == 'triton' and triton_missing() is not None:
        return triton_missing()
    if impl == 'numba' and device.type != 'cpu':
        return 'runs on the CPU only'
    if impl == 'mmcv' and not (device.type == 'cuda' and dispatch.mmcv_has_cuda_ops()):
        return 'needs CUDA and an mmcv built with CUDA ops (or --mmcv-source)'
    return None


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ.pop(MSDA_IMPL_ENV, None)  # each kernel is asked for by name
    device = torch.device(args.device)
    size = tuple(args.size) if args.size else ((1280, 736) if device.type == 'cuda' else (160, 96))
    shape = attention_shape(args.config)
    mmcv_kernel = 'not asked for'
    if 'mmcv' in args.impls:
        mmcv_kernel = use_if_needed(args.mmcv_source, args.mmcv_build_dir, device)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'
    print(f'device {device} ({name}), torch {torch.__version__}, input {size[0]}x{size[1]}, '
          f'{args.frames} frames, strides {STRIDES}, {shape}, median of {args.iters} after '
          f'{args.warmup} warm-up; {MSDA_IMPL_ENV} is ignored; mmcv kernel: {mmcv_kernel}')
    impls = ['pytorch'] + [i for i in args.impls if i != 'pytorch']
    for impl in impls:
        why = unavailable(impl, device)
        if why:
            print(f'  {impl}: skipped, {why}')
    impls = [i for i in impls if unavailable(i, device) is None]
    print(f'{"kernel":8s} {"dtype":5s} {"fwd ms":>9s} {"fwd+bwd ms":>11s} {"peak MB":>8s} '
          f'{"max |diff|":>10s} {"vs grid_sample":>14s}')
    for name in args.dtype:
        inp = make_inputs(size, args.frames, shape, DTYPES[name], device)
        baseline = None
        for impl in impls:
            res = measure(impl, inp, args.iters, args.warmup)
            if baseline is None:
                baseline = res
            diff = (res['out'].float() - baseline['out'].float()).abs().max().item()
            peak = '-' if res['peak_mb'] is None else f'{res["peak_mb"]:.0f}'
            print(f'{impl:8s} {name:5s} {res["fwd"]:9.2f} {res["total"]:11.2f} {peak:>8s} '
                  f'{diff:10.2e} {baseline["total"] / res["total"]:13.2f}x')


if __name__ == '__main__':
    main()
