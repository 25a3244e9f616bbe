"""Selection of the most variable probes/genes."""

from __future__ import annotations

from typing import Literal

import numpy as np
from anndata import AnnData

from .._checks import check_choice
from .._defaults import DEFAULT_N_TOP
from .._utils import float_matrix, get_matrix

FLAVORS = ("variance", "mad", "iqr")


def _variability(X: np.ndarray, flavor: str) -> np.ndarray:
    if flavor == "variance":
        return X.var(axis=0, ddof=1)
    if flavor == "mad":
        med = np.median(X, axis=0)
        return np.median(np.abs(X - med), axis=0)
    q75, q25 = np.percentile(X, [75, 25], axis=0)
    return q75 - q25


def select_variable(
    adata: AnnData,
    *,
    n_top: int = DEFAULT_N_TOP,
    flavor: Literal["variance", "mad", "iqr"] = "variance",
    subset: bool = False,
    layer: str | None = None,
    key_added: str = "highly_variable",
    copy: bool = False,
) -> AnnData | None:
    """Mark the ``n_top`` most variable genes across samples, as scanpy's ``highly_variable_genes``.

    Parameters
    ----------
    adata
        Annotated data matrix (samples x genes), ideally on a log scale.
    n_top
        Number of genes to mark. If larger than ``n_vars``, all genes are marked.
    flavor
        Variability score: ``'variance'`` (sample variance, ddof=1), ``'mad'`` (median absolute
        deviation, robust to outlier samples) or ``'iqr'`` (interquartile range).
    subset
        Keep only the selected genes (in their original order).
    layer
        Score this layer instead of ``.X``.
    key_added
        Name of the boolean ``.var`` column.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.var[key_added]``: True for the selected genes;
    - ``.var['variability']``: the score; ``.var['variability_rank']``: 0 for the most variable;
    - ``.uns[key_added]``: ``flavor`` and ``n_top``.

    Ties are broken by the original gene order, so the selection is deterministic.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> adata.n_vars
    500
    """
    check_choice("flavor", flavor, FLAVORS)
    if not isinstance(n_top, int | np.integer) or n_top < 1:
        msg = f"n_top must be a positive integer, got {n_top!r}"
        raise ValueError(msg)
    if copy:
        adata = adata.copy()
    X = float_matrix(get_matrix(adata, layer=layer))
    if np.isnan(X).any():
        msg = "select_variable: data contain NaN; handle missing values when reading (missing=)"
        raise ValueError(msg)
    score = _variability(X, flavor)
    order = np.argsort(-score, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    selected = rank < n_top
    adata.var["variability"] = score
    adata.var["variability_rank"] = rank
    adata.var[key_added] = selected
    adata.uns[key_added] = {"flavor": flavor, "n_top": int(min(n_top, adata.n_vars))}
    if subset:
        adata._inplace_subset_var(selected)
    return adata if copy else None
