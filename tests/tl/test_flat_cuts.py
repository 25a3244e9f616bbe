"""Flat cuts shared by tl.cut, tl.choose_k and tl.consensus: scipy's and R's partitions."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, leaves_list, linkage
from scipy.spatial.distance import pdist, squareform

import gexclust as gx
from gexclust.tl._choose_k import silhouette
from gexclust.tl._flat_cuts import (
    _starts,
    count_inversions,
    cuts_by_height,
    cuts_by_merge_order,
    tree_cuts,
)
from tests.tl.test_cut_compare import merges_undone, same_partition


def numbered_left_to_right(labels: np.ndarray, Z: np.ndarray) -> bool:
    n = len(Z) + 1
    np.testing.assert_array_equal(np.argsort(_starts(Z)[:n]), leaves_list(Z))
    along = labels[leaves_list(Z)]
    return along[0] == 0 and set(np.diff(along).tolist()) <= {0, 1}


def maxclust(Z: np.ndarray, k: int) -> np.ndarray:
    """``fcluster(Z, k, 'maxclust')`` by its definition: the lowest threshold, below every merge
    or at a merge height, whose cut by ``fcluster(..., 'distance')`` leaves at most k clusters
    (found by bisection).

    scipy 1.11's own ``maxclust`` (the oldest version we support) gave 38 clusters for k = 39
    on a 40-leaf tree without ties; from 1.12 on the two agree.
    """
    heights = np.unique(np.concatenate([[-1.0], Z[:, 2]]))  # -1: below every merge
    low, high = 0, len(heights) - 1  # the cut at heights[high] leaves one cluster
    while low < high:
        middle = (low + high) // 2
        if fcluster(Z, heights[middle], "distance").max() <= k:
            high = middle
        else:
            low = middle + 1
    return fcluster(Z, heights[low], "distance")


@pytest.mark.parametrize("method", ["single", "complete", "average", "weighted", "ward"])
def test_cuts_without_ties_are_fclusters_maxclust(method):
    Z = linkage(np.random.default_rng(0).normal(size=(40, 3)), method)
    ks = range(1, 41)
    by_height, by_order = cuts_by_height(Z, ks), cuts_by_merge_order(Z, ks)
    for k, labels, ordered in zip(ks, by_height, by_order, strict=True):
        assert same_partition(labels, maxclust(Z, k))
        np.testing.assert_array_equal(labels, ordered)
        assert labels.max() == k - 1
        assert numbered_left_to_right(labels, Z)


@pytest.mark.parametrize("method", ["single", "complete", "average", "ward"])
def test_tied_heights_are_undone_together_as_fcluster_does(method):
    # small integer data: many merges at the same height
    Z = linkage(np.random.default_rng(1).integers(0, 3, size=(60, 4)).astype(float), method)
    assert len(np.unique(Z[:, 2])) < 30
    ks = range(1, 61)
    fewer = 0
    for k, labels, ordered in zip(ks, cuts_by_height(Z, ks), cuts_by_merge_order(Z, ks),
                                  strict=True):
        assert same_partition(labels, maxclust(Z, k))
        assert ordered.max() == k - 1  # by merge order: exactly k, ties or not
        fewer += labels.max() < k - 1
    assert fewer > 10


@pytest.mark.parametrize("method", ["centroid", "median"])
def test_trees_with_inversions_are_cut_by_merge_order(method):
    Z = linkage(np.random.default_rng(2).normal(size=(50, 2)), method)
    assert count_inversions(Z) > 0
    ks = range(1, 51)
    for k, labels in zip(ks, tree_cuts(Z, ks), strict=True):
        assert same_partition(labels, merges_undone(Z, k))
        assert numbered_left_to_right(labels, Z)


def test_deep_trees_are_cut_like_fcluster():
    # gaps growing along the line: every merge adds one point, the tree is a chain of 2,000
    chain = linkage((np.arange(2000, dtype=float) ** 2)[:, None], "single")
    mirrored = chain.copy()
    mirrored[:, [0, 1]] = chain[:, [1, 0]]  # the chain on the left of each merge
    for Z in (chain, mirrored):
        for k, labels in zip((2, 7, 1999), cuts_by_height(Z, (2, 7, 1999)), strict=True):
            assert same_partition(labels, maxclust(Z, k))
            assert numbered_left_to_right(labels, Z)


def _tied_samples() -> ad.AnnData:
    X = np.random.default_rng(3).integers(0, 2, size=(30, 6)).astype(float)
    return ad.AnnData(X, obs=pd.DataFrame(index=[f"s{i}" for i in range(30)]))


@pytest.mark.parametrize("method", ["average", "centroid"])
def test_choose_k_scores_the_cuts_tl_cut_makes(method):
    """Both callers of tree_cuts agree, ties (average) and inversions (centroid) included."""
    adata = _tied_samples()
    gx.tl.hclust(adata, method=method)
    Z = adata.uns["hclust"]["linkage"]
    assert (count_inversions(Z) > 0) == (method == "centroid")
    ks = range(2, 9)
    scores = gx.tl.choose_k(adata, k_range=ks, n_rotations=19, inplace=False)["scores"]
    square = squareform(pdist(adata.X))
    for k in ks:
        gx.tl.cut(adata, n_clusters=k)
        groups = adata.obs["cluster"].cat.codes.to_numpy()
        assert scores.loc[k, "silhouette"] == pytest.approx(silhouette(square, groups))


def test_an_edited_tree_is_refused_as_scipy_refuses_it():
    Z = linkage(np.random.default_rng(4).normal(size=(10, 2)), "average")
    Z[2, 0] = 17  # a cluster used before it is formed
    with pytest.raises(ValueError, match="uses non-singleton cluster before it is formed"):
        tree_cuts(Z, [3])


def test_check_false_cuts_a_fresh_tree_as_the_checked_call_does():
    """choose_k's rotated copies skip scipy's validation of the tree linkage has just made."""
    Z = linkage(np.random.default_rng(5).normal(size=(40, 3)), "ward")
    ks = range(1, 12)
    np.testing.assert_array_equal(tree_cuts(Z, ks, check=False), tree_cuts(Z, ks))
