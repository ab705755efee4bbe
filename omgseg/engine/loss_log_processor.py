"""Log lines with one value per loss group; the per-layer terms go to the dashboards only.

The criterion returns every loss once per prediction set: ``d0.loss_cls`` ... ``d8.loss_cls``
for the intermediate decoder layers and ``loss_cls`` for the last one, and likewise for
``loss_obj``, ``loss_mask`` and ``loss_dice`` (about 40 terms). A log line shows, per group, the
sum over the layers (what the optimiser minimises), next to the total ``loss``; the visualizer
(JSON log, TensorBoard, W&B) also receives each layer's term as ``loss_layers/d{i}.{name}``,
the last layer being ``d{L}`` with ``L`` the number of intermediate layers.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping

from mmdet.registry import LOG_PROCESSORS
from mmengine.runner import LogProcessor

# an optional "train/"-style prefix, the layer index, a loss name
_LAYER_TERM = re.compile(r'^(?P<prefix>.*/)?d(?P<layer>\d+)\.(?P<name>loss\w*)$')


def split_loss_terms(scalars: Mapping[str, float]) -> tuple[OrderedDict, OrderedDict]:
    """Sum per-layer loss terms into their groups.

    Args:
        scalars: log values by name, e.g. ``{'loss': 9.0, 'loss_cls': 1.0, 'd0.loss_cls': 2.0,
            'lr': 1e-4}`` (names may carry a ``train/`` prefix).

    Returns:
        ``grouped``: ``scalars`` without the ``d{i}.`` terms, where every group that has such
        terms holds the sum over all layers (``loss_cls`` = 3.0 above); ``layers``: every
        layer's term, named ``loss_layers/d{i}.{name}`` (the last layer's unprefixed term
        becomes ``d{L}``).
    """
    layer_terms: dict[str, dict[int, float]] = {}
    for key, value in scalars.items():
        match = _LAYER_TERM.match(key)
        if match:
            group = (match['prefix'] or '') + match['name']
            layer_terms.setdefault(group, {})[int(match['layer'])] = value
    grouped, layers = OrderedDict(), OrderedDict()
    for key, value in scalars.items():
        if _LAYER_TERM.match(key):
            continue
        terms = layer_terms.get(key)
        if terms is None:
            grouped[key] = value
            continue
        grouped[key] = value + sum(terms.values())
        prefix, _, name = key.rpartition('/')
        prefix = prefix + '/' if prefix else ''
        for layer, term in sorted(terms.items()):
            layers[f'{prefix}loss_layers/d{layer}.{name}'] = term
        layers[f'{prefix}loss_layers/d{max(terms) + 1}.{name}'] = value
    return grouped, layers


@LOG_PROCESSORS.register_module()
class LossGroupLogProcessor(LogProcessor):
    """mmengine's ``LogProcessor`` with loss groups summed over decoder layers in log lines.

    Takes ``LogProcessor``'s arguments. The groups are sums of the layers' smoothed values,
    which equal the smoothed sums since every term is averaged over the same window.
    """

    def _collect_scalars(self, custom_cfg, runner, mode: str,
                         reserve_prefix: bool = False) -> OrderedDict:
        scalars = super()._collect_scalars(custom_cfg, runner, mode, reserve_prefix)
        # the last call builds the visualizer's tag (get_log_after_iter), which gets the layers
        grouped, self._layer_terms = split_loss_terms(scalars)
        return grouped

    def get_log_after_iter(self, runner, batch_idx: int, mode: str) -> tuple[dict, str]:
        tag, log_str = super().get_log_after_iter(runner, batch_idx, mode)
        tag.update(self._layer_terms)
        return tag, log_str
