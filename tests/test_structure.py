"""The model tests mirror the package: ``tests/test_models/test_<name>/`` tests
``omgseg/models/<name>/``, so renaming a package without its tests (or the reverse) fails here."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / 'tests' / 'test_models'
PACKAGE = ROOT / 'omgseg' / 'models'


def mirror_folders() -> list[Path]:
    return sorted(p for p in TESTS.iterdir() if p.is_dir() and p.name.startswith('test_'))


def test_every_test_folder_has_its_package():
    folders = mirror_folders()
    assert folders, f'{TESTS} has no test_<package>/ folders'
    missing = [f'{p.relative_to(ROOT)}/ has no package omgseg/models/{p.name[5:]}/'
               for p in folders if not (PACKAGE / p.name[5:] / '__init__.py').is_file()]
    assert not missing, ('test folders must be named after a package of omgseg/models '
                         '(rename the folder with its package):\n' + '\n'.join(missing))


def test_every_test_folder_is_a_package_with_tests():
    # tests/ is a package: a folder without __init__.py would import under another name
    bad = [f'{p.relative_to(ROOT)}/: ' + ('no __init__.py' if not (p / '__init__.py').is_file()
                                          else 'no test_*.py file')
           for p in mirror_folders()
           if not (p / '__init__.py').is_file() or not any(p.glob('test_*.py'))]
    assert not bad, '\n'.join(bad)
