"""Marker genes for the report: top genes up and down per cluster with symbols and adj. p."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData


def marker_table(adata: AnnData, *, groupby: str = "cluster", n_genes: int = 5) -> pd.DataFrame:
    """``group``, ``direction``, ``gene``, ``symbol``, ``log2fc``, ``pval_adj`` per cluster."""
    from ..tl import markers

    layer = "expression" if "expression" in adata.layers else None
    table = markers(adata, groupby=groupby, layer=layer, n_genes=n_genes, inplace=False,
                    **_both_directions(markers))
    out = pd.DataFrame({
        "group": table["group"].astype(str),
        "direction": table.get("direction", "up"),
        "gene": table["gene"].astype(str),
        "symbol": table["gene_symbol"].astype(str) if "gene_symbol" in table
        else _symbols(adata, table["gene"]),
        "log2fc": table["logfoldchange"] if "logfoldchange" in table else table["diff"],
        "pval_adj": table.get("pval_adj", np.nan),
    })
    return out.reset_index(drop=True)


def _both_directions(markers) -> dict:
    import inspect

    return {"direction": "both"} if "direction" in inspect.signature(markers).parameters else {}


def _symbols(adata: AnnData, genes) -> list[str]:
    if "gene_symbol" not in adata.var:
        return ["" for _ in genes]
    symbols = adata.var["gene_symbol"].astype(str)
    return [symbols.get(g, "").split(" /// ")[0].replace("nan", "") for g in genes]
