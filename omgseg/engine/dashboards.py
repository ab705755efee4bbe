"""Training dashboards: TensorBoard and Weights & Biases as switches of the visualizer.

The runner's visualizer receives everything a log line shows (learning rate, loss groups,
times), each decoder layer's loss terms, and after every evaluation the metrics of every entry
(``coco/panoptic/PQ``, ``vipseg/VPQ``, ...). Its backends write them out: the JSON log always,
TensorBoard and W&B when switched on::

    python tools/train.py CONFIG --tensorboard          # or --wandb
    python tools/train.py CONFIG --cfg-options visualizer.tensorboard=True
    tensorboard --logdir work_dirs/<config name>         # events in <timestamp>/vis_data/

TensorBoard's writer needs the ``tensorboard`` package (``uv sync --group dashboards``), W&B
the ``wandb`` package; both are imported only when switched on.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from mmdet.registry import VISUALIZERS
from mmengine.visualization import Visualizer

_INSTALL = {
    'tensorboard': "pip install tensorboard (or `uv sync --group dashboards`)",
    'wandb': 'pip install wandb, then `wandb login` (or set WANDB_MODE=offline)',
}


def _require(package: str, switch: str) -> None:
    if importlib.util.find_spec(package) is None:
        raise ImportError(f'{switch} needs the `{package}` package, which is not installed: '
                          f'{_INSTALL[package]}; or leave {switch} off.')


def dashboard_backends(*, tensorboard: bool = False,
                       wandb: bool | dict = False) -> list[dict]:
    """Visualizer backend configs for the switched-on dashboards (packages checked first).

    Args:
        tensorboard: add mmengine's ``TensorboardVisBackend``.
        wandb: add ``WandbVisBackend``; a dict is passed as its ``init_kwargs``
            (``project``, ``name``, ... of ``wandb.init``).

    Returns:
        backend configs, TensorBoard first.
    """
    backends = []
    if tensorboard:
        _require('tensorboard', 'visualizer.tensorboard (--tensorboard)')
        backends.append(dict(type='TensorboardVisBackend'))
    if wandb:
        _require('wandb', 'visualizer.wandb (--wandb)')
        backends.append(dict(type='WandbVisBackend',
                             init_kwargs=dict(wandb) if isinstance(wandb, dict) else None))
    return backends


@VISUALIZERS.register_module()
class DashboardVisualizer(Visualizer):
    """mmengine's ``Visualizer`` with TensorBoard and W&B backends as two switches.

    Args:
        name: instance name (the runner gives the experiment name).
        vis_backends: the always-on backends; default the local JSON/image writer.
        save_dir: the run's log directory (the runner fills it in).
        tensorboard, wandb: see :func:`dashboard_backends`.
        **kwargs: passed to ``Visualizer`` (``fig_save_cfg``, ...).
    """

    def __init__(self, name: str = 'visualizer', *, vis_backends: Sequence[dict] | None = None,
                 save_dir: str | None = None, tensorboard: bool = False,
                 wandb: bool | dict = False, **kwargs) -> None:
        backends = list(vis_backends) if vis_backends is not None else [
            dict(type='LocalVisBackend')]
        present = {b.get('type') for b in backends}
        backends += [b for b in dashboard_backends(tensorboard=tensorboard, wandb=wandb)
                     if b['type'] not in present]
        super().__init__(name=name, vis_backends=backends, save_dir=save_dir, **kwargs)
