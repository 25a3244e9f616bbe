"""Selection of the most variable probes/genes."""

from __future__ import annotations

from typing import Literal

import numpy as np
from anndata import AnnData
from scipy import sparse

from .._api import named
from .._checks import check_choice
from .._defaults import DEFAULT_N_TOP
from .._logging import logger
from .._utils import (
    all_unit_sd,
    column_var,
    float_matrix,
    get_matrix,
    in_memory,
    matrix_name,
    record_of,
    refuse_missing,
    refuse_overflow,
    view_to_actual,
)
from ..tl._tree_access import refuse_other_result, refuse_tree_key

FLAVORS = ("variance", "mad", "iqr")
#: The .var columns of the scores and their ranks (pl.clustermap ranks genes by the latter).
SCORE_COLUMNS = ("variability", "variability_rank")


def _variability(X: np.ndarray, flavor: str) -> np.ndarray:
    """MAD or IQR of each gene (the variance is computed, and checked, by :func:`_score`)."""
    if flavor == "mad":
        # one matrix-sized array at a time: the deviations are made absolute and sorted in
        # place (X - med, its absolute value and a sorted copy of that took three, 1.07 GB
        # on a 2,000 x 22,283 matrix)
        deviations = X - _column_median(X)
        np.abs(deviations, out=deviations)
        return _column_median(deviations, overwrite=True)
    q75, q25 = np.percentile(X, [75, 25], axis=0)
    return q75 - q25


def _score(adata: AnnData, *, layer: str | None, flavor: str) -> np.ndarray:
    """Variability of each gene; sparse data keep their sparsity for ``'variance'``."""
    X = in_memory(adata.X if layer is None else adata.layers.get(layer))
    if flavor == "variance" and sparse.issparse(X):
        if not np.isfinite(X.data).all():
            refuse_missing(float_matrix(X.toarray()), adata, caller="pp.select_variable")
        variance = _sparse_variance(X)
        _refuse_unit_variance(variance, adata, layer)
        return variance
    X = float_matrix(get_matrix(adata, layer=layer, caller="pp.select_variable"))
    refuse_missing(X, adata, caller="pp.select_variable")
    with np.errstate(over="ignore", invalid="ignore"):  # near the float limit: refused below
        variance = column_var(X, ddof=1)  # float32 summed in float64
    refuse_overflow(X, [variance], adata, caller="pp.select_variable")
    _refuse_unit_variance(variance, adata, layer)
    return variance if flavor == "variance" else _variability(X, flavor)


def _refuse_unit_variance(variance: np.ndarray, adata: AnnData, layer: str | None) -> None:
    """Refuse values whose every gene has standard deviation 1 (:func:`all_unit_sd`).

    That is what scaling leaves (scanpy's ``sc.pp.scale``, scikit-learn's ``StandardScaler``),
    which writes no ``.uns['scale']`` record of ours: ranking such genes by their spread would
    return the first genes in order.
    """
    if all_unit_sd(variance, adata.n_obs):
        where = matrix_name(layer)
        msg = (f"pp.select_variable: every gene of {where} has standard deviation 1 (scaled, e.g. "
               "by sc.pp.scale), so none varies more than another; select genes before "
               "scaling, or pass layer= with the expression values (for scanpy's data, e.g. "
               "adata.layers['log'] = adata.raw[:, adata.var_names].X)")
        raise ValueError(msg)


def _refuse_z_scores(adata: AnnData, layer: str | None) -> None:
    """Refuse a ``.X`` (or ``layer``) z-scored by pp.scale: every gene's variance is 1 there.

    Its record, not the variances, says so: z-scores clipped by ``max_value`` are not all of
    variance 1. Centring alone is fine: variance, MAD and IQR do not change when a constant
    is subtracted.
    """
    if record_of(adata, "scale", layer) is not None:
        where = matrix_name(layer)
        msg = (f"pp.select_variable: {where} was z-scored by pp.scale, so every gene varies as "
               "much as any other (variance 1); select genes before scaling, or pass layer= "
               "with the expression values")
        raise ValueError(msg)


def _say_zero_ties(score: np.ndarray, order: np.ndarray, n_top: int, flavor: str) -> None:
    """Warn when genes of score 0 are selected in gene order among others of score 0.

    Genes that do not vary by the score (a MAD of 0) tie, and those selected among them are
    the first in gene order. On single-cell values most genes are zero in more than half the
    cells, so their MAD (and often IQR) is 0: ``flavor='mad'`` marked the first genes of
    ``.var`` as "the most variable", without a word. Ties at other scores (values rounded to
    two decimals) are between genes that vary as much: left unsaid.
    """
    if n_top >= len(score) or score[order[n_top - 1]] != 0:
        return
    zero = score == 0
    n_in = int(zero[order[:n_top]].sum())
    n_out = int(zero.sum()) - n_in
    why = ("a gene whose values are more than half equal, such as the zeros of counts, has "
           f"{flavor} 0" if flavor != "variance" else "constant genes")
    advice = ("flavor='variance' ranks such data" if flavor != "variance" else
              "pass a smaller n_top")
    logger.warning(
        "pp.select_variable: %d of the %d genes selected tie with %d genes left out at %s 0 "
        "(%s), so those %d are the first in gene order, not the most variable; %s",
        n_in, n_top, n_out, flavor, why, n_in, advice)


def _say_scanpy_selection_replaced(adata: AnnData, key_added: str,
                                   selected: np.ndarray) -> None:
    """Warn when ``selected`` replaces another selection of scanpy's ``highly_variable_genes``.

    scanpy writes ``.var['highly_variable']`` and records its flavor in ``.uns['hvg']``, which
    no longer describes the column once it holds this selection (``sc.pl.highly_variable_genes``
    then draws it against scanpy's dispersions). The record is scanpy's and is kept.
    """
    hvg = adata.uns.get("hvg")
    if key_added != "highly_variable" or key_added not in adata.var or not hasattr(hvg, "get"):
        return
    before = adata.var[key_added].to_numpy()
    if before.dtype != bool or np.array_equal(before, selected):
        return
    kept = int((before & selected).sum())
    logger.warning(
        "pp.select_variable: replaced .var['highly_variable'] of sc.pp.highly_variable_genes "
        "(flavor %r, %d genes; %d of them are in this selection of %d), which .uns['hvg'] "
        "still describes; to keep scanpy's selection beside this one, pass "
        "key_added='gx_highly_variable'", hvg.get("flavor"), int(before.sum()), kept,
        int(selected.sum()))


def _sparse_variance(X) -> np.ndarray:
    """Sample variance (ddof=1) of each column of a sparse matrix, without densifying it.

    From the deviations, in float64: the squared deviations of the stored values from their
    column's mean, plus ``mean**2`` for each of the column's implicit zeros. The mean of the
    squares minus the squared mean cancels when the mean dwarfs the spread (a gene of
    1e6 +- 0.01 scored 0 or a multiple of 1.5e-5, its variance being 1e-4).
    """
    n, n_columns = X.shape
    X = sparse.csr_matrix(X, dtype=np.float64, copy=True)  # its own copy: summed in place
    X.sum_duplicates()  # a stored value per entry: the deviations are taken entry by entry
    columns = X.indices
    mean = np.bincount(columns, weights=X.data, minlength=n_columns) / n
    deviations = X.data - mean[columns]
    squares = np.bincount(columns, weights=deviations * deviations, minlength=n_columns)
    implicit = n - np.bincount(columns, minlength=n_columns)
    return (squares + implicit * mean**2) / (n - 1)


def _column_median(X: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """``np.median(X, axis=0)``, several times faster on wide matrices (one sort of the columns).

    ``overwrite``: sort ``X`` itself, as ``np.median(overwrite_input=True)`` may.
    """
    ordered = X if overwrite else X.copy(order="K")  # as np.sort copies
    ordered.sort(axis=0)
    n = X.shape[0]
    return (ordered[(n - 1) // 2] + ordered[n // 2]) / 2


@named("pp.select_variable")
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

    Sparse data: ``'variance'`` is computed on the sparse matrix as is (same scores to float
    rounding), so a large sparse matrix can be reduced here before the dense tools; ``'mad'``
    and ``'iqr'`` densify it (with a logged warning; refused above 2 GiB). Missing values are
    refused with an error naming the gene and sample, and so is a ``.X`` z-scored by
    :func:`~gexclust.pp.scale` (every variance is 1 there; select first, or pass ``layer=``),
    or values whose every gene has standard deviation 1 (scaled elsewhere, e.g. by scanpy's
    ``sc.pp.scale``).

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
        Keep only the selected genes (in their original order). Refused for a backed
        AnnData (``read_h5ad(..., backed='r')``), whose genes cannot be dropped in place;
        the error says how to load the selected genes instead.
    layer
        Score this layer instead of ``.X``.
    key_added
        Name of the boolean ``.var`` column (not ``'variability'`` or
        ``'variability_rank'``, which hold the scores). A key whose ``.uns`` entry holds
        anything but an earlier selection (a cut's record, another tool's result) is refused.
        Replacing a different selection of scanpy's ``highly_variable_genes`` (recorded in
        ``.uns['hvg']``, which is kept) is said in a logged warning.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.var[key_added]``: True for the selected genes;
    - ``.var['variability']``: the score; ``.var['variability_rank']``: 0 for the most variable;
    - ``.uns[key_added]``: ``flavor`` and ``n_top``.

    Ties are broken by the original gene order, so the selection is deterministic. Genes of
    score 0 selected that way (not varying by the score: a MAD of 0, as most genes of
    single-cell data have) are said in a logged warning.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> adata.n_vars
    500
    """
    check_choice("flavor", flavor, FLAVORS)
    if isinstance(n_top, bool) or not isinstance(n_top, int | np.integer) or n_top < 1:
        msg = f"pp.select_variable: n_top must be a positive integer, got {n_top!r}"
        raise ValueError(msg)
    _refuse_z_scores(adata, layer)
    refuse_tree_key(adata, key_added, caller="pp.select_variable")
    refuse_other_result(adata, key_added, own="n_top", caller="pp.select_variable")
    if key_added in SCORE_COLUMNS:  # the selection would replace the scores or their ranks
        msg = (f"pp.select_variable: key_added={key_added!r} is a .var column "
               "pp.select_variable writes itself ('variability', the scores, and "
               "'variability_rank', their ranks); choose another key_added")
        raise ValueError(msg)
    if subset and adata.isbacked and not copy:
        msg = (f"pp.select_variable: subset=True cannot drop genes of a backed AnnData "
               f"({str(adata.filename)!r}) in place; select without subset=True and keep the "
               f"genes with adata = adata[:, adata.var[{key_added!r}]].to_memory()")
        raise ValueError(msg)
    if copy:
        adata = adata.copy()
    view_to_actual(adata)  # a view becomes an AnnData of its own, as in scanpy (no warning)
    score = _score(adata, layer=layer, flavor=flavor)
    order = np.argsort(-score, kind="stable")
    _say_zero_ties(score, order, n_top, flavor)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    selected = rank < n_top
    _say_scanpy_selection_replaced(adata, key_added, selected)
    adata.var["variability"] = score
    adata.var["variability_rank"] = rank
    adata.var[key_added] = selected
    adata.uns[key_added] = {"flavor": flavor, "n_top": int(min(n_top, adata.n_vars))}
    if subset:
        adata._inplace_subset_var(selected)
    return adata if copy else None
