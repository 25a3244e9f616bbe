"""Multiscale bootstrap (pvclust's AU/BP): R agreement, planted structure, noise, backends."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, norm

import gexclust as gx
from gexclust.tl._bootstrap_kernel import leaf_hashes, node_hashes
from gexclust.tl._multiscale import fit_nodes
from tests.conftest import shared_file

DATA = Path(__file__).parent / "data"


def _pvclust_reference():
    edges = pd.read_csv(DATA / "pvclust_lung.csv")
    meta = dict(line.split("=") for line in (DATA / "pvclust_lung_meta.txt").read_text().split())
    r = np.array(meta["r"].split(","), dtype=float)
    counts = edges[[f"r{j}" for j in range(1, len(r) + 1)]].to_numpy()
    return edges, r, counts, int(meta["nboot"])


def _lung() -> ad.AnnData:
    frame = pd.read_csv(shared_file("real/lung_pvclust.csv.gz"), index_col=0)
    genes = frame.drop(columns="type")
    genes = genes.loc[:, genes.notna().all()]  # pvclust's lung[complete.cases(lung), ]
    assert genes.shape == (73, 250)
    return ad.AnnData(
        genes.to_numpy(dtype=float),
        obs=pd.DataFrame({"type": frame["type"]}, index=frame.index),
        var=pd.DataFrame(index=genes.columns),
    )


def _rows_of_members(adata: ad.AnnData, members: pd.Series) -> np.ndarray:
    """Linkage row of each node given by its member names (-1 when the tree lacks it)."""
    names = list(adata.obs_names)
    codes = leaf_hashes(len(names))
    row_of = {c: i for i, c in enumerate(node_hashes(adata.uns["hclust"]["linkage"], codes))}
    rows = []
    for text in members:
        code = sum(codes[names.index(name)] for name in text.split(";")) & ((1 << 64) - 1)
        rows.append(row_of.get(code, -1))
    return np.array(rows)


def test_multiscale_fit_equals_pvclust_msfit():
    """Given pvclust's own counts, the fit reproduces every AU/BP/SI and SE to rounding."""
    edges, r, counts, nboot = _pvclust_reference()
    fitted = fit_nodes(counts, r, np.full(len(r), float(nboot)))
    for name in ("au", "bp", "si", "se_au", "se_bp", "se_si", "v", "c", "pchi"):
        np.testing.assert_allclose(fitted[name], edges[name.replace("_", ".")], atol=1e-12)


def test_lung_au_agrees_with_pvclust_within_sampling_error():
    """Our AU and pvclust's, both from 1,000 replicates, differ by no more than their noise.

    z = (ours - R) / hypot(both SEs) is about N(0, 1) per fitted node when the two agree, so
    with m fitted nodes and a family-wise 1% level: the largest |z| stays below the Bonferroni
    bound, and the count of |z| > 2 below the 99% binomial quantile. Figures (lung, 61 nodes):
    16 seeds gave a largest |z| of 1.8-3.0 and 0-6 nodes beyond 2; pvclust against itself
    (iseed 7) 2.73 and 2. At 200 replicates the AU is not yet normal (31 seeds: 5 had a
    largest |z| above 3.5, up to 4.47, each time at another node), so 1,000, as R's.
    """
    adata = _lung()
    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.bootstrap(adata, n_boot=1000, random_state=1, progress=False)
    support = adata.uns["hclust"]["support"]
    np.testing.assert_allclose(support["r"], np.round(np.arange(0.5, 1.41, 0.1), 1))
    edges, *_ = _pvclust_reference()
    rows = _rows_of_members(adata, edges["members"])
    assert (rows >= 0).all(), "every pvclust edge is a node of our tree (same tree as R)"
    diff = support["au"][rows] - edges["au"].to_numpy()
    se = np.hypot(support["se_au"][rows], edges["se.au"].to_numpy())
    fitted = se > 0
    z = diff[fitted] / se[fitted]
    m, alpha = len(z), 0.01
    assert m >= 55
    assert np.abs(z).max() < norm.isf(alpha / (2 * m)), np.sort(np.abs(z))[-5:]  # 3.77 at 61
    beyond_two = binom.isf(alpha, m, 2 * norm.sf(2.0))  # 7 of 61 (2.8 expected)
    assert (np.abs(z) > 2).sum() <= beyond_two, np.sort(np.abs(z))[-8:]
    assert np.abs(diff[~fitted]).max() < 0.05  # nodes present in (nearly) every replicate
    # raw bootstrap probability at r = 1: two binomial counts of 1,000, SE at most
    # sqrt(2 * 0.25 / 1000) = 0.022, Bonferroni over the nodes as above
    bp_r1 = support["counts"][rows, 5] / 1000 - edges["r6"].to_numpy() / 1000
    assert np.abs(bp_r1).max() < norm.isf(alpha / (2 * len(rows))) * np.sqrt(0.5 / 1000)


def _planted(seed: int, shift: float = 1.6) -> ad.AnnData:
    """Three groups of 8 samples over 150 noisy genes; each group lifts its own 15 genes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(24, 150))
    groups = np.repeat(np.arange(3), 8)
    for g in range(3):
        X[groups == g, 15 * g : 15 * g + 15] += shift
    return ad.AnnData(X, obs=pd.DataFrame({"type": pd.Categorical(groups.astype(str))},
                                          index=[f"s{i}" for i in range(24)]))


def _node_members(Z: np.ndarray) -> list[frozenset]:
    n = len(Z) + 1
    sets: list[frozenset] = [frozenset([i]) for i in range(n)]
    for left, right in Z[:, :2].astype(int):
        sets.append(sets[left] | sets[right])
    return sets[n:]


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_groups_are_supported_and_noise_is_not(seed):
    adata = _planted(seed)
    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.bootstrap(adata, n_boot=200, random_state=seed, progress=False)
    au = adata.uns["hclust"]["support"]["au"]
    members = _node_members(adata.uns["hclust"]["linkage"])
    for g in "012":
        group = frozenset(np.flatnonzero(adata.obs["type"] == g))
        assert group in members, "the planted group is a branch"
        assert au[members.index(group)] >= 0.95

    noise = ad.AnnData(np.random.default_rng(100 + seed).normal(size=(24, 150)))
    gx.tl.hclust(noise, method="average", metric="correlation")
    gx.tl.bootstrap(noise, n_boot=200, random_state=seed, progress=False)
    au_noise = noise.uns["hclust"]["support"]["au"][:-1]  # the root is always there
    # 22 non-root nodes at a 5% level: chance allows about one; the planted tree has >= 3
    assert (au_noise >= 0.95).sum() <= 3


def test_support_layout_and_seed_reproducibility():
    adata = _planted(3)
    gx.tl.hclust(adata, method="complete", metric="euclidean")
    first = gx.tl.bootstrap(adata, n_boot=60, random_state=7, progress=False, copy=True)
    support = first.uns["hclust"]["support"]
    n_nodes = adata.n_obs - 1
    for name in ("au", "bp", "si", "se_au", "se_bp", "se_si", "v", "c", "pchi"):
        assert support[name].shape == (n_nodes,)
    assert support["counts"].shape == (n_nodes, 10)
    assert (support["counts"][-1] == 60).all()  # the root is in every replicate
    assert "support" not in adata.uns["hclust"]  # copy=True left the input alone
    again = gx.tl.bootstrap(adata, n_boot=60, random_state=7, progress=False, copy=True)
    np.testing.assert_array_equal(again.uns["hclust"]["support"]["counts"], support["counts"])
    other = gx.tl.bootstrap(adata, n_boot=60, random_state=8, progress=False, copy=True)
    assert not np.array_equal(other.uns["hclust"]["support"]["counts"], support["counts"])


def test_local_processes_give_identical_numbers():
    adata = _planted(4)
    gx.tl.hclust(adata, method="average", metric="correlation")
    serial = gx.tl.bootstrap(adata, n_boot=40, random_state=3, progress=False, copy=True)
    parallel = gx.tl.bootstrap(adata, n_boot=40, random_state=3, n_jobs=2, progress=False,
                               copy=True)
    for name in ("counts", "au", "se_au"):
        np.testing.assert_array_equal(
            parallel.uns["hclust"]["support"][name], serial.uns["hclust"]["support"][name]
        )


def test_reordered_samples_keep_support_and_subset_is_refused():
    adata = _planted(5)
    gx.tl.hclust(adata, method="average", metric="correlation")
    reference = gx.tl.bootstrap(adata, n_boot=40, random_state=2, progress=False, copy=True)
    shuffled = adata[np.random.default_rng(0).permutation(adata.n_obs)].copy()
    gx.tl.bootstrap(shuffled, n_boot=40, random_state=2, progress=False)
    np.testing.assert_array_equal(
        shuffled.uns["hclust"]["support"]["counts"], reference.uns["hclust"]["support"]["counts"]
    )
    with pytest.raises(ValueError, match=r"rerun gexclust\.tl\.hclust"):
        gx.tl.bootstrap(adata[:20].copy(), n_boot=10, progress=False)


def test_the_same_genes_in_another_order_give_the_same_support():
    """Before: genes were drawn by column position, so the same data with their genes
    shuffled gave other counts for the same seed (up to 89 of 1,000 apart on one node).
    Now they are drawn over the genes sorted by name; a gene tree likewise over the samples."""
    adata = _planted(5)
    gx.tl.hclust(adata, method="average", metric="correlation")
    shuffled = adata[:, np.random.default_rng(0).permutation(adata.n_vars)].copy()
    for data in (adata, shuffled):
        gx.tl.bootstrap(data, n_boot=40, random_state=2, progress=False)
    np.testing.assert_array_equal(
        shuffled.uns["hclust"]["support"]["counts"], adata.uns["hclust"]["support"]["counts"]
    )
    genes = adata[:, :30].copy()
    gx.tl.hclust(genes, axis="var", method="average", metric="correlation", key_added="g")
    other = genes[np.random.default_rng(1).permutation(genes.n_obs)].copy()
    for data in (genes, other):
        gx.tl.bootstrap(data, key="g", n_boot=30, random_state=2, progress=False)
    np.testing.assert_array_equal(other.uns["g"]["support"]["counts"],
                                  genes.uns["g"]["support"]["counts"])


def test_bad_arguments_are_refused():
    adata = _planted(6)
    with pytest.raises(KeyError, match="no tree"):
        gx.tl.bootstrap(adata, progress=False)
    gx.tl.hclust(adata)
    with pytest.raises(ValueError, match="n_boot"):
        gx.tl.bootstrap(adata, n_boot=0, progress=False)
    with pytest.raises(ValueError, match="3 distinct replicate sizes"):
        gx.tl.bootstrap(adata, scales=(1.0,), progress=False)
    with pytest.raises(ValueError, match="random_state must be a non-negative integer"):
        gx.tl.bootstrap(adata, random_state=-1, progress=False)
    with pytest.raises(ValueError, match="n_jobs"):
        gx.tl.bootstrap(adata, n_jobs=0, progress=False)


def test_dask_cluster_gives_the_local_numbers(dask_client):
    """Two real worker processes on a LocalCluster: same counts, AU and SE as in-process."""
    adata = _planted(7)
    gx.tl.hclust(adata, method="average", metric="correlation")
    local = gx.tl.bootstrap(adata, n_boot=60, random_state=11, progress=False, copy=True)
    remote = gx.tl.bootstrap(adata, n_boot=60, random_state=11, client=dask_client, progress=False,
                             copy=True)
    assert len(dask_client.scheduler_info()["workers"]) == 2
    for name in ("counts", "au", "bp", "se_au"):
        np.testing.assert_array_equal(
            remote.uns["hclust"]["support"][name], local.uns["hclust"]["support"][name]
        )


def test_bootstrap_of_a_view_leaves_the_parent_alone():
    # before: the support went into the tree record the view shares with its parent
    adata = _planted(6)
    gx.tl.hclust(adata, method="average", metric="correlation")
    view = adata[np.random.default_rng(1).permutation(adata.n_obs)]
    gx.tl.bootstrap(view, n_boot=10, random_state=0, progress=False)
    assert "support" in view.uns["hclust"]
    assert "support" not in adata.uns["hclust"]


def test_resampling_principal_components_is_warned_about(caplog):
    # before: a tree on use_rep='X_pca' had its components resampled as if they were genes
    # without a word; on 120 pbmc68k_reduced cells 35 of 119 nodes got AU >= 0.95
    import logging

    rng = np.random.default_rng(3)
    adata = ad.AnnData(rng.normal(size=(30, 40)))
    adata.obsm["X_pca"] = rng.normal(size=(30, 8))
    gx.tl.hclust(adata, use_rep="X_pca", method="average", metric="euclidean")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.tl.bootstrap(adata, n_boot=20, progress=False)
        assert "bootstrap: resampling the columns of .obsm['X_pca'] as if they were genes" in (
            caplog.text)
        caplog.clear()
        gx.tl.consensus(adata, use_rep="X_pca", k_range=range(2, 4), n_resamples=10,
                        feature_fraction=0.8, progress=False)
        assert "consensus: resampling the columns of .obsm['X_pca']" in caplog.text
        caplog.clear()
        # all components in every resample (feature_fraction=1), and trees built on genes:
        # nothing is resampled as a gene that is not one
        gx.tl.consensus(adata, use_rep="X_pca", k_range=range(2, 4), n_resamples=10,
                        progress=False, key_added="whole")
        gx.tl.hclust(adata, method="average", metric="euclidean", key_added="genes_tree")
        gx.tl.bootstrap(adata, key="genes_tree", n_boot=20, progress=False)
    assert "resampling the columns" not in caplog.text


def test_seed_is_the_former_name_of_random_state():
    """``seed=`` (before scanpy's name) gives the same numbers, with a FutureWarning."""
    adata = _planted(3)
    gx.tl.hclust(adata, method="complete", metric="euclidean")
    named = gx.tl.bootstrap(adata, n_boot=30, random_state=7, progress=False, copy=True)
    with pytest.warns(FutureWarning, match="tl.bootstrap: seed= is now called") as caught:
        former = gx.tl.bootstrap(adata, n_boot=30, seed=7, progress=False, copy=True)
    assert caught[0].filename == __file__  # the warning points at the caller's line
    np.testing.assert_array_equal(former.uns["hclust"]["support"]["counts"],
                                  named.uns["hclust"]["support"]["counts"])
    assert named.uns["hclust"]["support"]["params"]["random_state"] == 7
    with pytest.raises(TypeError, match=r"tl.bootstrap\(\) got both seed= and random_state="):
        gx.tl.bootstrap(adata, seed=1, random_state=1, progress=False)
