"""Trees are matched to the samples by name: reordering is harmless, subsetting is refused."""

from __future__ import annotations

import re

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust.pl._clustermap import clustermap_spec
from gexclust.pl._dendrogram import dendrogram_spec
from gexclust.tl._tree_access import get_tree


@pytest.fixture(scope="module")
def pbmc():
    import scanpy as sc

    adata = sc.datasets.pbmc68k_reduced()  # bundled with scanpy: no network
    gx.tl.hclust(adata, use_rep="X_pca")
    gx.tl.cut(adata, n_clusters=10)
    return adata


def test_permuted_pbmc68k_keeps_every_cells_cluster(pbmc):
    perm = np.random.default_rng(0).permutation(pbmc.n_obs)
    shuffled = pbmc[perm].copy()
    gx.tl.cut(shuffled, n_clusters=10)
    before = pbmc.obs["cluster"].loc[shuffled.obs_names]
    assert (shuffled.obs["cluster"].to_numpy() == before.to_numpy()).all()
    assert shuffled.uns["cluster"]["threshold"] == pbmc.uns["cluster"]["threshold"]


def test_permuted_plots_show_the_same_tree(pbmc):
    perm = np.random.default_rng(1).permutation(pbmc.n_obs)
    shuffled = pbmc[perm].copy()
    ours = dendrogram_spec(shuffled, color="bulk_labels")
    reference = dendrogram_spec(pbmc, color="bulk_labels")
    assert ours.leaf_labels == reference.leaf_labels
    assert ours.leaf_colours == reference.leaf_colours
    np.testing.assert_array_equal(ours.branch_groups, reference.branch_groups)
    for a, b in zip(ours.bars, reference.bars, strict=True):
        np.testing.assert_array_equal(a.codes, b.codes)
    map_ours = clustermap_spec(shuffled, n_genes=10, color="bulk_labels")
    map_ref = clustermap_spec(pbmc, n_genes=10, color="bulk_labels")
    assert map_ours.sample_labels == map_ref.sample_labels
    np.testing.assert_allclose(map_ours.values, map_ref.values, atol=1e-5)  # float32 sums


def test_subset_is_refused_with_a_clear_message(pbmc):
    subset = pbmc[:300].copy()
    rerun = r"rerun gexclust.tl.hclust"
    with pytest.raises(ValueError, match=rf"400 of its 700 leaves are not in obs_names.*{rerun}"):
        gx.tl.cut(subset, n_clusters=3)
    with pytest.raises(ValueError, match=rerun):
        dendrogram_spec(subset)
    with pytest.raises(ValueError, match=rerun):
        clustermap_spec(subset)
    gx.tl.hclust(subset, use_rep="X_pca")  # the advice works
    gx.tl.cut(subset, n_clusters=3)
    assert subset.obs["cluster"].nunique() == 3


def test_renamed_or_extra_samples_are_refused(planted):
    gx.tl.hclust(planted)
    renamed = planted.copy()
    renamed.obs_names = [f"x{i}" for i in range(renamed.n_obs)]
    with pytest.raises(ValueError, match="24 of its 24 leaves are not in obs_names"):
        gx.tl.cut(renamed, n_clusters=2)
    import anndata as ad

    new = planted[:2].copy()
    new.obs_names = ["new1", "new2"]
    extra = ad.concat([planted, new], uns_merge="first")
    with pytest.raises(ValueError, match="2 obs are not in the tree"):
        gx.tl.cut(extra, n_clusters=2)


@pytest.mark.filterwarnings("ignore:Observation names are not unique")
def test_duplicate_names_cannot_be_matched(planted):
    planted.obs_names = ["a", "a", *planted.obs_names[2:]]
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=2)  # same order: fine
    with pytest.raises(ValueError, match="not unique"):
        gx.tl.cut(planted[::-1].copy(), n_clusters=2)


@pytest.mark.filterwarnings("ignore:Observation names are not unique")
def test_namesakes_that_swapped_places_are_not_given_each_others_clusters():
    # before: two replicates both named 'ctrl', one in each group, swapped places after the
    # tree was built; the names still read 'ctrl', 's1', ... in the same sequence, so each
    # was matched to the other's leaf: tl.cut gave the 'ctrl' now first (row mean 6.1, of the
    # high group) the low group's cluster '2', and the other the high group's '1'
    rng = np.random.default_rng(0)
    adata = ad.AnnData(np.vstack([rng.normal(0, 1, (5, 20)), rng.normal(6, 1, (5, 20))]))
    adata.obs_names = ["ctrl", "s1", "s2", "s3", "s4", "ctrl", "t1", "t2", "t3", "t4"]
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=2)  # nothing moved: matched in place
    assert adata.obs["cluster"].tolist() == ["2"] * 5 + ["1"] * 5
    swapped = adata[[5, 1, 2, 3, 4, 0, 6, 7, 8, 9]].copy()
    assert swapped.X[0].mean() > 5  # the high group's 'ctrl' is first now
    with pytest.raises(ValueError, match=r"^tl\.cut: the obs_names are not unique, and the values "
                       r"in their order are not those \.uns\['hclust'\] was built on"):
        gx.tl.cut(swapped, n_clusters=2, key_added="again")
    assert "again" not in swapped.obs
    same = adata[list(range(10))].copy()  # the same order, copied: still matched in place
    gx.tl.cut(same, n_clusters=2, key_added="again")
    assert same.obs["again"].tolist() == ["2"] * 5 + ["1"] * 5


def test_gene_tree_follows_var_order(planted):
    gx.tl.hclust(planted, axis="var", method="average", metric="correlation")
    gx.tl.cut(planted, n_clusters=4)
    reordered = planted[:, ::-1].copy()
    gx.tl.cut(reordered, n_clusters=4)
    pd.testing.assert_series_equal(reordered.var["cluster"],
                                   planted.var["cluster"].loc[reordered.var_names])
    with pytest.raises(ValueError, match="is a gene tree"):
        get_tree(planted, axis="obs")


def test_tree_survives_h5ad_round_trip(planted, tmp_path):
    import anndata as ad

    gx.tl.hclust(planted)
    planted.write_h5ad(tmp_path / "a.h5ad")
    back = ad.read_h5ad(tmp_path / "a.h5ad")[::-1].copy()
    tree = get_tree(back)
    assert back.obs_names[tree.rows].tolist() == planted.obs_names.tolist()


def test_tools_refuse_values_changed_since_the_tree_was_built(planted, tmp_path):
    # before: after pp.scale on a tree of unscaled data, choose_k scored the old tree's cuts
    # on the new distances (best silhouette 0.92 became 0.56) and bootstrap counted its nodes
    # in replicates of other data, without a word
    import anndata as ad

    gx.tl.hclust(planted, method="average", metric="correlation")
    reordered = planted[np.random.default_rng(0).permutation(planted.n_obs), ::-1].copy()
    back = tmp_path / "a.h5ad"
    planted.write_h5ad(back)
    single = planted.copy()
    single.X = single.X.astype(np.float32)
    expected = gx.tl.choose_k(planted, k_range=range(2, 5), inplace=False)["scores"]
    for same in (reordered, ad.read_h5ad(back), single):  # same values: accepted
        scores = gx.tl.choose_k(same, k_range=range(2, 5), inplace=False)["scores"]
        np.testing.assert_allclose(scores["silhouette"], expected["silhouette"], rtol=1e-5)
    changed = planted.copy()
    gx.pp.scale(changed)
    for tool in (lambda a: gx.tl.choose_k(a, k_range=range(2, 5)),
                 lambda a: gx.tl.bootstrap(a, n_boot=10, progress=False),
                 lambda a: gx.tl.cut(a, method="dynamic")):
        with pytest.raises(ValueError, match=r"the values of \.X changed since tl\.hclust built the tree in \.uns\['hclust'\].*rerun gexclust\.tl\.hclust"):  # noqa: E501
            tool(changed)
    gx.tl.hclust(changed, method="average", metric="correlation")
    gx.tl.choose_k(changed, k_range=range(2, 5))  # rebuilt: fine


def test_a_tree_whose_labels_do_not_count_its_leaves_is_refused(planted):
    """A record whose labels were cut short (edited, or taken from another tree) is not
    matched by position: the counts are named."""
    gx.tl.hclust(planted)
    planted.uns["hclust"]["labels"] = planted.uns["hclust"]["labels"][:-1]
    with pytest.raises(ValueError, match=r"^tl\.cut: \.uns\['hclust'\] has 23 labels for 24 "
                       r"leaves; rerun gexclust\.tl\.hclust on this AnnData "
                       r"\(key_added='hclust'\)$"):
        gx.tl.cut(planted, n_clusters=2)


def test_a_tree_stored_by_hand_is_cut_and_drawn_and_what_needs_its_method_says_so(planted):
    """scipy's linkage stored with its leaves and labels (no ``params``), as a user may store it.

    Before: the cut and the exports worked, but pl.dendrogram, tl.choose_k, tl.bootstrap and
    the hybrid dynamic cut failed with a bare ``KeyError: 'method'`` (or ``'metric'``)."""
    from scipy.cluster import hierarchy

    Z = hierarchy.linkage(planted.X, "average", metric="correlation")
    planted.uns["hclust"] = {"linkage": Z, "leaves": hierarchy.leaves_list(Z),
                             "labels": planted.obs_names.to_numpy()}
    gx.tl.cut(planted, n_clusters=2)
    gx.tl.cut(planted, method="dynamic", variant="tree", key_added="dynamic")  # the tree alone
    spec = dendrogram_spec(planted)
    assert spec.ylabel == "height"  # nothing to say which linkage and distance
    assert spec.leaf_labels == planted.obs_names[hierarchy.leaves_list(Z)].tolist()
    rerun = (r"; rerun gexclust\.tl\.hclust\(adata, key_added='hclust'\) with the "
             r"(method|metric) wanted$")
    for name, tool in (
        ("tl.choose_k", lambda a: gx.tl.choose_k(a, k_range=range(2, 4), progress=False)),
        ("tl.bootstrap", lambda a: gx.tl.bootstrap(a, n_boot=10, progress=False)),
        ("tl.cut", lambda a: gx.tl.cut(a, method="dynamic", key_added="hybrid")),
    ):
        with pytest.raises(ValueError, match=rf"^{name}: \.uns\['hclust'\] does not record the "
                           rf"(method|metric) its tree was built with.*{rerun}"):
            tool(planted)
    assert "hybrid" not in planted.obs
    assert "choose_k" not in planted.uns


KEY_ADDED_CALLS = {
    "pp.select_variable": lambda adata, key: gx.pp.select_variable(adata, n_top=10,
                                                                    key_added=key),
    "tl.hclust": lambda adata, key: gx.tl.hclust(adata, key_added=key),
    "tl.cut": lambda adata, key: gx.tl.cut(adata, n_clusters=3, key_added=key),
    "tl.markers": lambda adata, key: gx.tl.markers(adata, key_added=key),
    "tl.compare": lambda adata, key: gx.tl.compare(adata, reference="type",
                                                   clusters="cluster", key_added=key),
    "tl.choose_k": lambda adata, key: gx.tl.choose_k(adata, progress=False, key_added=key),
    "tl.consensus": lambda adata, key: gx.tl.consensus(adata, n_resamples=5, progress=False,
                                                       key_added=key),
}


@pytest.mark.parametrize("caller", list(KEY_ADDED_CALLS))
@pytest.mark.parametrize(("key", "problem"), [
    ("", "key_added='' is empty or blank; give the name the result is stored under"),
    ("  ", "key_added='  ' is empty or blank; give the name the result is stored under"),
    (3, "key_added must be a text (the name the result is stored under), got 3"),
    (None, "key_added must be a text (the name the result is stored under), got None"),
    # anndata's FutureWarning: "Forward slashes will be disallowed in h5 stores"
    ("ward/euclidean", "key_added='ward/euclidean' holds '/', which .h5ad files cannot store "
     "(a path separator there); use another name, e.g. 'ward_euclidean'"),
])
def test_every_tool_refuses_an_empty_or_non_text_key_added_before_writing(planted, caller,
                                                                         key, problem):
    """Before: tl.hclust(adata, key_added='') stored the tree under .uns[''] (tl.cut, choose_k,
    consensus, markers, pp.select_variable the same; key_added=3 under .uns[3]) without a
    word, and tl.compare took '' for its default key."""
    if caller == "tl.compare" and key is None:
        pytest.skip("key_added=None is tl.compare's default: f'compare_{reference}_{clusters}'")
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    before = (set(planted.uns), set(planted.obs), set(planted.var))
    error = ValueError if isinstance(key, str) else TypeError  # empty, or no text at all
    with pytest.raises(error, match="^" + re.escape(f"{caller}: {problem}")):
        KEY_ADDED_CALLS[caller](planted, key)
    assert (set(planted.uns), set(planted.obs), set(planted.var)) == before
