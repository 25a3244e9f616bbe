from __future__ import annotations

import itertools

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist
from scipy.stats import rankdata, spearmanr

import gexclust as gx
from gexclust.tl._hclust import data_fingerprint, same_fingerprint
from gexclust.tl._methods import EUCLIDEAN_ONLY, METHODS, METRICS

PAIRS = [
    (m, d) for m, d in itertools.product(METHODS, METRICS)
    if m not in EUCLIDEAN_ONLY or d == "euclidean"
]


def scipy_reference(X, method, metric):
    """scipy's linkage on the observations, and the condensed distances it used."""
    if metric == "spearman":
        rho = spearmanr(X, axis=1).statistic
        condensed = (1 - rho)[np.triu_indices(len(X), k=1)]
        return hierarchy.linkage(condensed, method=method), condensed
    return hierarchy.linkage(X, method=method, metric=metric), pdist(X, metric)


@pytest.mark.parametrize(("method", "metric"), PAIRS)
def test_matches_scipy(planted, method, metric):
    gx.pp.scale(planted)
    gx.tl.hclust(planted, method=method, metric=metric)
    result = planted.uns["hclust"]
    Z, distances = scipy_reference(planted.X, method, metric)
    np.testing.assert_allclose(result["linkage"], Z, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(result["leaves"], hierarchy.leaves_list(Z))
    assert result["labels"].tolist() == planted.obs_names.tolist()
    expected_coph, _ = hierarchy.cophenet(Z, distances)
    assert result["cophenetic_correlation"] == pytest.approx(expected_coph, rel=1e-9)
    assert result["params"]["method"] == method
    assert result["params"]["metric"] == metric


def test_spearman_is_pearson_on_ranks(planted):
    gx.tl.hclust(planted, method="average", metric="spearman", key_added="sp")
    Z = hierarchy.linkage(pdist(rankdata(planted.X, axis=1), "correlation"), "average")
    np.testing.assert_allclose(planted.uns["sp"]["linkage"], Z)


def test_spearman_accepts_values_near_the_float_limit(planted):
    """Ranks do not care about scale: the tree, and a cut of it, are those of the plain values.

    The record that ties the tree to its data summed squares of 1e300 to inf, which warned
    (an error in a test session) and made tl.consensus take the same data for other data.
    """
    huge = planted.copy()
    huge.X = planted.X * 1e300
    for adata in (planted, huge):
        gx.tl.hclust(adata, method="average", metric="spearman")
        gx.tl.cut(adata, n_clusters=3)
    np.testing.assert_array_equal(huge.uns["hclust"]["linkage"], planted.uns["hclust"]["linkage"])
    assert huge.obs["cluster"].tolist() == planted.obs["cluster"].tolist()
    assert np.isfinite(huge.uns["hclust"]["params"]["data_fingerprint"]).all()
    stored = huge.uns["hclust"]["params"]["data_fingerprint"]
    assert same_fingerprint(stored, data_fingerprint(huge.X[:, ::-1]))
    huge.X[0, 0] *= 2  # a changed value is still noticed
    assert not same_fingerprint(stored, data_fingerprint(huge.X))


@pytest.mark.parametrize("method", EUCLIDEAN_ONLY)
@pytest.mark.parametrize("metric", ["correlation", "cosine", "spearman", "cityblock"])
def test_non_euclidean_ward_like_is_refused(planted, method, metric):
    with pytest.raises(ValueError, match=f"method='{method}' needs metric='euclidean'"):
        gx.tl.hclust(planted, method=method, metric=metric)


def test_unknown_options_name_the_valid_ones(planted):
    with pytest.raises(ValueError, match="choose one of 'ward', 'average'"):
        gx.tl.hclust(planted, method="ward.D2")
    with pytest.raises(ValueError, match="choose one of 'euclidean', 'correlation'"):
        gx.tl.hclust(planted, metric="pearson")


def test_nan_and_constant_rows_are_refused(planted):
    planted.X[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"^tl\.hclust: sample 's3' contains NaN"):
        gx.tl.hclust(planted)
    # before: "row 'g2' contains NaN", a gene tree's refused gene called a row (read as a
    # sample), and the remedy named read_cumida whatever the data came from
    with pytest.raises(ValueError, match=r"^tl\.hclust: gene 'g2' contains NaN.*the readers' "
                                         r"missing='drop' or 'impute', gexclust run --missing"):
        gx.tl.hclust(planted, axis="var")
    planted.X[3, :] = 1.0
    with pytest.raises(ValueError, match=r"^tl\.hclust: sample 's3' is constant"):
        gx.tl.hclust(planted, method="average", metric="correlation")


def test_gene_axis(planted):
    gx.tl.hclust(planted, axis="var", method="average", metric="correlation", key_added="genes")
    Z = hierarchy.linkage(planted.X.T, "average", metric="correlation")
    np.testing.assert_allclose(planted.uns["genes"]["linkage"], Z)
    assert planted.uns["genes"]["labels"].tolist() == planted.var_names.tolist()
    gx.tl.cut(planted, n_clusters=4, key="genes", key_added="gene_cluster")
    assert "gene_cluster" in planted.var
    assert "gene_cluster" not in planted.obs


def test_use_rep_on_scanpy_pbmc68k():
    import scanpy as sc

    pbmc = sc.datasets.pbmc68k_reduced()
    gx.tl.hclust(pbmc, use_rep="X_pca", method="average", metric="correlation")
    Z = hierarchy.linkage(pbmc.obsm["X_pca"], "average", metric="correlation")
    np.testing.assert_allclose(pbmc.uns["hclust"]["linkage"], Z, rtol=1e-9)
    gx.tl.cut(pbmc, n_clusters=10)
    assert pbmc.obs["cluster"].nunique() == 10
    result = gx.tl.compare(pbmc, reference="bulk_labels", clusters="cluster", inplace=False)
    assert result["ari"] > 0.1  # PCA structure tracks the known labels
    with pytest.raises(KeyError, match="use_rep='X_umap2' not found"):
        gx.tl.hclust(pbmc, use_rep="X_umap2")


def test_copy_returns_new_object(planted):
    out = gx.tl.hclust(planted, copy=True)
    assert "hclust" in out.uns
    assert "hclust" not in planted.uns


def test_identical_samples_and_two_samples_give_a_reason_not_a_warning(caplog):
    import anndata as ad

    same = ad.AnnData(np.ones((5, 3)))
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.tl.hclust(same)  # warnings are errors in this suite: no RuntimeWarning
    assert np.isnan(same.uns["hclust"]["cophenetic_correlation"])
    assert "all 10 pairwise distances are equal" in caplog.text
    gx.tl.cut(same, n_clusters=2)
    assert "tied merge heights" in same.uns["cluster"]["note"]
    two = ad.AnnData(np.array([[0.0, 1.0], [2.0, 3.0]]))
    gx.tl.hclust(two)
    assert np.isnan(two.uns["hclust"]["cophenetic_correlation"])
    assert "only two leaves" in caplog.text


def test_constant_row_message_names_the_metric_and_a_metric_that_works(planted):
    planted.X[3, :] = 1.0
    with pytest.raises(ValueError, match=r"sample 's3' is constant.*\(metric='correlation'\); "
                                         r"remove it or use a metric that is defined for it"):
        gx.tl.hclust(planted, method="average", metric="correlation")


def test_genes_only_marked_as_variable_are_said_to_be_unused(planted, caplog):
    # before: after select_variable(subset=False), as after scanpy's highly_variable_genes,
    # hclust clustered all 60 genes without a word (scanpy's pca would use the 20 marked)
    import logging

    gx.pp.select_variable(planted, n_top=20)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.tl.hclust(planted)
    assert "marks 20 of 60 genes, but all 60 are clustered" in caplog.text
    assert planted.uns["hclust"]["params"]["n_features"] == 60
    caplog.clear()
    subset = planted[:, planted.var["highly_variable"]].copy()
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.tl.hclust(subset)
        gx.tl.hclust(planted, use_rep=None, layer=None, axis="var", key_added="genes")
    assert "highly_variable" not in caplog.text
    # before: a selection under another key_added was not seen
    del subset.var["highly_variable"]
    gx.pp.select_variable(subset, n_top=5, key_added="top5")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.tl.hclust(subset)
    assert ".var['top5'] marks 5 of 20 genes, but all 20 are clustered" in caplog.text


def test_use_rep_and_layer_refusals_name_the_tool(planted):
    # before: "pass either use_rep or layer, not both" and "use_rep is only supported with
    # axis='obs'" named neither the tool (tl.consensus says them too) nor the values given
    planted.obsm["X_pca"] = planted.X[:, :5].copy()
    planted.layers["L"] = planted.X.copy()
    refusals = {
        r"tl.hclust: pass either use_rep='X_pca' \(.obsm\) or layer='L' \(.layers\), not both":
            lambda: gx.tl.hclust(planted, use_rep="X_pca", layer="L"),
        r"tl.consensus: pass either use_rep='X' \(.obsm\) or layer='L'":
            lambda: gx.tl.consensus(planted, use_rep="X", layer="L", k_range=[2]),
        r"tl.hclust: use_rep='X_pca' needs axis='obs'":
            lambda: gx.tl.hclust(planted, use_rep="X_pca", axis="var"),
        r"tl.consensus: use_rep='X_umap' not found in .obsm; available: \['X_pca', 'X'\]":
            lambda: gx.tl.consensus(planted, use_rep="X_umap", k_range=[2]),
        r"tl.hclust: needs at least 2 obs to cluster, got 1":
            lambda: gx.tl.hclust(planted[:1].copy()),
    }
    for message, call in refusals.items():
        with pytest.raises((ValueError, KeyError), match=message):
            call()
    assert not {"hclust", "consensus"} & set(planted.uns)


@pytest.mark.filterwarnings("ignore:Transforming to str index:UserWarning")  # old anndata's
@pytest.mark.parametrize(("method", "metric"), [("ward", "euclidean"),
                                               ("average", "correlation")])
def test_no_features_are_refused_naming_where(planted, method, metric):
    # a selection that kept no gene (adata[:, adata.var['highly_variable']] with none
    # marked): ward built a tree of 19 merges at height 0 without a word (cut then found
    # one cluster), correlation raised numpy's "zero-size array to reduction operation
    # maximum which has no identity", and tl.consensus a RuntimeWarning "Mean of empty slice"
    empty = ad.AnnData(np.empty((planted.n_obs, 0)), obs=planted.obs,
                       var=pd.DataFrame(index=pd.Index([], dtype=object)),
                       obsm={"X_pca": np.zeros((planted.n_obs, 0))})
    refusals = {
        r"tl.hclust: .X has no genes \(24 obs x 0\)": lambda: gx.tl.hclust(
            empty, method=method, metric=metric),
        r"tl.hclust: .obsm\['X_pca'\] has no columns \(24 obs x 0\)": lambda: gx.tl.hclust(
            empty, method=method, metric=metric, use_rep="X_pca"),
        r"tl.consensus: .X has no genes": lambda: gx.tl.consensus(
            empty, method=method, metric=metric, k_range=[2], n_resamples=2),
    }
    for message, call in refusals.items():
        with pytest.raises(ValueError, match=message):
            call()
    assert not {"hclust", "consensus"} & set(empty.uns)


def test_distances_that_overflow_are_named_not_left_to_scipy(planted):
    # before: scipy's "The condensed distance matrix must contain only finite values."
    planted.X[3, 5] = 1.5e308
    with pytest.raises(ValueError, match=r"^tl\.hclust: sample 's3' has values too large for "
                                         r"euclidean distances in float64 \(up to 1\.5e\+308\): "
                                         r"the distances overflow\. These are not missing "
                                         r"values"):
        gx.tl.hclust(planted)


@pytest.mark.parametrize(("method", "metric"), [("ward", "euclidean"), ("average", "cityblock"),
                                                ("average", "correlation"),
                                                ("complete", "cosine")])
def test_tiny_values_give_the_tree_of_the_values_scaled_up(planted, method, metric):
    # pdist squared values near 1e-170 to 0 (underflow): a ward tree of 29 merges all at
    # height 0 and correlation refused as "values too large", where the engines of more than
    # 2,000 samples, which scale, gave the right tree
    gx.pp.scale(planted)  # z-scores: centred rows, as correlation centres them
    tiny = planted.copy()
    tiny.X = planted.X * 2.0**-570  # ~2.6e-172: exact, so the trees must agree to the bit
    for adata in (planted, tiny):
        gx.tl.hclust(adata, method=method, metric=metric)
        gx.tl.cut(adata, n_clusters=3)
    Z, Z_tiny = planted.uns["hclust"]["linkage"], tiny.uns["hclust"]["linkage"]
    np.testing.assert_array_equal(Z_tiny[:, [0, 1, 3]], Z[:, [0, 1, 3]])
    scale = 2.0**-570 if metric in ("euclidean", "cityblock") else 1.0
    np.testing.assert_array_equal(Z_tiny[:, 2], Z[:, 2] * scale)
    assert Z_tiny[-1, 2] > 0
    assert tiny.obs["cluster"].tolist() == planted.obs["cluster"].tolist()
    assert tiny.uns["hclust"]["cophenetic_correlation"] == pytest.approx(
        planted.uns["hclust"]["cophenetic_correlation"], rel=1e-12)
