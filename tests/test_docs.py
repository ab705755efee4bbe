"""The docs stay true: every path README.md and docs/ name exists, and every command they show
names an existing tool, config or test and only flags the tool's ``--help`` lists."""
from __future__ import annotations

import itertools
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / 'README.md', ROOT / 'data' / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]


def _snippets(path: Path) -> list[str]:
    """Inline code spans and the lines of fenced code blocks."""
    text = path.read_text()
    blocks = re.findall(r'```[a-z]*\n(.*?)```', text, re.S)
    inline = re.findall(r'`([^`\n]+)`', re.sub(r'```.*?```', '', text, flags=re.S))
    lines = [ln.split('#')[0].strip() for b in blocks for ln in b.splitlines()]
    return [s.strip() for s in inline + lines if s.strip()]


def _expand(pattern: str) -> list[str]:
    """``a/{x,y}.py`` -> ``a/x.py``, ``a/y.py`` (brace lists as the docs write them)."""
    parts = re.split(r'\{([^{}]*,[^{}]*)\}', pattern)
    choices = [[p] if i % 2 == 0 else p.split(',') for i, p in enumerate(parts)]
    return [''.join(c) for c in itertools.product(*choices)]


def _exists(rel: str) -> bool:
    rel = rel.rstrip('/.,;:')
    return all(any(ROOT.glob(p)) if '*' in p else (ROOT / p).exists() for p in _expand(rel))


PATH_RE = re.compile(r'(?<![\w./-])((?:omgseg|tools|configs|tests)/[\w./{},*-]*\w)')
PATHS = sorted({(doc.name, m) for doc in DOCS for s in _snippets(doc)
                for m in PATH_RE.findall(s)
                if 'CONFIG' not in m and m + '…' not in s})


@pytest.mark.parametrize('doc,path', PATHS, ids=[f'{d}:{p}' for d, p in PATHS])
def test_named_paths_exist(doc, path):
    assert _exists(path), f'{doc} names {path}, which does not exist'


COMMAND_RE = re.compile(r'^(?:[A-Z_]+=\S+ )*(?:uv run --locked )?(python|bash)\s+(tools/\S+)(.*)$')
COMMANDS = sorted({(doc.name, s) for doc in DOCS for s in _snippets(doc)
                   if COMMAND_RE.match(s)})


@cache
def _help(tool: str, subcommand: str | None = None) -> str:
    args = [tool, subcommand, '--help'] if subcommand else [tool, '--help']
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f'{" ".join(args)} failed:\n{proc.stderr[-2000:]}'
    return proc.stdout


@pytest.mark.parametrize('doc,command', COMMANDS, ids=[c for _, c in COMMANDS])
def test_commands_name_real_tools_and_flags(doc, command):
    runner, tool, rest = COMMAND_RE.match(command).groups()
    assert (ROOT / tool).is_file(), f'{doc}: {command!r} runs {tool}, which does not exist'
    for word in rest.split():
        word = word.strip('[]')
        if re.match(r'^(configs|tests)/', word):
            assert _exists(word), f'{doc}: {command!r} names {word}, which does not exist'
    if runner != 'python':
        return            # shell launchers pass their arguments through to train.py / test.py
    usage = _help(tool)
    first = rest.split()[0] if rest.split() else ''
    if re.search(r'\{[\w,-]*\b' + re.escape(first) + r'\b[\w,-]*\}', usage):
        usage = _help(tool, first)                # a subcommand lists its own flags
    for flag in re.findall(r'(?<![\w-])(--[a-z][\w-]*)', rest):
        assert flag in usage, f'{doc}: {command!r} uses {flag}, which {tool} --help lacks'
