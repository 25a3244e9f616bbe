"""Consensus clustering: planted k found, noise stays ambiguous, R comparison, backends."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import gexclust as gx

DATA = Path(__file__).parent / "data"
CCP = pd.read_csv(DATA / "consensus_ccp.csv")
CCP_SEEDS = pd.read_csv(DATA / "consensus_ccp_seeds.csv")


def _dataset(name: str) -> ad.AnnData:
    frame = pd.read_csv(DATA / f"dynamic_data_{name}.csv", index_col=0)
    return ad.AnnData(frame.to_numpy(), obs=pd.DataFrame(index=frame.index))


def test_planted_groups_recommend_planted_k_as_consensusclusterplus():
    """The five planted groups of make_dynamic_cut.R: CCP's PAC is lowest at k = 5; ours too."""
    adata = _dataset("planted")
    gx.tl.consensus(adata, k_range=range(2, 9), n_resamples=100, random_state=0, progress=False)
    result = adata.uns["consensus"]
    reference = CCP[CCP["dataset"] == "planted"]
    assert result["best_k"] == reference["k"].iloc[reference["pac"].argmin()] == 5
    np.testing.assert_array_equal(result["k"], reference["k"])
    # same curves to resampling error (100 resamples here, 200 in R)
    assert np.abs(result["pac"] - reference["pac"].to_numpy()).max() < 0.1
    assert np.abs(result["area"] - reference["area"].to_numpy()).max() < 0.05
    assert result["pac"][result["k"] == 5][0] < 0.06
    classes = adata.obs["consensus"]
    assert classes.cat.categories.tolist() == ["1", "2", "3", "4", "5"]
    sizes = sorted(classes.value_counts().tolist())
    # the planted group sizes, to one borderline sample (the groups overlap a little)
    assert np.abs(np.array(sizes) - [7, 8, 10, 15, 20]).sum() <= 2
    stability = adata.obs["consensus_stability"]
    assert stability.between(0, 1).all()
    assert stability.median() > 0.9
    matrix = adata.obsp["consensus_k5"]
    assert np.allclose(matrix, matrix.T)
    assert np.allclose(np.diag(matrix), 1.0)
    assert adata.obsm["consensus_classes"].shape == (60, 7)


def test_noise_stays_ambiguous():
    adata = _dataset("noise")
    gx.tl.consensus(adata, k_range=range(2, 9), n_resamples=60, random_state=0, progress=False)
    pac = adata.uns["consensus"]["pac"]
    reference = CCP[CCP["dataset"] == "noise"]["pac"].to_numpy()
    assert pac.min() > 0.2  # no k makes noise reproducible (planted: 0.03)
    assert np.abs(pac - reference).max() < 0.12


@pytest.mark.parametrize("name", ["planted", "noise"])
def test_mean_pac_curve_equals_consensusclusterplus_to_its_standard_error(name):
    """Mean PAC over 10 seeds, ours and ConsensusClusterPlus's, 200 resamples each.

    One run against another can only be compared to the seed-to-seed spread (0.05 at the
    planted set's k = 3); the means of several agree to 0.018 or better at every k, within
    4 standard errors of their difference (make_consensus_ccp_seeds.R). Here the largest |z|
    is 2.0 (noise, k = 7); with 20 other seeds of ours, 1.3.
    """
    runs = []
    for seed in range(10):
        adata = _dataset(name)
        gx.tl.consensus(adata, k_range=range(2, 9), n_resamples=200, random_state=seed,
                        progress=False)
        runs.append(adata.uns["consensus"]["pac"])
    ours = np.array(runs)
    theirs = CCP_SEEDS[CCP_SEEDS["dataset"] == name].pivot(index="seed", columns="k",
                                                            values="pac")
    assert theirs.columns.tolist() == list(range(2, 9))
    se = np.sqrt(theirs.var().to_numpy() / len(theirs) + ours.var(0, ddof=1) / len(ours))
    z = (ours.mean(0) - theirs.mean().to_numpy()) / se
    assert np.abs(z).max() < 4, z
    assert np.abs(ours.mean(0) - theirs.mean().to_numpy()).max() < 0.03


def _small(seed: int) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(18, 40))
    X[:9, :8] += 2.0
    return ad.AnnData(X, obs=pd.DataFrame(index=[f"s{i}" for i in range(18)]))


def test_seed_backends_and_copy_give_identical_numbers(dask_client):
    adata = _small(1)
    kwargs = {"k_range": range(2, 5), "n_resamples": 24, "random_state": 5, "progress": False,
              "feature_fraction": 0.8, "copy": True}
    serial = gx.tl.consensus(adata, **kwargs)
    assert "consensus" not in adata.uns
    processes = gx.tl.consensus(adata, n_jobs=2, **kwargs)
    remote = gx.tl.consensus(adata, client=dask_client, **kwargs)
    for other in (processes, remote):
        for k in (2, 3, 4):
            np.testing.assert_array_equal(other.obsp[f"consensus_k{k}"],
                                          serial.obsp[f"consensus_k{k}"])
        np.testing.assert_array_equal(other.uns["consensus"]["pac"],
                                      serial.uns["consensus"]["pac"])
    different = gx.tl.consensus(adata, **{**kwargs, "random_state": 6})
    assert not np.array_equal(different.obsp["consensus_k3"], serial.obsp["consensus_k3"])


def test_the_same_samples_in_another_order_give_the_same_consensus():
    """Before: resamples were drawn over row positions, so the same 20 noise samples with their
    rows shuffled gave another consensus for the same seed (PAC 0.80, 0.74, 0.56 at k = 2..4
    against 0.77, 0.67, 0.52; matrix entries up to 0.44 apart). Now they are drawn over the
    samples sorted by name."""
    rng = np.random.default_rng(0)
    adata = ad.AnnData(rng.normal(size=(20, 50)),
                       obs=pd.DataFrame(index=[f"s{i}" for i in range(20)]))
    shuffled = adata[rng.permutation(20)].copy()
    kwargs = {"k_range": range(2, 5), "n_resamples": 30, "progress": False}
    gx.tl.consensus(adata, **kwargs)
    gx.tl.consensus(shuffled, **kwargs)
    back = shuffled[adata.obs_names]
    np.testing.assert_array_equal(back.uns["consensus"]["pac"], adata.uns["consensus"]["pac"])
    for k in (2, 3, 4):
        np.testing.assert_array_equal(back.obsp[f"consensus_k{k}"], adata.obsp[f"consensus_k{k}"])
    np.testing.assert_array_equal(back.obsm["consensus_classes"], adata.obsm["consensus_classes"])
    np.testing.assert_array_equal(back.obs["consensus_stability"],
                                  adata.obs["consensus_stability"])
    assert back.obs["consensus"].tolist() == adata.obs["consensus"].tolist()


def test_the_same_genes_in_another_order_give_the_same_consensus():
    """Before: with feature_fraction < 1 the genes of each resample were drawn by column
    position, so shuffling the genes changed the consensus for the same seed."""
    rng = np.random.default_rng(0)
    adata = ad.AnnData(rng.normal(size=(20, 50)),
                       obs=pd.DataFrame(index=[f"s{i}" for i in range(20)]),
                       var=pd.DataFrame(index=[f"g{i}" for i in range(50)]))
    shuffled = adata[:, rng.permutation(50)].copy()
    kwargs = {"k_range": range(2, 4), "n_resamples": 30, "feature_fraction": 0.5,
              "progress": False}
    gx.tl.consensus(adata, **kwargs)
    gx.tl.consensus(shuffled, **kwargs)
    np.testing.assert_array_equal(shuffled.uns["consensus"]["pac"], adata.uns["consensus"]["pac"])
    np.testing.assert_array_equal(shuffled.obsp["consensus_k3"], adata.obsp["consensus_k3"])


def test_consensus_refuses_bad_arguments():
    adata = _small(2)
    with pytest.raises(ValueError, match="k_range"):
        gx.tl.consensus(adata, k_range=[1, 2], progress=False)
    with pytest.raises(ValueError, match="k_range"):
        gx.tl.consensus(adata, k_range=[2, 15], progress=False)  # 14 samples per resample
    with pytest.raises(ValueError, match="sample_fraction"):
        gx.tl.consensus(adata, sample_fraction=0, progress=False)
    with pytest.raises(ValueError, match="n_resamples"):
        gx.tl.consensus(adata, n_resamples=0, progress=False)
    # before: 10**9 resamples (a typo) filled memory with chunk bookkeeping until OOM-killed
    with pytest.raises(ValueError, match=r"n_resamples=1,000,000,000 is more than the 100,000"):
        gx.tl.consensus(adata, n_resamples=10**9, progress=False)
    with pytest.raises(ValueError, match="needs metric='euclidean'"):
        gx.tl.consensus(adata, method="ward", metric="correlation", progress=False)


def test_a_numpy_integer_number_of_resamples_is_taken_as_its_number():
    # before: n_resamples=np.int64(5) (from an array of settings) was refused as "must be a
    # positive integer", where n_boot, n_clusters and n_top take numpy integers
    adata = _dataset("planted")
    gx.tl.consensus(adata, k_range=[2, 3], n_resamples=np.int64(5), progress=False)
    expected = gx.tl.consensus(adata, k_range=[2, 3], n_resamples=5, progress=False, copy=True)
    result = adata.uns["consensus"]
    assert type(result["params"]["n_resamples"]) is int
    assert result["params"]["n_resamples"] == 5
    np.testing.assert_array_equal(result["pac"], expected.uns["consensus"]["pac"])


def test_a_second_run_leaves_no_matrix_of_the_first():
    # before: a rerun with fewer k kept the first run's .obsp['consensus_k4'], ['..._k5']
    adata = _dataset("planted")
    gx.tl.consensus(adata, k_range=range(2, 6), n_resamples=5, progress=False)
    adata.obsp["consensus_kernel"] = adata.obsp["consensus_k2"]  # not ours: kept
    gx.tl.consensus(adata, k_range=range(2, 4), n_resamples=5, progress=False)
    assert sorted(adata.obsp) == ["consensus_k2", "consensus_k3", "consensus_kernel"]


def test_a_resample_with_a_constant_sample_casts_no_vote():
    """Sample 0 varies on genes 0 and 1 only. A resample that draws it with neither gene has
    no correlation for it: the whole resample is skipped (no pair counted as sampled, none as
    together), so the consensus of every pair comes from the resamples that clustered it."""
    from gexclust.tl._consensus_kernel import ConsensusTask, run_chunk
    from gexclust.tl._parallel import replicate_rng
    from gexclust.tl._weighted import prepare

    rng = np.random.default_rng(2)
    X = rng.normal(size=(10, 12))
    X[0, 2:] = 1.5
    task = ConsensusTask(data=prepare(X, "correlation"), method="average", metric="correlation",
                         ks=(2, 3), n_items=8, n_features=4, seed=11)
    together, sampled = run_chunk(range(60), task)
    expected = np.zeros((10, 10), dtype=int)
    skipped = 0
    for resample in range(60):
        draw = replicate_rng(11, resample)
        items = np.sort(draw.choice(10, size=8, replace=False))
        genes = draw.choice(12, size=4, replace=False)
        if 0 in items and not np.isin(genes, [0, 1]).any():
            skipped += 1
            continue
        expected[np.ix_(items, items)] += 1
    assert skipped > 0
    np.testing.assert_array_equal(sampled, expected)
    assert (together <= sampled).all()
    np.testing.assert_array_equal(together[:, np.arange(10), np.arange(10)],
                                  np.broadcast_to(np.diag(expected), (2, 10)))


@pytest.mark.parametrize(("metric", "value"), [("correlation", 7.0), ("spearman", 7.0),
                                               ("cosine", 0.0)])
def test_a_sample_undefined_on_every_gene_is_refused_as_hclust_refuses_it(metric, value):
    """A constant sample has no correlation on any genes, so every resample that drew it was
    skipped: before, on the planted set with sample s01 set constant, the resamples that drew
    it (80% of them) cast no vote, s01 was never clustered (consensus 0 with every sample)
    and was a consensus class of its own at the recommended k = 5, without a warning, where
    tl.hclust refuses it."""
    adata = _dataset("planted")
    adata.X[0] = value
    with pytest.raises(ValueError, match=rf"tl.consensus: sample 's01' .*metric={metric!r}"):
        gx.tl.consensus(adata, metric=metric, k_range=range(2, 6), n_resamples=50,
                        progress=False)
    gx.tl.consensus(adata, metric="euclidean", k_range=range(2, 6), n_resamples=5,
                    progress=False)  # defined for euclidean distances


def test_resamples_left_out_are_announced_with_their_number(caplog):
    """Sample s01 varies on genes 0-1 only, and 4 of 12 genes are drawn per resample: the
    resamples that draw s01 and neither gene have no correlation for it and are left out.
    Before, 11 of the 40 resamples asked for were dropped without a word (tl.bootstrap warns
    of its skipped replicates); now a warning gives the number, recorded in params too."""
    from gexclust.tl._parallel import replicate_rng

    rng = np.random.default_rng(2)
    X = rng.normal(size=(10, 12))
    X[0, 2:] = 1.5
    adata = ad.AnnData(X, obs=pd.DataFrame(index=[f"s{i:02d}" for i in range(1, 11)]),
                       var=pd.DataFrame(index=[f"g{j:02d}" for j in range(12)]))
    skipped = 0
    for resample in range(40):
        draw = replicate_rng(11, resample)
        items = np.sort(draw.choice(10, size=8, replace=False))
        genes = draw.choice(12, size=4, replace=False)
        skipped += bool(0 in items and not np.isin(genes, [0, 1]).any())
    assert skipped == 11
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.tl.consensus(adata, k_range=[2, 3], n_resamples=40, feature_fraction=4 / 12,
                        random_state=11, progress=False)
    assert ("consensus: 11 of the 40 resamples were left out: a sample was constant on the "
            "genes drawn" in caplog.text)
    assert adata.uns["consensus"]["params"]["n_left_out"] == 11


def test_no_resample_clustered_is_refused_not_scored_as_perfectly_stable():
    """Two components drawn one at a time (feature_fraction=0.5 of use_rep='X_pca' with 2
    columns): one value per sample has no correlation, so every resample was left out. Before,
    the warning said the consensus 'rests on 0' and the result was stored anyway, with PAC 0
    at every k (perfectly stable) and best_k 3. Now it is refused, saying what to change."""
    rng = np.random.default_rng(2)
    adata = ad.AnnData(rng.normal(size=(10, 12)),
                       obs=pd.DataFrame(index=[f"s{i:02d}" for i in range(1, 11)]))
    adata.obsm["X_pca"] = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match=r"^tl.consensus: none of the 20 resamples could be "
                       r"clustered: .*feature_fraction"):
        gx.tl.consensus(adata, use_rep="X_pca", k_range=[2, 3], n_resamples=20,
                        feature_fraction=0.5, random_state=11, progress=False)
    assert "consensus" not in adata.uns


def test_a_k_range_too_wide_names_the_caller_and_only_the_ks_beyond():
    # range(2, 70) on 64 samples (51 per resample) printed all 68 numbers of the range,
    # '[2, 3, 4, ..., 69]', without saying which were wrong or what refused them
    adata = _small(2)  # 14 samples per resample
    with pytest.raises(ValueError, match="k_range") as info:
        gx.tl.consensus(adata, k_range=range(2, 70), progress=False)
    assert info.value.args[0] == (
        "tl.consensus: k_range must hold numbers of clusters between 2 and 14 (the samples "
        "drawn per resample); 55 of them are not: 15, 16, 17, ..., 69")
    with pytest.raises(ValueError, match="k_range") as info:
        gx.tl.consensus(adata, k_range=[1, 3], progress=False)
    assert info.value.args[0].endswith("per resample); 1 of them is not: 1")


def test_a_fraction_that_draws_too_few_samples_says_which_fractions_do():
    # sample_fraction=0.01 of 12 samples draws 0: the message was "k_range must hold numbers of
    # clusters between 2 and 0", blaming k_range with a range nothing is in
    adata = _small(2)[:12].copy()
    with pytest.raises(ValueError, match="sample_fraction") as info:
        gx.tl.consensus(adata, sample_fraction=0.01, progress=False)
    assert info.value.args[0] == (
        "tl.consensus: sample_fraction=0.01 draws 0 of the 12 samples per resample, too few to "
        "cluster; use sample_fraction between 0.834 and 1 (to draw at least 10 of the 12 "
        "samples per resample, as k = 10 needs)")
    gx.tl.consensus(adata, sample_fraction=0.834, n_resamples=3, progress=False)  # as it says
    assert adata.uns["consensus"]["k"].tolist() == list(range(2, 11))
    # k's no fraction can give are named too
    with pytest.raises(ValueError, match="sample_fraction") as info:
        gx.tl.consensus(adata, sample_fraction=0.1, k_range=[1, 2, 3], progress=False)
    assert info.value.args[0].endswith(
        "draws 1 of the 12 samples per resample, too few to cluster; use sample_fraction between "
        "0.25 and 1 (to draw at least 3 of the 12 samples per resample, as k = 3 needs), and "
        "k_range between 2 and 12 (the samples), not 1")
    # on 2 samples the default 0.8 draws 1: only all of them will do
    with pytest.raises(ValueError, match="sample_fraction") as info:
        gx.tl.consensus(adata[:2].copy(), k_range=[2], progress=False)
    assert info.value.args[0].endswith(
        "draws 1 of the 2 samples per resample, too few to cluster; use sample_fraction=1 (it "
        "must draw 2 of the 2 samples per resample, as k = 2 needs)")
    # a range that exists but is short of k_range offers the larger fraction as well
    with pytest.raises(ValueError, match="k_range") as info:
        gx.tl.consensus(adata, sample_fraction=0.2, k_range=[2, 3], progress=False)
    assert info.value.args[0] == (
        "tl.consensus: k_range must hold numbers of clusters between 2 and 2 (the samples drawn "
        "per resample); 1 of them is not: 3; or use sample_fraction between 0.25 and 1 (to draw "
        "at least 3 of the 12 samples per resample, as k = 3 needs)")


def test_the_fraction_offered_really_draws_enough_samples():
    # 0.29 * 100 is 28.999999999999996, so floor() draws 28: 0.29 would not give k = 29
    from gexclust.tl._consensus import _fractions_for

    assert _fractions_for(29, 100).startswith("sample_fraction between 0.291 and 1 ")
    assert _fractions_for(10, 12).startswith("sample_fraction between 0.834 and 1 ")
    assert _fractions_for(12, 12).startswith("sample_fraction=1 ")


def test_a_consensus_class_shares_a_colour_with_a_cluster_only_when_it_is_that_cluster():
    # before: consensus classes took the clusters' palette in order, so on lung (--consensus 50,
    # k = 3 cut, consensus k = 8) class 1, the SCC samples, was teal in consensus.png, the colour
    # of cluster 1, the Adeno cluster, in the dendrogram, heatmap and marker plot
    from gexclust._palette import CLEAR_DELTA_E, annotation_colours, delta_e
    from tests.conftest import make_planted

    adata = make_planted()  # three groups of 8
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=2)  # two groups merged, one alone
    gx.tl.consensus(adata, k_range=range(2, 5), n_resamples=20, random_state=0, progress=False)
    assert adata.uns["consensus"]["best_k"] == 3
    clusters, classes = adata.obs["cluster"], adata.obs["consensus"]
    cluster_colour = dict(zip(clusters.cat.categories, adata.uns["cluster_colors"], strict=True))
    class_colour = dict(zip(classes.cat.categories, adata.uns["consensus_colors"], strict=True))
    table = pd.crosstab(classes, clusters)
    alone = table.columns[(table > 0).sum(axis=0) == 1][0]  # the cluster of one planted group
    (same,) = table.index[table[alone] > 0]
    assert class_colour[same] == cluster_colour[alone]
    for other in table.index.drop(same):  # half of the merged cluster each: not that cluster
        for colour in [*adata.uns["cluster_colors"], *annotation_colours(adata, ["type"])]:
            assert delta_e(class_colour[other], colour) >= CLEAR_DELTA_E
    # pl.consensus at another k colours its classes the same way
    fig = gx.pl.consensus(adata, k=2, show=False)
    strip = fig.axes[0].images[0]
    drawn = {to_hex(strip.cmap(i)) for i in range(2)}
    classes_k2 = adata.obsm["consensus_classes"][:, 0]
    assert sorted(pd.crosstab(classes_k2, clusters.to_numpy()).to_numpy().max(axis=0)) == [8, 16]
    assert drawn == set(adata.uns["cluster_colors"])


def test_seed_is_the_former_name_of_random_state():
    adata = _small(3)
    kwargs = {"k_range": range(2, 4), "n_resamples": 10, "progress": False, "copy": True}
    named = gx.tl.consensus(adata, random_state=4, **kwargs)
    with pytest.warns(FutureWarning, match="tl.consensus: seed= is now called random_state="):
        former = gx.tl.consensus(adata, seed=4, **kwargs)
    np.testing.assert_array_equal(former.obsp["consensus_k3"], named.obsp["consensus_k3"])
    assert named.uns["consensus"]["params"]["random_state"] == 4
