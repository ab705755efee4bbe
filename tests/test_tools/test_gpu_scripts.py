"""tools/wheelhouse.sh --dry-run: the pinned list leaves out what the node's torch brings, and
mmcv is built against the given torch with its GPU hidden (CPU ops); tools/gpu_check.sh parses."""
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

UV = os.environ.get('UV') or shutil.which('uv')


@pytest.mark.skipif(UV is None, reason='needs uv (the project installs with it)')
def test_dry_run_lists_pins_and_commands(tmp_path):
    out = tmp_path / 'wheels'
    env = dict(os.environ, UV=UV, WHEELHOUSE_BUILD_DIR=str(tmp_path / 'build'))
    proc = subprocess.run(['bash', 'tools/wheelhouse.sh', '--dry-run', 'torch==2.13.0', str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    reqs = (tmp_path / 'build' / 'requirements.txt').read_text().splitlines()
    names = {line.split('==')[0].strip().lower() for line in reqs}
    assert {'mmdet', 'mmengine', 'open-clip-torch', 'scipy', 'pycocotools', 'pytest'} <= names
    assert not names & {'torch', 'torchvision', 'triton', 'mmcv', 'omgseg'}
    assert not any(n.startswith(('nvidia-', 'cuda-')) for n in names)
    assert all('==' in line for line in reqs)  # exact versions from uv.lock
    commands = [line[2:] for line in proc.stdout.splitlines() if line.startswith('+ ')]
    mmcv = [c for c in commands if 'mmcv==2.1.0' in c]
    assert len(mmcv) == 1 and 'CUDA_VISIBLE_DEVICES= ' in mmcv[0]
    assert '--no-build-isolation' in mmcv[0]   # against the venv's torch 2.13.0
    assert '--no-cache-dir' in mmcv[0]         # never a cached wheel of other metadata
    # headless OpenCV in the build venv, so mmcv's wheel requires it, not opencv-python
    assert any('opencv-python-headless' in c and 'torch==2.13.0' in c for c in commands)
    assert any('torch==2.13.0' in c and 'pip install' in c for c in commands)
    assert not out.exists()                    # a dry run writes no wheel


def test_usage_error_without_arguments():
    proc = subprocess.run(['bash', 'tools/wheelhouse.sh'], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and 'TORCH_SPEC OUTDIR' in proc.stdout


def test_gpu_check_parses_and_needs_an_output_folder():
    assert subprocess.run(['bash', '-n', 'tools/gpu_check.sh'], cwd=ROOT).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != 'OUT'}
    proc = subprocess.run(['bash', 'tools/gpu_check.sh'], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and 'set OUT to the folder for the results' in proc.stderr
