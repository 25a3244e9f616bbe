"""tl.cut(method='dynamic') against R's dynamicTreeCut::cutreeDynamic (fixtures made by
data/make_dynamic_cut.R), plus the min_support cut."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import pdist, squareform

import gexclust as gx
from gexclust.tl._dynamic_tree import cutree_hybrid, cutree_tree
from tests.conftest import shared_file

DATA = Path(__file__).parent / "data"
REFERENCE = pd.read_csv(DATA / "dynamic_cut.csv")
SCIPY_METHOD = {
    "average": "average", "complete": "complete", "ward.D2": "ward", "single": "single",
}


def _matrix(name: str) -> pd.DataFrame:
    if name == "lung":
        frame = pd.read_csv(shared_file("real/lung_pvclust.csv.gz"), index_col=0)
        genes = frame.drop(columns="type")
        return genes.loc[:, genes.notna().all()]
    return pd.read_csv(DATA / f"dynamic_data_{name}.csv", index_col=0)


def _in_r_order(frame: pd.DataFrame) -> ad.AnnData:
    """``frame`` as an AnnData whose names sort in its row order, the order R was given.

    tl.cut's dynamic cut takes the leaves in the sorted order of their names (so that the
    rows' order does not matter), R's cutreeDynamic in row order: the two break ties alike
    when these orders agree. lung's names do not sort so: 2 of its 126 R cases (hybrid,
    average/correlation, min_cluster_size 3) differ under its own names.
    """
    names = [f"{i:03d}_{name}" for i, name in enumerate(frame.index)]
    return ad.AnnData(frame.to_numpy(), obs=pd.DataFrame(index=names))


def _cases(dataset: str):
    rows = REFERENCE[REFERENCE["dataset"] == dataset]
    return [pytest.param(row, id=f"{row.method}-{row.variant}-ds{row.deep_split}-mcs"
                         f"{row.min_cluster_size}") for row in rows.itertuples()]


def _same_partition(ours: pd.Series, theirs: np.ndarray) -> bool:
    """Equal up to names, with the same samples unassigned (NaN here, 0 in R)."""
    ours = ours.astype(object).where(ours.notna(), "0").to_numpy()
    pairs = set(zip(ours.tolist(), theirs.tolist(), strict=True))
    return (
        len(pairs) == len(set(ours)) == len(set(theirs))
        and all((a == "0") == (b == 0) for a, b in pairs)
    )


@pytest.mark.parametrize("dataset", ["planted", "noise", "lung"])
def test_low_level_labels_equal_cutree_dynamic_exactly(dataset):
    """Every tree/variant/deepSplit/minClusterSize: R's labels, numbering included."""
    X = _matrix(dataset).to_numpy()
    rows = REFERENCE[REFERENCE["dataset"] == dataset]
    trees = {}
    for row in rows.itertuples():
        if (row.method, row.metric) not in trees:
            d = pdist(X, row.metric)
            Z = linkage(d, SCIPY_METHOD[row.method])
            # the same tree as R's hclust: R's leaf order is our leaf order
            np.testing.assert_array_equal(leaves_list(Z) + 1, np.array(row.order.split(";"), int))
            trees[row.method, row.metric] = (Z, squareform(d))
        Z, D = trees[row.method, row.metric]
        expected = np.array(row.labels.split(";"), dtype=int)
        if row.variant == "hybrid":
            got = cutree_hybrid(Z, D, min_cluster_size=row.min_cluster_size,
                                deep_split=row.deep_split)
        else:
            got = cutree_tree(Z, min_cluster_size=row.min_cluster_size,
                              deep_split=bool(row.deep_split))
        assert np.array_equal(got, expected), (row.method, row.variant, row.deep_split,
                                               row.min_cluster_size)


@pytest.mark.parametrize("row", _cases("planted"))
def test_cut_dynamic_partition_equals_r(row):
    frame = _matrix("planted")
    adata = ad.AnnData(frame.to_numpy(), obs=pd.DataFrame(index=frame.index))
    gx.tl.hclust(adata, method=SCIPY_METHOD[row.method], metric=row.metric)
    deep_split = row.deep_split if row.variant == "hybrid" else bool(row.deep_split)
    gx.tl.cut(adata, method="dynamic", variant=row.variant, deep_split=deep_split,
              min_cluster_size=row.min_cluster_size)
    expected = np.array(row.labels.split(";"), dtype=int)
    assert _same_partition(adata.obs["cluster"], expected)
    info = adata.uns["cluster"]
    assert info["n_clusters_found"] == expected.max()
    assert info["n_unassigned"] == (expected == 0).sum()
    assert len(adata.uns["cluster_colors"]) == expected.max()


def test_dynamic_cut_recovers_planted_groups_and_orders_names_along_the_tree():
    frame = _matrix("planted")
    adata = ad.AnnData(frame.to_numpy(), obs=pd.DataFrame(index=frame.index))
    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.cut(adata, method="dynamic")  # hybrid, deep_split=1, min_cluster_size 6 for 60
    assert adata.uns["cluster"]["params"]["min_cluster_size"] == 6
    leaves = adata.uns["hclust"]["leaves"]
    along = adata.obs["cluster"].iloc[leaves].dropna().astype(str)
    assert list(dict.fromkeys(along)) == sorted(set(along), key=int)


def test_dynamic_cut_refuses_bad_arguments():
    adata = ad.AnnData(np.random.default_rng(0).normal(size=(20, 30)))
    gx.tl.hclust(adata, method="average", metric="correlation")
    with pytest.raises(ValueError, match="variant"):
        gx.tl.cut(adata, method="dynamic", variant="static")
    with pytest.raises(ValueError, match="deep_split"):
        gx.tl.cut(adata, method="dynamic", deep_split=7)
    with pytest.raises(ValueError, match="chooses the clusters itself"):
        gx.tl.cut(adata, method="dynamic", n_clusters=3)
    with pytest.raises(ValueError, match="method"):
        gx.tl.cut(adata, method="adaptive")
    gx.tl.hclust(adata, method="centroid", metric="euclidean")
    if np.any(np.diff(adata.uns["hclust"]["linkage"][:, 2]) < 0):
        with pytest.raises(ValueError, match="inversions"):
            gx.tl.cut(adata, method="dynamic")


def _supported_adata() -> ad.AnnData:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(24, 150))
    for g in range(3):
        X[8 * g : 8 * g + 8, 15 * g : 15 * g + 15] += 1.8
    adata = ad.AnnData(X, obs=pd.DataFrame({"type": np.repeat(list("abc"), 8)},
                                           index=[f"s{i}" for i in range(24)]))
    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.bootstrap(adata, n_boot=100, random_state=0, progress=False)
    return adata


def test_min_support_keeps_supported_clusters_and_pvpick_alone():
    adata = _supported_adata()
    unsupported = adata.copy()
    del unsupported.uns["hclust"]["support"]
    with pytest.raises(KeyError, match="bootstrap"):
        gx.tl.cut(unsupported, n_clusters=3, min_support=0.95)
    gx.tl.cut(adata, n_clusters=3, min_support=0.95)
    assert adata.obs["cluster"].notna().all()
    result = gx.tl.compare(adata, reference="type", clusters="cluster", inplace=False)
    assert result["ari"] == pytest.approx(1.0)

    gx.tl.cut(adata, n_clusters=8, min_support=0.999, key_added="strict")
    assert adata.obs["strict"].isna().any()  # weak sub-branches (and singletons) dropped
    assert adata.uns["strict"]["params"]["min_support"] == 0.999
    # before: the note blamed "tied merge heights" for the clusters min_support unassigned
    note = adata.uns["strict"]["note"]
    assert "tied" not in note
    assert "of the 8 clusters have au < 0.999 (or are single samples)" in note

    gx.tl.cut(adata, min_support=0.95, key_added="picked")  # pvpick(max.only=TRUE)
    picked = adata.obs["picked"]
    assert picked.notna().all()
    assert picked.cat.categories.size == 3
    with pytest.raises(ValueError, match="min_support must be between 0 and 1"):
        gx.tl.cut(adata, n_clusters=3, min_support=95)


def test_hybrid_cut_beyond_memory_is_refused_up_front_and_tree_variant_works(monkeypatch):
    adata = ad.AnnData(np.random.default_rng(0).normal(size=(300, 5)))
    gx.tl.hclust(adata)
    monkeypatch.setenv("GEXCLUST_MAX_MEMORY", "1M")  # 300^2 x 16 bytes = 1.4 MB: too much
    with pytest.raises(MemoryError, match=r"variant='hybrid'\) on 300 observations needs n x n"
                       r".*about 256 observations.*variant='tree'"):
        gx.tl.cut(adata, method="dynamic")
    assert "cluster" not in adata.obs  # nothing half-written
    gx.tl.cut(adata, method="dynamic", variant="tree")
    assert adata.obs["cluster"].notna().any()


def test_many_clusters_under_the_default_min_cluster_size_are_announced(caplog):
    # before: R's default min_cluster_size of 20 does not grow with n, and nothing said so:
    # 2,000 samples of one Gaussian cloud gave 65 clusters (1,139 on 100,000 cells of 10
    # groups with variant='tree') without a word
    adata = ad.AnnData(np.random.default_rng(0).normal(size=(2000, 20)).astype(np.float32))
    gx.tl.hclust(adata)
    gx.tl.cut(adata, method="dynamic")
    assert adata.obs["cluster"].nunique() == 65
    assert adata.uns["cluster"]["params"]["min_cluster_size"] == 20
    assert ("cut: method='dynamic' (variant='hybrid') found 65 clusters among 2000 observations "
            "(median size 30) with the default min_cluster_size=20" in caplog.text)
    assert "pass a larger min_cluster_size, such as 100, for fewer" in caplog.text
    labels = adata.obs["cluster"].copy()
    caplog.clear()
    gx.tl.cut(adata, method="dynamic", min_cluster_size=20)  # asked for: nothing to announce
    assert "found 65 clusters" not in caplog.text
    assert adata.obs["cluster"].equals(labels)
    gx.tl.cut(adata, method="dynamic", min_cluster_size=100)  # as suggested
    assert adata.obs["cluster"].nunique() == 12



EDGES = pd.read_csv(DATA / "dynamic_cut_edges.csv", dtype={"deep_split": str})
SWITCHES = {
    "pamStage=FALSE": {"pam_stage": False},
    "pamRespectsDendro=FALSE": {"pam_respects_dendro": False},
    "respectSmallClusters=FALSE": {"respect_small_clusters": False},
    "pamRespectsDendro=FALSE,respectSmallClusters=FALSE": {
        "pam_respects_dendro": False, "respect_small_clusters": False},
}


def _deep_split(text: str) -> bool | float:
    return {"TRUE": True, "FALSE": False}[text] if text in ("TRUE", "FALSE") else float(text)


@pytest.mark.parametrize("dataset", ["planted", "noise", "lung"])
def test_cut_height_and_logical_deep_split_equal_cutree_dynamic(dataset):
    """tl.cut(method='dynamic', height=...) against R's cutreeDynamic(cutHeight=...) (data/
    make_dynamic_cut_edges.R): below, near and above the highest merge (above it, R's PAM
    stage compares with the height as given: 11 of lung's 73 samples differ under single
    linkage, min_cluster_size 3, if the clipped height is used), a height with fewer merges
    under it than min_cluster_size (all unassigned), deep_split=True (3 for the hybrid cut)
    and no static cluster as large as min_cluster_size (tree variant: all unassigned)."""
    frame = _matrix(dataset)
    rows = EDGES[(EDGES["dataset"] == dataset) & (EDGES["call"] == "cutreeDynamic")]
    assert len(rows) == 3 * 42
    for (method, metric), group in rows.groupby(["method", "metric"], sort=False):
        adata = _in_r_order(frame)
        gx.tl.hclust(adata, method=SCIPY_METHOD[method], metric=metric)
        for row in group.itertuples():
            deep_split = _deep_split(row.deep_split)
            gx.tl.cut(adata, method="dynamic", variant=row.variant, deep_split=deep_split,
                      min_cluster_size=row.min_cluster_size,
                      height=None if pd.isna(row.cut_height) else float(row.cut_height))
            expected = np.array(row.labels.split(";"), dtype=int)
            assert _same_partition(adata.obs["cluster"], expected), row
            assert adata.uns["cluster"]["n_unassigned"] == (expected == 0).sum()


@pytest.mark.parametrize("dataset", ["planted", "noise", "lung"])
def test_hybrid_pam_switches_equal_cutree_hybrid_exactly(dataset):
    """cutree_hybrid's pam_stage / pam_respects_dendro / respect_small_clusters against R's
    cutreeHybrid with the same switches (tl.cut uses R's defaults; these keep the port whole)."""
    X = _matrix(dataset).to_numpy()
    rows = EDGES[(EDGES["dataset"] == dataset) & (EDGES["call"] != "cutreeDynamic")]
    assert len(rows) == 3 * 16
    for row in rows.itertuples():
        d = pdist(X, row.metric)
        expected = np.array(row.labels.split(";"), dtype=int)
        got = cutree_hybrid(linkage(d, SCIPY_METHOD[row.method]), squareform(d),
                            min_cluster_size=row.min_cluster_size,
                            deep_split=_deep_split(row.deep_split), **SWITCHES[row.call])
        assert np.array_equal(got, expected), row


def test_a_dynamic_cut_over_the_authors_clusters_says_what_it_replaced(caplog):
    """As the static cut: .obs['cluster'] that came with the data (no record in .uns) is
    replaced with a warning naming its labels and how to keep it."""
    frame = _matrix("planted")
    adata = ad.AnnData(frame.to_numpy(), obs=pd.DataFrame(index=frame.index))
    adata.obs["cluster"] = np.where(np.arange(adata.n_obs) < 30, "Th1", "Th2")
    gx.tl.hclust(adata, method="average", metric="correlation")
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.tl.cut(adata, method="dynamic", min_cluster_size=5)
    assert ("cut: replaced .obs['cluster'] (2 labels: 'Th1', 'Th2'), which no clustering "
            "recorded in .uns['cluster'] (the authors' clusters, or labels set by hand); to "
            "keep such a column, pass key_added='hclust_cluster'") in caplog.text
    row = REFERENCE.query("dataset == 'planted' and method == 'average' and variant == "
                          "'hybrid' and deep_split == 1 and min_cluster_size == 5").iloc[0]
    assert _same_partition(adata.obs["cluster"], np.array(row.labels.split(";"), dtype=int))


def _three_groups() -> ad.AnnData:
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (6, 30)), rng.normal(3, 1, (6, 30)),
                   rng.normal(-3, 1, (5, 30))])
    adata = ad.AnnData(X)
    gx.tl.hclust(adata)
    return adata


def test_a_min_cluster_size_above_the_number_of_samples_is_refused():
    """Before, min_cluster_size=50 on 17 samples returned None and left .obs['cluster'] all
    NaN, with only an info line ('0 clusters, 17 samples unassigned')."""
    adata = _three_groups()
    with pytest.raises(ValueError, match=r"min_cluster_size=50 is more than the 17 "
                                         r"observations in the tree.*pass at most 17"):
        gx.tl.cut(adata, method="dynamic", min_cluster_size=50)
    assert "cluster" not in adata.obs


def test_a_dynamic_cut_that_finds_no_cluster_says_so(caplog):
    """min_cluster_size equal to n finds no cluster: every label NaN, now with a warning."""
    adata = _three_groups()
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.tl.cut(adata, method="dynamic", min_cluster_size=17)
    assert adata.obs["cluster"].isna().all()
    assert adata.uns["cluster"]["n_unassigned"] == 17
    assert ("found no cluster among 17 observations with min_cluster_size=17: every label "
            "in .obs['cluster'] is NaN") in caplog.text
    gx.tl.cut(adata, method="dynamic", min_cluster_size=1)
    assert adata.obs["cluster"].value_counts().sort_index().tolist() == [5, 6, 6]


@pytest.mark.parametrize("variant", ["hybrid", "tree"])
def test_rows_in_another_order_give_the_same_clusters(variant):
    # Golub's 38 samples permuted, their tree rebuilt (the same merges): the hybrid cut
    # gave another partition (ARI 0.85 with the unpermuted one, average/euclidean), as it took
    # a branch's core and broke ties by leaf id; both variants now cut the tree with its
    # leaves in the sorted order of their names
    adata = gx.io.read_cumida(shared_file("real/golub_multtest.csv.gz"))
    gx.pp.select_variable(adata, n_top=1000, subset=True)
    gx.pp.scale(adata)
    deep_split = 1 if variant == "hybrid" else True
    cuts = []
    for seed in (None, 0, 1, 2):
        permuted = adata if seed is None else adata[
            np.random.default_rng(seed).permutation(adata.n_obs)].copy()
        gx.tl.hclust(permuted, method="average", metric="euclidean")
        gx.tl.cut(permuted, method="dynamic", variant=variant, deep_split=deep_split,
                  min_cluster_size=3)
        cuts.append(permuted.obs["cluster"].loc[adata.obs_names])
    first = cuts[0]
    assert first.nunique() > 2
    for other in cuts[1:]:
        # the same samples together and the same unassigned (names follow the dendrogram)
        assert _same_partition(first, other.cat.codes.to_numpy() + 1)  # NaN: code -1 -> 0


def test_the_tree_variant_makes_no_copy_of_the_data_in_name_order():
    # variant='tree' cuts the tree alone (any size, as 100,000 cells); since the cut takes
    # the leaves in name order, it also copied the whole matrix into that order, unused:
    # 192 MB at peak for 96 MB of data (200 x 60,000); now 129 MB
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 60_000))
    X[:100, :2000] += 3.0  # two groups
    adata = ad.AnnData(X)
    gx.tl.hclust(adata, method="ward")
    tracemalloc.start()
    try:
        gx.tl.cut(adata, method="dynamic", variant="tree", deep_split=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.6 * X.nbytes, peak / X.nbytes
    groups = pd.crosstab(adata.obs["cluster"], np.repeat(["a", "b"], 100))
    assert (groups.gt(0).sum(axis=1) == 1).all()  # no cluster mixes the two groups
