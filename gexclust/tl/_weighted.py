"""Distances between rows when the columns (features) carry integer weights.

Resampling genes with replacement is the same as giving each gene the number of times it was
drawn as a weight, so one replicate's distance matrix is one weighted matrix product: no
resampled copy of the data is built. The metrics agree with :func:`gexclust.tl.hclust`'s
(scipy's ``pdist``) on the resampled matrix, to float rounding.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import rankdata

from ._distances import undefined_rows


def weighted_distances(data: np.ndarray, weights: np.ndarray, metric: str) -> np.ndarray | None:
    """Condensed distances between the rows of ``data`` with column weights ``weights``.

    Rows of ``data`` should be centred (any shift per row) for ``'correlation'`` and columns for
    ``'euclidean'`` (:func:`prepare`), which keeps rounding small. Returns ``None`` when a
    distance is undefined (a row constant over the drawn columns, for correlation; all zero,
    for cosine), as pvclust drops such replicates.
    """
    if metric in ("spearman", "cityblock"):
        keep = weights > 0
        data, weights = data[:, keep], weights[keep]
    if metric == "spearman":
        # ranks of each row over the multiset of drawn columns: repeat the drawn columns
        data = rankdata(np.repeat(data, weights.astype(np.intp), axis=1), axis=1)
        return weighted_distances(data - data.mean(axis=1, keepdims=True),
                                  np.ones(data.shape[1]), "correlation")
    if metric == "cityblock":
        return pdist(data, "cityblock", w=weights)
    if metric in ("correlation", "cosine") and undefined_rows(data[:, weights > 0], metric).any():
        return None  # as tl.hclust judges it: on the drawn values, not the weighted norm
    gram = (data * weights) @ data.T
    if metric == "correlation":
        # centre with the weighted means: sum_g w_g (x_g - m)(y_g - m') = G - Sx Sy / S
        sums = data @ weights
        gram -= np.multiply.outer(sums, sums / weights.sum())
    diagonal = np.diag(gram).copy()
    if metric == "euclidean":
        squared = diagonal[:, None] + diagonal[None, :] - 2 * gram
        np.fill_diagonal(squared, 0.0)
        return np.sqrt(np.maximum(squareform(squared, checks=False), 0.0))
    norms = np.sqrt(np.maximum(diagonal, 0.0))
    if not (norms > 0).all():
        return None
    gram /= norms[:, None]
    gram /= norms[None, :]
    return np.maximum(1.0 - squareform(gram, checks=False), 0.0)


def prepare(data: np.ndarray, metric: str) -> np.ndarray:
    """Centre rows (correlation) or columns (euclidean): same distances, less rounding."""
    data = np.asarray(data, dtype=np.float64)
    if metric == "correlation":
        return np.ascontiguousarray(data - data.mean(axis=1, keepdims=True))
    if metric == "euclidean":
        return np.ascontiguousarray(data - data.mean(axis=0))
    return np.ascontiguousarray(data)
