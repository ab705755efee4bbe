"""Run the Triton deformable-attention kernels in Triton's CPU interpreter on the parity cases
and save inputs, outputs and gradients for tests/test_models/test_ms_deform_attn_triton.py.

Triton chooses the interpreter when a kernel is decorated, i.e. when the kernel module is first
imported, so this runs in a fresh process with TRITON_INTERPRET=1 set before Python starts:
    TRITON_INTERPRET=1 python tests/test_models/test_layers/msda_interpreter_run.py --out F.pt
"""
from __future__ import annotations

import argparse
import importlib
import os

import torch


def load_kernels():
    """The kernel module (imported here, after TRITON_INTERPRET=1 is set)."""
    return importlib.import_module('omgseg.models.layers.ms_deform_attn_triton')


def _special_pixels(size: int) -> torch.Tensor:
    """Pixel coordinates on and around the borders of a map of ``size`` pixels: outside by more
    than one pixel, on the last/first neighbour, exactly on pixel centres and edges."""
    return torch.tensor([-1.75, -1.0, -0.5, 0.0, 0.5, 1.0, size - 1.0, size - 0.5, size * 1.0,
                         size + 0.5, size + 1.25], dtype=torch.float64)


def border_locations(shapes: torch.Tensor, lead: tuple[int, ...], points: int,
                     g: torch.Generator) -> torch.Tensor:
    """(*lead, L, P, 2) normalised locations drawn from :func:`_special_pixels` of each level.

    With power-of-two sizes every value is exact in fp32 and in grid_sample's arithmetic, so
    the floor() of each implementation lands on the same pixel even on pixel centres.
    """
    per_level = []
    for h, w in shapes.tolist():
        coords = []
        for size in (w, h):
            pixels = _special_pixels(size)
            pick = torch.randint(len(pixels), (*lead, points), generator=g)
            coords.append((pixels[pick] + 0.5) / size)  # pixel x -> u with x = u * size - 0.5
        per_level.append(torch.stack(coords, -1))
    return torch.stack(per_level, -3).float()


def make_case(name: str, shapes: list[list[int]], batch: int, queries: int, heads: int,
              channels: int, points: int, seed: int, borders: bool = False,
              dtype: torch.dtype = torch.float32, block_rows: int | None = None) -> dict:
    """Random inputs of one case: value (B, S, nH, C), locations partly outside [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    shapes_t = torch.tensor(shapes)
    sizes = shapes_t[:, 0] * shapes_t[:, 1]
    starts = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)[:-1]])
    levels = len(shapes)
    value = torch.randn(batch, int(sizes.sum()), heads, channels, generator=g)
    lead = (batch, queries, heads)
    if borders:
        loc = border_locations(shapes_t, lead, points, g)
    else:
        loc = torch.rand(*lead, levels, points, 2, generator=g) * 1.6 - 0.3
    weights = torch.rand(*lead, levels, points, generator=g).softmax(-1)
    grad_out = torch.randn(batch, queries, heads * channels, generator=g)
    return dict(name=name, value=value.to(dtype), shapes=shapes_t, starts=starts,
                loc=loc.to(dtype), weights=weights.to(dtype), grad_out=grad_out.to(dtype),
                block_rows=block_rows)


CASES = [
    # three levels of odd sizes, one program
    dict(name='fp32_3levels', shapes=[[6, 5], [3, 4], [2, 2]], batch=2, queries=7, heads=2,
         channels=8, points=4, seed=0),
    # two levels, 3 points and 6 channels (padded tiles), several programs with a partial last
    dict(name='fp32_padded_blocks', shapes=[[5, 7], [3, 3]], batch=1, queries=9, heads=3,
         channels=6, points=3, seed=1, block_rows=4),
    # four power-of-two levels, locations exactly on borders, pixel centres and edges
    dict(name='fp32_borders', shapes=[[8, 8], [4, 4], [2, 2], [1, 1]], batch=2, queries=6,
         heads=4, channels=4, points=2, seed=2, borders=True),
    dict(name='bf16_3levels', shapes=[[6, 5], [3, 4], [2, 2]], batch=2, queries=7, heads=2,
         channels=8, points=4, seed=3, dtype=torch.bfloat16),
]


def run_case(kernels, case: dict) -> dict:
    """Forward and backward of the Triton kernels on ``case``; returns outputs and grads."""
    value, loc, weights = (case[k].clone().requires_grad_() for k in ('value', 'loc', 'weights'))
    out = kernels.ms_deform_attn_triton(value, case['shapes'], case['starts'], loc, weights,
                                        block_rows=case['block_rows'])
    out.backward(case['grad_out'])
    return dict(out=out.detach(), grad_value=value.grad, grad_loc=loc.grad,
                grad_weights=weights.grad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='where to save the results (.pt)')
    args = parser.parse_args()
    if os.environ.get('TRITON_INTERPRET') != '1':
        raise SystemExit('msda_interpreter_run.py: set TRITON_INTERPRET=1 before starting '
                         'Python (the interpreter is chosen when the kernels are imported).')
    kernels = load_kernels()
    if not kernels.triton_interpreted():
        raise SystemExit('msda_interpreter_run.py: Triton did not build the kernels for its '
                         'interpreter although TRITON_INTERPRET=1.')
    results = []
    for spec in CASES:
        case = make_case(**spec)
        results.append({**case, **run_case(kernels, case)})
    torch.save(results, args.out)


if __name__ == '__main__':
    main()
