"""The package logger. Applications configure handlers; the library never calls basicConfig.

No handler is attached here (not even a ``NullHandler``): when nothing is configured, Python's
last-resort handler prints warnings to stderr, so a notebook user sees "tl.compare: left out 3
samples" or "tl.cut: ... fewer clusters" as scanpy users see scanpy's warnings. Once an
application (or ``logging.basicConfig``, or the ``gexclust`` command) configures logging,
messages go where it says, and ``logging.getLogger('gexclust').setLevel(logging.ERROR)``
silences them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from ._context import set_within

logger = logging.getLogger("gexclust")

T = TypeVar("T")


def warn_first(found: Sequence[T], say: Callable[[T], str], more: str) -> None:
    """One warning for the items in ``found``: the first, in ``say``'s words, and how many more.

    For things a reader notes once per file, not once per line: ``more`` names the others
    (``'such line(s) left out'`` gives ``'; 3 more such line(s) left out'``).
    """
    if found:
        others = f"; {len(found) - 1} more {more}" if len(found) > 1 else ""
        logger.warning("%s%s", say(found[0]), others)


#: Whether a progress bar that is not asked for by a ``progress=`` argument (a download's)
#: may show; the command line's ``--quiet`` turns it off.
_BARS = contextvars.ContextVar("gexclust_progress_bars", default=True)


#: Whether the package logger drops the records of this thread or task (:func:`quiet_logs`).
_QUIET = contextvars.ContextVar("gexclust_quiet_logs", default=False)


def _not_quieted(_record: logging.LogRecord) -> bool:
    return not _QUIET.get()


# always there, and inert outside quiet_logs: a filter added and removed around the block
# dropped the records of every thread meanwhile, not only of the one that asked
logger.addFilter(_not_quieted)


def quiet_logs() -> contextlib.AbstractContextManager[bool]:
    """The package logger drops what this thread (or task) logs while the block runs."""
    return set_within(_QUIET, True)


def progress_bars() -> bool:
    """Whether progress bars may show (on a terminal): False under :func:`no_progress_bars`."""
    return _BARS.get()


def no_progress_bars() -> contextlib.AbstractContextManager[bool]:
    """No progress bar shows while the block runs (``gexclust ... --quiet``)."""
    return set_within(_BARS, False)
