"""``torch.compile`` of whole layers, in place, keeping their parameter names."""
from __future__ import annotations

from torch import nn

# torch.compile's own keywords; anything else in a config is a typo worth naming
_COMPILE_KEYS = ('fullgraph', 'dynamic', 'backend', 'mode', 'options', 'disable')


def check_compile(value, owner: str) -> dict | None:
    """Keyword arguments of ``torch.compile`` from a config value, or None (no compiling).

    Args:
        value: ``False`` / ``None`` (off), ``True`` (torch's defaults) or a dict of
            ``torch.compile`` keywords (e.g. ``dict(mode='max-autotune', dynamic=True)``).
        owner: the setting's name for error messages.
    """
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(_COMPILE_KEYS))
        if unknown:
            raise ValueError(f'{owner}: unknown torch.compile option(s) {unknown}; allowed: '
                             f'{", ".join(_COMPILE_KEYS)}.')
        return dict(value)
    raise ValueError(f'{owner} must be True, False or a dict of torch.compile options, got '
                     f'{value!r}.')


def compile_layers(layers: nn.ModuleList, options: dict) -> None:
    """``torch.compile`` every module of ``layers`` in place (``nn.Module.compile``).

    Compilation happens at each layer's first call, on whatever device it runs then; the
    modules, their parameter names and ``state_dict`` keys stay the same, so checkpoints load
    either way. Layers compiled with ``dynamic`` unset recompile once for a second shape and
    then treat the changing sizes (queries, memory levels) as dynamic.
    """
    for layer in layers:
        layer.compile(**options)
