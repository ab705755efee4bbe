"""Loss and metric curves from the JSON logs mmengine writes during training.

mmengine's ``LoggerHook`` writes one JSON object per line to ``<run>/vis_data/<run>.json``
(and the same records to ``vis_data/scalars.json``): training records carry ``iter``, ``lr``,
the loss groups and each layer's terms; evaluation records carry the metrics
(``coco/panoptic/PQ``, ...) and no ``iter``. Every curve is drawn against the training
iteration: an evaluation record takes the iteration of the last training record before it.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

# inches per subplot row; the PNG is (WIDTH * dpi) x (ROW_HEIGHT * len(keys) * dpi) pixels
WIDTH, ROW_HEIGHT = 8.0, 3.0


class LogAnalysisError(ValueError):
    """Bad input to the log tools (missing file, unreadable record, unknown key)."""


Curves = dict[str, tuple[list[int], list[float]]]


def resolve_log(path: str | Path) -> Path:
    """``path`` itself if it is a file; for a work dir, its newest ``*/vis_data/scalars.json``."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        found = sorted(path.glob('*/vis_data/scalars.json')) + sorted(
            path.glob('vis_data/scalars.json'))
        if found:
            return max(found, key=lambda p: p.stat().st_mtime)
        raise LogAnalysisError(f'{path}: no */vis_data/scalars.json inside; give the JSON log '
                               f'of a run (work_dir/<timestamp>/vis_data/<timestamp>.json).')
    raise LogAnalysisError(f'{path}: no such file or directory.')


def load_curves(path: str | Path) -> Curves:
    """Every numeric key of a JSON log as ``(iterations, values)``.

    Args:
        path: a JSON log (one record per line) or a work dir (see :func:`resolve_log`).

    Returns:
        key -> (x, y) lists of equal length, in file order.
    """
    path = resolve_log(path)
    curves: Curves = {}
    last_iter = 0
    with path.open() as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise LogAnalysisError(f'{path}:{lineno}: not a JSON record ({err.msg}); '
                                       f'expected mmengine\'s vis_data JSON log.') from None
            if not isinstance(record, dict):
                raise LogAnalysisError(f'{path}:{lineno}: expected a JSON object per line.')
            if 'iter' in record:
                last_iter = int(record['iter'])
            for key, value in record.items():
                if key in ('iter', 'step', 'epoch') or isinstance(value, bool) or not isinstance(
                        value, (int, float)):
                    continue
                xs, ys = curves.setdefault(key, ([], []))
                xs.append(last_iter)
                ys.append(float(value))
    if not curves:
        raise LogAnalysisError(f'{path}: holds no numeric records.')
    return curves


def plot_curves(logs: Sequence[str | Path], keys: Sequence[str], out: str | Path, *,
                legend: Sequence[str] | None = None, title: str | None = None,
                dpi: int = 100) -> Path:
    """Draw one subplot per key with one curve per run and save a PNG.

    Args:
        logs: JSON logs (or work dirs) of the runs to compare.
        keys: log keys, e.g. ``['loss', 'loss_mask', 'coco/panoptic/PQ']``; every log must
            have each of them.
        out: PNG path (parent folders are created).
        legend: one label per log (default: the log's file name or parent run folder).
        title: figure title.
        dpi: pixels per inch; the image is ``WIDTH * dpi`` by ``ROW_HEIGHT * len(keys) * dpi``.

    Returns:
        the written path.
    """
    import matplotlib
    matplotlib.use('Agg')  # files only: no display needed
    import matplotlib.pyplot as plt

    if not keys:
        raise LogAnalysisError('give at least one key to plot (--keys loss ...).')
    if legend is not None and len(legend) != len(logs):
        raise LogAnalysisError(f'--legend has {len(legend)} labels for {len(logs)} logs.')
    runs = [load_curves(log) for log in logs]
    for log, curves in zip(logs, runs):
        missing = [k for k in keys if k not in curves]
        if missing:
            raise LogAnalysisError(f'{log}: no key {", ".join(map(repr, missing))}; it has '
                                   f'{", ".join(sorted(curves))}.')
    labels = list(legend) if legend is not None else [_label(log) for log in logs]
    fig, axes = plt.subplots(len(keys), 1, figsize=(WIDTH, ROW_HEIGHT * len(keys)), dpi=dpi,
                             squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for curves, label in zip(runs, labels):
            xs, ys = curves[key]
            ax.plot(xs, ys, marker='o' if len(xs) < 20 else None, label=label)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    axes[-1, 0].set_xlabel('iteration')
    if title:
        fig.suptitle(title)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out


def _label(log: str | Path) -> str:
    """The run's folder name for ``scalars.json``, else the log's file name without suffix."""
    path = resolve_log(log)
    return path.parent.parent.name if path.name == 'scalars.json' else path.stem
