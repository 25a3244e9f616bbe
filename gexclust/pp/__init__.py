"""Preprocessing: log transform, probe collapsing, variable-gene selection, scaling."""

from __future__ import annotations

from ._collapse import collapse_probes
from ._log2 import log2
from ._scale import scale
from ._select import select_variable

__all__ = ["collapse_probes", "log2", "scale", "select_variable"]
