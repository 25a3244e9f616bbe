"""The recipes behind ``gexclust run`` on the built-in example: planted groups, seed script."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import gexclust as gx
from gexclust._pipeline import RunConfig, cluster_samples


def test_default_recipe_recovers_planted_classes(example):
    cluster_samples(example, RunConfig(n_clusters=5))
    result = example.uns["compare_type_cluster"]
    assert result["ari"] == pytest.approx(1.0)
    assert example.n_vars == 1000
    assert example.uns["highly_variable"]["flavor"] == "mad"
    np.testing.assert_allclose(example.X.mean(axis=0), 0.0, atol=1e-9)  # centred, not scaled
    assert example.X.std(axis=0).max() > 1.5
    assert example.uns["log2"]["applied"] is False  # already log2, left alone


def test_default_recipe_chooses_k_and_says_why(example):
    cluster_samples(example, RunConfig())
    chosen = example.uns["choose_k"]
    assert example.uns["run"]["n_clusters"] == "auto"
    assert example.uns["run"]["n_clusters_cut"] == chosen["k"] == 4
    assert chosen["strong"]
    assert chosen["message"].startswith("k=4 (highest mean silhouette)")
    assert example.obs["cluster"].nunique() == 4


def test_zscore_scaling_option(example):
    cluster_samples(example, RunConfig(n_clusters=5, scaling="zscore", flavor="variance"))
    np.testing.assert_allclose(example.X.std(axis=0, ddof=1), 1.0)
    assert example.uns["compare_type_cluster"]["ari"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="scaling"):
        cluster_samples(gx.datasets.gse9476_example(), RunConfig(scaling="minmax"))


def test_default_k4_merges_the_two_cd34_populations(example):
    cluster_samples(example, RunConfig(n_clusters=4))
    table = example.uns["compare_type_cluster"]["crosstab"]
    assert example.uns["compare_type_cluster"]["ari"] == pytest.approx(0.8976, abs=1e-4)
    cd34 = table.loc[["Bone_Marrow_CD34", "PBSC_CD34"]]
    assert (cd34.to_numpy() > 0).sum() == 2  # both in one and the same cluster
    assert cd34.columns[cd34.sum() > 0].tolist() == [cd34.columns[cd34.sum() > 0][0]]
    assert (table.max(axis=1) == table.sum(axis=1)).all()  # no class is split


def test_seed_recipe_is_the_original_script(example):
    X = example.X.copy()
    cluster_samples(example, RunConfig(recipe="seed", n_top_genes=None))
    assert example.uns["run"]["n_clusters"] == 4  # the seed recipe keeps the script's k
    assert "choose_k" not in example.uns
    reference = fcluster(linkage(StandardScaler().fit_transform(X), "ward"), 4, "maxclust")
    assert adjusted_rand_score(reference, example.obs["cluster"]) == 1.0
    np.testing.assert_allclose(
        example.uns["hclust"]["linkage"][:, 2],
        linkage(StandardScaler().fit_transform(X), "ward")[:, 2],
        rtol=1e-9,
    )
    # on arrays, z-scoring all probes lets the unexpressed ones bury the biology
    assert example.uns["compare_type_cluster"]["ari"] < 0.5


def test_select_then_cluster_is_stable_across_seeds():
    aris = []
    for seed in range(3):
        adata = gx.datasets.gse9476_example(random_state=seed)
        cluster_samples(adata, RunConfig(n_clusters=5))
        aris.append(adata.uns["compare_type_cluster"]["ari"])
    assert min(aris) > 0.8


def test_default_recipe_copies_only_the_selected_genes():
    # before: .layers['expression'] was a copy of every probe, made before the selection
    # dropped all but 1,000: a second whole matrix at the selection's peak (the recipe
    # peaked at 1.5 GB on a 2,000 x 22,283 CSV whose matrix is 356 MB)
    import tracemalloc

    import anndata as ad

    rng = np.random.default_rng(2)
    X = rng.normal(8.0, 1.0, size=(40, 60_000)) * rng.uniform(0.2, 1.5, size=60_000)
    X[:20, :50] += 4.0  # two groups
    adata = ad.AnnData(X.copy())
    gx.pp.center(ad.AnnData(X[:2, :2].copy()))  # imports before measuring
    tracemalloc.start()
    try:
        cluster_samples(adata, RunConfig(n_clusters=2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    selected = adata.var_names.astype(int)
    assert adata.n_vars == 1000
    np.testing.assert_array_equal(adata.layers["expression"], X[:, selected])
    assert adata.obs["cluster"].tolist() == ["1"] * 20 + ["2"] * 20
    # the one temporary the selection needs (numpy's variance, then the MAD's deviations)
    assert peak < 1.5 * X.nbytes, (peak, X.nbytes)
