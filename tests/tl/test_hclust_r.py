"""tl.hclust against R's hclust on real data: Golub's leukemia arrays (38 samples x 3,051
genes), trees of the samples and of every gene (data/make_hclust_golub.R made the reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from tests.conftest import shared_file

REFERENCE = Path(__file__).parent / "data" / "hclust_golub.csv.gz"
TREES = pd.read_csv(REFERENCE).groupby(["method", "metric", "axis"], sort=False)


def clusters_by_merge(pairs, heights, names) -> dict[frozenset, float]:
    """{members of the cluster a merge makes: its height}, whatever the merge order."""
    return {frozenset(names[i] for i in left | right): float(height)
            for (left, right), height in zip(pairs, heights, strict=True)}


def r_clusters(tree: pd.DataFrame, names) -> dict[frozenset, float]:
    made: list[set] = []

    def side(i: int) -> set:  # R: -i is the i-th row of the data, j > 0 the j-th merge
        return {-i - 1} if i < 0 else made[i - 1]

    pairs = []
    for left, right in zip(tree["left"], tree["right"], strict=True):
        pairs.append((side(left), side(right)))
        made.append(pairs[-1][0] | pairs[-1][1])
    return clusters_by_merge(pairs, tree["height"], names)


def our_clusters(result: dict) -> dict[frozenset, float]:
    Z, labels = result["linkage"], np.asarray(result["labels"])
    n = len(labels)
    made: list[set] = [{i} for i in range(n)]
    pairs = []
    for left, right in Z[:, :2].astype(int):
        pairs.append((made[left], made[right]))
        made.append(made[left] | made[right])
    return clusters_by_merge(pairs, Z[:, 2], labels)


@pytest.fixture(scope="module")
def golub():
    return gx.io.read_cumida(shared_file("real/golub_multtest.csv.gz"))


@pytest.mark.parametrize(("method", "metric", "axis"), list(TREES.groups))
def test_same_tree_as_r_hclust_on_golub(golub, method, metric, axis):
    adata = golub.copy()
    gx.tl.hclust(adata, method=method, metric=metric, axis=axis)
    names = np.asarray(adata.obs_names if axis == "obs" else adata.var_names)
    expected = r_clusters(TREES.get_group((method, metric, axis)), names)
    found = our_clusters(adata.uns["hclust"])
    assert found.keys() == expected.keys()  # every merge makes the same cluster
    heights = np.array([[found[c], expected[c]] for c in expected])
    np.testing.assert_allclose(heights[:, 0], heights[:, 1], rtol=1e-9, atol=1e-12)
