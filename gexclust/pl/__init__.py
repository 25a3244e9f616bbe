"""Plots: dendrograms, cluster heatmaps and clustered heatmaps.

Members are imported on first use; each plot module imports AnnData and scipy only inside the
function that reads the AnnData, so the drawing half stays light for ``gexclust run``'s helper.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_members

if TYPE_CHECKING:
    from ._choose_k import choose_k
    from ._cluster_heatmap import cluster_heatmap
    from ._clustermap import clustermap
    from ._consensus import consensus
    from ._dendrogram import dendrogram
    from ._markers import markers

_MEMBERS = {
    "choose_k": "._choose_k",
    "cluster_heatmap": "._cluster_heatmap",
    "clustermap": "._clustermap",
    "consensus": "._consensus",
    "dendrogram": "._dendrogram",
    "markers": "._markers",
}
__getattr__, __dir__ = lazy_members(__name__, _MEMBERS)
__all__ = [
    "choose_k",
    "cluster_heatmap",
    "clustermap",
    "consensus",
    "dendrogram",
    "markers",
]
