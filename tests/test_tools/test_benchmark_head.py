"""tools/analysis_tools/benchmark_head.py at a tiny size: both heads train a step and the wall
and CPU ratios are printed."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tiny_run_prints_wall_and_cpu_ratios():
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_head.py', '--size', '128', '--batch', '1',
         '--queries', '8', '--points', '64', '--warmup', '0', '--repeats', '2', '--threads', '1'],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for label in ('wall', 'CPU'):
        ratio = re.search(rf'^{label} +omgseg / mmdet: ([0-9.]+) \(per-step ratios', proc.stdout,
                          re.M)
        assert ratio and float(ratio.group(1)) > 0, proc.stdout
        steps = re.findall(rf'^{label} +(omgseg|mmdet) *: median [0-9.]+ s per step .*2 steps\)',
                           proc.stdout, re.M)
        assert steps == ['omgseg', 'mmdet'], proc.stdout
