"""Files of YouTube-VIS evaluation: reading a JSON (or a submission zip), writing results and
the CodaLab submission."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

__all__ = ['load_ytvis_json', 'write_ytvis_results', 'write_ytvis_submission']


def load_ytvis_json(path: str | Path) -> dict | list:
    """Read a JSON file, or ``results.json`` inside a submission zip; errors name the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'file not found: {path}')
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                if 'results.json' not in zf.namelist():
                    raise ValueError(f'{path} holds no results.json at its root '
                                     f'(found {zf.namelist()[:5]})')
                return json.loads(zf.read('results.json'))
        with path.open() as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f'{path} is not valid JSON: {exc}') from exc


def _jsonable(results: list) -> list:
    def seg(s):
        if s and isinstance(s.get('counts'), bytes):
            return {'size': list(s['size']), 'counts': s['counts'].decode('ascii')}
        return s
    return [{**r, 'segmentations': [seg(s) for s in r['segmentations']]} for r in results]


def write_ytvis_results(results: list, out_json: str | Path) -> Path:
    """Write results as JSON (bytes RLE counts become str); returns the path."""
    out_json = Path(out_json)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(_jsonable(results)))
    return out_json


def write_ytvis_submission(results: list, out_zip: str | Path) -> Path:
    """The CodaLab submission: a zip holding ``results.json`` at its root; returns the path."""
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_zip, 'w', zipfile.ZIP_DEFLATED) as zf:
        zf.writestr('results.json', json.dumps(_jsonable(results)))
    return out_zip
