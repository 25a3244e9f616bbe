"""Genes that tell groups (clusters) apart: one-vs-rest Welch t statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._utils import float_matrix, get_matrix


def markers(
    adata: AnnData,
    *,
    groupby: str = "cluster",
    n_genes: int = 10,
    layer: str | None = None,
    key_added: str = "markers",
    inplace: bool = True,
) -> pd.DataFrame:
    """Rank genes for each group against all other samples by Welch's t statistic.

    Parameters
    ----------
    adata
        Annotated data matrix, ideally log-scale expression (not z-scored) in ``layer``.
    groupby
        Categorical ``.obs`` column with the groups.
    n_genes
        Number of top up-regulated genes kept per group.
    layer
        Use this layer instead of ``.X`` (e.g. ``'log2'`` saved before scaling).
    key_added
        Key in ``.uns`` for the table.
    inplace
        Store the table in ``.uns[key_added]`` (it is returned either way).

    Returns
    -------
    DataFrame with one row per (group, rank): ``group``, ``rank``, ``gene`` (var name),
    ``score`` (Welch t), ``mean_group``, ``mean_rest`` and ``diff`` (difference of means, a log2
    fold change on log2 data). Stored in ``.uns[key_added]`` when ``inplace``.
    """
    if groupby not in adata.obs:
        msg = f"markers: no column {groupby!r} in .obs; available: {list(adata.obs.columns)}"
        raise KeyError(msg)
    X = float_matrix(get_matrix(adata, layer=layer))
    groups = adata.obs[groupby].astype("category")
    rows = []
    for group in groups.cat.categories:
        inside = (groups == group).to_numpy()
        if inside.all() or not inside.any():
            continue
        t, mean_in, mean_out = _welch_t(X[inside], X[~inside])
        top = np.argsort(-t, kind="stable")[:n_genes]
        for rank, j in enumerate(top):
            rows.append(
                (str(group), rank, adata.var_names[j], t[j], mean_in[j], mean_out[j])
            )
    table = pd.DataFrame(
        rows, columns=["group", "rank", "gene", "score", "mean_group", "mean_rest"]
    )
    table["diff"] = table["mean_group"] - table["mean_rest"]
    if inplace:
        adata.uns[key_added] = table
    return table


def _welch_t(a: np.ndarray, b: np.ndarray):
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    var_a = a.var(axis=0, ddof=1) if len(a) > 1 else np.zeros(a.shape[1])
    var_b = b.var(axis=0, ddof=1) if len(b) > 1 else np.zeros(b.shape[1])
    se = np.sqrt(var_a / len(a) + var_b / len(b))
    # a floor on the standard error keeps constant genes from giving infinite scores
    se = np.maximum(se, 1e-6)
    return (mean_a - mean_b) / se, mean_a, mean_b
