"""Which linkage engine builds a tree, and refusing what cannot fit in memory.

- Up to :data:`SMALL_N` items: scipy (``pdist`` + ``linkage``), exactly scipy's tree.
- Beyond, in O(n * d) memory: ward (euclidean) and average/weighted (correlation, cosine,
  spearman) by :mod:`gexclust.tl._vector_linkage`; single (minimum spanning tree), centroid and
  median by ``fastcluster.linkage_vector``.
- Beyond, the others (complete; average/weighted with euclidean or cityblock) need the
  condensed n (n - 1) / 2 distance matrix, computed in blocks through BLAS
  (:mod:`gexclust.tl._distances`) and linked in place by ``fastcluster``; requests whose matrix
  does not fit are refused before anything is allocated.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster import hierarchy

from .._logging import logger
from .._memory import refuse_pairwise

#: Largest number of items clustered by scipy; larger ones go to the engines above.
SMALL_N = 2000

#: Leaves sampled to estimate the cophenetic correlation of larger trees.
COPHENETIC_SAMPLE = 2000

#: Bytes per pair of items of the condensed float64 distance matrix (n^2 / 2 pairs x 8 bytes).
CONDENSED_BYTES_PER_PAIR = 4

#: Linkages computed from cluster centroids by :mod:`gexclust.tl._vector_linkage`.
VECTOR_LINKAGES = {
    "ward": ("euclidean",),
    "average": ("correlation", "cosine", "spearman"),
    "weighted": ("correlation", "cosine", "spearman"),
}

#: Linkages that fastcluster computes from the vectors, with the metrics it accepts there.
FASTCLUSTER_VECTOR = {
    "single": ("euclidean", "correlation", "cosine", "cityblock", "spearman"),
    "centroid": ("euclidean",),
    "median": ("euclidean",),
}


def needs_matrix(n: int, method: str, metric: str) -> bool:
    """Whether clustering n items this way needs the n x n distance matrix."""
    if n <= SMALL_N:
        return True
    return not (
        metric in VECTOR_LINKAGES.get(method, ()) or metric in FASTCLUSTER_VECTOR.get(method, ())
    )


def check_memory(n: int, method: str, metric: str, *, what: str = "observations",
                 available: int | None = None) -> None:
    """Refuse, before allocating, a request whose distance matrix cannot fit in memory."""
    if not needs_matrix(n, method, metric):
        return
    refuse_pairwise(
        n, CONDENSED_BYTES_PER_PAIR, task=f"method={method!r} with metric={metric!r}",
        what=what, holds="the full distance matrix in float64", available=available,
        alternatives="methods that need only O(n x d) memory: method='ward' (euclidean), "
        "method='average' or 'weighted' with metric='correlation' or 'cosine', or "
        "method='single', 'centroid' or 'median', for example on use_rep='X_pca'; or cluster "
        "a subsample or cluster means",
    )


def build_tree(data: np.ndarray, *, method: str, metric: str, labels=None,
               optimal_ordering: bool = False, what: str = "observations"):
    """Linkage matrix (scipy layout) of the rows of ``data`` and its cophenetic correlation."""
    from ._hclust import cophenetic_correlation, pairwise_distances

    n = data.shape[0]
    if n <= SMALL_N:
        distances = pairwise_distances(data, metric=metric, labels=labels)
        Z = hierarchy.linkage(distances, method=method, optimal_ordering=optimal_ordering)
        return Z, cophenetic_correlation(Z, distances)
    if optimal_ordering:
        msg = (
            f"optimal_ordering needs the full distance matrix and cubic time; it is offered up "
            f"to {SMALL_N:,} {what}, not {n:,}"
        )
        raise ValueError(msg)
    check_memory(n, method, metric, what=what)
    _check_finite_rows(data, labels)
    Z = _large_tree(data, method=method, metric=metric, labels=labels)
    return Z, sampled_cophenetic(Z, data, metric=metric, labels=labels)


def _check_finite_rows(data: np.ndarray, labels) -> None:
    """Refuse NaN/inf rows with the same message as the scipy path (raised by it)."""
    from ._hclust import pairwise_distances

    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pairwise_distances(data[[i, i]], metric="euclidean",
                           labels=None if labels is None else [labels[i]] * 2)


def _large_tree(data: np.ndarray, *, method: str, metric: str, labels) -> np.ndarray:
    import fastcluster

    from ._distances import BLAS_METRICS, blocked_pdist
    from ._hclust import _check_defined
    from ._vector_linkage import label_merges, standardise, vector_merges

    n = data.shape[0]
    if metric == "spearman":
        from scipy.stats import rankdata

        data = rankdata(data, axis=1)  # Spearman's rho is Pearson's r on ranks
        metric = "correlation"
    if metric in ("correlation", "cosine"):
        _check_defined(data, metric, labels)
    if metric in VECTOR_LINKAGES.get(method, ()):
        logger.info("hclust: %s/%s on %d items in O(n*d) memory", method, metric, n)
        rows = data if method == "ward" else standardise(data, metric)
        return label_merges(vector_merges(rows, method), n)
    if metric in FASTCLUSTER_VECTOR.get(method, ()):
        return fastcluster.linkage_vector(np.asarray(data, dtype=np.float64), method=method,
                                          metric=metric)
    if metric in BLAS_METRICS:
        distances = blocked_pdist(data, metric)
    else:
        from scipy.spatial.distance import pdist

        distances = pdist(data, metric=metric)
    return fastcluster.linkage(distances, method=method, preserve_input=False)


def sampled_cophenetic(Z: np.ndarray, data: np.ndarray, *, metric: str, labels=None,
                       n_sample: int = COPHENETIC_SAMPLE, seed: int = 0) -> float:
    """Cophenetic correlation over the pairs of a random sample of leaves (exact when all fit).

    The tree restricted to the sample keeps every merge height, so this is the correlation of
    the tree's and the input's distances over all pairs of sampled leaves.
    """
    from ._hclust import cophenetic_correlation, pairwise_distances

    n = Z.shape[0] + 1
    rng = np.random.default_rng(seed)
    sample = np.arange(n) if n <= n_sample else np.sort(rng.choice(n, n_sample, replace=False))
    sub = induced_linkage(Z, sample)
    names = None if labels is None else [labels[i] for i in sample]
    return cophenetic_correlation(sub, pairwise_distances(data[sample], metric=metric,
                                                          labels=names))


def induced_linkage(Z: np.ndarray, leaves: np.ndarray) -> np.ndarray:
    """The tree of ``Z`` restricted to ``leaves`` (sorted), with the original merge heights."""
    n = Z.shape[0] + 1
    k = len(leaves)
    node = np.full(2 * n - 1, -1, dtype=np.int64)  # id of each node in the restricted tree
    node[leaves] = np.arange(k)
    sub = np.empty((k - 1, 4))
    sizes = np.ones(2 * k - 1)
    t = 0
    for i, (a, b, height, _) in enumerate(Z):
        left, right = node[int(a)], node[int(b)]
        if left >= 0 and right >= 0:
            sizes[k + t] = sizes[left] + sizes[right]
            sub[t] = (min(left, right), max(left, right), height, sizes[k + t])
            node[n + i] = k + t
            t += 1
        else:
            node[n + i] = max(left, right)
    return sub
