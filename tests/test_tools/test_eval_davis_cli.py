"""tools/analysis_tools/eval_davis.py on a tiny DAVIS-layout folder of palette PNGs."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omgseg.datasets.davis_format import DAVIS_PALETTE
from tests.test_evaluation.test_davis_jf import SEQ_A, SEQ_B

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'analysis_tools' / 'eval_davis.py'
_spec = importlib.util.spec_from_file_location('eval_davis', SCRIPT)
eval_davis = importlib.util.module_from_spec(_spec)
sys.modules['eval_davis'] = eval_davis  # worker functions pickle by module name (--nproc 2)
_spec.loader.exec_module(eval_davis)

MEASURES = ['J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay']
EXPECTED = {'J-Mean': 7 / 9, 'J-Recall': 8 / 9, 'J-Decay': 1 / 3, 'F-Mean': 8 / 9,
            'F-Recall': 8 / 9, 'F-Decay': 1 / 3, 'J&F-Mean': 15 / 18}


def save_palette_png(arr, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.asarray(arr, dtype=np.uint8), mode='P')
    img.putpalette(DAVIS_PALETTE.flatten().tolist())
    img.save(path)


def write_layout(root: Path, seqs=None):
    """DAVIS/ImageSets/2017/val.txt, DAVIS/Annotations/480p/<seq>/, results/<seq>/."""
    seqs = seqs or {'a': SEQ_A, 'b': SEQ_B}
    davis = root / 'DAVIS'
    (davis / 'ImageSets' / '2017').mkdir(parents=True)
    (davis / 'ImageSets' / '2017' / 'val.txt').write_text('\n'.join(seqs) + '\n')
    for seq, (gt, pred) in seqs.items():
        for t, frame in enumerate(gt):
            save_palette_png(frame, davis / 'Annotations' / '480p' / seq / f'{t:05d}.png')
        (root / 'results' / seq).mkdir(parents=True)
        for t, frame in enumerate(pred, 1):      # results only for the scored frames 1..T-2
            save_palette_png(frame, root / 'results' / seq / f'{t:05d}.png')
    return davis, root / 'results'


def args(root: Path, *extra):
    return ['--davis-root', str(root / 'DAVIS'), '--results', str(root / 'results'),
            '--set', 'val', '--out', str(root / 'out' / 'jf.json'), *extra]


def test_cli_schema_and_values(tmp_path, capsys):
    write_layout(tmp_path)
    assert eval_davis.main(args(tmp_path, '--nproc', '1')) == 0
    out = json.loads((tmp_path / 'out' / 'jf.json').read_text())
    assert list(out)[:7] == MEASURES and set(out) == {*MEASURES, 'per_sequence'}
    assert {k: out[k] for k in MEASURES} == pytest.approx(EXPECTED, abs=1e-6)
    assert list(out['per_sequence']) == ['a_1', 'a_2', 'b_1']
    printed = capsys.readouterr().out
    assert 'J&F-Mean' in printed and '0.833' in printed and 'a_2' in printed
    # void excluded: only b_1's J changes, 2/3 -> 4/5
    assert eval_davis.main(args(tmp_path, '--nproc', '1', '--exclude-void')) == 0
    out = json.loads((tmp_path / 'out' / 'jf.json').read_text())
    assert out['J-Mean'] == pytest.approx((1 + 2 / 3 + 4 / 5) / 3, abs=1e-6)


def test_cli_subprocess_parallel_matches(tmp_path):
    write_layout(tmp_path)
    proc = subprocess.run([sys.executable, str(SCRIPT), *args(tmp_path, '--nproc', '2')],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / 'out' / 'jf.json').read_text())
    for key, value in EXPECTED.items():
        assert out[key] == pytest.approx(value, abs=1e-6), key
    # the tool (and the metric module) must not pull in torch: every worker imports them
    check = ('import importlib.util, sys; '
             f'spec = importlib.util.spec_from_file_location("m", {str(SCRIPT)!r}); '
             'spec.loader.exec_module(importlib.util.module_from_spec(spec)); '
             'print("torch" in sys.modules)')
    proc = subprocess.run([sys.executable, '-c', check], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == 'False', proc.stderr


def test_rgb_results_map_through_palette(tmp_path):
    _, results = write_layout(tmp_path)
    pal = DAVIS_PALETTE
    assert pal[1].tolist() == [128, 0, 0] and pal[2].tolist() == [0, 128, 0]
    for seq, (_, pred) in {'a': SEQ_A, 'b': SEQ_B}.items():
        for t, frame in enumerate(pred, 1):
            Image.fromarray(pal[frame]).save(results / seq / f'{t:05d}.png')
    summary = eval_davis.davis_evaluate_folder(str(tmp_path / 'DAVIS'), str(results), nproc=1)
    for key, value in EXPECTED.items():
        assert summary[key] == pytest.approx(value, abs=1e-6), key
    Image.fromarray(np.full((4, 4, 3), 7, np.uint8)).save(results / 'b' / '00001.png')
    with pytest.raises(ValueError, match='not in the DAVIS palette'):
        eval_davis.davis_evaluate_folder(str(tmp_path / 'DAVIS'), str(results), nproc=1)


def run_error(tmp_path, capsys, *extra):
    assert eval_davis.main(args(tmp_path, '--nproc', '1', *extra)) == 1
    return capsys.readouterr().err


def test_cli_errors(tmp_path, capsys):
    davis, results = write_layout(tmp_path)
    # a predicted id beyond the GT objects of the first frame
    save_palette_png(np.full((4, 4), 2), results / 'b' / '00001.png')
    assert "'b': prediction id 2 in frame 1" in run_error(tmp_path, capsys)
    # a result frame of another size
    save_palette_png(np.zeros((5, 4)), results / 'b' / '00001.png')
    err = run_error(tmp_path, capsys)
    assert '00001.png is 4x5 (WxH) but its GT is 4x4' in err
    # a missing result frame
    (results / 'b' / '00001.png').unlink()
    assert f'result frame missing: {results / "b" / "00001.png"}' in run_error(tmp_path, capsys)
    # a sequence without results folder
    (results / 'b').rmdir()
    assert "sequence 'b' of val.txt has no results folder" in run_error(tmp_path, capsys)
    # a sequence whose first-frame annotation is missing (frames listed in JPEGImages)
    for t in range(5):
        (davis / 'JPEGImages' / '480p' / 'a').mkdir(parents=True, exist_ok=True)
        (davis / 'JPEGImages' / '480p' / 'a' / f'{t:05d}.jpg').write_bytes(b'')
    (davis / 'Annotations' / '480p' / 'a' / '00000.png').unlink()
    err = run_error(tmp_path, capsys)
    assert "'a': first-frame annotation" in err and '00000.png is missing' in err
    # no annotations at all / no sequence list
    for p in (davis / 'Annotations' / '480p' / 'a').iterdir():
        p.unlink()
    assert "sequence 'a': no GT annotations" in run_error(tmp_path, capsys)
    (davis / 'ImageSets' / '2017' / 'val.txt').unlink()
    assert 'sequence list not found' in run_error(tmp_path, capsys)


def test_cli_rejects_short_sequence_and_bad_png(tmp_path, capsys):
    gt, pred = SEQ_B
    write_layout(tmp_path, {'s': (gt[:2], pred[:0])})
    assert 'needs at least 3' in run_error(tmp_path, capsys)
    write_layout(tmp_path / 'x', {'s': SEQ_B})
    Image.fromarray(np.zeros((4, 4, 2), np.uint8), mode='LA').save(
        tmp_path / 'x' / 'results' / 's' / '00001.png')
    assert eval_davis.main(args(tmp_path / 'x', '--nproc', '1')) == 1
    assert 'expected an indexed PNG (mode P or L), got mode LA' in capsys.readouterr().err
