"""Limits on what gexclust inflates, reads and downloads.

Hostile or broken input must not exhaust memory, disk or time. Every limit has a default, an
environment variable, and a field of :class:`Limits`, which :func:`gexclust.io.read_geo`,
:func:`gexclust.io.fetch_geo` and :func:`gexclust.io.read_cumida` accept as ``limits=``.
Readers called without it (and the command line) follow the environment.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import re

from ._context import set_within
from ._errors import InputError

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30

#: Environment variable of each field of :class:`Limits`.
ENV = {
    "max_inflate_ratio": "GEXCLUST_MAX_INFLATE_RATIO",
    "max_inflated_bytes": "GEXCLUST_MAX_INFLATED_BYTES",
    "max_line_bytes": "GEXCLUST_MAX_LINE_BYTES",
    "low_speed_limit": "GEXCLUST_LOW_SPEED_LIMIT",
    "low_speed_time": "GEXCLUST_LOW_SPEED_TIME",
    "download_budget": "GEXCLUST_DOWNLOAD_BUDGET",
    "redirect_hosts": "GEXCLUST_REDIRECT_HOSTS",
}
#: The ratio limit applies only once this much has been inflated: tiny files can compress
#: far better than GEO text, and a few MB never hurt.
RATIO_GRACE = 8 * MIB


@dataclasses.dataclass(frozen=True)
class Limits:
    """Limits on inflating, reading and downloading files.

    Parameters
    ----------
    max_inflate_ratio
        Refuse gzip data that inflates to more than this many times its compressed size
        (checked once 8 MiB have been inflated). Real GEO text compresses 3-15x; a
        decompression bomb, 1000x. ``$GEXCLUST_MAX_INFLATE_RATIO``.
    max_inflated_bytes
        Refuse any input (gzip or plain, local or downloaded) larger than this many bytes of
        text. ``$GEXCLUST_MAX_INFLATED_BYTES`` (a number, optionally with K, M, G or T).
    max_line_bytes
        Refuse a line (and so any field) longer than this. ``$GEXCLUST_MAX_LINE_BYTES``.
    low_speed_limit, low_speed_time
        A download attempt that receives fewer than ``low_speed_limit`` bytes per second on
        average over ``low_speed_time`` seconds (or nothing at all for that long) is ended and
        retried, like curl's ``--speed-limit``/``--speed-time``.
        ``$GEXCLUST_LOW_SPEED_LIMIT``, ``$GEXCLUST_LOW_SPEED_TIME``.
    download_budget
        Seconds one file may take to download, over all attempts and back-off.
        ``$GEXCLUST_DOWNLOAD_BUDGET``.
    redirect_hosts
        Besides the host asked, hosts a download may be redirected to: these names and their
        subdomains. A redirect from https to http is always refused.
        ``$GEXCLUST_REDIRECT_HOSTS`` (comma-separated; empty allows none).
    """

    max_inflate_ratio: float = 100.0
    max_inflated_bytes: int = 32 * GIB
    max_line_bytes: int = 16 * MIB
    low_speed_limit: float = 1024.0
    low_speed_time: float = 30.0
    download_budget: float = 3600.0
    redirect_hosts: tuple[str, ...] = ("ncbi.nlm.nih.gov",)

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name != "redirect_hosts" and not value > 0:
                msg = f"Limits({field.name}={value!r}): expected a positive number"
                raise ValueError(msg)

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, overridden by whichever ``GEXCLUST_*`` variables are set."""
        changes = {}
        for field in dataclasses.fields(cls):
            value = os.environ.get(ENV[field.name])
            if value is not None:
                changes[field.name] = _parse(field.name, value)
        return cls(**changes)


def _parse(name: str, value: str):
    text = value.strip()
    if name == "redirect_hosts":
        return tuple(h.strip().lower() for h in text.split(",") if h.strip())
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]*)?)\s*([kKmMgGtT]?)i?[bB]?", text)
    if match is None or (match.group(2) and not name.endswith("bytes")):
        unit = "bytes, optionally with K, M, G or T" if name.endswith("bytes") else "a number"
        msg = f"{ENV[name]}={value!r} is not valid; expected {unit}"
        raise InputError(msg)
    number = float(match.group(1)) * 1024 ** " KMGT".index(match.group(2).upper() or " ")
    if number <= 0:
        msg = f"{ENV[name]}={value!r} is not valid; expected a positive value"
        raise InputError(msg)
    return int(number) if name.endswith("bytes") else number


_ACTIVE: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("limits", default=None)


def current() -> Limits:
    """The limits in force: those given to the enclosing call, else from the environment."""
    return _ACTIVE.get() or Limits.from_env()


def check_limits(limits, *, caller: str) -> None:
    """Refuse a ``limits=`` that is no :class:`Limits` before any work.

    Anything else failed deep inside a download or a read ("'str' object has no attribute
    'download_budget'"), after the cache folders were made.
    """
    if limits is not None and not isinstance(limits, Limits):
        msg = (f"{caller}: limits must be a gexclust.io.Limits (or None, for the limits of the "
               f"GEXCLUST_* environment variables), got {limits!r}")
        raise TypeError(msg)


def using(limits: Limits | None) -> contextlib.AbstractContextManager[Limits]:
    """Make ``limits`` (None: the current ones) apply to every read inside the block."""
    return set_within(_ACTIVE, limits or current())


def size_text(n: float) -> str:
    """``n`` bytes for messages: ``'2.5 GiB'``, in the units the size settings are read in.

    ``GEXCLUST_MAX_MEMORY=8G`` is 8 GiB, so its message says ``8.0 GiB`` (not ``8.6 GB``).
    """
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{int(n)} byte" if int(n) == 1 else f"{int(n)} bytes"
