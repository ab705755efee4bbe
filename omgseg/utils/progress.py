"""Progress bars for long loops: on stderr, only on a terminal, never touching results."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar('T')


def progress_bar(iterable: Iterable[T], *, total: int | None = None, desc: str | None = None,
                 unit: str = 'it', enabled: bool = True) -> Iterator[T]:
    """Yield from ``iterable`` unchanged, with a tqdm bar on stderr.

    The bar is shown only when ``enabled`` and stderr is a terminal (logs and pipes stay
    clean); either way the items, their order and their number are those of ``iterable``.

    Args:
        iterable: what the loop runs over.
        total: item count when ``iterable`` has no ``len`` (generators, pool results).
        desc: the bar's label, e.g. ``'PQ images'``.
        unit: what one item is (``'image'``, ``'video'``, ...).
        enabled: ``False`` turns the bar off (the ``progress=False`` of the callers).
    """
    from tqdm import tqdm  # imported here so tools that never show a bar do not pay for it

    # disable=None: tqdm turns itself off when its stream is not a TTY
    with tqdm(iterable, total=total, desc=desc, unit=unit, disable=None if enabled else True,
              leave=False, dynamic_ncols=True) as bar:
        for item in iterable:
            yield item
            bar.update(1)
        # the last updates may fall inside tqdm's minimum interval: show the final count
        # before the bar is cleared, whatever the timing
        bar.refresh()


def progress_counter(*, total: int, desc: str | None = None, unit: str = 'it',
                     enabled: bool = True):
    """A tqdm bar advanced by hand (``bar.update(n)``), for loops whose steps cover several
    items (chunks of images); shown under the same rules as :func:`progress_bar`.

    Use as a context manager.
    """
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=None if enabled else True,
                leave=False, dynamic_ncols=True)


__all__ = ['progress_bar', 'progress_counter']
