from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import gexclust as gx
from gexclust.tl._compare import adjusted_rand_index, normalized_mutual_info
from tests.conftest import make_planted


def same_partition(a, b) -> bool:
    return adjusted_rand_score(a, b) == 1.0


def test_cut_recovers_planted_groups(planted):
    gx.pp.scale(planted)
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    assert gx.tl.compare(planted, "type", "cluster")["ari"] == 1.0
    Z = planted.uns["hclust"]["linkage"]
    assert same_partition(planted.obs["cluster"], hierarchy.fcluster(Z, 3, "maxclust"))


def test_clusters_numbered_left_to_right(planted):
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=5)
    leaves = planted.uns["hclust"]["leaves"]
    along_tree = planted.obs["cluster"].to_numpy()[leaves].astype(int)
    firsts = list(dict.fromkeys(along_tree))
    assert firsts == [1, 2, 3, 4, 5]
    assert (np.diff(along_tree) >= 0).all()  # clusters are contiguous runs of leaves
    assert planted.obs["cluster"].cat.categories.tolist() == ["1", "2", "3", "4", "5"]
    assert len(planted.uns["cluster_colors"]) == 5


def test_cut_height_and_threshold(planted):
    gx.tl.hclust(planted)
    Z = planted.uns["hclust"]["linkage"]
    gx.tl.cut(planted, n_clusters=3)
    threshold = planted.uns["cluster"]["threshold"]
    heights = np.sort(Z[:, 2])
    assert heights[-3] < threshold < heights[-2]
    by_height = gx.tl.cut(planted, height=threshold, key_added="by_height", copy=True)
    assert same_partition(by_height.obs["by_height"], planted.obs["cluster"])


def test_cut_errors(planted):
    with pytest.raises(KeyError, match=r"no tree in .uns\['hclust'\]"):
        gx.tl.cut(planted, n_clusters=2)
    gx.tl.hclust(planted)
    with pytest.raises(ValueError, match="exactly one of n_clusters or height"):
        gx.tl.cut(planted, n_clusters=2, height=1.0)
    with pytest.raises(ValueError, match="between 1 and 24"):
        gx.tl.cut(planted, n_clusters=25)


@pytest.mark.parametrize("seed", range(5))
def test_ari_nmi_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 4, 50), rng.integers(0, 6, 50)
    counts = pd.crosstab(a, b).to_numpy()
    assert adjusted_rand_index(counts) == pytest.approx(adjusted_rand_score(a, b))
    assert normalized_mutual_info(counts) == pytest.approx(normalized_mutual_info_score(a, b))


def test_compare_stores_and_returns(planted):
    planted.obs["cluster"] = pd.Categorical(
        np.where(planted.obs["type"] == "group0", "1", "2")
    )
    result = gx.tl.compare(planted, "type", "cluster")
    assert planted.uns["compare_type_cluster"] is result
    assert result["crosstab"].loc["group0", "1"] == 8
    assert result["purity"] == pytest.approx(16 / 24)
    assert result["ari"] == pytest.approx(adjusted_rand_score(planted.obs["type"], planted.obs["cluster"]))  # noqa: E501
    with pytest.raises(KeyError, match="no column 'batch'"):
        gx.tl.compare(planted, "type", "batch")


def test_markers_find_planted_genes():
    adata = make_planted(n_genes=40)
    adata.obs["cluster"] = adata.obs["type"]
    table = gx.tl.markers(adata, groupby="cluster", n_genes=10)
    for g in range(3):
        genes = set(table.loc[table["group"] == f"group{g}", "gene"])
        assert genes == {f"g{j}" for j in range(10 * g, 10 * g + 10)}
    assert (table["diff"] > 3).all()
