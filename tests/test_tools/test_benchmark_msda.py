"""tools/analysis_tools/benchmark_msda.py on the CPU: PyTorch path only, with a note on the
kernels it cannot time there."""
import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'benchmark_msda.py'


def _load_tool():
    spec = importlib.util.spec_from_file_location('benchmark_msda', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_run_times_pytorch_and_explains_the_rest(capsys, monkeypatch):
    monkeypatch.setenv('OMGSEG_MSDA_IMPL', 'triton')  # ignored: each kernel is named
    tool = _load_tool()
    assert tool.attention_shape(str(tool.DEFAULT_CONFIG)) == dict(heads=8, levels=3, points=4,
                                                                   channels=32)
    tool.main(['--device', 'cpu', '--size', '64', '32', '--iters', '2', '--warmup', '0',
               '--dtype', 'fp32'])
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith('  triton: skipped, needs CUDA') for line in lines)
    assert any(line.startswith('  mmcv: skipped') for line in lines)
    rows = [line.split() for line in lines if line.startswith(('pytorch ', 'triton ', 'mmcv '))]
    assert [row[0] for row in rows] == ['pytorch']
    _, dtype, fwd, total, peak, diff, ratio = rows[0]
    assert dtype == 'fp32' and 0 < float(fwd) <= float(total) and peak == '-'
    assert float(diff) == 0 and ratio == '1.00x'
