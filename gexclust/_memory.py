"""How much memory a computation may take, and refusing up front what cannot fit.

Several tools hold n x n matrices (distances, consensus counts). At 100,000 cells one such
matrix is 80 GB; these tools check their need against the limit here *before* allocating and
raise a one-line ``MemoryError`` naming the size, the limit and the alternatives, instead of
dying from running out of memory half-way.

The limit is :data:`MEMORY_FRACTION` of the memory available now, lowered by
``$GEXCLUST_MAX_MEMORY`` (bytes, optionally with K, M, G or T) when that is set, e.g. on a
shared node or in a container whose memory limit the operating system does not report.
"""

from __future__ import annotations

import os

import numpy as np

from ._errors import InputError
from ._limits import size_text

#: Fraction of the available memory one computation may take.
MEMORY_FRACTION = 0.75
#: Environment variable capping the memory a computation may take.
MAX_MEMORY_ENV = "GEXCLUST_MAX_MEMORY"


def available_memory() -> int:
    """Bytes of memory available to this process now (psutil)."""
    import psutil

    return int(psutil.virtual_memory().available)


def memory_limit(available: float | None = None) -> float:
    """Bytes one computation may take: a share of ``available`` (default: now), capped by env."""
    limit = MEMORY_FRACTION * (available_memory() if available is None else available)
    cap = os.environ.get(MAX_MEMORY_ENV)
    if cap is not None:
        limit = min(limit, _parse_bytes(cap))
    return limit


def _parse_bytes(text: str) -> float:
    from ._limits import _parse

    try:
        return float(_parse("max_inflated_bytes", text))
    except InputError:
        msg = (f"{MAX_MEMORY_ENV}={text!r} is not valid; expected bytes, optionally with K, M, "
               "G or T")
        raise InputError(msg) from None


def limit_text(limit: float) -> str:
    """The limit and where it comes from, for messages."""
    source = (f"{MEMORY_FRACTION:.0%} of available memory" if MAX_MEMORY_ENV not in os.environ
              else f"{MEMORY_FRACTION:.0%} of available memory, capped by ${MAX_MEMORY_ENV}")
    return f"{size_text(limit)} ({source})"


def refuse_pairwise(n: int, bytes_per_pair: float, *, task: str, what: str,
                    alternatives: str, holds: str = "n x n matrices",
                    bytes_per_item: float = 0, available: float | None = None) -> None:
    """Raise ``MemoryError`` before allocating when ``task`` on n items cannot fit in memory.

    ``bytes_per_pair`` is what the task holds for each of the n x n pairs at its peak
    (measured; e.g. 8 for one float64 square matrix, 4 for a condensed one); ``holds`` says
    what that is, in the message. ``bytes_per_item`` is what it holds besides for each item
    (e.g. its own copy of the item's row of data).
    """
    need = float(bytes_per_pair) * n * n + float(bytes_per_item) * n
    limit = memory_limit(available)
    if need <= limit:
        return
    # the largest n with bytes_per_pair * n^2 + bytes_per_item * n <= limit
    a, b = float(bytes_per_pair), float(bytes_per_item)
    max_n = int((-b + np.sqrt(b * b + 4 * a * limit)) / (2 * a))
    msg = (
        f"{task} on {n:,} {what} needs {holds}, about {size_text(need)}, but the "
        f"limit here is {limit_text(limit)}, about {max_n:,} {what}. Alternatives: "
        f"{alternatives}"
    )
    raise MemoryError(msg)
