"""Sentences checked against data whose truth is known: unlabelled samples, ties for the
largest type, types named like numbers."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from tests.conftest import make_planted
from tests.report.test_report_claims import report_text


def with_unlabelled_outlier() -> ad.AnnData:
    """3 planted groups of 8 (types group0-2) and one far sample without a type."""
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    outlier = np.full((1, adata.n_vars), 7.0)
    outlier[0, 40:] += 12.0  # genes no group shifts: alone at the root
    X = np.vstack([adata.X, outlier])
    obs = pd.DataFrame({"type": [*adata.obs["type"].astype(str), ""]},
                       index=[*adata.obs_names, "lone"])
    return ad.AnnData(X, obs=obs, var=adata.var)


def test_a_cluster_of_one_unlabelled_sample_splits_and_joins_no_type():
    # before, at k = 4: "The tree was cut into 4 clusters, more than the 3 sample types, so
    # some type must be split." beside "Every type lies within a single cluster."; the root
    # split read "separates  from group1 (8), ..." and "1 without one are left out"
    texts = report_text(with_unlabelled_outlier(), n_clusters=4)
    assert "Every type lies within a single cluster." in texts["clusters"]
    assert "must be split" not in texts["choosing-k"]
    assert "1 sample without a type was left out of the comparison." in texts["clusters"]
    overview = texts["overview"]
    assert "(over the 24 samples with a type; 1 without one is left out)." in overview
    assert "The tree's first split (height " in overview
    assert ") separates 1 sample without a type from group" in overview
    # at k = 2 every typed sample is in one cluster: ARI 0, not 'fall short of 1 only because
    # the clusters are fewer than the types'
    two = report_text(with_unlabelled_outlier(), n_clusters=2)["overview"]
    assert "keep each" not in two
    assert ("The 2 clusters do not match the 3 known sample types: ARI 0.000, NMI 0.000, "
            "purity 0.333 (over the 24 samples with a type; 1 without one is left out).") in two


def test_a_tie_for_the_largest_type_names_no_single_winner():
    # before: "Cluster 1 (8 samples) mixes A (4) and B (4); the largest type, A, makes up 50%"
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    types = adata.obs["type"].astype(str).to_numpy()
    first = np.flatnonzero(types == "group0")
    types[first[:4]], types[first[4:]] = "A", "B"
    types[types == "group1"] = "C"
    adata.obs["type"] = types
    clusters = report_text(adata, n_clusters=2)["clusters"]
    assert "the largest type" not in clusters
    assert "and B (4); each of its 2 types makes up 50%." in clusters
    # a winner and a tie below it keep the plain words; two tied on top are named together
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    types = adata.obs["type"].astype(str).to_numpy()
    first = np.flatnonzero(types == "group0")
    types[first[:3]], types[first[3:6]], types[first[6:]] = "A", "B", "D"
    types[types == "group1"] = "C"
    adata.obs["type"] = types
    clusters = report_text(adata, n_clusters=2)["clusters"]
    assert "; the largest types, A and B, make up 38% each." in clusters


def test_types_named_like_numbers_are_quoted_in_sentences():
    # before: "Cluster 1 (8 samples) holds only 3: all 8 3 samples" (types '1', '2', '3')
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    adata.obs["type"] = adata.obs["type"].astype(str).map(
        {"group0": "3", "group1": "1", "group2": "2"})
    texts = report_text(adata, n_clusters=3)
    assert "holds only '3': all 8 '3' samples (purity 100%)." in texts["clusters"]
    assert "'3' (8)" in texts["overview"]
    assert "holds only 3:" not in texts["clusters"]


def test_a_value_beside_its_threshold_never_prints_as_the_threshold():
    # before: 'AU 95%, not supported at 95%' (AU 0.948), and 'ARI 0.300, below the 0.3' or
    # 'epsilon² 0.140, below the 0.14' for values a hair under the level
    from types import SimpleNamespace

    import gexclust as gx
    from gexclust._pipeline import RunConfig, cluster_samples
    from gexclust._report import _facts as facts
    from gexclust._report._content import (
        _batch_sentences,
        _numeric_sentences,
        build_report,
        fmt_near,
    )
    from gexclust._run_cli import _summary

    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    run = RunConfig(n_clusters=3)
    cluster_samples(adata, run)
    gx.tl.bootstrap(adata, n_boot=100, random_state=0, progress=False)
    rows = facts.clade_rows(adata)
    adata.uns["hclust"]["support"]["au"][rows["1"]] = 0.948
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    support = next(s for s in build_report(adata, summary, {}, None).sections
                   if s.key == "support")
    sentences = next(b.items for b in support.blocks if hasattr(b, "items"))
    assert "Cluster 1: AU 94.8%, not supported at 95%." in sentences

    lot = facts.BatchFacts("lot", 0.29996, 2, 40, 0.001, "other")
    text = " ".join(_batch_sentences(SimpleNamespace(batches=[lot], summary={})))
    assert "(ARI 0.29996, below the 0.3 from which" in text
    rin = facts.NumericFacts("RIN", 40, 0, 2, 5.4599, 0.13999, 0.01, "permutation",
                             {"1": 7.1, "2": 6.2}, False, float("nan"))
    text = " ".join(_numeric_sentences(SimpleNamespace(numerics=[rin])))
    assert "(epsilon² 0.13999, below the 0.14 from which" in text
    assert fmt_near(0.2496, 0.25) == "0.2496"  # 'Mean silhouette 0.250 (< 0.25)'
    assert fmt_near(0.0505, 0.05, 2) == "0.051"  # a p-value beside alpha
    assert fmt_near(0.129, 0.25) == "0.129"  # far from the level: as fmt


def test_the_jump_of_a_cut_is_its_lowest_merge_undone():
    # before: 'the merges undone by the cut are 1.84x the highest merge kept' at k = 4, where
    # the root, undone as well, is far higher than 1.84x
    overview = report_text(make_planted(n_per_group=8, n_groups=4, n_genes=60),
                           n_clusters=3)["overview"]
    assert "the lowest merge undone by the cut is " in overview
    assert "the merges undone by the cut are" not in overview


def test_one_cluster_is_singular_and_a_type_of_one_label_was_given():
    # before: 'the tree was cut into 1 clusters', 'The tree is cut at height ... into 1
    # clusters'; and a 'type' column of one label (or of sample ids) was 'No sample types
    # were given' under the limits, while 'The data' said what it held
    texts = report_text(make_planted(n_per_group=8, n_groups=3, n_genes=60), n_clusters=1)
    assert "the tree was cut into 1 cluster, so at least 3 types must share a cluster." \
        in texts["choosing-k"]
    assert " into 1 cluster; its root is at " in texts["tree"]
    assert "1 clusters" not in " ".join(texts.values())
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    adata.obs["type"] = "X"
    limits = report_text(adata, n_clusters=2)["limits"]
    assert ("The 'type' column names no classes (see 'The data'): whether the clusters are "
            "meaningful cannot be checked against known classes.") in limits
    assert "No sample types were given" not in limits


def test_a_mixed_clusters_largest_share_says_it_is_of_the_typed_samples():
    # before: 'Cluster 1 (8 samples) mixes A (4) and B (2); the largest type, A, makes up 67%,
    # and 2 without a type': 67% of the 6 with a type, 50% of the cluster
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    types = adata.obs["type"].astype(str).to_numpy()
    first = np.flatnonzero(types == "group0")
    types[first[:4]], types[first[4:6]], types[first[6:]] = "A", "B", ""
    types[types == "group1"] = "C"
    adata.obs["type"] = types
    clusters = report_text(adata, n_clusters=2)["clusters"]
    assert ("(8 samples) mixes A (4), B (2) and 2 without a type; the largest type, A, makes "
            "up 67% of the 6 with a type.") in clusters


def test_a_lowest_pac_that_prints_as_another_ks_says_how_it_is_lower():
    # before: 'the lowest PAC ... is at k = 3' beside a table showing 0.123 at k = 3 and at
    # k = 4 (0.1231 and 0.1234)
    import gexclust as gx
    from gexclust._pipeline import RunConfig, cluster_samples
    from gexclust._report._content import build_report
    from gexclust._run_cli import _summary

    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    run = RunConfig(n_clusters=3)
    cluster_samples(adata, run)
    gx.tl.consensus(adata, k_range=range(2, 6), n_resamples=10)
    result = adata.uns["consensus"]
    result["pac"] = np.array([0.3, 0.1231, 0.1234, 0.2])
    result["best_k"] = 3
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    support = next(s for s in build_report(adata, summary, {}, None).sections
                   if s.key == "support")
    text = " ".join(getattr(b, "text", "") for b in support.blocks)
    assert ("0 = perfectly reproducible) is at k = 3 (0.1231, just below k = 4's 0.1234)."
            in text)


def test_a_mixed_cluster_never_reads_100_percent():
    # before: 'mixes group0 (199) and group1 (1); the largest type, group0, makes up 100%' and
    # a table cell 'purity 100%' for that cluster (purity 0.995)
    adata = make_planted(n_per_group=200, n_groups=2, n_genes=40)
    types = adata.obs["type"].astype(str).to_numpy()
    types[np.flatnonzero(types == "group0")[0]] = "group1"
    adata.obs["type"] = types
    clusters = report_text(adata, n_clusters=2)["clusters"]
    assert "and group1 (1); the largest type, group0, makes up 99.5%." in clusters
    assert " 200 99.5% group0 (199) and group1 (1)" in clusters


def test_more_than_twelve_types_say_that_only_twelve_are_described():
    # before: 25 types gave no table and sentences for 12 of them, without a word on the rest
    adata = make_planted(n_per_group=25, n_groups=2, n_genes=40)
    adata.obs["type"] = [f"T{i % 25:02d}" for i in range(adata.n_obs)]
    text = report_text(adata, n_clusters=2)["type-distances"]
    assert ("With 25 types the table is left out and only the first 12 types are described "
            "one by one.") in text
    assert text.count("; within itself") == 12


def test_an_undefined_fold_change_reads_n_a_not_nan():
    """Before: the seed recipe on linear values below 0 (MAS 4.0 average differences) listed
    markers as "down p3 (+nan)" and "+nan" in the table (numpy's log2 of a negative ratio)."""
    rng = np.random.default_rng(1)
    X = rng.normal(300.0, 200.0, size=(24, 60))
    X[:8, :5] = rng.normal(-100.0, 30.0, size=(8, 5))
    X[8:16, 5:10] += 800.0
    obs = pd.DataFrame({"type": pd.Categorical(np.repeat(["A", "B", "C"], 8))},
                       index=[f"s{i}" for i in range(24)])
    adata = ad.AnnData(X, obs=obs)
    adata.var_names = [f"p{j}" for j in range(60)]
    text = report_text(adata, markers=True, recipe="seed")["markers"]
    assert "nan" not in text
    assert "(n/a)" in text  # in a cluster's list of genes
    assert " n/a " in text  # in the table
