"""The package's import layers: ``omgseg.vocab`` at the bottom, models and datasets meeting
only through it (and ``omgseg.structures``), evaluation free of the toy-data writers.

Imports are read from the sources with ``ast``, so function-local imports count too.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / 'omgseg'

# (package whose files are checked, module prefixes they must not import, why)
FORBIDDEN = [
    ('omgseg.vocab', ('omgseg.models', 'omgseg.datasets', 'omgseg.evaluation', 'omgseg.engine',
                      'omgseg.apis', 'omgseg.structures', 'omgseg.utils', 'omgseg.registry',
                      'omgseg.register', 'omgseg.visualization'),
     'the vocabulary layer is the bottom layer'),
    ('omgseg.datasets', ('omgseg.models', 'omgseg.evaluation'),
     'datasets meet models only through omgseg.vocab / omgseg.structures'),
    ('omgseg.models', ('omgseg.datasets', 'omgseg.evaluation'),
     'models meet datasets only through omgseg.vocab / omgseg.structures'),
    ('omgseg.structures', ('omgseg.models', 'omgseg.datasets', 'omgseg.evaluation',
                           'omgseg.vocab'), 'structures are shared low-level definitions'),
    ('omgseg.evaluation', ('omgseg.datasets.toy',), 'a metric must not depend on toy data'),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, relative ones resolved."""
    module = _module_name(path)
    package = module if path.name == '__init__.py' else module.rpartition('.')[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            # `from omgseg import models` imports omgseg.models
            found += [(node.lineno, f'{base}.{alias.name}') for alias in node.names]
    return found


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + '.')


def violations(package: str, banned: tuple[str, ...]) -> list[str]:
    folder = PACKAGE.joinpath(*package.split('.')[1:])
    files = sorted(folder.rglob('*.py')) if folder.is_dir() else [folder.with_suffix('.py')]
    bad = []
    for path in files:
        for line, name in imported_modules(path):
            if any(_is_under(name, prefix) for prefix in banned):
                bad.append(f'{path.relative_to(ROOT)}:{line} imports {name}')
    return bad


def test_import_resolution_on_known_cases():
    # the checker itself: relative imports resolve against the file's package
    names = {name for _, name in imported_modules(PACKAGE / 'datasets' / 'toy' / 'world.py')}
    assert 'omgseg.vocab.lists.toy.CLASSES' in names
    names = {name for _, name in imported_modules(PACKAGE / 'datasets' / 'davis.py')}
    assert 'omgseg.datasets.davis_format.read_davis_mask' in names
    assert 'omgseg.datasets.base.VocabularyDataset' in names
    names = {name for _, name in imported_modules(PACKAGE / 'vocab' / '__init__.py')}
    assert 'omgseg.vocab.merge.merge_vocabularies' in names


@pytest.mark.parametrize('package, banned, why', FORBIDDEN, ids=[f[0] for f in FORBIDDEN])
def test_no_forbidden_cross_imports(package, banned, why):
    bad = violations(package, banned)
    assert not bad, f'{why}; move the shared piece down a layer instead:\n' + '\n'.join(bad)


def test_checker_finds_a_forbidden_import(tmp_path, monkeypatch):
    fake_root = tmp_path / 'repo'
    pkg = fake_root / 'omgseg' / 'models'
    pkg.mkdir(parents=True)
    (pkg / 'x.py').write_text('def f():\n    from ..datasets.base import thing\n')
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', fake_root)
    monkeypatch.setattr(sys.modules[__name__], 'PACKAGE', fake_root / 'omgseg')
    assert violations('omgseg.models', ('omgseg.datasets',)) == [
        'omgseg/models/x.py:2 imports omgseg.datasets.base.thing']


def test_importing_vocab_loads_no_upper_layer_and_no_torch():
    code = (
        'import sys\n'
        'import omgseg.vocab, omgseg.vocab.lists.coco_ov, omgseg.vocab.lists.image\n'
        'omgseg.vocab.vocabulary_from("vipseg"); omgseg.vocab.vocabulary_from("toy")\n'
        'upper = ("omgseg.models", "omgseg.datasets", "omgseg.evaluation", "omgseg.engine")\n'
        'loaded = sorted(m for m in sys.modules if m.startswith(upper))\n'
        'assert not loaded, loaded\n'
        'assert "torch" not in sys.modules, "omgseg.vocab imported torch"\n'
        'import omgseg.vocab.embedding_file\n'
        'loaded = sorted(m for m in sys.modules if m.startswith(upper))\n'
        'assert not loaded, loaded\n'
        'print("ok")\n')
    proc = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == 'ok', proc.stderr
