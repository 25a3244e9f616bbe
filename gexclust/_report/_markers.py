"""Marker genes for the report: top genes up and down per cluster with symbols and adj. p."""

from __future__ import annotations

import pandas as pd
from anndata import AnnData


def cluster_markers(adata: AnnData, *, groupby: str = "cluster"):
    """The clusters tested against the rest once, for the run's figures and the report.

    On the expression layer when there is one (a run's), as the report's figures read it.
    ``None`` with one cluster: markers are one cluster against the rest, and it has none.
    """
    from ..tl._markers import ranked_markers

    if adata.obs[groupby].nunique() < 2:
        return None
    layer = "expression" if "expression" in adata.layers else None
    return ranked_markers(adata, groupby=groupby, layer=layer, use_raw=None, caller="tl.markers")


def marker_table(adata: AnnData, *, groupby: str = "cluster", n_genes: int = 5,
                 markers=None) -> pd.DataFrame | None:
    """``group``, ``direction``, ``gene``, ``symbol``, ``log2fc``, ``pval_adj`` per cluster.

    ``markers``: :func:`cluster_markers`'s, when ranked already. ``None`` with one cluster.
    """
    if markers is None:
        markers = cluster_markers(adata, groupby=groupby)
    if markers is None:
        return None
    table = markers.table(n_genes=n_genes, direction="both", gene_symbols="gene_symbol",
                          caller="gexclust report")
    return table.rename(columns={"gene_symbol": "symbol", "logfoldchange": "log2fc"})
