"""Tools: hierarchical clustering, cutting trees, comparing labellings.

Members are imported on first use (``from gexclust.tl import hclust`` works as usual).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_members

if TYPE_CHECKING:
    from ._bootstrap import bootstrap
    from ._choose_k import choose_k
    from ._compare import compare
    from ._consensus import consensus
    from ._cut import cut
    from ._hclust import hclust
    from ._markers import markers

_MEMBERS = {
    "bootstrap": "._bootstrap",
    "choose_k": "._choose_k",
    "compare": "._compare",
    "consensus": "._consensus",
    "cut": "._cut",
    "hclust": "._hclust",
    "markers": "._markers",
}
__getattr__, __dir__ = lazy_members(__name__, _MEMBERS)
__all__ = [
    "bootstrap",
    "choose_k",
    "compare",
    "consensus",
    "cut",
    "hclust",
    "markers",
]
