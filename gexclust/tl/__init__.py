"""Tools: hierarchical clustering, cutting trees, comparing labellings."""

from __future__ import annotations

from ._compare import compare
from ._cut import cut
from ._hclust import hclust
from ._markers import markers

__all__ = ["compare", "cut", "hclust", "markers"]
