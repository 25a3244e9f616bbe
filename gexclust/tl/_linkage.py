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

#: Seconds per n^2 x d of the O(n x d)-memory engines, measured on this project's 2-core
#: machine: our ward/average (ward 100,000 x 50: 71 s; ward 20,000 x 2,000: 82 s) and
#: fastcluster's single (20,000 x 50: 7 s; 100,000 x 50: 13 min, busy), centroid and median
#: (20,000 x 50: 41 s and 33 s). Only for the warning below: a rough, machine-bound estimate.
SECONDS_PER_N2D = {"vector": 1.5e-10, "single": 4e-10, "centroid": 2e-9, "median": 2e-9}

#: hclust warns before it starts a tree estimated to take longer than this (seconds).
SLOW_SECONDS = 120.0


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


#: How an error names one of the ``what`` a tree is built of.
ITEM = {"observations": "sample", "genes": "gene"}


def build_tree(data: np.ndarray, *, method: str, metric: str, labels=None,
               optimal_ordering: bool = False, what: str = "observations",
               cophenetic: bool = True, caller: str = "tl.hclust"):
    """Linkage matrix (scipy layout) of the rows of ``data`` and its cophenetic correlation.

    ``cophenetic=False`` (a tree only drawn, such as a clustermap's gene tree): NaN instead,
    neither computed nor warned about.
    """
    from ._hclust import cophenetic_correlation, pairwise_distances

    n = data.shape[0]
    named = {"labels": labels, "item": ITEM.get(what, "row"), "caller": caller}
    if n <= SMALL_N:
        distances = pairwise_distances(data, metric=metric, **named)
        Z = _linkage(distances, method=method, optimal_ordering=optimal_ordering)
        return Z, cophenetic_correlation(Z, distances) if cophenetic else float("nan")
    if optimal_ordering:
        msg = (
            f"optimal_ordering needs the full distance matrix and cubic time; it is offered up "
            f"to {SMALL_N:,} {what}, not {n:,}"
        )
        raise ValueError(msg)
    check_memory(n, method, metric, what=what)
    warn_if_slow(n, data.shape[1], method, metric, what=what)
    _check_finite_rows(data, named)
    Z = _large_tree(data, method=method, metric=metric, named=named)
    if not cophenetic:
        return Z, float("nan")
    return Z, sampled_cophenetic(Z, data, metric=metric, named=named)


def _linkage(distances: np.ndarray, *, method: str, optimal_ordering: bool) -> np.ndarray:
    """The tree of scipy's ``linkage``, of tiny distances scaled up by a power of two (exactly).

    Ward, centroid and median square the distances: below ~1e-154 the squares underflow
    (merges at height 0). Every linkage's heights scale with the distances, so the tree of
    the scaled distances is the tree, its heights scaled back.
    """
    from ._distances import tiny_exponent

    exponent = tiny_exponent(distances)
    if not exponent:
        return hierarchy.linkage(distances, method=method, optimal_ordering=optimal_ordering)
    Z = hierarchy.linkage(np.ldexp(distances, -exponent), method=method,
                          optimal_ordering=optimal_ordering)
    Z[:, 2] = np.ldexp(Z[:, 2], exponent)
    return Z


def estimated_seconds(n: int, d: int, method: str, metric: str) -> float | None:
    """Rough time of a large tree in O(n x d) memory (``None``: not such an engine)."""
    if metric in VECTOR_LINKAGES.get(method, ()):
        return SECONDS_PER_N2D["vector"] * n * n * d
    if metric in FASTCLUSTER_VECTOR.get(method, ()):
        return SECONDS_PER_N2D[method] * n * n * d
    return None


def warn_if_slow(n: int, d: int, method: str, metric: str, *, what: str) -> None:
    """Say before starting that a tree will take long (time grows as n^2 x d), and what is faster.

    A tree of 100,000 cells on all 2,000 genes (estimated 50 min with ward) or with single,
    centroid or median linkage (13 min measured with single on 50 PCs) runs, but not
    silently.
    """
    seconds = estimated_seconds(n, d, method, metric)
    if seconds is None or seconds <= SLOW_SECONDS:
        return
    faster = []
    if d > 50:
        faster.append("clustering 50 principal components (use_rep='X_pca') instead of "
                      f"{d:,} features")
    if method in ("single", "centroid", "median"):
        faster.append("method='ward' (about "
                      f"{SECONDS_PER_N2D[method] / SECONDS_PER_N2D['vector']:.0f}x faster)")
    if n > 20_000:
        faster.append("a subsample or cluster means")
    logger.warning(
        "tl.hclust: %s linkage of %s %s on %s features takes time in n^2 x d, roughly %s or more "
        "(an estimate from runs on 2 cores); faster: %s", method, f"{n:,}", what, f"{d:,}",
        _duration(seconds), "; ".join(faster))


def _duration(seconds: float) -> str:
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _check_finite_rows(data: np.ndarray, named: dict) -> None:
    """Refuse NaN/inf rows with the same message as the scipy path (raised by it)."""
    from ._hclust import pairwise_distances

    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        labels = named["labels"]
        pairwise_distances(data[[i, i]], metric="euclidean",
                           **{**named, "labels": None if labels is None else [labels[i]] * 2})


def _large_tree(data: np.ndarray, *, method: str, metric: str, named: dict) -> np.ndarray:
    import fastcluster

    from ._distances import BLAS_METRICS, blocked_pdist, standardise
    from ._hclust import _check_defined
    from ._vector_linkage import label_merges, vector_merges

    n = data.shape[0]
    if metric == "spearman":
        from scipy.stats import rankdata

        data = rankdata(data, axis=1)  # Spearman's rho is Pearson's r on ranks
        metric = "correlation"
    if metric in ("correlation", "cosine"):
        _check_defined(data, metric, **named)
    if metric in VECTOR_LINKAGES.get(method, ()):
        logger.info("tl.hclust: %s/%s on %d items in O(n*d) memory", method, metric, n)
        rows = data if method == "ward" else standardise(data, metric)
        return label_merges(vector_merges(rows, method), n)
    if metric in FASTCLUSTER_VECTOR.get(method, ()):
        Z = fastcluster.linkage_vector(np.asarray(data, dtype=np.float64), method=method,
                                       metric=metric)
        # its 1 - r (or cosine) of identical rows can round to -2e-16; distances are >= 0
        np.maximum(Z[:, 2], 0.0, out=Z[:, 2])
        return Z
    if metric in BLAS_METRICS:
        distances = blocked_pdist(data, metric)
    else:
        from scipy.spatial.distance import pdist

        distances = pdist(data, metric=metric)
    return _link_in_place(distances, method)


def _link_in_place(distances: np.ndarray, method: str) -> np.ndarray:
    """Link a condensed float64 distance matrix with fastcluster, in place and without a copy.

    ``fastcluster.linkage`` 1.3 (its numpy 2 port) starts with ``np.array(X)``, which copies
    the matrix even with ``preserve_input=False``: twice the memory :func:`check_memory`
    allows for. Its C routine, which ``linkage`` calls, works in place. That routine is not in
    fastcluster's documented API (1.2.6 and 1.3 have it): without it, ``linkage`` is called.
    """
    import fastcluster

    if not hasattr(fastcluster, "linkage_wrap") or not hasattr(fastcluster, "mthidx"):
        return fastcluster.linkage(distances, method=method, preserve_input=False)
    distances = np.ascontiguousarray(distances, dtype=np.float64)  # no copy: it is already
    n = int(np.ceil(np.sqrt(2 * len(distances))))
    Z = np.empty((n - 1, 4))
    fastcluster.linkage_wrap(n, distances, Z, fastcluster.mthidx[method])
    return Z


def sampled_cophenetic(Z: np.ndarray, data: np.ndarray, *, metric: str, named=None,
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
    named = dict(named or {})
    if named.get("labels") is not None:
        named["labels"] = [named["labels"][i] for i in sample]
    return cophenetic_correlation(sub, pairwise_distances(data[sample], metric=metric, **named))


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
