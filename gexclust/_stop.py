"""Stopping ``gexclust run`` on Ctrl-C (SIGINT) or SIGTERM without leaving anything behind.

Both signals raise :class:`Stopped` (a ``KeyboardInterrupt``), so every ``finally`` and
``with`` block on the way out runs and removes the staging folder. Only the first signal
raises: a second Ctrl-C while that cleanup runs is recorded, not raised, so it cannot cut the
cleanup short. The record is also checked before each stage and before outputs are put in
place (:func:`check`), which catches an interrupt that Python swallowed: one raised inside a
``__del__`` method or a garbage-collector callback is dropped, and not printed either (Python
would print it as "Exception ignored in ..." with a traceback). The few steps that must not
be split, putting outputs in place and removing the staging folder, run with both signals
held back (:func:`shielded`).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []
#: Whether :func:`install` ran: the process is the console script's (see :func:`installed`).
_installed: list[bool] = []


class Stopped(KeyboardInterrupt):
    """The run was stopped by ``signum``; the exit code is ``128 + signum``, as shells use."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum, frame) -> None:
    _received.append(signum)
    if len(_received) == 1:
        raise Stopped(signum)


def install() -> None:
    """Route SIGINT and SIGTERM to :class:`Stopped` (command line only, main thread)."""
    _received.clear()
    _installed[:] = [True]
    for signum in SIGNALS:
        signal.signal(signum, _on_signal)
    sys.unraisablehook = _quiet_about_stops(sys.unraisablehook)


def _quiet_about_stops(hook):
    """``hook`` for exceptions Python cannot raise, except :class:`Stopped`, which is dropped.

    A stop that lands in a finaliser is still recorded: :func:`check` raises it again.
    """
    def unraisable(report) -> None:
        if not isinstance(report.exc_value, Stopped):
            hook(report)

    return unraisable


def installed() -> bool:
    """Whether the console script installed the handlers: the process is the command's own.

    Kept here, not in :mod:`gexclust.cli`, which ``python -m gexclust.cli`` runs as a second
    module (``__main__``) beside the ``gexclust.cli`` other modules import.
    """
    return bool(_installed)


def first_received() -> int | None:
    """The first signal received, or ``None``.

    A library may turn the ``Stopped`` raised inside its own code into another exception
    (an ``ImportError`` when the signal lands during an import); the record still says why.
    """
    return _received[0] if _received else None


def check() -> None:
    """Raise :class:`Stopped` if a signal was received, even one whose exception was lost."""
    if _received:
        raise Stopped(_received[0])


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs; they are delivered after it."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def uninstall() -> None:
    """Ignore SIGINT and SIGTERM from now on: the run is over and the process is exiting."""
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
