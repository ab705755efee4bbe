"""Repository rules that keep library code in the package: tests import ``omgseg``, never a
``tools/`` script by path (a tool is a thin command line over the package; tests may still run
it as a subprocess to check its command line)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ways to execute a file as a module without it being an importable package
LOADERS = {'spec_from_file_location', 'run_path', 'SourceFileLoader'}


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _path_imports(path: Path) -> list[str]:
    """'file:line what' for each load of a file by path, and each sys.path edit."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        target = ast.unparse(node.func)
        if name in LOADERS or target in ('sys.path.insert', 'sys.path.append'):
            found.append(f'{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)[:80]}')
    return found


def test_no_test_imports_a_script_by_path():
    offenders = [hit for path in sorted((ROOT / 'tests').rglob('*.py'))
                 for hit in _path_imports(path)]
    assert not offenders, ('tests must import library code from omgseg; move the logic out of '
                           'the tool script into the package:\n' + '\n'.join(offenders))
