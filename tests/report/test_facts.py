"""Report facts read off the tree."""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import to_tree

import gexclust as gx
from gexclust._report import _facts
from tests.conftest import make_planted


def test_clade_rows_name_the_branch_of_each_cluster_and_none_for_a_mixed_one():
    adata = make_planted(seed=0)  # three groups of eight samples
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    n = adata.n_obs
    nodes = to_tree(adata.uns["hclust"]["linkage"], rd=True)[1]
    rows = _facts.clade_rows(adata)
    for name, row in rows.items():
        samples = np.flatnonzero(adata.obs["cluster"] == name)
        assert sorted(nodes[n + row].pre_order()) == samples.tolist()
    # one sample of cluster 1 swapped with one of cluster 2: neither is a branch any more
    clusters = adata.obs["cluster"].astype(str).to_numpy()
    one, two = np.flatnonzero(clusters == "1")[0], np.flatnonzero(clusters == "2")[0]
    clusters[[one, two]] = clusters[[two, one]]
    adata.obs["cluster"] = clusters
    mixed = _facts.clade_rows(adata)
    assert mixed["1"] is None
    assert mixed["2"] is None
    assert mixed["3"] == rows["3"]


def test_height_jumps_of_a_tree_with_inversions_are_those_of_its_cut_by_merge_order():
    # lung, median linkage, cut into 5: sorted heights read 1.00x, but the cut (by merge
    # order, undoing the last 4 merges) undoes a merge at 49.2 and keeps one at 53.0
    Z = np.array([[0, 1, 1.0, 2], [2, 3, 5.0, 2], [5, 4, 2.0, 3], [6, 7, 4.0, 5]])
    jumps = _facts.height_jumps(Z)
    assert jumps[2] == 4.0 / 5.0  # the root (4.0) is undone, the merge at 5.0 kept
    assert jumps[3] == 2.0 / 5.0
    monotone = np.array([[0, 1, 1.0, 2], [2, 3, 2.0, 2], [5, 4, 4.0, 3], [6, 7, 5.0, 5]])
    assert _facts.height_jumps(monotone) == {2: 5.0 / 4.0, 3: 4.0 / 2.0, 4: 2.0 / 1.0}
