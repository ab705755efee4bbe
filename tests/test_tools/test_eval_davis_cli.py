"""The DAVIS J&F job (omgseg.evaluation.offline.davis) and its command line,
tools/analysis_tools/eval_davis.py, on a tiny DAVIS-layout folder of palette PNGs."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omgseg.evaluation.offline.davis import davis_evaluate_folder, voc_palette
from tests.test_evaluation.test_davis_jf import SEQ_A, SEQ_B

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'analysis_tools' / 'eval_davis.py'

MEASURES = ['J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay']
EXPECTED = {'J-Mean': 7 / 9, 'J-Recall': 8 / 9, 'J-Decay': 1 / 3, 'F-Mean': 8 / 9,
            'F-Recall': 8 / 9, 'F-Decay': 1 / 3, 'J&F-Mean': 15 / 18}


def save_palette_png(arr, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.asarray(arr, dtype=np.uint8), mode='P')
    img.putpalette(voc_palette().flatten().tolist())
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


def run_cli(*cli_args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *cli_args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_schema_and_values(tmp_path):
    write_layout(tmp_path)
    proc = run_cli(*args(tmp_path, '--nproc', '1'))
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / 'out' / 'jf.json').read_text())
    assert list(out)[:7] == MEASURES and set(out) == {*MEASURES, 'per_sequence'}
    assert {k: out[k] for k in MEASURES} == pytest.approx(EXPECTED, abs=1e-6)
    assert list(out['per_sequence']) == ['a_1', 'a_2', 'b_1']
    assert 'J&F-Mean' in proc.stdout and '0.833' in proc.stdout and 'a_2' in proc.stdout
    # void excluded: only b_1's J changes, 2/3 -> 4/5
    summary = davis_evaluate_folder(str(tmp_path / 'DAVIS'), str(tmp_path / 'results'),
                                    nproc=1, exclude_void=True)
    assert summary['J-Mean'] == pytest.approx((1 + 2 / 3 + 4 / 5) / 3, abs=1e-6)


def test_cli_subprocess_parallel_matches(tmp_path):
    write_layout(tmp_path)
    proc = run_cli(*args(tmp_path, '--nproc', '2'))
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / 'out' / 'jf.json').read_text())
    for key, value in EXPECTED.items():
        assert out[key] == pytest.approx(value, abs=1e-6), key
    # the tool (and the job and metric modules) must not pull in torch: every worker
    # imports them
    proc = subprocess.run([sys.executable, '-X', 'importtime', str(SCRIPT), '--help'], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and 'omgseg.evaluation.offline.davis' in proc.stderr
    assert 'torch' not in {ln.rsplit('|', 1)[-1].strip() for ln in proc.stderr.splitlines()}


def test_rgb_results_map_through_palette(tmp_path):
    _, results = write_layout(tmp_path)
    pal = voc_palette()
    assert pal[1].tolist() == [128, 0, 0] and pal[2].tolist() == [0, 128, 0]
    for seq, (_, pred) in {'a': SEQ_A, 'b': SEQ_B}.items():
        for t, frame in enumerate(pred, 1):
            Image.fromarray(pal[frame]).save(results / seq / f'{t:05d}.png')
    summary = davis_evaluate_folder(str(tmp_path / 'DAVIS'), str(results), nproc=1)
    for key, value in EXPECTED.items():
        assert summary[key] == pytest.approx(value, abs=1e-6), key
    Image.fromarray(np.full((4, 4, 3), 7, np.uint8)).save(results / 'b' / '00001.png')
    with pytest.raises(ValueError, match='not in the DAVIS palette'):
        davis_evaluate_folder(str(tmp_path / 'DAVIS'), str(results), nproc=1)


def run_error(tmp_path, root=None) -> str:
    """The message of the error the job raises on the layout under ``root`` (``tmp_path``)."""
    root = root or tmp_path
    with pytest.raises((FileNotFoundError, ValueError)) as err:
        davis_evaluate_folder(str(root / 'DAVIS'), str(root / 'results'), subset='val', nproc=1)
    return str(err.value)


def test_cli_reports_an_error_in_one_line(tmp_path):
    write_layout(tmp_path)
    (tmp_path / 'results' / 'b' / '00001.png').unlink()
    proc = run_cli(*args(tmp_path, '--nproc', '1'))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f'error: result frame missing: ' \
                                  f'{tmp_path / "results" / "b" / "00001.png"} (sequence \'b\')'


def test_job_errors(tmp_path):
    davis, results = write_layout(tmp_path)
    # a predicted id beyond the GT objects of the first frame
    save_palette_png(np.full((4, 4), 2), results / 'b' / '00001.png')
    assert "'b': prediction id 2 in frame 1" in run_error(tmp_path)
    # a result frame of another size
    save_palette_png(np.zeros((5, 4)), results / 'b' / '00001.png')
    err = run_error(tmp_path)
    assert '00001.png is 4x5 (WxH) but its GT is 4x4' in err
    # a missing result frame
    (results / 'b' / '00001.png').unlink()
    assert f'result frame missing: {results / "b" / "00001.png"}' in run_error(tmp_path)
    # a sequence without results folder
    (results / 'b').rmdir()
    assert "sequence 'b' of val.txt has no results folder" in run_error(tmp_path)
    # a sequence whose first-frame annotation is missing (frames listed in JPEGImages)
    for t in range(5):
        (davis / 'JPEGImages' / '480p' / 'a').mkdir(parents=True, exist_ok=True)
        (davis / 'JPEGImages' / '480p' / 'a' / f'{t:05d}.jpg').write_bytes(b'')
    (davis / 'Annotations' / '480p' / 'a' / '00000.png').unlink()
    err = run_error(tmp_path)
    assert "'a': first-frame annotation" in err and '00000.png is missing' in err
    # no annotations at all / no sequence list
    for p in (davis / 'Annotations' / '480p' / 'a').iterdir():
        p.unlink()
    assert "sequence 'a': no GT annotations" in run_error(tmp_path)
    (davis / 'ImageSets' / '2017' / 'val.txt').unlink()
    assert 'sequence list not found' in run_error(tmp_path)


def test_job_rejects_short_sequence_and_bad_png(tmp_path):
    gt, pred = SEQ_B
    write_layout(tmp_path, {'s': (gt[:2], pred[:0])})
    assert 'needs at least 3' in run_error(tmp_path)
    write_layout(tmp_path / 'x', {'s': SEQ_B})
    Image.fromarray(np.zeros((4, 4, 2), np.uint8), mode='LA').save(
        tmp_path / 'x' / 'results' / 's' / '00001.png')
    assert 'expected an indexed PNG (mode P or L), got mode LA' in run_error(tmp_path,
                                                                             tmp_path / 'x')
