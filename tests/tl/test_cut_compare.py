from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import gexclust as gx
from gexclust.tl._compare import adjusted_rand_index, normalized_mutual_info
from gexclust.tl._flat_cuts import count_inversions
from tests.conftest import make_planted


def same_partition(a, b) -> bool:
    return adjusted_rand_score(a, b) == 1.0


def test_cut_recovers_planted_groups(planted):
    gx.pp.scale(planted)
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    assert gx.tl.compare(planted, reference="type", clusters="cluster", inplace=False)["ari"] == 1.0
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


def test_every_leaf_its_own_cluster_records_no_height_when_identical_leaves_merge_at_0():
    import anndata as ad

    from gexclust.pl._dendrogram import dendrogram_spec

    # before: n_clusters=n recorded threshold 0 for its 8 single-sample clusters, where a cut
    # at 0 keeps the two pairs of identical samples (merged at 0) together: 6 clusters
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 5))
    X[1], X[5] = X[0], X[4]
    adata = ad.AnnData(X)
    gx.tl.hclust(adata, method="average")
    gx.tl.cut(adata, n_clusters=8)
    record = adata.uns["cluster"]
    assert adata.obs["cluster"].nunique() == record["n_clusters_found"] == 8
    assert record["threshold"] == "none"
    assert record["rule"] == "maxclust"
    assert record["note"] == ("every leaf its own cluster, identical ones too: they merge at "
                              "height 0, which no cut height is below")
    assert dendrogram_spec(adata).cut is None  # no line, as there is no such height
    # without identical samples, every leaf alone is cut below the lowest merge, and drawn
    adata = ad.AnnData(rng.normal(size=(8, 5)))
    gx.tl.hclust(adata, method="average")
    gx.tl.cut(adata, n_clusters=8)
    threshold = adata.uns["cluster"]["threshold"]
    assert 0 < threshold < adata.uns["hclust"]["linkage"][0, 2]
    assert dendrogram_spec(adata).cut == (threshold, "cut: 8 clusters")
    assert gx.tl.cut(adata, height=threshold, key_added="by_height",
                     copy=True).obs["by_height"].nunique() == 8


def test_threshold_gives_the_cut_when_heights_are_one_ulp_apart():
    import anndata as ad

    # two pairs merged at heights a and b one ulp apart, a with an odd last bit: their
    # midpoint rounds up to b, so the recorded threshold of 3 clusters was b itself, where a
    # cut gives 2 (and pl.dendrogram dropped the cut line, which it checks)
    a = np.nextafter(1.0, 2.0)
    b = np.nextafter(a, 2.0)
    adata = ad.AnnData(np.array([[0.0, 0.0], [a, 0.0], [0.0, 10.0], [b, 10.0]]))
    gx.tl.hclust(adata, method="single")
    assert adata.uns["hclust"]["linkage"][:2, 2].tolist() == [a, b]
    gx.tl.cut(adata, n_clusters=3)
    threshold = adata.uns["cluster"]["threshold"]
    assert a <= threshold < b
    by_height = gx.tl.cut(adata, height=threshold, key_added="by_height", copy=True)
    assert by_height.obs["by_height"].tolist() == adata.obs["cluster"].tolist() == [
        "1", "1", "2", "3"]


def test_cut_errors(planted):
    with pytest.raises(KeyError, match=r"no tree in .uns\['hclust'\]"):
        gx.tl.cut(planted, n_clusters=2)
    gx.tl.hclust(planted)
    with pytest.raises(ValueError, match="exactly one of n_clusters or height"):
        gx.tl.cut(planted, n_clusters=2, height=1.0)
    with pytest.raises(ValueError, match="between 1 and 24"):
        gx.tl.cut(planted, n_clusters=25)


def test_a_height_below_0_is_refused(planted):
    """Before: tl.cut(height=-1.0) cut every leaf into a cluster of its own (24 clusters,
    threshold -1.0) without a word; method='dynamic' found no cluster and blamed
    min_cluster_size. No merge lies below 0."""
    gx.tl.hclust(planted)
    expected = ("tl.cut: height must be a finite number of at least 0 (in the units of the "
                "linkage), got -1.0")
    for method in ("static", "dynamic"):
        with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
            gx.tl.cut(planted, method=method, height=-1.0)
    assert "cluster" not in planted.obs
    gx.tl.cut(planted, height=0.0)  # 0 is a height: identical leaves merge there
    assert planted.obs["cluster"].nunique() == planted.n_obs


def test_an_unknown_variant_is_refused_whatever_the_method(planted):
    """Before: tl.cut(adata, n_clusters=2, variant='bogus') cut without a word (the static
    cut has no variants); only method='dynamic' refused it. Now refused either way."""
    gx.tl.hclust(planted)
    expected = "tl.cut: variant='bogus' is not valid; choose one of 'hybrid', 'tree'"
    for method, given in (("static", {"n_clusters": 2}), ("dynamic", {})):
        with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
            gx.tl.cut(planted, method=method, variant="bogus", **given)
    assert "cluster" not in planted.obs


@pytest.mark.parametrize("variant", ["tree", "hybrid"])
@pytest.mark.parametrize("given", [{"n_clusters": 2}, {"height": 3.0}, {"min_support": 0.95}])
def test_a_variant_given_with_the_static_cut_is_refused(planted, variant, given):
    """Before: tl.cut(adata, n_clusters=2, variant='tree') cut by height without a word (the
    static cut has no variants), where min_cluster_size= and deep_split= were refused."""
    gx.tl.hclust(planted)
    expected = (f"tl.cut: variant={variant!r} is for method='dynamic' (the static cut has no "
                "variants); drop it, or pass method='dynamic'")
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        gx.tl.cut(planted, variant=variant, **given)
    assert "cluster" not in planted.obs
    assert "cluster" not in planted.uns
    gx.tl.cut(planted, method="dynamic", variant=variant)  # where it belongs
    assert planted.uns["cluster"]["rule"] == f"dynamic_{variant}"


@pytest.mark.parametrize("seed", range(5))
def test_ari_nmi_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 4, 50), rng.integers(0, 6, 50)
    counts = pd.crosstab(a, b).to_numpy()
    assert adjusted_rand_index(counts) == pytest.approx(adjusted_rand_score(a, b))
    assert normalized_mutual_info(counts) == pytest.approx(normalized_mutual_info_score(a, b))


def test_compare_stores_in_place_and_returns_none(planted):
    # before: compare(inplace=True) returned the dict too, where scanpy's tools return None
    planted.obs["cluster"] = pd.Categorical(
        np.where(planted.obs["type"] == "group0", "1", "2")
    )
    assert gx.tl.compare(planted, reference="type", clusters="cluster") is None
    result = planted.uns["compare_type_cluster"]
    assert result["crosstab"].loc["group0", "1"] == 8
    assert result["purity"] == pytest.approx(16 / 24)
    assert result["ari"] == pytest.approx(adjusted_rand_score(planted.obs["type"], planted.obs["cluster"]))  # noqa: E501
    with pytest.raises(KeyError, match="no column 'batch'"):
        gx.tl.compare(planted, reference="type", clusters="batch")


def test_compare_names_and_orders_labels_as_their_categories(planted, tmp_path):
    # before: 12 clusters came out as columns '1', '10', '11', '12', '2', ... (sorted as
    # text), a nullable Int64 column with a missing value gave rows '1.0', '2.0', '3.0' where
    # tl.markers names the groups '1', '2', '3', and an h5ad file lost the name of the
    # columns with nothing left to say which column they were
    import anndata as ad

    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=12)
    planted.obs["batch"] = pd.array(planted.obs["type"].cat.codes + 1, dtype="Int64")
    planted.obs.loc[planted.obs_names[0], "batch"] = pd.NA
    gx.tl.compare(planted, reference="batch", clusters="cluster")
    result = planted.uns["compare_batch_cluster"]
    assert result["crosstab"].columns.tolist() == [str(k) for k in range(1, 13)]
    assert result["crosstab"].index.tolist() == ["1", "2", "3"]
    groups = gx.tl.markers(planted, groupby="batch", n_genes=1, inplace=False)["group"]
    assert groups.tolist() == result["crosstab"].index.tolist()
    expected = adjusted_rand_score(planted.obs["batch"][1:], planted.obs["cluster"][1:])
    assert result["ari"] == pytest.approx(expected)
    assert result["params"] == {"reference": "batch", "clusters": "cluster"}
    planted.write_h5ad(tmp_path / "a.h5ad")
    back = ad.read_h5ad(tmp_path / "a.h5ad").uns["compare_batch_cluster"]
    crosstab = back["crosstab"].rename_axis(columns=back["params"]["clusters"])
    pd.testing.assert_frame_equal(crosstab, result["crosstab"], check_index_type=False,
                                  check_column_type=False)


def test_markers_find_planted_genes():
    adata = make_planted(n_genes=40)
    adata.obs["cluster"] = adata.obs["type"]
    table = gx.tl.markers(adata, groupby="cluster", n_genes=10, inplace=False)
    for g in range(3):
        genes = set(table.loc[table["group"] == f"group{g}", "gene"])
        assert genes == {f"g{j}" for j in range(10 * g, 10 * g + 10)}
    assert (table["diff"] > 3).all()


def test_compare_leaves_out_unlabelled_samples(planted, caplog):
    planted.obs["cluster"] = pd.Categorical(np.where(planted.obs["type"] == "group0", "1", "2"))
    reference = gx.tl.compare(planted, reference="type", clusters="cluster", inplace=False)
    labels = planted.obs["type"].astype(object)
    labels.iloc[[0, 1, 2]] = [np.nan, None, np.nan]
    planted.obs["type"] = pd.Categorical(labels)
    planted.obs.loc[planted.obs_names[3], "cluster"] = np.nan
    kept = planted.obs["type"].notna() & planted.obs["cluster"].notna()
    with caplog.at_level("WARNING", logger="gexclust"):
        result = gx.tl.compare(planted, reference="type", clusters="cluster", inplace=False)
    assert "left out 4 of 24 samples" in caplog.text
    assert result["n_left_out"] == 4
    assert result["n_compared"] == 20
    assert "nan" not in result["crosstab"].index
    assert "nan" not in result["crosstab"].columns
    assert result["crosstab"].to_numpy().sum() == 20
    expected = adjusted_rand_score(planted.obs["type"][kept], planted.obs["cluster"][kept])
    assert result["ari"] == pytest.approx(expected)
    assert reference["n_left_out"] == 0


def test_compare_on_plain_string_columns_with_none(planted):
    planted.obs["type"] = planted.obs["type"].astype(str).astype(object)
    planted.obs.loc[planted.obs_names[0], "type"] = None
    planted.obs["cluster"] = planted.obs["type"]
    result = gx.tl.compare(planted, reference="type", clusters="cluster", inplace=False)
    assert result["ari"] == 1.0
    assert result["n_left_out"] == 1


def merges_undone(Z, k):
    """Brute force: the clusters left after the first n - k merges of Z."""
    n = len(Z) + 1
    clusters = {i: {i} for i in range(n)}
    for i in range(n - k):
        clusters[n + i] = clusters.pop(int(Z[i, 0])) | clusters.pop(int(Z[i, 1]))
    labels = np.empty(n, dtype=int)
    for c, members in enumerate(clusters.values()):
        labels[list(members)] = c
    return labels


@pytest.mark.parametrize("method", ["centroid", "median"])
def test_cut_tree_with_inversions_gives_k_clusters_and_says_why(method, caplog):
    adata = make_planted(seed=0)
    gx.tl.hclust(adata, method=method)
    Z = adata.uns["hclust"]["linkage"]
    assert count_inversions(Z) > 0
    for k in range(1, 8):
        caplog.clear()
        with caplog.at_level("WARNING", logger="gexclust"):
            gx.tl.cut(adata, n_clusters=k)
        assert adata.obs["cluster"].nunique() == k
        assert same_partition(adata.obs["cluster"], merges_undone(Z, k))
        info = adata.uns["cluster"]
        assert info["rule"] == "merge_order"
        assert info["threshold"] == "none"
        assert "inversion" in info["note"]
        assert "no single height gives" in caplog.text
    gx.tl.cut(adata, n_clusters=3)
    assert gx.tl.compare(adata, reference="type", clusters="cluster", inplace=False)["ari"] == 1.0


@pytest.mark.parametrize("method", ["centroid", "median"])
def test_height_cut_of_a_tree_with_inversions_says_what_it_keeps_together(method, caplog):
    """fcluster's 'distance' cut keeps whole branches whose merges all lie at or below the
    height; leaves whose cophenetic distance (the height of the merge joining them) is below
    it are split when a higher merge lies inside their branch. The warning said it kept
    together every pair of cophenetic distance at most the height, which such cuts break."""
    adata = make_planted(seed=0)
    gx.tl.hclust(adata, method=method)
    Z = adata.uns["hclust"]["linkage"]
    cophenetic = squareform(hierarchy.cophenet(Z))
    split_below = 0
    for height in np.unique(Z[:, 2]):
        caplog.clear()
        with caplog.at_level("WARNING", logger="gexclust"):
            gx.tl.cut(adata, height=float(height))
        labels = adata.obs["cluster"].to_numpy()
        assert same_partition(adata.obs["cluster"], hierarchy.fcluster(Z, height, "distance"))
        split_below += int(((cophenetic <= height) & (labels[:, None] != labels[None, :])).sum())
        assert "whose merges all lie at or below" in caplog.text
        assert "cophenetic distance is at most" not in caplog.text
    assert split_below > 0  # such pairs exist: the old description was wrong for them


def test_cut_into_one_cluster(planted):
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=1)
    assert planted.obs["cluster"].cat.categories.tolist() == ["1"]
    assert planted.uns["cluster"]["threshold"] > planted.uns["hclust"]["linkage"][:, 2].max()
    assert planted.uns["cluster"]["rule"] == "maxclust"
    assert planted.uns["cluster"]["note"] == "none"


def test_tied_heights_say_why_fewer_clusters(caplog):
    import anndata as ad

    # four samples at the corners of a square: both first merges at the same height
    adata = ad.AnnData(np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 0.0], [5.0, 1.0]]))
    gx.tl.hclust(adata, method="single")
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.tl.cut(adata, n_clusters=3)
    assert adata.uns["cluster"]["n_clusters_found"] == 2
    assert "tied merge heights" in adata.uns["cluster"]["note"]
    assert "tied merge heights" in caplog.text
    with pytest.raises(ValueError, match="integer between 1 and 4"):
        gx.tl.cut(adata, n_clusters=2.5)


@pytest.mark.parametrize("method", ["static", "dynamic"])
def test_cut_never_writes_over_a_tree(planted, method):
    # before: key_added='hclust' replaced the tree by the cut's record, silently
    gx.tl.hclust(planted)
    gx.tl.hclust(planted, axis="var", key_added="genes")
    size = {"n_clusters": 2} if method == "static" else {}
    for key_added in ("hclust", "genes"):
        with pytest.raises(ValueError, match=f"holds a tree.*key_added='{key_added}'"):
            gx.tl.cut(planted, method=method, key_added=key_added, **size)
    assert "linkage" in planted.uns["hclust"]
    assert "linkage" in planted.uns["genes"]


@pytest.mark.parametrize("method", ["static", "dynamic"])
def test_a_gene_tree_cut_never_writes_over_the_samples_clusters(planted, method):
    # before: a gene tree cut with the default key_added='cluster' replaced .uns['cluster']
    # (the samples' cut: the dendrogram lost its cut line) and .uns['cluster_colors'] (one
    # colour per gene cluster; the dendrogram then gave the samples' clusters new colours)
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    gx.tl.hclust(planted, axis="var", method="average", metric="correlation", key_added="genes")
    before = {name: planted.uns[name] for name in ("cluster", "cluster_colors")}
    size = {"n_clusters": 4} if method == "static" else {}
    with pytest.raises(ValueError, match=r"cut: key_added='cluster' is a column of .obs \(the "
                                         r"samples' clusters.*e\.g\. key_added='gene_cluster'"):
        gx.tl.cut(planted, key="genes", method=method, **size)
    assert all(planted.uns[name] is value for name, value in before.items())
    assert "cluster" not in planted.var
    gx.tl.cut(planted, key="genes", method=method, key_added="gene_cluster", **size)
    assert planted.var["gene_cluster"].notna().any()
    with pytest.raises(ValueError, match=r"key_added='gene_cluster' is a column of .var"):
        gx.tl.cut(planted, n_clusters=2, key_added="gene_cluster")  # and the other way round
    assert planted.uns["cluster"]["params"]["key"] == "hclust"


def test_no_tool_writes_over_a_tree(planted):
    # before: choose_k, compare, markers and consensus with key_added='hclust' replaced the tree
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    calls = {
        "choose_k": lambda: gx.tl.choose_k(planted, k_range=range(2, 4), key_added="hclust"),
        "compare": lambda: gx.tl.compare(planted, reference="type", clusters="cluster",
                                         key_added="hclust"),
        "markers": lambda: gx.tl.markers(planted, key_added="hclust"),
        "consensus": lambda: gx.tl.consensus(planted, k_range=range(2, 3), n_resamples=2,
                                             progress=False, key_added="hclust"),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=f"{name}: .uns\\['hclust'\\] holds a tree"):
            call()
        assert "linkage" in planted.uns["hclust"]
    # inplace=False stores nothing, so nothing is refused
    assert gx.tl.compare(planted, reference="type", clusters="cluster", key_added="hclust",
                         inplace=False)["ari"]


def test_compare_leaves_out_empty_labels_as_a_csv_reads_them(planted):
    # an empty 'type' field of a CuMiDa CSV reads as '': before, it counted as a class
    # (a run with 2 of 30 such samples: ARI 0.894 instead of 1.0)
    planted.obs["cluster"] = planted.obs["type"].astype(str)
    planted.obs["type"] = planted.obs["type"].astype(str)
    planted.obs.loc[planted.obs_names[[0, 9]], "type"] = ["", "  "]
    result = gx.tl.compare(planted, reference="type", clusters="cluster", inplace=False)
    assert result["ari"] == 1.0
    assert result["n_left_out"] == 2
    assert "" not in result["crosstab"].index


@pytest.mark.parametrize("text", ["nan", "None", "<NA>", "NA", "N/A", "#N/A"])
def test_compare_leaves_out_missing_value_texts(planted, caplog, text):
    # .astype(str) of a column with NaN gives 'nan' (None: 'None', pd.NA: '<NA>'); before,
    # those samples were a class of their own: ARI 0.81 here instead of 1.0
    planted.obs["cluster"] = planted.obs["type"].astype(str)
    labels = planted.obs["type"].astype(object)
    labels.iloc[[0, 5, 9]] = np.nan
    planted.obs["type"] = labels.astype(str).replace("nan", text)
    with caplog.at_level("WARNING", logger="gexclust"):
        result = gx.tl.compare(planted, reference="type", clusters="cluster", inplace=False)
    assert result["ari"] == 1.0
    assert result["n_left_out"] == 3
    assert result["n_compared"] == 21
    assert text not in result["crosstab"].index
    assert "left out 3 of 24 samples" in caplog.text


def test_missing_value_texts_are_pandas_read_csv_defaults(tmp_path):
    # the rule is "what pandas reads as missing": every such text, and nothing else nearby
    import io

    from gexclust._labels import MISSING_LABELS, has_label

    texts = sorted(MISSING_LABELS - {""})
    body = "type\n" + "\n".join(f'"{t}"' for t in [*texts, "NAN", "na", "Nan1", "N.A."]) + "\n"
    by_pandas = pd.read_csv(io.StringIO(body), keep_default_na=True)["type"]
    assert by_pandas.isna().tolist() == [True] * len(texts) + [False] * 4
    assert has_label(by_pandas.astype(str)).tolist() == [False] * len(texts) + [True] * 4


def test_a_new_cut_keeps_colours_set_by_hand(planted):
    # before: every tl.cut rewrote .uns['cluster_colors'], undoing a user's choice
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    planted.uns["cluster_colors"] = ["#000000", "#111111", "#222222"]
    gx.tl.cut(planted, n_clusters=3)
    assert list(planted.uns["cluster_colors"]) == ["#000000", "#111111", "#222222"]
    gx.tl.cut(planted, n_clusters=2)  # one colour per cluster no longer: the palette
    # (Dark2, but not its orange: tab10's orange is one of the types' colours)
    assert list(planted.uns["cluster_colors"]) == ["#1b9e77", "#e7298a"]


def test_the_refusal_of_fractional_groups_shows_a_fraction(planted):
    # before: "e.g. 1" for a dose column of 1, 2, 2.5: the example was a whole number
    planted.obs["dose"] = np.resize([1.0, 2.0, 2.5], planted.n_obs)
    planted.obs["cluster"] = planted.obs["type"]
    with pytest.raises(ValueError, match=r"\(3 distinct value\(s\), e\.g\. 2\.5\)"):
        gx.tl.compare(planted, reference="dose", clusters="cluster")


def test_a_reference_with_a_label_per_sample_is_refused(planted):
    # before: sample ids as the reference scored ARI 0 and NMI 0.30 as if they were classes
    planted.obs["cluster"] = planted.obs["type"]
    planted.obs["gsm"] = [f"GSM{1000 + i}" for i in range(planted.n_obs)]
    planted.obs.loc[planted.obs_names[0], "gsm"] = "NA"  # left out: still no shared label
    with pytest.raises(ValueError, match=r"'gsm' column has no repeated label: each of the 23 "
                                         r"labelled samples .*is \.obs\['gsm'\] a sample id\?"):
        gx.tl.compare(planted, reference="gsm", clusters="cluster")
    assert "compare_gsm_cluster" not in planted.uns
    planted.obs.loc[planted.obs_names[1], "gsm"] = "GSM1002"  # one label shared: compared
    assert gx.tl.compare(planted, reference="gsm", clusters="cluster",
                         inplace=False)["n_compared"] == 23


def test_a_reference_of_one_class_is_refused(planted):
    # before: every sample 'AML' scored ARI 0, NMI 0 and purity 1 against any clusters,
    # read as "the clusters do not match the types" when there was nothing to match
    planted.obs["cluster"] = planted.obs["type"]
    planted.obs["disease"] = "AML"
    planted.obs.loc[planted.obs_names[0], "disease"] = ""  # left out: one class remains
    with pytest.raises(ValueError, match=r"compare: every labelled sample has the same label in "
                                         r"the 'disease' column \('AML'\), so there is one "
                                         r"class and no agreement with the clusters is computed$"):
        gx.tl.compare(planted, reference="disease", clusters="cluster")
    planted.obs.loc[planted.obs_names[0], "disease"] = "ALL"  # two classes: compared
    assert gx.tl.compare(planted, reference="disease", clusters="cluster",
                         inplace=False)["n_compared"] == 24


def test_refusals_no_test_reached(planted, caplog):
    """Each names what is wrong: a cut given both n_clusters and height besides min_support,
    a comparison where no sample has both labels (a dynamic cut that left out every typed
    sample), consensus on NaN, bootstrap scales that are not positive numbers, and an alpha
    of the test of structure outside (0, 1)."""
    gx.tl.hclust(planted)
    gx.tl.bootstrap(planted, n_boot=10, progress=False)
    with pytest.raises(ValueError, match=r"^tl\.cut: give only one of n_clusters or height$"):
        gx.tl.cut(planted, n_clusters=2, height=1.0, min_support=0.9)
    planted.obs["cluster"] = pd.Categorical(np.where(np.arange(24) < 12, "1", None))
    planted.obs["type"] = pd.Categorical(np.where(np.arange(24) < 12, None, "group0"))
    with caplog.at_level("WARNING", logger="gexclust"), pytest.raises(
            ValueError,
            match=r"^tl\.compare: no sample has both a 'type' and a 'cluster' label$"):
        gx.tl.compare(planted, reference="type", clusters="cluster")
    assert ("tl.compare: left out 24 of 24 samples without a 'type' or 'cluster' label"
            in caplog.text)
    missing = planted.copy()
    missing.X[3, 5] = np.nan
    with pytest.raises(ValueError, match=r"^tl\.consensus: the data contain NaN or infinite "
                       r"values; handle missing values first$"):
        gx.tl.consensus(missing, n_resamples=10, progress=False)
    for scales in ([0.5, -1.0, 1.0], [], [0.5, float("nan"), 1.0]):
        with pytest.raises(ValueError,
                           match=r"^tl\.bootstrap: scales must be positive numbers, e\.g\. "):
            gx.tl.bootstrap(planted, n_boot=10, scales=scales, progress=False)
    with pytest.raises(ValueError,
                       match=r"^tl\.choose_k: alpha must be between 0 and 1, got 1\.5$"):
        gx.tl.choose_k(planted, alpha=1.5)


def test_compare_before_a_cut_says_to_cut():
    # the README's tl.compare(adata, reference="type", clusters="cluster") run before tl.cut
    # said only
    # "compare: no column 'cluster' in .obs; available: [...]"
    planted = make_planted()
    gx.tl.hclust(planted)
    with pytest.raises(KeyError) as info:
        gx.tl.compare(planted, reference="type", clusters="cluster")
    assert info.value.args[0] == ("tl.compare: no column 'cluster' in .obs; available: ['type']; "
                                  "run gexclust.tl.cut(adata) to make it")


def test_compare_default_key_of_a_column_named_with_a_slash_can_be_written(tmp_path):
    # a key_added holding '/' is refused (.h5ad cannot store it): the default key made from a
    # column named 'disease/state' takes '_' for it instead of refusing a key no one gave
    adata = make_planted()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    adata.obs["disease_state"] = adata.obs["type"]
    adata.obs = adata.obs.rename(columns={"disease_state": "disease/state"})
    gx.tl.compare(adata, reference="disease/state", clusters="cluster")
    assert adata.uns["compare_disease_state_cluster"]["ari"] == pytest.approx(
        adjusted_rand_score(adata.obs["type"], adata.obs["cluster"]))
    with pytest.raises(ValueError, match=r"^tl\.compare: key_added='a/b' holds '/'"):
        gx.tl.compare(adata, reference="type", clusters="cluster", key_added="a/b")
