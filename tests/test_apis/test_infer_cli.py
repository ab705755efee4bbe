"""tools/infer.py (omgseg.apis.infer_cli): a video in, an MP4 of the same length and frame rate
plus results out; bad input gives one line naming the argument, exit code 2, no traceback."""
import json
import subprocess
import sys

import pytest

from omgseg.apis.infer_cli import main
from omgseg.apis.infer_inputs import count_video_frames
from omgseg.visualization.video_io import open_video
from tests.conftest import ROOT
from tests.test_apis.infer_fixtures import FPS, NUM_FRAMES, infer_assets  # noqa: F401


def _args(assets, *extra, inp=None):
    return [inp or assets['video'], assets['config'], assets['checkpoint'], '--out',
            str(assets['tmp'] / 'cli_out'), '--device', 'cpu', '--no-progress', *extra]


def test_cli_video_open_vocabulary(infer_assets, tmp_path, capsys):
    out = tmp_path / 'out'
    argv = _args(infer_assets, '--task', 'instance', '--vocabulary', 'kettle,parrot',
                 '--cache-dir', str(tmp_path / 'cache'))
    argv[argv.index('--out') + 1] = str(out)
    assert main(argv) == 0
    assert 'instance: 1 input(s), 5 frame(s)' in capsys.readouterr().out
    mp4 = open_video(out / 'overlays' / 'clip.mp4')
    assert mp4.fps == pytest.approx(FPS) and count_video_frames(mp4.path) == NUM_FRAMES
    cats = json.loads((out / 'categories.json').read_text())
    assert [c['name'] for c in cats] == ['kettle', 'parrot']
    results = json.loads((out / 'ytvis_results.json').read_text())
    assert results and {r['category_id'] for r in results} <= {0, 1}
    assert all(len(r['segmentations']) == NUM_FRAMES for r in results)


@pytest.mark.parametrize('extra, inp, message', [
    (['--task', 'panoptik'], None, "--task 'panoptik' is unknown"),
    (['--task', 'panoptic', '--points', '3,4'], None,
     '--points/--boxes are prompts for --task interactive'),
    (['--task', 'interactive'], None, '--task interactive needs prompts'),
    (['--task', 'interactive', '--points', '3;4'], None, "--points '3;4': expected X,Y"),
    (['--task', 'vos'], None, '--task vos needs --first-frame-mask'),
    (['--task', 'vos', '--first-frame-mask', 'nope.png'], None,
     '--first-frame-mask nope.png does not exist'),
    (['--task', 'panoptic'], 'missing.mp4', 'INPUT missing.mp4 does not exist'),
    (['--task', 'panoptic', '--vocabulary', ','], None, 'vocabulary'),
])
def test_cli_bad_input_one_line_exit_2(infer_assets, capsys, extra, inp, message):
    assert main(_args(infer_assets, *extra, inp=inp)) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and message in err and err.count('\n') == 1


def test_cli_video_without_frames(infer_assets, tmp_path, capsys):
    (tmp_path / 'no_frames').mkdir()
    assert main(_args(infer_assets, inp=str(tmp_path / 'no_frames'))) == 2
    assert 'holds no image' in capsys.readouterr().err
    (tmp_path / 'empty.mp4').write_bytes(b'')
    assert main(_args(infer_assets, inp=str(tmp_path / 'empty.mp4'))) == 2
    assert 'cannot read video' in capsys.readouterr().err


def test_tool_exit_code_without_traceback(infer_assets):
    proc = subprocess.run([sys.executable, str(ROOT / 'tools' / 'infer.py'),
                           *_args(infer_assets, '--task', 'semantic', '--points', '1,2')],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert 'Traceback' not in proc.stderr and proc.stderr.startswith('error: --points')


def test_cli_checkpoint_of_another_model(infer_assets, tmp_path, capsys):
    import torch
    bad = tmp_path / 'other.pth'
    torch.save({'state_dict': {'head.weight': torch.zeros(2, 2)}}, str(bad))
    argv = _args(infer_assets, '--task', 'panoptic', inp=infer_assets['image'])
    argv[2] = str(bad)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'error: checkpoint {bad} does not fit the config') and \
        err.count('\n') == 1
