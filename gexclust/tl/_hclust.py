"""Hierarchical clustering of samples (or genes) into ``.uns``."""

from __future__ import annotations

from typing import Literal

import numpy as np
from anndata import AnnData
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist

from .._api import named
from .._checks import check_choice
from .._logging import logger
from .._utils import dense, float_matrix, get_matrix, matrix_name, view_to_actual
from ._linkage import build_tree, check_memory
from ._methods import Method, Metric, check_method_metric
from ._tree_access import refuse_other_result


@named("tl.hclust")
def hclust(
    adata: AnnData,
    *,
    axis: Literal["obs", "var"] = "obs",
    method: Method = "ward",
    metric: Metric = "euclidean",
    use_rep: str | None = None,
    layer: str | None = None,
    optimal_ordering: bool = False,
    key_added: str = "hclust",
    copy: bool = False,
) -> AnnData | None:
    """Agglomerative hierarchical clustering of the samples (``axis='obs'``) or genes.

    Up to 2,000 items, distances and merges are scipy's (``pdist`` and ``linkage``), so the
    linkage matrix is exactly the one scipy gives. Beyond, the same tree (up to ties and float
    rounding) comes from faster engines: ward (euclidean) and average/weighted (correlation,
    cosine, spearman) from cluster centroids in O(n x d) memory, single/centroid/median from
    ``fastcluster.linkage_vector``, the rest from a distance matrix computed in blocks through
    BLAS and linked by ``fastcluster``. A request whose distance matrix cannot fit in memory is
    refused up front with a ``MemoryError`` naming the limit and the alternatives. For more than
    2,000 items the cophenetic correlation is computed over a random sample of 2,000 leaves.

    Ties matter with ``metric='spearman'`` on few features: on d features 1 - rho takes at
    most d (d^2 - 1) / 6 + 1 values (1,331 on 20), so many merges tie, and which of two tied
    merges sharing a cluster comes first changes the later ones. Beyond 2,000 items such a tree
    can then differ from scipy's (2,100 x 20: heights up to 0.04 apart, ARI 0.77-0.99 at 10
    clusters), as scipy's own tree does when the rows are permuted; each merge of either is
    still at the smallest distance left. Where no tie decides a merge (2,050 x 100) the trees
    agree to 1e-12.

    Missing or infinite values are refused, naming the row. A sparse matrix is densified
    with a logged warning (refused above 2 GiB; reduce it with
    :func:`~gexclust.pp.select_variable` or cluster ``use_rep='X_pca'``). float32 input is
    accepted; scipy computes the distances in float64. The tree keeps the names of its
    leaves, so :func:`~gexclust.tl.cut`, the plots and the exports match it to the samples
    by name later (reordering is harmless; after subsetting, rerun ``hclust``). Every gene
    of the matrix is used: genes only marked in ``.var['highly_variable']`` (scanpy's
    ``highly_variable_genes``, :func:`~gexclust.pp.select_variable` without ``subset``, or
    the column of its ``key_added``) are not selected here, and a warning says so (subset
    first).

    Parameters
    ----------
    adata
        Annotated data matrix.
    axis
        ``'obs'`` clusters samples (rows), ``'var'`` clusters genes (columns).
    method
        Linkage: ``'ward'`` (Ward's minimum variance, R's ``ward.D2``), ``'average'`` (UPGMA),
        ``'complete'``, ``'single'``, ``'weighted'`` (WPGMA, R's ``mcquitty``), ``'centroid'``
        (UPGMC) or ``'median'`` (WPGMC). Ward, centroid and median need ``metric='euclidean'``.
    metric
        ``'euclidean'``, ``'correlation'`` (1 - Pearson r), ``'spearman'`` (1 - Spearman rho,
        Pearson r of each row's average ranks, as ``scipy.stats.spearmanr``; its ties, above),
        ``'cosine'`` or ``'cityblock'``.
    use_rep
        Cluster ``.obsm[use_rep]`` (e.g. ``'X_pca'``) instead of ``.X``; ``axis='obs'`` only.
        ``'X'`` means ``.X`` itself, as in scanpy.
    layer
        Cluster this layer instead of ``.X``.
    optimal_ordering
        Reorder leaves so adjacent leaves are as similar as possible (slower, nicer plots);
        up to 2,000 items (it needs the full distance matrix and cubic time): beyond, a
        ``ValueError``.
    key_added
        Key in ``.uns`` for the result. A key holding anything but an earlier
        result of this function (a column's record or colours, another tool's result) is
        refused.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets ``.uns[key_added]`` with

    - ``linkage``: (n - 1) x 4 array in scipy's layout;
    - ``leaves``: leaf order of the dendrogram (indices into the labels);
    - ``labels``: obs (or var) names in the original order;
    - ``params``: ``axis``, ``method``, ``metric``, ``use_rep``, ``layer``,
      ``optimal_ordering``, ``n_features`` and ``data_fingerprint`` (three sums of the
      clustered values, so that the tools that reuse the data, such as
      :func:`~gexclust.tl.bootstrap` and :func:`~gexclust.tl.choose_k`, refuse values that
      changed since, e.g. by ``pp.scale`` after ``hclust``);
    - ``cophenetic_correlation``: how faithfully the tree keeps the input distances (NaN,
      with a logged reason, when undefined: two leaves, or all distances equal).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata, method="average", metric="correlation")
    >>> adata.uns["hclust"]["linkage"].shape
    (63, 4)
    """
    check_choice("axis", axis, ("obs", "var"))
    check_method_metric(method, metric)
    refuse_other_result(adata, key_added, own="leaves", caller="tl.hclust")
    items = "observations" if axis == "obs" else "genes"
    # refuse what cannot fit before any copy is made
    check_memory(adata.n_obs if axis == "obs" else adata.n_vars, method, metric, what=items)
    if copy:
        adata = adata.copy()
    view_to_actual(adata)  # a view becomes an AnnData of its own, as in scanpy (no warning)
    data, labels = _observations(adata, axis=axis, use_rep=use_rep, layer=layer)
    if axis == "obs" and use_rep in (None, "X"):
        _say_unused_selection(adata)
    Z, coph = build_tree(data, method=method, metric=metric, labels=labels,
                         optimal_ordering=optimal_ordering, what=items)
    adata.uns[key_added] = {
        "linkage": Z,
        "leaves": hierarchy.leaves_list(Z),
        "labels": np.asarray(labels, dtype=str),
        "params": {
            "axis": axis,
            "method": method,
            "metric": metric,
            "use_rep": use_rep or "X",
            "layer": layer or "X",
            "optimal_ordering": optimal_ordering,
            "n_features": int(data.shape[1]),
            "data_fingerprint": data_fingerprint(data),
        },
        "cophenetic_correlation": float(coph),
    }
    logger.info(
        "tl.hclust: %d %s, %s/%s, cophenetic r=%.3f", len(labels), axis, method, metric, coph
    )
    return adata if copy else None


def _say_unused_selection(adata: AnnData) -> None:
    """Warn when genes are marked highly variable but every gene is clustered.

    scanpy's tools after ``highly_variable_genes(subset=False)`` (``pca``, hence
    ``neighbors`` and ``dendrogram``) use the marked genes only; ``hclust`` reads the matrix
    as it is.
    """
    for column in _selection_columns(adata):
        marked = adata.var[column]
        if marked.dtype != bool or marked.all() or not marked.any():
            continue
        logger.warning(
            "tl.hclust: .var[%r] marks %d of %d genes, but all %d are clustered (hclust uses the "
            "matrix as it is); to cluster the marked genes, subset first (adata[:, "
            "adata.var[%r]]) or pp.select_variable(subset=True)",
            column, int(marked.sum()), adata.n_vars, adata.n_vars, column,
        )
        return


def _selection_columns(adata: AnnData) -> list[str]:
    """The .var columns of gene selections: scanpy's ``'highly_variable'``, and ours.

    pp.select_variable records its ``flavor`` and ``n_top`` under its ``key_added``, the name
    of its ``.var`` column.
    """
    ours = [key for key, record in adata.uns.items()
            if hasattr(record, "keys") and {"flavor", "n_top"} <= set(record.keys())]
    return [key for key in dict.fromkeys(["highly_variable", *ours]) if key in adata.var]


def _observations(adata: AnnData, *, axis: str, use_rep: str | None, layer: str | None,
                  caller: str = "tl.hclust"):
    """The matrix whose rows are clustered, and the names of those rows."""
    if use_rep is not None:
        if axis != "obs":
            msg = (f"{caller}: use_rep={use_rep!r} needs axis='obs' (a representation has a "
                   "row per sample); genes are clustered from .X or layer=")
            raise ValueError(msg)
        if layer is not None:
            msg = (f"{caller}: pass either use_rep={use_rep!r} (.obsm) or layer={layer!r} "
                   "(.layers), not both")
            raise ValueError(msg)
        if use_rep not in adata.obsm and use_rep != "X":
            msg = (f"{caller}: use_rep={use_rep!r} not found in .obsm; available: "
                   f"{[*adata.obsm, 'X']} ('X' is .X itself, as in scanpy)")
            raise KeyError(msg)
    if use_rep not in (None, "X"):
        data = _representation(adata.obsm[use_rep], use_rep)
    else:  # no use_rep, or scanpy's use_rep='X' (as in sc.pp.neighbors): .X itself
        data = get_matrix(adata, layer=layer, caller=caller)
    names = adata.obs_names if axis == "obs" else adata.var_names
    data = float_matrix(np.asarray(data if axis == "obs" else data.T))
    if data.shape[0] < 2:
        msg = f"{caller}: needs at least 2 {axis} to cluster, got {data.shape[0]}"
        raise ValueError(msg)
    if data.shape[1] == 0:
        _refuse_no_features(data, axis=axis, use_rep=use_rep, layer=layer, caller=caller)
    return data, list(names)


def _refuse_no_features(data: np.ndarray, *, axis: str, use_rep: str | None,
                        layer: str | None, caller: str) -> None:
    """Refuse rows without a value: every distance would be 0 (or undefined), not a tree.

    A selection that kept no gene (``adata[:, adata.var['highly_variable']]`` with none
    marked) gave a ward tree of merges at height 0 without a word.
    """
    if use_rep not in (None, "X"):
        where, what = f".obsm[{use_rep!r}]", "columns"
    else:
        where = matrix_name(layer)
        what = "genes" if axis == "obs" else "samples"
    msg = (f"{caller}: {where} has no {what} ({data.shape[0]} {axis} x 0), so there are no "
           f"distances to cluster on; check the selection that left none")
    raise ValueError(msg)


def _representation(rep, use_rep: str):
    """``.obsm[use_rep]`` as an array; a DataFrame must hold numbers only (one is named)."""
    from pandas import DataFrame
    from pandas.api.types import is_numeric_dtype

    if isinstance(rep, DataFrame):
        bad = [c for c in rep.columns if not is_numeric_dtype(rep[c])]
        if bad:
            msg = (f"use_rep={use_rep!r}: column {bad[0]!r} of .obsm[{use_rep!r}] is not "
                   f"numeric ({rep[bad[0]].dtype}); distances need numbers, so keep the "
                   f"numeric columns only ({len(bad)} of {rep.shape[1]} are not)")
            raise ValueError(msg)
        return rep.to_numpy(dtype=np.float64, na_value=np.nan)  # <NA>: refused by row later
    return dense(rep)


def data_fingerprint(data: np.ndarray) -> list[float]:
    """Three numbers that change with the values of ``data`` but not with its column order.

    Fixed weights per row (rows in the tree's leaf order) times each row's sum, sum of
    absolute values and sum of squares, accumulated in float64, by blocks of rows so that a
    float32 matrix is never copied whole. Values whose squares overflow (beyond ~1e154, which
    rank-based metrics accept) are summed scaled down by a power of two.
    """
    n = data.shape[0]
    weights = np.random.default_rng(n).uniform(0.5, 1.5, size=n)
    with np.errstate(over="ignore"):
        sums = _fingerprint_sums(data, 1.0)
    if not np.isfinite(sums).all():
        largest = max(float(np.abs(data[start : start + 4096]).max())
                      for start in range(0, n, 4096))
        sums = _fingerprint_sums(data, 2.0 ** -int(np.frexp(largest)[1]))
    return [float(v) for v in weights @ sums]


def _fingerprint_sums(data: np.ndarray, scale: float) -> np.ndarray:
    """Per row of ``data`` times ``scale``: the sum, the sum of absolute values, of squares."""
    n, d = data.shape
    sums = np.empty((n, 3))
    step = max(1, (1 << 24) // (8 * max(d, 1)))
    for start in range(0, n, step):
        block = np.asarray(data[start : start + step], dtype=np.float64) * scale
        sums[start : start + step, 0] = block.sum(axis=1)
        sums[start : start + step, 1] = np.abs(block).sum(axis=1)
        sums[start : start + step, 2] = np.einsum("ij,ij->i", block, block)
    return sums


def same_fingerprint(stored, current, *, rtol: float = 1e-6) -> bool:
    """Whether two :func:`data_fingerprint` results agree (to rounding, e.g. column order)."""
    total, absolute, squares = (float(v) for v in stored)
    total2, absolute2, squares2 = current
    scale = max(absolute, absolute2)
    return (abs(total - total2) <= rtol * scale and abs(absolute - absolute2) <= rtol * scale
            and abs(squares - squares2) <= rtol * max(squares, squares2))


def cophenetic_correlation(Z: np.ndarray, distances: np.ndarray) -> float:
    """Pearson r between cophenetic and input distances; NaN (logged) when it is undefined."""
    if len(distances) < 2 or np.ptp(distances) == 0 or np.ptp(Z[:, 2]) == 0:
        if len(distances) < 2:
            why = "only two leaves"
        elif np.ptp(distances) == 0:
            why = f"all {len(distances)} pairwise distances are equal ({distances[0]:g})"
        else:
            why = f"every merge is at the same height ({Z[0, 2]:g}): the tree's distances are equal"
        logger.warning("tl.hclust: cophenetic correlation is undefined (%s); stored as NaN", why)
        return float("nan")
    from ._distances import tiny_exponent

    # squares of tiny distances underflow (0/0) in cophenet; r does not change when both are scaled
    if exponent := tiny_exponent(distances):
        distances = np.ldexp(distances, -exponent)
        Z = np.column_stack([Z[:, :2], np.ldexp(Z[:, 2], -exponent), Z[:, 3]])
    return _pearson(hierarchy.cophenet(Z), distances)


#: Entries per chunk of :func:`_pearson`'s centred copy (8 MB of float64).
PEARSON_CHUNK = 1 << 20


def _pearson(tree_distances: np.ndarray, distances: np.ndarray) -> float:
    """Pearson r of two condensed vectors, as ``cophenet(Z, Y)[0]``, in less memory.

    scipy's ``cophenet(Z, Y)`` keeps five temporaries as large as ``Y`` (112 MB for the
    2,000 leaves sampled from a large tree, the peak of a whole gene tree);
    ``tree_distances`` is centred in place, and ``distances`` in chunks.
    """
    c = tree_distances
    c -= c.mean()
    mean = distances.mean()
    cross = squares = 0.0
    for start in range(0, len(distances), PEARSON_CHUNK):
        d = distances[start : start + PEARSON_CHUNK] - mean
        cross += float(np.dot(c[start : start + PEARSON_CHUNK], d))
        squares += float(np.dot(d, d))
    return cross / np.sqrt(float(np.dot(c, c)) * squares)


def pairwise_distances(data: np.ndarray, *, metric: str, labels=None, item: str = "row",
                       caller: str = "tl.hclust") -> np.ndarray:
    """Condensed distance vector between the rows of ``data``, refusing NaN and undefined rows.

    Errors start with ``caller`` and name the row as ``item`` (``'sample'``, ``'gene'``) with
    its label: a gene tree's refused row is a gene, not the sample a bare "row" suggests.
    """
    where = f"{caller}: {item}"
    if not np.isfinite(data).all():
        i = int(np.flatnonzero(~np.isfinite(data).all(axis=1))[0])
        name = labels[i] if labels is not None else i
        msg = (
            f"{where} {name!r} contains NaN or infinite values; distances would be undefined. "
            "Handle missing values first (the readers' missing='drop' or 'impute', gexclust "
            "run --missing, or leave out what holds them)"
        )
        raise ValueError(msg)
    if metric == "spearman":
        # Spearman's rho is Pearson's r on ranks (average ranks for ties)
        from scipy.stats import rankdata

        data = rankdata(data, axis=1)
        metric = "correlation"
    if metric in ("correlation", "cosine"):
        _check_defined(data, metric, labels=labels, item=item, caller=caller)
    with np.errstate(over="ignore"):  # values near the float limit: refused just below
        distances = _exact_pdist(data, metric)
    if not np.isfinite(distances).all():  # finite values whose squares overflow
        i = int(np.argmax(np.abs(data).max(axis=1)))
        name = labels[i] if labels is not None else i
        msg = (f"{where} {name!r} has values too large for {metric} distances in {data.dtype} "
               f"(up to {np.abs(data[i]).max():.3g}): the distances overflow. These are not "
               "missing values; check the values (a unit or parsing error?) or log2 them first")
        raise ValueError(msg)
    return distances


def _exact_pdist(data: np.ndarray, metric: str) -> np.ndarray:
    """Distances of scipy's ``pdist``, of tiny values scaled up by powers of two (exactly).

    Squares of values below ~1e-154 underflow in pdist: 40 samples of values near 1e-170 got
    euclidean distances of 0 (a ward tree of merges all at 0) and correlation distances of
    NaN, where the trees of more than 2,000 samples, from blocked products that scale, were
    right. Euclidean and cityblock distances scale with the data (scaled back here); the
    correlation and cosine of a row do not change when it is scaled, so each row is. Rows
    of values above :data:`~gexclust.tl._distances.SAFE_RANGE`'s smallest go to pdist as
    they are (values too large are refused by the caller, as before).
    """
    from ._distances import SAFE_RANGE, max_exponent

    largest = np.abs(data).max(axis=1, initial=0.0)
    if not (largest[largest > 0] < SAFE_RANGE[0]).any():
        return pdist(data, metric=metric)
    if metric not in ("euclidean", "cityblock"):
        return pdist(np.ldexp(data, -max_exponent(data, axis=1)), metric=metric)
    if largest.max() >= SAFE_RANGE[0]:  # tiny rows beside others: their distances are small
        return pdist(data, metric=metric)  # next to the others, which scaling cannot change
    exponent = int(max_exponent(data))
    return np.ldexp(pdist(np.ldexp(data, -exponent), metric=metric), exponent)


def _check_defined(data: np.ndarray, metric: str, *, labels, item: str, caller: str) -> None:
    """Correlation needs non-constant rows and cosine non-zero rows, or distances become NaN."""
    from ._distances import undefined_rows

    # a constant row has constant ranks: spearman is undefined where correlation is
    bad = undefined_rows(data, "cosine" if metric == "cosine" else "correlation")
    why = ("is all zeros, so its cosine distance is undefined" if metric == "cosine" else
           "is constant, so its correlation with anything is undefined")
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        name = labels[i] if labels is not None else i
        other = "'euclidean'" if metric == "cosine" else "'euclidean' or 'cityblock'"
        msg = (f"{caller}: {item} {name!r} {why} (metric={metric!r}); remove it or use a "
               f"metric that is defined for it ({other})")
        raise ValueError(msg)
