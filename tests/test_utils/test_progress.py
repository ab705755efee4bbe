"""Progress bars: drawn on a terminal only, off with progress=False, results unchanged."""
import contextlib
import io
import json

import torch

from omgseg.datasets.converters.common import convert_panoptic_split
from omgseg.utils.progress import progress_bar, progress_counter
from tests.terminal import fake_terminal


def test_bar_only_on_a_terminal_and_when_enabled():
    with fake_terminal() as terminal:
        gen = (i * i for i in range(7))  # no len: total given
        assert list(progress_bar(gen, total=7, desc='squares')) == [i * i for i in range(7)]
    assert 'squares' in terminal.getvalue() and '/7' in terminal.getvalue()
    with fake_terminal() as terminal:
        assert list(progress_bar(range(3), desc='off', enabled=False)) == [0, 1, 2]
        with progress_counter(total=5, desc='counted', enabled=False) as bar:
            bar.update(5)
    assert terminal.getvalue() == ''
    pipe = io.StringIO()  # not a TTY: logs and CI output stay clean
    with contextlib.redirect_stderr(pipe):
        assert list(progress_bar(range(3), desc='piped')) == [0, 1, 2]
        with progress_counter(total=5, desc='piped2') as bar:
            bar.update(5)
    assert pipe.getvalue() == ''


def _square(job):
    return dict(id=job, value=job * job), dict(image_id=job, segments_info=[dict(id=job)])


def test_conversion_output_identical_with_and_without_bar(tmp_path):
    jobs = list(range(60))
    with fake_terminal() as terminal:
        for name, progress in (('on', True), ('off', False)):
            convert_panoptic_split(jobs, _square, tmp_path / f'{name}.json', [dict(id=1)],
                                   nproc=1, split=f'split-{name}', log=lambda *_: None,
                                   progress=progress)
    assert 'split-on:' in terminal.getvalue() and 'split-off' not in terminal.getvalue()
    assert '/60 [' in terminal.getvalue()
    assert (tmp_path / 'on.json').read_bytes() == (tmp_path / 'off.json').read_bytes()
    assert json.loads((tmp_path / 'on.json').read_text())['images'][59]['value'] == 59 ** 2


def test_class_embeddings_identical_with_and_without_bar():
    from omgseg.models.backbones.clip_factory import TINY_CLIP_CFG
    from omgseg.models.text import CLIPTextEncoder, compute_class_embeddings

    torch.manual_seed(0)
    encoder = CLIPTextEncoder(model_cfg=TINY_CLIP_CFG)
    names = ['person,child', 'sky', 'car']
    with fake_terminal() as terminal:
        with_bar, syn_a = compute_class_embeddings(encoder, names, batch_size=8, progress=True)
    assert 'text embeddings' in terminal.getvalue()
    with fake_terminal() as terminal:
        without, syn_b = compute_class_embeddings(encoder, names, batch_size=8, progress=False)
    assert terminal.getvalue() == ''
    assert torch.equal(with_bar, without) and syn_a == syn_b
