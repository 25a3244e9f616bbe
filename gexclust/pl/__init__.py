"""Plots: dendrograms, cluster heatmaps and clustered heatmaps."""

from __future__ import annotations

from ._cluster_heatmap import cluster_heatmap
from ._clustermap import clustermap
from ._dendrogram import dendrogram

__all__ = ["cluster_heatmap", "clustermap", "dendrogram"]
