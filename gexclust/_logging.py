"""The package logger. Applications configure handlers; the library never calls basicConfig."""

from __future__ import annotations

import logging

logger = logging.getLogger("gexclust")
logger.addHandler(logging.NullHandler())
