"""Marker genes for the report: top genes up and down per cluster with symbols and adj. p."""

from __future__ import annotations

import pandas as pd
from anndata import AnnData


def marker_table(adata: AnnData, *, groupby: str = "cluster",
                 n_genes: int = 5) -> pd.DataFrame | None:
    """``group``, ``direction``, ``gene``, ``symbol``, ``log2fc``, ``pval_adj`` per cluster.

    ``None`` with one cluster: markers are one cluster against the rest, and it has none.
    """
    from ..tl import markers

    if adata.obs[groupby].nunique() < 2:
        return None

    layer = "expression" if "expression" in adata.layers else None
    table = markers(adata, groupby=groupby, layer=layer, n_genes=n_genes, direction="both",
                    inplace=False)
    return table.rename(columns={"gene_symbol": "symbol", "logfoldchange": "log2fc"})
