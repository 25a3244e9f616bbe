"""Flat cuts of a linkage into k clusters, for many k at once.

One place for the rule every tool cuts by (``tl.cut``, ``tl.choose_k`` on the data and on its
rotated copies, ``tl.consensus`` on every resample). Light (numpy, scipy) because worker
processes import it.

Along the dendrogram's leaf order every branch is a contiguous run of leaves, and undoing a
merge splits its run where its right branch begins. So the cut that undoes a set of merges is
a running count of those split points along the leaves: O(n) a cut once the split points are
known, with clusters numbered left to right as the dendrogram shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def tree_cuts(Z: np.ndarray, ks: Sequence[int], *, check: bool = True) -> np.ndarray:
    """The cuts of :func:`gexclust.tl.cut` (``n_clusters=k``) for each ``k`` in ``ks``.

    By height (:func:`cuts_by_height`); a tree with inversions has no height between its
    clusters, so it is cut by merge order (:func:`cuts_by_merge_order`), as R's ``cutree(k=)``.
    The tree is checked first (scipy's ``is_valid_linkage``): it may have been edited since.
    ``check=False`` skips that for a tree the caller has just made with scipy's ``linkage``.
    """
    if check:
        # here, not at the top: the tree exports use this module's count_inversions, and a
        # script that only writes a stored tree need not import scipy.cluster (0.13 s)
        from scipy.cluster.hierarchy import is_valid_linkage

        is_valid_linkage(Z, throw=True, name="Z")
    if count_inversions(Z):
        return cuts_by_merge_order(Z, ks)
    return cuts_by_height(Z, ks)


def child_heights(Z: np.ndarray) -> np.ndarray:
    """The merge heights of the two clusters each merge joins (``-inf`` for a leaf): n-1 x 2."""
    n = Z.shape[0] + 1
    children = Z[:, :2].astype(np.intp)
    return np.where(children >= n, Z[np.maximum(children - n, 0), 2], -np.inf)


def count_inversions(Z: np.ndarray) -> int:
    """Number of merges lower than one of the two clusters they join (centroid/median trees)."""
    return int((child_heights(Z).max(axis=1) > Z[:, 2]).sum())


def cuts_by_merge_order(Z: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """Labels of R's ``cutree(tree, k)`` for each ``k`` in ``ks``: ``len(ks) x n``.

    Each cut undoes the last ``k - 1`` merges, so it has exactly ``k`` clusters, tied heights
    and inversions or not. Labels are 0-based and numbered left to right along
    ``leaves_list(Z)``.
    """
    n = len(Z) + 1
    last_first = np.arange(n - 2, -1, -1)
    return _cuts(Z, last_first, [int(k) - 1 for k in ks])


def cuts_by_height(Z: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """The partitions of scipy's ``fcluster(Z, k, 'maxclust')`` for each ``k`` in ``ks``.

    For trees without inversions (merge heights never lower than the merges below them), as
    every linkage function writes them (rows in order of height): the cut at the lowest merge
    height that leaves at most ``k`` clusters. Merges at tied heights are undone together, so
    fewer than ``k`` clusters may result. Labels are 0-based, numbered left to right along
    ``leaves_list(Z)`` (fcluster numbers them in another order).
    """
    n = len(Z) + 1
    highest_first = np.argsort(-Z[:, 2], kind="stable")
    ascending = Z[highest_first[::-1], 2]
    n_undone = []
    for k in ks:
        if k >= n:
            n_undone.append(n - 1)
        else:  # every merge above the (n - k)-th lowest height; those tied with it stay
            cut_height = ascending[n - int(k) - 1]
            n_undone.append(n - 1 - int(np.searchsorted(ascending, cut_height, side="right")))
    return _cuts(Z, highest_first, n_undone)


def _cuts(Z: np.ndarray, undo_order: np.ndarray, n_undone: Sequence[int]) -> np.ndarray:
    """Cuts undoing the first ``u`` merges (rows) of ``undo_order``, for each ``u``.

    Each set of merges undone must hold the parent of every merge in it (the merges above a
    height, or the last ones made), so that what remains is a set of whole branches.
    """
    n = len(Z) + 1
    start = _starts(Z)
    order = np.empty(n, dtype=np.intp)
    order[start[:n]] = np.arange(n)  # scipy's leaves_list(Z)
    splits = start[Z[:, 1].astype(np.intp)]  # where each merge's right branch begins
    labels = np.empty((len(n_undone), n), dtype=np.intp)
    for row, u in enumerate(n_undone):
        begins = np.zeros(n, dtype=np.intp)
        begins[splits[undo_order[:u]]] = 1
        labels[row, order] = np.cumsum(begins)
    return labels


def _starts(Z: np.ndarray) -> np.ndarray:
    """Where the leaves of every node begin along the dendrogram (``2n - 1`` ids, leaves first).

    Left branches come first, as scipy draws them. A right branch begins after its left
    sibling's leaves, so a node begins at the sum of those sizes on its way to the root; the
    sums are taken by pointer jumping (each node adds its pointee's sum and takes its pointee's
    pointer), log2(depth) rounds without a Python loop over the merges. scipy's leaves_list
    took most of the time of a cut of a small tree, in checks of the linkage.
    """
    n = len(Z) + 1
    root = 2 * n - 2
    children = Z[:, :2].astype(np.intp)
    size = np.ones(2 * n - 1, dtype=np.intp)
    size[n:] = Z[:, 3]
    start = np.zeros(2 * n - 1, dtype=np.intp)
    start[children[:, 1]] = size[children[:, 0]]
    up = np.full(2 * n - 1, root)
    up[children] = np.arange(n, 2 * n - 1)[:, None]
    while (up != root).any():
        start, up = start + start[up], up[up]
    return start
