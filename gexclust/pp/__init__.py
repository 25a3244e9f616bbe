"""Preprocessing: log transform, probe collapsing, variable-gene selection, scaling.

Members are imported on first use (``from gexclust.pp import scale`` works as usual).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_members

if TYPE_CHECKING:
    from ._center import center
    from ._collapse import collapse_probes
    from ._log2 import log2
    from ._scale import scale
    from ._select import select_variable

_MEMBERS = {
    "center": "._center",
    "collapse_probes": "._collapse",
    "log2": "._log2",
    "scale": "._scale",
    "select_variable": "._select",
}
__getattr__, __dir__ = lazy_members(__name__, _MEMBERS)
__all__ = ["center", "collapse_probes", "log2", "scale", "select_variable"]
