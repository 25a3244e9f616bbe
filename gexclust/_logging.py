"""The package logger. Applications configure handlers; the library never calls basicConfig.

No handler is attached here (not even a ``NullHandler``): when nothing is configured, Python's
last-resort handler prints warnings to stderr, so a notebook user sees "compare: left out 3
samples" or "cut: ... fewer clusters" as scanpy users see scanpy's warnings. Once an
application (or ``logging.basicConfig``, or the ``gexclust`` command) configures logging,
messages go where it says, and ``logging.getLogger('gexclust').setLevel(logging.ERROR)``
silences them.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("gexclust")
