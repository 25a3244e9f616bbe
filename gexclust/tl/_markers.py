"""Genes that tell groups (clusters) apart: one-vs-rest Welch t statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._palette import as_categorical
from .._utils import expression_matrix


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
        Annotated data matrix, ideally log2 expression.
    groupby
        ``.obs`` column with the groups (categorical or plain strings). Samples without a
        group (NaN) are left out of every comparison.
    n_genes
        Number of top up-regulated genes kept per group.
    layer
        Use this layer. By default ``.X``, with :func:`~gexclust.pp.scale` undone when it
        z-scored ``.X`` (``.X * .var['std'] + .var['mean']``), so ``diff`` is a difference of
        expression means, not of z-scores (the t statistic is the same either way).
    key_added
        Key in ``.uns`` for the table.
    inplace
        Store the table in ``.uns[key_added]`` (it is returned either way).

    Returns
    -------
    DataFrame with one row per (group, rank): ``group``, ``rank``, ``gene`` (var name),
    ``score`` (Welch t), ``mean_group``, ``mean_rest`` and ``diff`` (``mean_group -
    mean_rest``: the log2 fold change when the values are log2 expression). Stored in
    ``.uns[key_added]`` when ``inplace``.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> gx.pp.scale(adata)
    >>> table = gx.tl.markers(adata, groupby="type", n_genes=3, inplace=False)
    >>> table.columns.tolist()
    ['group', 'rank', 'gene', 'score', 'mean_group', 'mean_rest', 'diff']
    >>> bool((table["mean_group"] > 2).all())  # log2 expression, not z-scores
    True
    """
    if groupby not in adata.obs:
        msg = f"markers: no column {groupby!r} in .obs; available: {list(adata.obs.columns)}"
        raise KeyError(msg)
    X = expression_matrix(adata, layer=layer, caller="tl.markers")
    groups = as_categorical(adata.obs[groupby])
    codes = np.asarray(groups.codes)
    labelled = codes >= 0
    rows = []
    for code, group in enumerate(groups.categories):
        inside = codes == code
        rest = labelled & ~inside
        if not inside.any() or not rest.any():
            continue
        t, mean_in, mean_out = _welch_t(X[inside], X[rest])
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
