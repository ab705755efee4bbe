"""tools/analysis_tools/benchmark_msda.py on the CPU: the PyTorch path and the numba kernels,
with a note on the kernels it cannot time there."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cpu_run_times_pytorch_and_numba_and_explains_the_rest():
    env = dict(os.environ, OMGSEG_MSDA_IMPL='triton')  # ignored: each kernel is named
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_msda.py', '--device', 'cpu', '--size',
         '64', '32', '--iters', '2', '--warmup', '0', '--dtype', 'fp32'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert any(line.startswith('  triton: skipped, needs CUDA') for line in lines)
    assert any(line.startswith('  mmcv: skipped') for line in lines)
    rows = [line.split() for line in lines
            if line.startswith(('pytorch ', 'numba ', 'triton ', 'mmcv '))]
    assert [row[0] for row in rows] == ['pytorch', 'numba']
    _, dtype, fwd, total, peak, diff, ratio = rows[0]
    assert dtype == 'fp32' and 0 < float(fwd) <= float(total) and peak == '-'
    assert float(diff) == 0 and ratio == '1.00x'
    _, dtype, fwd, total, peak, diff, ratio = rows[1]
    assert dtype == 'fp32' and 0 < float(fwd) <= float(total) and float(diff) < 1e-4
    assert float(ratio.rstrip('x')) > 0
