"""Ctrl-C that cannot be lost.

Python turns SIGINT into KeyboardInterrupt wherever the main thread happens to be. If that is a
weakref callback or a ``__del__`` method, the exception is printed as "Exception ignored" and
swallowed, and the run would carry on and report success. The command line therefore records
every interrupt, hides those swallowed tracebacks, and checks the record before each stage and
before it puts outputs in place.
"""

from __future__ import annotations

import signal
import sys

_interrupted = False


def install() -> None:
    """Record SIGINT before raising KeyboardInterrupt; silence swallowed KeyboardInterrupts."""
    previous_hook = sys.unraisablehook

    def on_sigint(signum, frame):
        global _interrupted
        _interrupted = True
        raise KeyboardInterrupt

    def unraisable(info) -> None:
        if not isinstance(info.exc_value, KeyboardInterrupt):
            previous_hook(info)

    signal.signal(signal.SIGINT, on_sigint)
    sys.unraisablehook = unraisable


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt was recorded (even one that was swallowed)."""
    if _interrupted:
        raise KeyboardInterrupt
