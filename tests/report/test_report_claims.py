"""What the report says is true of the run's numbers: no structure claimed on noise, no
nonsense on ties, no batch found where the column is the type, a result or a handful of
samples."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from gexclust._pipeline import RunConfig, cluster_samples
from gexclust._report._content import build_report
from gexclust._run_cli import _summary
from tests.conftest import make_planted


def report_text(adata: ad.AnnData, *, markers: bool = False, **config) -> dict[str, str]:
    """Text of each report section (key -> text) of a default run on ``adata``."""
    from gexclust._report._markers import marker_table

    n_probes = adata.n_vars
    run = RunConfig(**config)
    cluster_samples(adata, run)
    summary = _summary(adata, run, {"path": "test", "simulated": False}, n_probes)
    return section_texts(build_report(adata, summary, {},
                                      marker_table(adata) if markers else None))


def section_texts(report) -> dict[str, str]:
    """Text of each section of a built report (key -> text)."""
    texts = {}
    for section in report.sections:
        parts = []
        for block in section.blocks:
            parts += getattr(block, "items", None) or [getattr(block, "text", "")]
            parts += [" ".join(row) for row in getattr(block, "rows", [])]
        texts[section.key] = " ".join(" ".join(parts).split())
    return texts


def noise(n_obs: int = 40, n_genes: int = 200, seed: int = 0) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    obs = pd.DataFrame({"type": pd.Categorical(rng.choice(["A", "B", "C"], n_obs))},
                       index=[f"s{i}" for i in range(n_obs)])
    return ad.AnnData(rng.normal(8.0, 1.0, size=(n_obs, n_genes)), obs=obs)


def test_the_overview_says_first_when_there_is_no_evidence_of_groups():
    # before: 'At a glance' listed "Pure clusters (one type only): 2, 4 and 9" on Gaussian
    # noise and said nothing of the test of structure, which called the groups weak
    texts = report_text(noise())
    overview = texts["overview"]
    assert "NO EVIDENCE OF GROUPS" in overview
    assert overview.index("NO EVIDENCE OF GROUPS") < overview.index("known sample types")
    planted = report_text(make_planted(n_per_group=8, n_groups=3, n_genes=60))["overview"]
    assert "NO EVIDENCE" not in planted
    assert "Test of structure: " in planted
    given = report_text(make_planted(n_per_group=8, n_groups=3, n_genes=60), n_clusters=3)
    assert "k = 3 was set by hand" in given["overview"]
    assert "not tested" in given["overview"]


def test_distances_with_ties_or_two_types_name_no_single_winner():
    # before: "Cancer is closest to Normal (100%) and farthest from Normal (100%)" (bladder),
    # "ALL is closest to AML (100%) and farthest from AML (100%)" (Golub, two types), and
    # "fetal ... farthest from SCC (100%)" when SCC, node and SCLC were all at 100% (lung)
    from gexclust._report._content import _distance_sentence

    d = pd.DataFrame([[0.2, 1.0, 1.0, 0.5], [1.0, 0.3, 0.4, 1.0], [1.0, 0.4, np.nan, 1.0],
                      [0.5, 1.0, 1.0, 0.1]], index=list("ABCD"), columns=list("ABCD"))
    assert _distance_sentence("A", d) == ("A is closest to D (50%) and farthest from B and C "
                                          "(100%); within itself 20%.")
    assert _distance_sentence("C", d).endswith("within itself n/a (a single sample).")
    tied = pd.DataFrame([[0.2, 1.0, 1.0], [1.0, 0.3, 1.0], [1.0, 1.0, 0.1]],
                        index=list("ABC"), columns=list("ABC"))
    assert _distance_sentence("A", tied) == ("A is equally far from every other type (100%); "
                                             "within itself 20%.")
    two = report_text(make_planted(n_per_group=8, n_groups=2, n_genes=40))["type-distances"]
    assert "closest" not in two
    assert "farthest" not in two
    assert "samples at a median 100% of the root height; within group" in two


def test_one_small_cluster_is_named_in_the_singular():
    # before: "Clusters 9 have at most 2 samples"
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    adata.X[0] += 30.0  # one far outlier: a cluster of its own
    limits = report_text(adata, n_clusters=4)["limits"]
    assert "Cluster " in limits
    # and with its size: "Cluster 8 has at most 2 samples" (Golub cut into 8) left it open
    assert "Cluster 1 has 1 sample: an outlier rather than a group." in limits
    assert "at most" not in limits
    adata.X[1] -= 30.0  # a second outlier, far from the first: two clusters of one
    limits = report_text(adata, n_clusters=5)["limits"]
    assert " have 1 sample each: outliers rather than groups." in limits


def clustered(n_per_group: int = 8, n_groups: int = 3) -> ad.AnnData:
    from gexclust import tl

    adata = make_planted(n_per_group=n_per_group, n_groups=n_groups, n_genes=60)
    tl.hclust(adata)
    tl.cut(adata, n_clusters=n_groups)
    return adata


def test_a_batch_is_agreement_beyond_chance_with_a_column_that_is_not_the_type():
    from gexclust._report import _facts as facts

    adata = clustered()
    types = adata.obs["type"].astype(str).to_numpy()
    adata.obs["source_name"] = "tissue " + types  # the column the types were read from
    adata.obs["consensus"] = adata.obs["cluster"].astype(str)  # gexclust's own result
    # a grade known for 8 samples: one of them alone in its cluster agrees "perfectly"
    grade = np.full(adata.n_obs, None, dtype=object)
    cluster = adata.obs["cluster"].astype(str).to_numpy()
    first = np.flatnonzero(cluster == "1")[:7]
    other = np.flatnonzero(cluster == "2")[:1]
    grade[first], grade[other] = "low", "high"
    adata.obs["grade"] = grade
    # a real batch that splits a type: cluster 3 and two samples of cluster 2 in lot L2
    lot = np.where(cluster == "3", "L2", "L1")
    lot[np.flatnonzero(cluster == "2")[:2]] = "L2"
    adata.obs["lot"] = lot
    # a lot of whole types (types 1 and 2 in L1, type 3 in L2) only groups the types
    adata.obs["status"] = np.where(cluster == "3", "L2", "L1")
    found = {b.column: b for b in facts.batch_columns(adata)}
    # before: 'consensus' (ARI 0.36 on bladder) and 'source_name' (ARI 1.0 on GSE781 read
    # with --type-from source_name) were flagged as batches, and so was a column known for 8
    # of 17 GSE781 samples (ARI 1.0, which a random relabelling gives once in 8)
    assert "consensus" not in found
    assert found["source_name"].relation == "same"
    assert found["grade"].ari == 1.0
    assert found["grade"].n_samples == 8
    assert found["grade"].p_value == pytest.approx(1 / 8, abs=0.04)
    assert found["lot"].p_value == pytest.approx(0.001)
    assert found["lot"].relation == "other"
    assert found["status"].relation == "groups"

    from types import SimpleNamespace

    from gexclust._report._content import _batch_sentences

    # the two fields of the report's context the sentences read
    context = SimpleNamespace(batches=list(found.values()), summary={"ari_vs_type": 1.0})
    text = " ".join(_batch_sentences(context))
    assert "'source_name' groups its 24 samples exactly as the sample types do" in text
    assert "'grade' at ARI 1.000, but on 8 samples with a value that is within chance" in text
    assert "'lot' (2 values, 24 samples) at ARI" in text
    assert "if that column is a batch" not in text.split("'lot'")[0]
    # before: a column grouping whole types (GSE9476's Disease_status, AML vs Control) was
    # called a possible batch, with a caution in the overview
    assert ("The .obs column 'status' groups the sample types (each type lies within one of "
            "its 2 values): the clusters follow it at ARI 0.549 as far as they follow the "
            "types. If it is a processing batch, it is confounded with the types it "
            "groups.") in text
    assert "'status' (2 values" not in text


def test_the_column_the_types_were_read_from_is_called_so_not_a_possible_batch():
    # before: GSE781 run with --type-from source_name said of source_name 'if it is a
    # processing batch, batch and type are confounded'; the column holds the types
    from types import SimpleNamespace

    from gexclust._report import _facts as facts
    from gexclust._report._content import _batch_sentences

    adata = clustered()
    adata.obs["source_name"] = adata.obs["type"].astype(str).to_numpy()
    adata.obs["renamed"] = "tissue " + adata.obs["source_name"]
    found = {b.column: b for b in facts.batch_columns(adata)}
    assert found["source_name"].relation == "identical"
    assert found["renamed"].relation == "same"  # same grouping, other names: may be a batch
    context = SimpleNamespace(batches=list(found.values()), summary={"ari_vs_type": 1.0})
    text = " ".join(_batch_sentences(context))
    assert ("'source_name' holds the sample types themselves (the same label in each of its "
            "24 samples): the types were read from it") in text
    assert "source_name' groups" not in text
    assert "'renamed' groups its 24 samples exactly as the sample types do" in text


def test_a_column_grouped_as_the_types_counts_only_the_samples_that_have_a_type():
    # before: with 4 of 24 samples untyped, 'renamed' 'groups its 24 samples exactly as the
    # sample types do', though only the 20 typed samples were compared with the types
    from types import SimpleNamespace

    from gexclust._report import _facts as facts
    from gexclust._report._content import _batch_sentences

    adata = clustered()
    adata.obs["source_name"] = adata.obs["type"].astype(str).to_numpy()
    adata.obs["renamed"] = "tissue " + adata.obs["source_name"]
    types = adata.obs["type"].astype(object)
    types.iloc[[0, 7, 8, 16]] = np.nan
    adata.obs["type"] = types.astype("category")
    found = {b.column: b for b in facts.batch_columns(adata)}
    assert found["renamed"].relation == "same"
    assert (found["renamed"].n_samples, found["renamed"].n_typed) == (24, 20)
    context = SimpleNamespace(batches=list(found.values()), summary={"ari_vs_type": 1.0})
    text = " ".join(_batch_sentences(context))
    assert ("'renamed' groups its 20 samples that have a type (4 more have none) exactly as "
            "the sample types do") in text
    assert ("the same label in each of its 20 samples that have a type (4 more have none)"
            in text)


def test_a_local_geo_file_names_its_accession_and_series_title():
    # before: a run on GSE781_family.soft.gz showed the path and the platform only, though
    # read_soft keeps the accession and the series title in .uns['geo']
    adata = clustered()
    adata.uns["geo"] = {"accession": "GSE781", "platform": "GPL96",
                        "series": {"title": "Normal and Renal Cell Carcinoma Kidney Tissue"}}
    text = report_text(adata)["dataset"]
    assert "accession GSE781" in text
    assert "GEO title Normal and Renal Cell Carcinoma Kidney Tissue" in text
    assert "GEO platform GPL96" in text


def test_many_samples_test_only_the_agreements_a_p_value_decides(monkeypatch):
    from gexclust._report import _facts as facts

    adata = clustered()
    cluster = adata.obs["cluster"].astype(str).to_numpy()
    adata.obs["lot"] = np.where(cluster == "3", "L2", "L1")
    adata.obs["run"] = np.tile(["r1", "r2"], adata.n_obs // 2)
    monkeypatch.setattr(facts, "MAX_PAIRWISE", 10)  # as if there were 100,000 samples
    found = {b.column: b for b in facts.batch_columns(adata, test_from=0.3)}
    assert found["lot"].p_value == pytest.approx(0.001)
    assert np.isnan(found["run"].p_value)  # ARI about 0: 2 s at 100,000 cells saved


def test_the_overview_says_when_the_verdict_rests_on_another_cut():
    # GSE781 GPL96: groups at p = 0.01 from k = 9, while 12 of 99 rotated copies reach the
    # silhouette of the k = 2 the run cut at; the overview said only "p = 0.01"
    from types import SimpleNamespace

    from gexclust._report._content import _verdict_sentence

    choice = {"strong": True, "p_value": 0.01, "k_test": 9, "p_value_k": 0.13}
    text = _verdict_sentence(SimpleNamespace(choice=choice, k=2))
    assert "p = 0.01, most of all at k = 9; at this run's k = 2 alone, p = 0.13" in text
    assert "within chance" in text
    choice.update(k_test=2, p_value_k=0.01)
    assert "most of all" not in _verdict_sentence(SimpleNamespace(choice=choice, k=2))
    # golub: 'most of all at k = 10' of a range that ends at 10, which PAC's sentence warns of
    choice.update(k_test=10, p_value_k=0.08, params={"k_range": list(range(2, 11))})
    assert ("most of all at k = 10 (the largest k tried: the data may hold finer groups "
            "still); at this run's k = 2") in _verdict_sentence(SimpleNamespace(choice=choice,
                                                                                  k=2))
    choice.update(k_test=9)
    assert "largest k tried" not in _verdict_sentence(SimpleNamespace(choice=choice, k=2))


def test_a_rounding_zero_has_no_sign():
    from gexclust._report._content import fmt

    assert fmt(-1.4e-15) == "0.000"  # the gap at k = 1 showed as '-0.000'
    assert fmt(-0.25) == "-0.250"


def test_marker_p_values_are_not_offered_as_evidence_for_the_clusters():
    # before: on Gaussian noise (64 x 2,000) a cluster of 2 samples listed its top gene with
    # adjusted p = 2.6e-16 (scipy's Welch test agrees) and nothing said that clusters cut
    # from the same genes always differ in some of them
    adata = noise()
    markers = report_text(adata, markers=True, n_clusters=8)["markers"]
    assert "these p-values do not test the clusters" in markers
    assert "found no evidence" not in markers  # k given: nothing was tested
    sizes = adata.obs["cluster"].value_counts()
    if (sizes < 3).any():
        assert "fewer than 3 samples" in markers
    assert ("tested as a single case" in markers) == (sizes == 1).any()
    finer = noise()
    markers = report_text(finer, markers=True, n_clusters=12)["markers"]
    assert (finer.obs["cluster"].value_counts() == 1).any()
    assert "tested as a single case against the rest" in markers
    weak = report_text(noise(), markers=True)["markers"]
    assert "The test of structure found no evidence of groups in this run" in weak


def test_the_report_says_what_imputation_did(tmp_path, caplog):
    import logging

    from gexclust.io import read_cumida

    rows = ["samples,type,p1,p2,p3,p4"]
    rng = np.random.default_rng(0)
    for i in range(12):
        values = rng.normal(8, 1, 4).round(3).astype(str)
        if i in (2, 5):
            values[1] = ""  # two cells of p2 missing
        rows.append(f"{i},{'AB'[i % 2]}," + ",".join(values))
    (tmp_path / "gaps.csv").write_text("\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = read_cumida(tmp_path / "gaps.csv", missing="impute")
    # before: "2 missing value(s); policy 'impute' dropped 0 probe(s)", and the report said
    # "2 found, policy 'impute', 0 probes dropped": nothing about the filled values
    assert "2 missing value(s) in 1 probe(s), each filled with its probe's mean" in caplog.text
    assert adata.uns["missing"]["n_probes_with_missing"] == 1
    preprocessing = report_text(adata, n_clusters=2)["preprocessing"]
    assert ("Missing values: 2 in 1 probe. Each was filled with its probe's mean over the "
            "samples that have a value") in preprocessing


def test_pure_clusters_that_divide_the_types_are_not_said_to_mismatch():
    # before: Golub with --recipe seed (k = 4, purity 0.947, ARI 0.276): "The 4 clusters do
    # not match the 2 known sample types"
    overview = report_text(make_planted(n_per_group=10, n_groups=2, n_genes=40),
                           n_clusters=4)["overview"]
    assert "The 4 clusters are pure (purity 1.000: each holds one type only)" in overview
    # before: "nearly pure (purity 1.000: each holds mostly one type)" (the example, k = 7)
    assert "nearly" not in overview
    golub = make_planted(n_per_group=10, n_groups=2, n_genes=40)
    types = golub.obs["type"].astype(str).to_numpy()
    types[np.flatnonzero(types == "group0")[0]] = "group1"  # one sample of another type
    golub.obs["type"] = types
    mixed = report_text(golub, n_clusters=4)["overview"]
    assert "The 4 clusters are nearly pure (purity 0.950: each holds mostly one type)" in mixed
    assert "but divide the 2 known sample types between them" in overview
    assert "do not match" not in overview


def test_fold_changes_of_input_judged_logged_say_what_they_rest_on():
    # Golub's values (multtest) are standardised log10 values around 0; the report called
    # them "already on a log scale" and their mean differences log2 fold changes
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    adata.X = adata.X - 7.0  # centred values, as Golub's
    texts = report_text(adata, markers=True, n_clusters=2)
    assert "They include negative values (minimum " in texts["preprocessing"]
    assert "a log2 fold change only if it is log2" in texts["markers"]
    counts = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    counts.X = 2.0 ** (counts.X + 3)  # linear values: gexclust takes their log2 itself
    logged = report_text(counts, markers=True, n_clusters=2)
    assert "log2: applied" in logged["preprocessing"]
    assert "only if it is log2" not in logged["markers"]


def test_a_symbol_listed_twice_names_its_probes():
    from gexclust._report._content import _gene_list

    rows = pd.DataFrame({"gene": ["201283_s_at", "214924_s_at", "1_at"],
                         "symbol": ["TRAK1", "TRAK1", "SSH3"], "log2fc": [1.8, 1.7, 1.4]})
    assert _gene_list(rows) == ("TRAK1 [201283_s_at] (+1.8), TRAK1 [214924_s_at] (+1.7), "
                                "SSH3 (+1.4)")  # before: "TRAK1 (+1.8), TRAK1 (+1.7)"


def report_with_choice(adata: ad.AnnData, **choice) -> dict[str, str]:
    """``report_text`` of a run whose ``tl.choose_k`` result is changed by ``choice``."""
    run = RunConfig()
    n_probes = adata.n_vars
    cluster_samples(adata, run)
    adata.uns["choose_k"].update(choice)  # same tree: the report still takes it as this run's
    summary = _summary(adata, run, {"path": "test", "simulated": False}, n_probes)
    report = build_report(adata, summary, {}, None)
    texts = {}
    for section in report.sections:
        parts = []
        for block in section.blocks:
            parts += getattr(block, "items", None) or [getattr(block, "text", "")]
        texts[section.key] = " ".join(" ".join(parts).split())
    return texts


def report_with_consensus(adata: ad.AnnData, *, n_clusters=None, n_resamples: int,
                          choice: dict | None = None) -> dict[str, str]:
    """Section texts of a run on ``adata`` with a ward consensus over k = 2..4.

    ``choice`` updates the run's ``tl.choose_k`` result before the report is built; ``adata``
    keeps the consensus (``.obsp['consensus_k{k}']``) for the test to read.
    """
    import gexclust as gx

    run = RunConfig() if n_clusters is None else RunConfig(n_clusters=n_clusters)
    cluster_samples(adata, run)
    gx.tl.consensus(adata, k_range=range(2, 5), n_resamples=n_resamples, method="ward",
                    metric="euclidean", progress=False)
    if choice:
        adata.uns["choose_k"].update(choice)
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    return section_texts(build_report(adata, summary, {}, None))


def two_close_groups() -> ad.AnnData:
    """Three groups of 10, the last two barely apart: often mixed when samples are resampled."""
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(3), 10)
    X = rng.normal(7.0, 1.0, size=(30, 60))
    X[groups == 0, :20] += 4.0
    X[groups == 1, 20:40] += 1.0
    obs = pd.DataFrame({"type": pd.Categorical([f"g{g}" for g in groups])},
                       index=[f"s{i}" for i in range(30)])
    return ad.AnnData(X, obs=obs)


def test_the_limits_say_when_the_cut_shown_is_within_chance():
    # Golub (k = 2, p_value_k 0.08, groups found at k = 10) and GSE781 GPL96 (k = 2, 0.10,
    # at k = 9): 'At a glance' said the cut alone is within chance, 'What this run cannot
    # tell' listed only the silhouette, the cophenetic correlation and the bootstrap
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    limits = report_with_choice(adata, k_test=9, p_value_k=0.1)["limits"]
    assert ("The test of structure found groups most of all at k = 9, not at this run's "
            "k = 2: on its own this cut's silhouette is within what rotated copies of the data "
            "(one cloud, no groups) reach (p = 0.10)") in limits
    clear = report_with_choice(make_planted(n_per_group=8, n_groups=2, n_genes=40),
                               k_test=9, p_value_k=0.01)["limits"]
    assert "not at this run's k" not in clear
    same = report_with_choice(make_planted(n_per_group=8, n_groups=2, n_genes=40),
                              k_test=2, p_value_k=0.2)["limits"]
    assert "not at this run's k" not in same
    assert ("(the known types, a clear gap in the tree, a bootstrap, a consensus "
            "clustering)") in limits
    untyped = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    del untyped.obs["type"]  # GSE781 without --type-from: no known types to lean on
    limits = report_with_choice(untyped, k_test=9, p_value_k=0.1)["limits"]
    assert "elsewhere (a clear gap in the tree, a bootstrap, a consensus clustering)" in limits
    # golub --consensus 50: the list left out the consensus the run had made
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    limits = report_with_consensus(adata, n_resamples=10,
                                   choice={"k_test": 9, "p_value_k": 0.1})["limits"]
    pac = adata.uns["consensus"]["pac"][0]
    assert (f"a clear gap in the tree, a bootstrap; the consensus run here gives PAC {pac:.3f} "
            "at k = 2, see 'How sure')") in limits


def test_the_limits_say_when_no_batch_could_be_checked():
    # bladder (a CSV of samples and type only; its processing dates 1-5 are partly confounded
    # with the classes): 'What this run cannot tell' said nothing of batches, which read as
    # none found
    limits = report_text(make_planted(n_per_group=8, n_groups=2, n_genes=40))["limits"]
    assert ("No sample annotation besides the type groups the samples (2 to 8 distinct "
            "values, such as a processing batch or scan date), so whether the clusters follow "
            "a batch rather than biology was not checked (a sample sheet adds such columns: "
            "gexclust run --annotations SHEET, or gx.io.annotate_obs).") in limits
    untyped = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    del untyped.obs["type"]  # no type: "besides the type" would name what is not there
    limits = report_text(untyped)["limits"]
    assert "No sample annotation groups the samples (2 to 8 distinct values" in limits
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    adata.obs["lot"] = pd.Categorical(np.resize(["L1", "L2"], adata.n_obs))
    limits = report_text(adata)["limits"]
    assert "No sample annotation besides the type" not in limits
    assert "lot" in limits
    dated = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    dated.obs["scan_date"] = [f"2004-01-{i + 1:02d}" for i in range(dated.n_obs)]
    limits = report_text(dated)["limits"]  # one date per array: annotated, but no grouping
    assert "No sample annotation besides the type groups the samples" in limits


def test_keeping_every_gene_is_not_called_a_selection_of_the_most_variable():
    # lung (916 genes, --n-top-genes 1000 by default): "Gene selection: the 916 most variable
    # genes by mad were kept (916 of 916)", while the printed summary said "all 916 genes"
    steps = report_text(make_planted(n_per_group=8, n_groups=2, n_genes=40))["preprocessing"]
    assert ("Gene selection: none; all 40 genes were used (--n-top-genes 1000 asked for more "
            "than there are).") in steps
    assert "most variable" not in steps
    fewer = report_text(make_planted(n_per_group=8, n_groups=2, n_genes=40), n_top_genes=20)
    assert ("Gene selection: the 20 most variable genes by mad were kept (20 of 40)."
            in fewer["preprocessing"])


def test_the_report_says_which_samples_hold_the_filled_values(tmp_path):
    # lung (--missing impute): "1595 in 666 probes ... so these probes vary a little less
    # than measured", while one sample, X184.96_Adeno, had 164 of its 916 values (18%)
    # filled with probe means and every one of the 73 samples had some
    from gexclust.io import read_cumida

    rows = ["samples,type,p1,p2,p3,p4"]
    rng = np.random.default_rng(0)
    for i in range(12):
        values = rng.normal(8, 1, 4).round(3).astype(str)
        if i == 3:
            values[[0, 2]] = ""  # sample 3: half its values missing
        if i == 7:
            values[2] = ""
        rows.append(f"s{i},{'AB'[i % 2]}," + ",".join(values))
    (tmp_path / "gaps.csv").write_text("\n".join(rows) + "\n")
    adata = read_cumida(tmp_path / "gaps.csv", missing="impute")
    assert adata.uns["missing"] == {
        "policy": "impute", "n_missing_values": 3, "n_probes_dropped": 0,
        "n_probes_with_missing": 2, "n_samples_imputed": 2, "most_imputed_in_a_sample": 2,
        "sample_most_imputed": "s3", "most_imputed_in_a_probe": 2}
    preprocessing = report_text(adata, n_clusters=2)["preprocessing"]
    assert ("At most 2 of the 12 values of a probe were filled; 2 of the 12 samples have "
            "filled values, the most s3: 2 of its 4 values (50%). A profile with that many values "
            "set to the probe means is pulled towards the average sample, so where that "
            "sample sits in the tree is less certain.") in preprocessing
    assert "a little less" not in preprocessing


def test_missing_values_only_in_dropped_probes_are_not_called_filled(tmp_path):
    # before: one probe without any value (12 missing values, all dropped with it) read
    # "Each was filled with its probe's mean ... At most 0 of the 12 values of a probe were
    # filled; 0 of the 12 samples have filled values, the most s0: 0 of its 5 values (0%)",
    # and .uns['missing'] named s0 as the sample with the most filled values
    from gexclust.io import read_cumida

    def csv(name: str, *, gap_in_s4: bool):
        rng = np.random.default_rng(0)
        rows = ["samples,type,p0,p1,p2,p3,p4,p5"]
        for i in range(12):
            values = rng.normal(8, 1, 6).round(3).astype(str)
            values[0] = ""  # p0: no value in any sample
            if gap_in_s4 and i == 4:
                values[1] = ""
            rows.append(f"s{i},{'AB'[i % 2]}," + ",".join(values))
        (tmp_path / name).write_text("\n".join(rows) + "\n")
        return read_cumida(tmp_path / name, missing="impute")

    adata = csv("only_dropped.csv", gap_in_s4=False)
    assert adata.uns["missing"] == {
        "policy": "impute", "n_missing_values": 12, "n_probes_dropped": 1,
        "n_probes_with_missing": 1, "n_samples_imputed": 0, "most_imputed_in_a_sample": 0,
        "sample_most_imputed": "", "most_imputed_in_a_probe": 0}
    steps = report_text(adata, n_clusters=2)["preprocessing"]
    assert ("Missing values: 12 in 1 probe. None was filled: they were all in the 1 probe "
            "without any value, which was dropped (--missing impute).") in steps
    assert "Each was filled" not in steps
    assert "At most 0" not in steps
    steps = report_text(csv("both.csv", gap_in_s4=True), n_clusters=2)["preprocessing"]
    assert ("Missing values: 13 in 2 probes. The 1 in probes with a value was filled with its "
            "probe's mean over the samples that have a value (--missing impute), so these "
            "probes vary less than measured; the 12 in the 1 probe without any value were "
            "dropped with it. At most 1 of the 12 values of a probe were filled; 1 of the 12 "
            "samples have filled values, the most s4: 1 of its 5 values (20%).") in steps


def test_probes_dropped_for_missing_values_are_counted_against_those_read(tmp_path):
    # before, lung with --missing drop (666 of its 916 probes dropped) read 'clustered on 250 of
    # 250 probes/genes', 'probes / genes read 250' and 'The 666 probes with a missing value were
    # dropped': nothing said that 73% of the file was left out, or what that costs
    from gexclust.io import read_cumida

    rng = np.random.default_rng(0)
    rows = ["samples,type," + ",".join(f"p{j}" for j in range(10))]
    for i in range(12):
        values = rng.normal(8, 1, 10).round(3).astype(str)
        values[i % 4] = ""  # p0-p3 each miss three values
        rows.append(f"s{i},{'AB'[i % 2]}," + ",".join(values))
    (tmp_path / "gaps.csv").write_text("\n".join(rows) + "\n")
    adata = read_cumida(tmp_path / "gaps.csv", missing="drop")
    texts = report_text(adata, n_clusters=2)
    assert ("12 samples were clustered on 6 of the 10 probes/genes read (4 dropped for missing "
            "values, --missing drop; ward linkage, euclidean distance)") in texts["overview"]
    assert "probes / genes read 10 (4 dropped for missing values, 6 kept)" in texts["dataset"]
    assert ("Missing values: 12 in 4 probes. The 4 probes with a missing value (40% of the 10 "
            "read) were dropped (--missing drop), leaving 6.") in texts["preprocessing"]
    assert ("--missing drop left out 4 of the 10 probes (40%): the clusters rest only on the 6 "
            "measured in every sample; --missing impute keeps the others") in texts["limits"]
    whole = adata[:, adata.var_names[:3]].copy()  # no missing values: none dropped, no limit
    del whole.uns["missing"]
    texts = report_text(whole, n_clusters=2)
    assert "clustered on 3 of 3 probes/genes (ward linkage" in texts["overview"]
    assert "probes / genes read 3 genes clustered 3" in texts["dataset"]
    assert "--missing drop" not in texts["limits"]


def test_the_seed_recipes_k_is_not_said_to_be_set_by_hand():
    # before: gexclust run golub_multtest.csv.gz --recipe seed printed 'k=4, the seed recipe's
    # fixed number of clusters' while the report said 'k = 4 was set by hand', twice
    texts = report_text(make_planted(n_per_group=8, n_groups=3, n_genes=60), recipe="seed")
    fixed = "k = 4 is the seed recipe's fixed number of clusters, not chosen from the data"
    assert f"{fixed}; whether the samples form groups at all was not tested" in texts["overview"]
    assert f"{fixed}." in texts["limits"]
    assert "by hand" not in texts["overview"] + texts["limits"]


def test_clusters_pure_only_by_their_size_are_said_to_be():
    # before: Golub cut by hand into 20 clusters (15 of them of 1 or 2 samples) read 'The 20
    # clusters are pure (purity 1.000: each holds one type only)' at a glance: a cluster of
    # one sample is pure by construction, which says nothing of the types
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=60)
    overview = report_text(adata, n_clusters=10)["overview"]
    sizes = adata.obs["cluster"].value_counts()
    tiny = int((sizes <= 2).sum())
    assert tiny >= 2
    assert (f"The 10 clusters are pure (purity 1.000: each holds one type only; {tiny} of them "
            "have only 1 or 2 samples, too few for their purity to mean much) but divide the 2 "
            "known") in overview
    few = report_text(make_planted(n_per_group=8, n_groups=2, n_genes=60), n_clusters=3)
    assert "their purity to mean much" not in few["overview"]


def test_a_mixed_pair_is_not_said_to_be_pure_by_its_size():
    # before: with one sample of a 2-sample cluster given the other type, the overview said
    # '9 of them have only 1 or 2 samples, pure by their size alone', counting the mixed pair,
    # and the next sentence listed the pure clusters without it
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=60)
    probe = adata.copy()
    cluster_samples(probe, RunConfig(n_clusters=10))
    sizes = probe.obs["cluster"].value_counts()
    assert sorted(sizes.tolist()) == [1, 1, 1, 1, 1, 1, 2, 2, 2, 4]
    pair = probe.obs_names[probe.obs["cluster"] == sizes[sizes == 2].index[0]]
    types = adata.obs["type"].astype(str)
    types[pair[1]] = next(t for t in types.unique() if t != types[pair[0]])
    adata.obs["type"] = types.astype("category")
    overview = report_text(adata, n_clusters=10)["overview"]
    assert ("nearly pure (purity 0.938: each holds mostly one type; 8 of them have only 1 or "
            "2 samples, too few for their purity to mean much)") in overview


def test_a_consensus_share_near_the_ambiguous_level_shows_its_side_of_it():
    # before: gexclust run golub_multtest.csv.gz --consensus 50 said cluster 1's samples were
    # clustered together 'in 90% (cluster 1)' of the resamples (0.902), and the limits, which
    # name every cluster 'at 90% or less', did not name it
    from gexclust._report._content import consensus_share

    assert consensus_share(0.9018836335896779) == "90.2%"
    assert consensus_share(0.897) == "89.7%"
    assert consensus_share(0.9) == "90%"
    assert consensus_share(0.88) == "88%"
    assert consensus_share(0.9706) == "97%"


def test_a_consensus_share_a_hair_from_the_ambiguous_level_keeps_its_side():
    # before: 0.9004 read '90.0%' beside limits that name every cluster 'at 90% or less' and
    # left it out (it is above), the contradiction one decimal was to remove; 0.8996 read
    # '90.0%' too, named among them
    from gexclust._report._content import consensus_share

    assert consensus_share(0.9004) == "90.04%"
    assert consensus_share(0.8996) == "89.96%"
    assert consensus_share(0.89996) == "89.996%"
    assert consensus_share(0.9 + 1e-12) == "just above 90%"
    assert consensus_share(0.9 - 1e-12) == "just below 90%"


def test_tied_pac_values_are_named_together_not_as_one_lowest():
    # the example with --consensus 50: PAC 0.000 at k = 2, 3, 4 and 5; the report said "the
    # lowest PAC ... is at k = 5. At this run's k = 4, PAC = 0.000"
    import gexclust as gx

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(4), 8)  # two pairs of groups: clear at k = 2 and at k = 4
    X = rng.normal(7.0, 0.5, size=(32, 60))
    X[groups < 2, 0:10] += 8.0
    X[groups == 0, 10:20] += 3.0
    X[groups == 2, 20:30] += 3.0
    obs = pd.DataFrame({"type": pd.Categorical([f"g{g}" for g in groups])},
                       index=[f"s{i}" for i in range(32)])
    adata = ad.AnnData(X, obs=obs)
    run = RunConfig()
    cluster_samples(adata, run)
    gx.tl.consensus(adata, k_range=range(2, 7), n_resamples=20, method="ward",
                    metric="euclidean", progress=False)
    pac = adata.uns["consensus"]["pac"]
    assert list(pac[[0, 2]]) == [0.0, 0.0]  # k = 2 and 4 tie
    assert min(pac[1], *pac[3:]) > 0
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    report = build_report(adata, summary, {}, None)
    support = next(s for s in report.sections if s.key == "support")
    text = " ".join(b.text for b in support.blocks if hasattr(b, "text"))
    assert ("the lowest PAC (share of ambiguously clustered pairs; 0 = perfectly reproducible), "
            "0.000, is shared by k = 2 and 4; the largest of them, k = 4, is "
            "recommended as the finest equally reproducible cut. At this run's k = 2, "
            "PAC = 0.000.") in text


def test_a_weak_agreement_beyond_chance_with_a_column_is_said_in_words():
    # GSE781 GPL96: the clusters agree with 'Lot batch' at ARI 0.237, p = 0.046 (8 of the 9
    # tumours in one of its two lots); only a row of the table showed it, no sentence
    from types import SimpleNamespace

    from gexclust._report import _facts as facts
    from gexclust._report._content import _batch_sentences

    lot = facts.BatchFacts("Lot batch", 0.237, 2, 17, 0.046, "other")
    chance = facts.BatchFacts("Gender", 0.05, 2, 17, 0.4, "other")
    context = SimpleNamespace(batches=[lot, chance], summary={"ari_vs_type": 1.0})
    text = " ".join(_batch_sentences(context))
    assert ("The clusters agree weakly with the .obs column 'Lot batch' (ARI 0.237, below the "
            "0.3 from which this report calls it following a column) but beyond chance "
            "(permutation p = 0.046): if that column is a batch, it is partly confounded with "
            "the clusters.") in text
    assert "Gender" not in text


def test_the_overview_says_when_its_agreement_leaves_samples_out():
    # Golub with 5 of its 38 types blanked: 'At a glance' gave "ARI 0.762, NMI 0.700, purity
    # 0.939" as if of all 38 samples; only 'Clusters and sample types' said 5 were left out
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    types = adata.obs["type"].astype(str).to_numpy()
    types[[0, 5, 9]] = ""
    adata.obs["type"] = types
    overview = report_text(adata, n_clusters=3)["overview"]
    assert ("known sample types: ARI 1.000, NMI 1.000, purity 1.000 (over the 21 samples with "
            "a type; 3 without one are left out).") in overview
    # and the pure clusters that hold them besides their one type say so
    assert "samples without a type)." in overview
    whole = report_text(make_planted(n_per_group=8, n_groups=3, n_genes=60), n_clusters=3)
    assert "left out" not in whole["overview"]
    assert "without a type" not in whole["overview"]


def test_differences_of_means_of_an_unknown_log_base_are_not_headed_log2fc():
    # Golub (standardised log10 values): the paragraph said the numbers are log2 fold changes
    # only if the input is log2, but the table still headed them 'log2FC' (+3.00 read as 8x)
    from gexclust._report._markers import marker_table

    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    adata.X = adata.X - 7.0  # centred values, as Golub's
    run = RunConfig(n_clusters=2)
    cluster_samples(adata, run)
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    report = build_report(adata, summary, {"markers": b""}, marker_table(adata))
    blocks = next(s for s in report.sections if s.key == "markers").blocks
    table = next(b for b in blocks if hasattr(b, "columns"))
    assert table.columns[4] == "diff. of means"
    caption = next(b.caption for b in blocks if hasattr(b, "png"))
    assert ("colour is the difference of the means (a log2 fold change only if the input is "
            "log2)") in caption
    logged = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    logged.X = 2.0 ** (logged.X + 3)  # linear values: gexclust takes their log2 itself
    cluster_samples(logged, run)
    summary = _summary(logged, run, {"path": "test", "simulated": False}, logged.n_vars)
    report = build_report(logged, summary, {}, marker_table(logged))
    blocks = next(s for s in report.sections if s.key == "markers").blocks
    assert next(b for b in blocks if hasattr(b, "columns")).columns[4] == "log2FC"


def test_the_seed_recipe_heads_differences_of_means_of_logged_values_as_such():
    # Golub --recipe seed: no pp.log2 (the recipe takes the values as they are), so no record,
    # and the table headed the differences of means of standardised log10 values 'log2FC',
    # where the default recipe on the same file called them differences of means
    from gexclust._report._markers import marker_table

    def markers_section(adata):
        run = RunConfig(recipe="seed", n_clusters=2)
        cluster_samples(adata, run)
        summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
        report = build_report(adata, summary, {"markers": b""}, marker_table(adata))
        return next(s for s in report.sections if s.key == "markers").blocks

    centred = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    centred.X = centred.X - 7.0  # values around 0, as Golub's
    blocks = markers_section(centred)
    assert next(b for b in blocks if hasattr(b, "columns")).columns[4] == "diff. of means"
    assert "a log2 fold change only if it is log2" in blocks[0].text
    assert "colour is the difference of the means" in next(b.caption for b in blocks
                                                           if hasattr(b, "png"))
    linear = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    linear.X = 2.0 ** (linear.X + 3)  # linear values: their fold changes are log2 ratios
    blocks = markers_section(linear)
    assert next(b for b in blocks if hasattr(b, "columns")).columns[4] == "log2FC"
    assert "only if it is log2" not in blocks[0].text


def test_a_cut_by_merge_order_says_it_undoes_a_merge_lower_than_one_it_keeps():
    # lung --method median --n-clusters 5: 'the lowest merge undone by the cut is 1.00x the
    # highest merge kept', from sorted heights, where the cut (by merge order) undoes a merge
    # at 49.2 and keeps one at 53.0: 0.93x
    adata = noise(n_obs=30, n_genes=60, seed=1)
    texts = report_text(adata, method="median", n_clusters=3)
    heights = adata.uns["hclust"]["linkage"][:, 2]
    ratio = heights[-2:].min() / heights[:-2].max()
    assert ratio < 1
    assert (f"the lowest merge undone by the cut is {ratio:.2f}x the highest merge kept "
            "(lower: the tree has inversions, and is cut by merge order)") in texts["overview"]
    assert (f"The cut at k = 3 undoes a merge lower than one it keeps ({ratio:.2f}x;"
            in texts["limits"])
    assert f"3 {ratio:.2f}x <- this cut" in texts["choosing-k"]


def test_the_log2_step_says_which_values_it_raised_to_the_floor():
    # GSE781 (MAS 5.0): 'log2: applied' though 35 values below 1 (down to 0.2) were logged
    # as 0 (log2(max(x, 1))), not as log2(x)
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    adata.X = 2.0 ** (adata.X + 3)  # linear values: gexclust takes their log2
    adata.X[0, :3] = [0.2, 0.5, 0.9]
    text = report_text(adata, n_clusters=3)["preprocessing"]
    assert ("log2: applied as log2(max(x, 1)): the 3 values below 1 were raised to 1 first "
            "(99th percentile of the input") in text
    plain = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    plain.X = 2.0 ** (plain.X + 3)
    assert "log2: applied (99th percentile" in report_text(plain, n_clusters=3)["preprocessing"]


def test_the_dendrogram_caption_names_a_cut_line_only_where_one_is_drawn():
    # lung --method median: 'the cut as a dashed line' under a dendrogram without one (a
    # tree with inversions is cut by merge order, at no height)
    def caption(method):
        adata = noise(n_obs=30, n_genes=60, seed=1)
        run = RunConfig(method=method, n_clusters=3)
        cluster_samples(adata, run)
        summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
        report = build_report(adata, summary, {"dendrogram": b""})
        blocks = next(s for s in report.sections if s.key == "tree").blocks
        return next(b.caption for b in blocks if hasattr(b, "png"))

    assert caption("median") == ("Dendrogram: leaves coloured by sample type, branches by "
                                 "cluster; no cut line, as the cut is at no single height.")
    assert caption("average").endswith("branches by cluster, the cut as a dashed line.")


def test_a_type_of_one_label_says_nothing_of_how_other_columns_relate_to_types():
    # GSE781 --type-from '(Normal)' (tumours unlabelled: one class): 'source_name groups its
    # 17 samples exactly as the sample types do', and 'Lot batch', 'Gender' 'within the types'
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    groups = adata.obs["type"].astype(str).to_numpy()
    adata.obs["source"] = groups  # the tissue, 3 values
    adata.obs["lot"] = np.tile(["L1", "L2"], adata.n_obs // 2)
    adata.obs["type"] = np.where(groups == groups[0], "Normal", None)
    limits = report_text(adata, n_clusters=3)["limits"]
    assert "exactly as the sample types do" not in limits
    assert "within the types" not in limits
    assert "The clusters agree with the .obs column 'source' (3 values, 24 samples)" in limits


def test_pure_clusters_of_one_or_two_samples_are_said_to_be_so():
    # lung --method median --n-clusters 5: 'Pure clusters (one type only): 1, 2, 3 and 4',
    # each a single sample beside a cluster of 69 mixing all eight types
    adata = noise(n_obs=30, n_genes=60)
    adata.X[0] += 40.0  # two samples far from the rest and from each other
    adata.X[1] -= 40.0
    overview = report_text(adata, n_clusters=3)["overview"]
    alone = sorted(adata.obs["cluster"].astype(str).iloc[:2])
    assert (f"Pure clusters (one type only): {alone[0]} and {alone[1]}, each of only 1 "
            "sample: too few for purity to mean much.") in overview
    adata = noise(n_obs=30, n_genes=60)
    adata.X[0] += 40.0
    overview = report_text(adata, n_clusters=2)["overview"]
    lone = adata.obs["cluster"].astype(str).iloc[0]
    assert (f"Pure clusters (one type only): {lone}, of only 1 sample: too few for purity to "
            "mean much.") in overview


def test_a_measurement_is_not_said_to_differ_between_types_by_chance_alone():
    # GSE781 typed by the digit after a title's N (8 normals in 5 types, 4 of one sample):
    # every QC column 'differs between the sample types as well (epsilon² 0.881)', within
    # chance at that size, and that hid the overview's caution on the clusters' difference in
    # Background (epsilon² 0.454, p = 0.003)
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=60)
    groups = adata.obs["type"].astype(str).to_numpy()
    rng = np.random.default_rng(3)
    adata.obs["qc"] = np.where(groups == groups[0], 1.5, 0.0) + rng.normal(size=adata.n_obs)
    typed = np.flatnonzero(groups == groups[0])[:7]  # 7 samples of one cluster
    types = np.full(adata.n_obs, None, dtype=object)
    types[typed] = ["a", "a", "a", "b", "c", "d", "e"]
    adata.obs["type"] = types
    texts = report_text(adata, n_clusters=2)
    assert "differs between the sample types as well" not in texts["limits"]
    assert "Caution: the clusters differ in the numeric .obs column 'qc'" in texts["overview"]
    found = {f.column: f for f in facts_numeric(adata)}["qc"]
    assert found.types_epsilon2 > found.epsilon2  # large: 5 types over 7 samples
    assert found.types_p > 0.05


def facts_numeric(adata):
    """The report's tests of the numeric .obs columns."""
    from gexclust._report import _facts

    return _facts.numeric_columns(adata)


def test_a_closest_pair_with_a_type_of_one_sample_says_it_rests_on_that_sample():
    # lung: "The two closest types are Adeno and combined (36%)", combined being one sample
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    types = adata.obs["type"].astype(str).to_numpy()
    types[np.flatnonzero(types == "group0")[0]] = "lone"  # one group0 sample, its own type
    adata.obs["type"] = pd.Categorical(types)
    text = report_text(adata)["type-distances"]
    assert "The two closest types are lone and group0" in text
    assert "lone is a single sample, so this rests on one sample, not on a group." in text
    plain = report_text(make_planted(n_per_group=8, n_groups=3, n_genes=60))["type-distances"]
    assert "single sample" not in plain


def test_the_silhouette_caveat_names_the_genes_clustered():
    # it said "in thousands of genes" for lung's 916 and Golub's 1,000
    limits = report_text(noise(n_genes=200))["limits"]
    assert "Mean silhouette" in limits
    assert "over 200 genes this is common even for real groups" in limits
    assert "thousands" not in limits


def test_sheet_columns_that_group_no_samples_are_said_not_compared():
    # GSE9476's sheet: 'Desc' (a title per sample) was left out of the batch checks without
    # a word, which read as compared and found harmless
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    adata.obs["note"] = pd.Categorical([f"x{20 + i}" for i in range(adata.n_obs)])
    adata.obs["lot"] = pd.Categorical(np.resize(["L1", "L2"], adata.n_obs))
    adata.obs["same"] = pd.Categorical(["5"] * adata.n_obs)  # numbers, but one value
    adata.uns["annotations"] = {"columns": ["note", "lot", "same"]}
    limits = report_text(adata)["limits"]
    assert ("Not compared with the clusters, as neither a grouping of 2 to 12 values nor "
            "numbers measured on each sample (every value a number, some with a fraction or "
            "more distinct values than half the samples with one): the sample sheet's 'note' "
            "(24 distinct values) and 'same' (1 distinct value).") in limits
    assert "'lot' (" not in limits
    del adata.uns["annotations"]  # not from a sheet (GEO's own columns): nothing said
    assert "Not compared" not in report_text(adata)["limits"]


def _with_numbers(seed: int = 0) -> ad.AnnData:
    """Planted groups with an age that follows the types (text, as a sheet gave it, one NA),
    a RIN that does not, and a scan order that runs group by group."""
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    rng = np.random.default_rng(seed)
    group = adata.obs["type"].cat.codes.to_numpy()
    age = [str(30 + 10 * group[i] + i % 7) for i in range(adata.n_obs)]
    age[3] = "NA"
    adata.obs["age"] = pd.Categorical(age)
    adata.obs["rin"] = rng.normal(8, 0.5, adata.n_obs).round(2)
    adata.obs["order"] = np.argsort(np.argsort(group * 100 + rng.random(adata.n_obs))) + 1.0
    adata.uns["annotations"] = {"columns": ["age", "rin", "order"]}
    return adata


def test_numeric_sheet_columns_are_tested_across_the_clusters():
    # before: an age, a RIN or a scan order (more distinct values than half the samples)
    # was only named as not compared, so clusters that follow RNA quality or age went
    # unchecked; now a Kruskal-Wallis H with a permutation p, epsilon-squared and medians
    texts = report_text(_with_numbers())
    limits = texts["limits"]
    assert ("The clusters differ in the numeric .obs column 'age': Kruskal-Wallis H 19.67, "
            "epsilon² 0.894 over the 23 samples with a value (1 without one left out), "
            "permutation p = 0.001; medians per cluster 1: 51.5, 2: 42 and 3: 34. If that "
            "column is a sample property such as RNA quality, an age or a scan order, the "
            "clusters may reflect it rather than biology. It differs between the sample types "
            "as well (epsilon² 0.894, p = 0.001): where the types are confounded with it, the "
            "clusters may follow either.") in limits
    # a running number is said to be one: it may only number the rows
    assert ("'order': Kruskal-Wallis H 20.48, epsilon² 0.890 over the 24 samples with a "
            "value, permutation p = 0.001") in limits
    assert "Its values are distinct whole numbers, one per sample" in limits
    assert ("The clusters do not differ beyond chance in the numeric .obs column 'rin' "
            "(permutation p = 0.337, over the 24 samples with a value): Kruskal-Wallis "
            "across the clusters.") in limits
    assert "age 23 1 19.67 0.894 0.001 1: 51.5; 2: 42; 3: 34" in limits  # the table row
    assert "rin 24 0 2.11 0.092 0.337" in limits
    assert "Not compared" not in limits
    # the types differ in age as much as the clusters do (AML patients older than donors):
    # said above, but no caution at a glance; without types it is one
    assert "Caution" not in texts["overview"]
    untyped = _with_numbers()
    del untyped.obs["type"]
    assert ("Caution: the clusters differ in the numeric .obs column 'age' (Kruskal-Wallis "
            "epsilon² 0.894, permutation p = 0.001)") in report_text(untyped)["overview"]


def test_numbers_with_fractions_are_tested_as_numbers_not_compared_as_groups():
    # before: a RIN to one decimal with 5 values over 24 samples (fewer than half) was
    # compared with the clusters as 5 categories by ARI, as if each RIN were a batch
    from gexclust._report import _facts as facts

    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    cluster_samples(adata, RunConfig())
    group = adata.obs["type"].cat.codes.to_numpy()
    adata.obs["rin"] = [6.5 + 0.5 * g + 0.5 * (i % 3) for i, g in enumerate(group)]
    adata.obs["batch"] = [str(i % 3 + 1) for i in range(adata.n_obs)]  # codes: a grouping
    assert adata.obs["rin"].nunique() == 5
    assert "rin" not in {b.column for b in facts.batch_columns(adata)}
    assert "batch" in {b.column for b in facts.batch_columns(adata)}
    found = {f.column: f for f in facts.numeric_columns(adata)}
    assert list(found) == ["rin"]
    assert found["rin"].n_samples == 24
    assert found["rin"].epsilon2 == pytest.approx(0.4729, abs=1e-4)  # rises with the group


def test_numeric_column_facts_match_scipy_and_hold_at_the_edges():
    from scipy.stats import kruskal

    from gexclust._report import _facts as facts

    adata = _with_numbers()
    cluster_samples(adata, RunConfig())
    found = {f.column: f for f in facts.numeric_columns(adata)}
    assert list(found) == ["age", "order", "rin"]  # strongest first
    age = pd.to_numeric(adata.obs["age"].astype(str), errors="coerce").to_numpy()
    clusters = adata.obs["cluster"].to_numpy()
    groups = [age[(clusters == c) & np.isfinite(age)] for c in ("1", "2", "3")]
    assert found["age"].h == pytest.approx(kruskal(*groups).statistic, rel=1e-12)
    assert found["age"].epsilon2 == pytest.approx(found["age"].h / 22)
    assert (found["age"].n_samples, found["age"].n_missing) == (23, 1)
    assert found["age"].types_epsilon2 == pytest.approx(found["age"].epsilon2)  # types = clusters
    assert found["rin"].p_value == facts.numeric_columns(adata)[2].p_value  # seeded
    assert (found["order"].numbering, found["age"].numbering) == (True, False)
    adata.obs["years"] = 20.0 + 3 * np.arange(adata.n_obs)  # distinct ages: no row number
    assert not {f.column: f for f in facts.numeric_columns(adata)}["years"].numbering
    # gexclust's own result is no covariate: a stability per sample (--consensus 100 gives
    # more distinct values than half the samples) was tested against the clusters it rates
    adata.obs["consensus_stability"] = np.linspace(0.5, 1, adata.n_obs)
    assert "consensus_stability" not in {f.column for f in facts.numeric_columns(adata)}
    # a grouping of numbers (batch 1-4) stays a category, compared by ARI, not here
    adata.obs["batch"] = np.resize([1.0, 2.0, 3.0, 4.0], adata.n_obs)
    assert "batch" not in {f.column for f in facts.numeric_columns(adata)}
    assert "batch" in {b.column for b in facts.batch_columns(adata)}
    # one cluster: nothing to test, said so
    adata.obs["cluster"] = pd.Categorical(["1"] * adata.n_obs)
    one = {f.column: f for f in facts.numeric_columns(adata)}["age"]
    assert (one.n_groups, one.p_method) == (1, "none")
    assert np.isnan(one.h)
    assert np.isnan(one.p_value)


def test_numeric_columns_with_one_cluster_are_said_untested():
    limits = report_text(_with_numbers(), n_clusters=1)["limits"]
    assert ("The numeric .obs column 'age' was not tested against the clusters: only one "
            "cluster holds a value (23 samples with one).") in limits
    assert "age 23 1 n/a n/a n/a 1: 42" in limits


@pytest.mark.parametrize("n_obs", [2, 3])
def test_numeric_columns_of_two_or_three_samples(n_obs):
    from gexclust._report import _facts as facts

    obs = pd.DataFrame({"cluster": pd.Categorical(["1", "2", "2"][:n_obs]),
                        "age": [30.0, 40.0, 50.0][:n_obs]},
                       index=[f"s{i}" for i in range(n_obs)])
    adata = ad.AnnData(np.zeros((n_obs, 2)), obs=obs)
    found = facts.numeric_columns(adata)
    if n_obs == 2:  # two values over two samples are a grouping (as batch_columns has it)
        assert found == []
        return
    (f,) = found
    assert (f.n_samples, f.n_groups, f.medians) == (3, 2, {"1": 30.0, "2": 45.0})
    assert f.h == pytest.approx(1.5)  # ranks 1 | 2, 3: 12 / (3 * 4) * (1 + 5 ** 2 / 2) - 12
    # 2 in 3 shuffles put an end value (30 or 50) alone, as extreme as observed
    assert f.p_value == pytest.approx(2 / 3, abs=0.05)


def test_numeric_columns_beyond_the_pairwise_limit_use_chi_squared():
    from scipy.stats import kruskal

    from gexclust._report import _facts as facts

    n = facts.MAX_PAIRWISE + 1
    rng = np.random.default_rng(0)
    clusters = np.resize(["1", "2", "3"], n)
    value = rng.normal(size=n) + (clusters == "1") * 0.1
    obs = pd.DataFrame({"cluster": pd.Categorical(clusters), "qc": value},
                       index=[f"c{i}" for i in range(n)])
    (f,) = facts.numeric_columns(ad.AnnData(np.zeros((n, 1)), obs=obs))
    expected = kruskal(*[value[clusters == c] for c in "123"])
    assert f.p_method == "chi-squared"
    assert (f.h, f.p_value) == (pytest.approx(expected.statistic),
                                pytest.approx(expected.pvalue))


def test_gse781_array_qc_scores_are_tested_across_the_clusters():
    """GSE781 GPL96's own numeric characteristics (Affymetrix Noise, Raw Q, Scaling Factor,
    Age: a value per sample) were skipped as no grouping; the two clusters differ in the
    arrays' Noise (medians 4.66 and 2.9) beyond chance."""
    import gexclust as gx
    from tests.conftest import shared_file

    adata = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96")
    limits = report_text(adata)["limits"]
    assert ("The clusters differ in the numeric .obs column 'Noise': Kruskal-Wallis H 6.51, "
            "epsilon² 0.407 over the 17 samples with a value, permutation p = 0.004; medians "
            "per cluster 1: 4.66 and 2: 2.9.") in limits
    assert "'Age' (permutation p = 0.956, over the 17 samples with a value)" in limits


def test_ages_of_some_samples_only_are_tested_as_numbers():
    # before: ages for 8 of the 24 samples (8 distinct, not more than half of 24) were compared
    # as a grouping of 8 levels by ARI, though tl.markers refuses the same column as numbers
    from gexclust._report import _facts as facts

    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    cluster_samples(adata, RunConfig())
    age = np.full(adata.n_obs, np.nan)
    age[::3] = [25.0, 31, 38, 44, 52, 57, 63, 70]
    adata.obs["age"] = age
    assert "age" not in {b.column for b in facts.batch_columns(adata)}
    (found,) = facts.numeric_columns(adata)
    assert (found.column, found.n_samples, found.n_missing) == ("age", 8, 16)
    with pytest.raises(ValueError, match="holds numbers, not labels"):
        __import__("gexclust").tl.markers(adata, groupby="age")
    adata.uns["annotations"] = {"columns": ["age"]}
    limits = report_text(adata)["limits"]
    assert "age 8 16 " in limits
    assert "Not compared" not in limits


def test_a_chi_squared_p_that_rounds_to_zero_is_not_written_as_zero():
    # before: beyond 3,000 samples a clear difference (chi-squared p 1e-300) read
    # 'chi-squared p = 0.000' in the sentences and '0.000' in the table: a p-value is never 0
    from types import SimpleNamespace

    from gexclust._report import _content as content
    from gexclust._report import _facts as facts

    n = facts.MAX_PAIRWISE + 1
    clusters = np.resize(["1", "2"], n)
    value = np.arange(n) + (clusters == "1") * n  # cluster 1 holds the higher values
    obs = pd.DataFrame({"cluster": pd.Categorical(clusters), "qc": value},
                       index=[f"c{i}" for i in range(n)])
    adata = ad.AnnData(np.zeros((n, 1)), obs=obs)
    (f,) = facts.numeric_columns(adata)
    assert f.p_method == "chi-squared"
    assert f.p_value < 1e-300
    assert content._p_text(f) == "chi-squared p < 0.001"
    ctx = SimpleNamespace(adata=adata, numerics=[f])
    assert content._numeric_sentences(ctx)[0].startswith(
        "The clusters differ in the numeric .obs column 'qc': Kruskal-Wallis H 2250.00, "
        "epsilon² 0.750 over the 3001 samples with a value, chi-squared p < 0.001;")
    assert content._numeric_table(ctx).rows[0][5] == "< 0.001"


def test_a_column_grouping_the_types_that_the_clusters_follow_more_is_not_explained_away():
    # before: clusters that are a lot's two halves (lot L1 holding types A and B, L2 holding
    # C and D; ARI 1.0 with the lot, 0.5 with the types) read 'the clusters follow it at ARI
    # 1.000 as far as they follow the types', though they follow it more than the types
    from types import SimpleNamespace

    from gexclust._report import _facts as facts
    from gexclust._report._content import _batch_sentences

    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    cluster_samples(adata, RunConfig(n_clusters=2))
    group = adata.obs["type"].cat.codes.to_numpy()
    half = np.zeros(adata.n_obs, dtype=int)
    for g in (0, 1):
        half[np.flatnonzero(group == g)[4:]] = 1
    adata.obs["type"] = pd.Categorical(np.array(list("ABCD"))[2 * group + half])
    adata.obs["lot"] = pd.Categorical(np.where(group == 0, "L1", "L2"))
    (lot,) = [b for b in facts.batch_columns(adata) if b.column == "lot"]
    assert (lot.relation, lot.ari) == ("groups", 1.0)
    from sklearn.metrics import adjusted_rand_score

    ari = adjusted_rand_score(adata.obs["type"], adata.obs["cluster"])
    assert ari == pytest.approx(0.5, abs=0.1)
    text = " ".join(_batch_sentences(SimpleNamespace(batches=[lot],
                                                     summary={"ari_vs_type": ari})))
    assert ("The .obs column 'lot' groups the sample types (each type lies within one of its "
            f"2 values): the clusters follow it at ARI 1.000, more than the sample types "
            f"({ari:.3f}): they join the types as it does. If it is a processing batch, the "
            "clusters may reflect it rather than biology.") == text


def test_a_numeric_column_of_one_value_in_the_clusters_is_said_untested():
    # before: a column whose clustered samples all hold one value (the others, without a
    # cluster, the rest) read 'do not differ beyond chance ... (chi-squared p = n/a ...)',
    # naming a test that was never run
    from types import SimpleNamespace

    from gexclust._report import _content as content
    from gexclust._report import _facts as facts

    obs = pd.DataFrame({"cluster": pd.Categorical(["1", "1", "2", "2"] + [None] * 4),
                        "x": [1.5, 1.5, 1.5, 1.5, 2.5, 3.5, 4.5, 5.5]},
                       index=[f"s{i}" for i in range(8)])
    adata = ad.AnnData(np.zeros((8, 2)), obs=obs)
    (f,) = facts.numeric_columns(adata)
    assert (f.n_groups, f.p_method) == (2, "none")
    assert content._numeric_sentences(SimpleNamespace(adata=adata, numerics=[f])) == [
        "The numeric .obs column 'x' was not tested against the clusters: its 4 samples with "
        "a value in a cluster all hold the same one."]


def test_a_median_just_below_1000_is_not_written_in_exponent_notation():
    # before: a median of 999.5 (two scan values 999 and 1000) read '1: 1e+03' in the table
    # and the sentences: 3 significant digits of 999.5
    from types import SimpleNamespace

    from gexclust._report import _content as content
    from gexclust._report import _facts as facts

    obs = pd.DataFrame({"cluster": pd.Categorical(["1", "1", "2", "2", "2"]),
                        "x": [999.0, 1000.0, 10.5, 20.5, 150.25]},
                       index=[f"s{i}" for i in range(5)])
    adata = ad.AnnData(np.zeros((5, 2)), obs=obs)
    (f,) = facts.numeric_columns(adata)
    ctx = SimpleNamespace(adata=adata, numerics=[f])
    assert content._numeric_table(ctx).rows[0][6] == "1: 1000; 2: 20.5"
    assert content._medians(f) == "1: 1000 and 2: 20.5"


def test_a_column_whose_second_value_is_only_on_unassigned_samples_is_one_value():
    # before: a lot 'L2' only on the 4 samples a dynamic cut left unassigned made 'lot' a
    # 2-value batch with ARI 0 over the 20 clustered samples, all of one lot: nothing to compare
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    run = RunConfig(n_clusters=3)
    cluster_samples(adata, run)
    clusters = adata.obs["cluster"].astype(object)
    clusters.iloc[:4] = np.nan
    adata.obs["cluster"] = pd.Categorical(clusters)
    adata.obs["lot"] = pd.Categorical(["L2"] * 4 + ["L1"] * (adata.n_obs - 4))
    adata.uns["annotations"] = {"columns": ["lot"]}
    from gexclust._report import _facts as facts

    assert "lot" not in {b.column for b in facts.batch_columns(adata)}
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    limits = section_texts(build_report(adata, summary, {}, None))["limits"]
    assert "the sample sheet's 'lot' (1 distinct value among the 20 samples with a cluster)." \
        in limits


def test_a_consensus_says_how_often_each_clusters_samples_stay_together():
    # golub with --consensus 100: the report gave PAC 0.199 at k = 2 but not which cluster is
    # unstable (the mixed AML one: its pairs together in 88% of resamples, ALL's in 98%), and
    # its limits said "the stability of each cluster is not known"
    import itertools

    adata = two_close_groups()
    texts = report_with_consensus(adata, n_clusters=3, n_resamples=30)
    matrix = adata.obsp["consensus_k3"]
    clusters = adata.obs["cluster"].astype(str).to_numpy()
    expected = {}
    for c in ("1", "2", "3"):
        members = np.flatnonzero(clusters == c)
        expected[c] = np.mean([matrix[i, j] for i, j in itertools.permutations(members, 2)])
    assert min(expected.values()) < 0.9 < max(expected.values())  # one cluster is unstable
    shown = " and ".join([", ".join(f"{100 * expected[c]:.0f}% (cluster {c})"
                                    for c in ("1", "2")), f"{100 * expected['3']:.0f}% "
                          "(cluster 3)"])
    # a mean over each cluster's pairs, said so (before: '... clustered together in 90%
    # (cluster 1)' of Golub's, whose pairs range from 56% to 100%)
    within = (f"Pairs of samples inside this run's clusters were clustered together, on "
              f"average over the pairs, in {shown} of the resamples that drew both.")
    pac = adata.uns["consensus"]["pac"][1]
    assert (f"Consensus at k = 3: PAC {pac:.3f} (the share of sample pairs clustered together "
            "in more than 10% and at most 90% of the resamples that drew both; 0 = perfectly "
            f"reproducible). {within}") in texts["overview"]
    assert within in texts["support"]
    assert "how each cluster holds up when genes are resampled is not known" in texts["limits"]
    assert "the stability of each cluster is not known" not in texts["limits"]


def two_tissues(seed: int = 0) -> ad.AnnData:
    """17 samples, 8 normal and 9 tumour, which differ by 1.6 sd in 20 of 200 genes: as GSE781."""
    rng = np.random.default_rng(seed)
    X = rng.normal(8.0, 1.0, size=(17, 200))
    X[8:, :20] += 1.6
    # names that sort in row order: choose_k draws its copies over the samples sorted by
    # name, and these tests were written for the copies of the row order (p = 0.06, weak; the
    # names s0..s16 give other copies and p = 0.05, strong at alpha 0.05)
    obs = pd.DataFrame({"type": pd.Categorical(["normal"] * 8 + ["tumour"] * 9)},
                       index=[f"s{i:02d}" for i in range(17)])
    return ad.AnnData(X, obs=obs)


def test_no_evidence_of_groups_is_not_said_of_clusters_the_types_confirm():
    # before: GSE781 GPL97 --scale zscore read 'NO EVIDENCE OF GROUPS ... the clusters below
    # may be arbitrary cuts of a continuum' right above 'The 2 clusters closely match the 2
    # known sample types: ARI 1.000', and the markers (CA9, UMOD) were 'where an arbitrary
    # cut fell, not a biological difference'
    texts = report_text(two_tissues(), markers=True)
    overview = texts["overview"]
    assert "ARI 1.000" in overview
    assert "no higher than in rotated copies" in overview  # the test's verdict is still given
    assert "NO EVIDENCE OF GROUPS" not in overview
    assert "arbitrary cuts of a continuum" not in overview + texts["limits"]
    assert ("but the clusters match the known sample types beyond chance (ARI 1.000, "
            "permutation p = 0.001): they are not arbitrary cuts") in overview
    assert "do not read its verdict as the absence of groups" in texts["limits"]
    assert "arbitrary cut fell" not in texts["markers"]
    assert "these genes describe how those types differ" in texts["markers"]
    # and under tl.choose_k's own message ('the groups are WEAK ... treat these clusters with
    # caution'), which knows nothing of the types
    assert "the groups are WEAK" in texts["choosing-k"]
    assert ("The known sample types say otherwise: the clusters match them beyond chance "
            "(ARI 1.000, permutation p = 0.001)") in texts["choosing-k"]
    # types the clusters do not follow leave the warning as it was
    shuffled = two_tissues()
    shuffled.obs["type"] = pd.Categorical(np.tile(["normal", "tumour"], 9)[:17])
    texts = report_text(shuffled, markers=True)
    assert "NO EVIDENCE OF GROUPS" in texts["overview"]
    assert "arbitrary cut fell" in texts["markers"]
    assert "say otherwise" not in texts["choosing-k"]


def test_a_batch_the_types_follow_as_much_is_said_to_be_confounded_with_them():
    # before: bladder with its sheet said the clusters agree weakly with 'batch' (ARI 0.155,
    # p = 0.001) 'if that column is a batch, it is partly confounded with the clusters', and
    # not that the types agree with the processing dates more (ARI 0.171: batch 3 holds only
    # normals, batch 4 only biopsies), so the agreement may come through the types alone
    from types import SimpleNamespace

    from gexclust._report import _facts as facts
    from gexclust._report._content import _batch_sentences

    adata = clustered()
    cluster = adata.obs["cluster"].astype(str).to_numpy()
    lot = np.where(cluster == "3", "L2", "L1")
    lot[np.flatnonzero(cluster == "2")[:2]] = "L2"
    adata.obs["lot"] = lot
    found = {b.column: b for b in facts.batch_columns(adata)}
    assert found["lot"].relation == "other"
    assert found["lot"].types_ari == pytest.approx(found["lot"].ari)  # clusters = types here
    context = SimpleNamespace(batches=[found["lot"]], summary={"ari_vs_type": 1.0})
    text = " ".join(_batch_sentences(context))
    assert (f"The sample types agree with it at least as much (ARI {found['lot'].ari:.3f}): "
            "column and type are partly confounded in the design, so the clusters may follow "
            "it only through the types.") in text
    # a lot the clusters follow more than the types do (GSE781 GPL96 z-scored: 0.383 against
    # the types' 0.237) keeps its caution alone, as does a column without types to compare
    for types_ari in (0.237, float("nan")):
        lot = facts.BatchFacts("Lot batch", 0.383, 2, 17, 0.02, "other", types_ari)
        context = SimpleNamespace(batches=[lot], summary={"ari_vs_type": 0.764})
        text = " ".join(_batch_sentences(context))
        assert "the clusters may reflect it rather than biology." in text
        assert "through the types" not in text


def test_many_small_clusters_are_not_said_to_differ_in_a_column_by_chance_alone():
    # before: GSE781 cut into 8 clusters (17 samples) said 'The clusters differ in the numeric
    # .obs column 'Age' at epsilon² 0.411, but ... within chance (p = 0.540)', where random
    # clusters of those sizes give 0.438 on average (E[H] = k - 1): no difference at all
    from types import SimpleNamespace

    from gexclust._report import _facts as facts
    from gexclust._report._content import _numeric_sentences

    adata = clustered(n_per_group=2, n_groups=8)  # 16 samples, 8 clusters of 2
    rng = np.random.default_rng(6)
    adata.obs["age"] = np.round(rng.uniform(20, 80, adata.n_obs), 1)
    found = {f.column: f for f in facts.numeric_columns(adata)}
    assert found["age"].epsilon2 == pytest.approx(0.429, abs=5e-4)  # > Cohen's 0.14
    text = " ".join(_numeric_sentences(SimpleNamespace(numerics=[found["age"]])))
    assert "The clusters differ" not in text
    assert ("The clusters do not differ in the numeric .obs column 'age' more than random "
            "clusters of their sizes would: epsilon² 0.429 over the 16 samples with a value, "
            "where chance alone gives 0.467 on average (permutation p = ") in text
    # above the chance level and beyond chance: the expectation is given with the difference
    code = adata.obs["cluster"].cat.codes.to_numpy().astype(float)
    adata.obs["rank"] = code + rng.uniform(0, 0.5, adata.n_obs)  # ordered by cluster
    rank = {f.column: f for f in facts.numeric_columns(adata)}["rank"]
    text = " ".join(_numeric_sentences(SimpleNamespace(numerics=[rank])))
    assert "The clusters differ in the numeric .obs column 'rank'" in text
    assert "(chance alone gives 0.467 on average), permutation p = 0.001" in text


def test_a_calm_numeric_column_with_missing_values_has_no_nested_parentheses():
    # before: GSE781 GPL97 read "'Age' (permutation p = 0.674, over the 16 samples with a
    # value (1 without one left out)): Kruskal-Wallis across the clusters"
    from types import SimpleNamespace

    from gexclust._report import _facts as facts
    from gexclust._report._content import _numeric_sentences

    adata = clustered()
    age = np.round(np.random.default_rng(1).uniform(20, 80, adata.n_obs), 1)
    age[:2] = np.nan
    adata.obs["age"] = age
    found = [f for f in facts.numeric_columns(adata) if f.column == "age"]
    assert found[0].p_value > 0.05  # a calm column
    assert found[0].epsilon2 < 0.14
    text = " ".join(_numeric_sentences(SimpleNamespace(numerics=found)))
    assert ", over the 22 samples with a value; 2 without one left out): Kruskal-Wallis" in text
    assert "))" not in text


def test_jumps_that_tie_as_shown_are_named_together():
    # before: Golub cut into 8 read 'The largest jump in merge height is at k = 2 (1.27x)'
    # while the table beside it gave k = 3 1.27x too (1.2743 and 1.2708)
    from types import SimpleNamespace

    from gexclust._report._content import _structure_sentence

    def sentence(k, jumps):
        context = SimpleNamespace(summary={"cophenetic_correlation": 0.709}, silhouette=0.104,
                                  jumps=jumps, k=k)
        return _structure_sentence(context)

    golub = {2: 1.2743, 3: 1.2708, 4: 1.1518, 8: 1.0471}
    assert sentence(8, golub).endswith(
        " The largest jumps in merge height are at k = 2 and 3 (1.27x each).")
    assert "largest jump" not in sentence(3, golub)  # this cut is one of them
    assert "largest jump" not in sentence(2, golub)
    assert sentence(8, {2: 1.44, 3: 1.03, 8: 1.17}).endswith(
        " The largest jump in merge height is at k = 2 (1.44x).")


def test_the_marker_table_says_it_is_ranked_by_t_not_by_p():
    # before: captioned 'Top 5 genes up and down per cluster' alone, its adj. p column read
    # 7.1e-31, 3.9e-25, 1.1e-25 down cluster 1 of the example, as if misordered
    from gexclust._report._markers import marker_table
    from gexclust._report._model import Table

    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    run = RunConfig(n_clusters=3)
    cluster_samples(adata, run)
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    table = marker_table(adata)
    report = build_report(adata, summary, {}, table)
    section = next(s for s in report.sections if s.key == "markers")
    caption = next(b.caption for b in section.blocks if isinstance(b, Table))
    assert caption == ("Top 5 genes up and down per cluster, ranked by the Welch t statistic "
                       "(the degrees of freedom differ between genes, so the adjusted p-values "
                       "need not fall in order)")
    up = table[(table["group"] == "1") & (table["direction"] == "up")]
    assert list(up["score"]) == sorted(up["score"], reverse=True)  # as the caption says


def test_fewer_clusters_that_keep_every_type_whole_are_not_said_to_partly_match():
    # before: the example cut into 2 (and --all-genes, --scale zscore, which choose k = 2)
    # read 'The 2 clusters partly match the 5 known sample types: ARI 0.397', of clusters
    # that split no type (Bone_Marrow and PB against AML and the CD34 types)
    adata = make_planted(n_per_group=8, n_groups=4, n_genes=60)
    texts = report_text(adata, n_clusters=2)
    assert "Every type lies within a single cluster." in texts["clusters"]
    assert "partly match" not in texts["overview"]
    assert ("The 2 clusters keep each of the 4 known sample types whole (none is split) but "
            "join several in one cluster: ARI 0.311, NMI 0.577, purity 0.500; these fall "
            "short of 1 only because the clusters are fewer than the types.") in texts["overview"]
    # the example at its own k = 4 read 'ARI 0.898 ..., low because': high, not low
    assert "low because" not in texts["overview"]
    # a type split between the clusters keeps the plain words
    adata = make_planted(n_per_group=8, n_groups=4, n_genes=60)
    types = adata.obs["type"].astype(str).to_numpy()
    types[np.flatnonzero(types == "group0")[0]] = "group2"
    adata.obs["type"] = types
    texts = report_text(adata, n_clusters=2)
    assert "Every type lies within a single cluster." not in texts["clusters"]
    assert "keep each" not in texts["overview"]
    assert "known sample types: ARI" in texts["overview"]


def test_a_consensus_equal_in_every_cluster_is_said_once():
    # the example with --consensus 30: '100% (cluster 1), 100% (cluster 2), 100% (cluster 3)
    # and 100% (cluster 4)'
    overview = report_with_consensus(make_planted(n_per_group=8, n_groups=3, n_genes=60),
                                     n_clusters=3, n_resamples=10)["overview"]
    assert ("clustered together, on average over the pairs, in 100% (each cluster) of the "
            "resamples that drew both") in overview


def test_the_limits_name_clusters_the_consensus_does_not_reproduce():
    # lung --consensus 50 (k = 3, PAC 0.352): cluster 1's pairs were together in 76% of the
    # resamples on average, and 'What this run cannot tell' said nothing of it
    from gexclust._report import _facts as facts

    adata = two_close_groups()
    limits = report_with_consensus(adata, n_clusters=3, n_resamples=30)["limits"]
    within = facts.within_cluster_consensus(adata, 3)
    weak = [c for c, v in within.items() if v <= 0.9]
    assert 0 < len(weak) < 3
    if len(weak) == 1:
        which = f"cluster {weak[0]} together in only {100 * within[weak[0]]:.0f}%"
    else:
        which = "clusters " + " and ".join(f"{c} ({100 * within[c]:.0f}%)" for c in weak)
    assert f"The consensus keeps the samples of {which}" in limits
    assert "not reliably reproduced when the samples are resampled" in limits
    stable = [c for c in within if c not in weak]
    assert all(f"cluster {c} together" not in limits for c in stable)


def test_all_pure_clusters_are_not_listed_again():
    # golub cut into 8: 'The 8 clusters are pure (purity 1.000 ...)' then 'Pure clusters (one
    # type only): 1, 2, 3, 4, 5, 6, 7 and 8'
    overview = report_text(make_planted(n_per_group=8, n_groups=2, n_genes=60),
                           n_clusters=4)["overview"]
    assert "The 4 clusters are pure (purity 1.000" in overview
    assert "Pure clusters (one type only)" not in overview


def test_a_column_known_only_inside_one_cluster_is_said_not_comparable():
    # GSE781 GPL96: ten tumour characteristics (grade, invasion), known for the 9 tumours only,
    # all in one cluster, were rows 'ARI 0.000, p = 1.000' of the batch table, read as
    # compared and found unrelated
    from gexclust._report import _facts as facts

    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    run = RunConfig(n_clusters=3)
    cluster_samples(adata, run)
    inside = (adata.obs["cluster"] == "1").to_numpy()
    grade = np.full(adata.n_obs, None, dtype=object)
    grade[np.flatnonzero(inside)] = np.resize(["G1", "G2", "G3"], inside.sum())
    adata.obs["grade"] = pd.Categorical(grade)
    adata.obs["lot"] = pd.Categorical(np.where(inside, "L1", None))  # one value: not listed
    adata.uns["annotations"] = {"columns": ["grade"]}
    assert "grade" not in {b.column for b in facts.batch_columns(adata)}
    assert facts.one_cluster_columns(adata) == {"grade": ("1", int(inside.sum()))}
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    limits = section_texts(build_report(adata, summary, {}, None))["limits"]
    assert ("Not compared with the clusters, as the samples with a value in it all lie in one "
            "cluster, so no agreement can be measured: 'grade' (cluster 1).") in limits
    assert "the sample sheet's 'grade'" not in limits  # not also 'no grouping' (it is one)
    assert "No sample annotation besides the type could be compared with the clusters" in limits
    assert "groups the samples (2 to" not in limits  # 'grade' does, inside cluster 1


def test_flags_read_back_as_numpy_bools_say_the_same():
    """Before: anndata 0.10 (the lowest allowed) reads the .uns flags of adata.h5ad back as
    numpy.bool_, which 'is False' missed: 'gexclust report' then headed the differences of
    means of an already-logged input 'log2FC' (the run's own report: 'diff. of means'), and
    dropped 'an arbitrary cut fell' under a weak k."""
    from gexclust._report._markers import marker_table

    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    adata.X = adata.X - 7.0  # centred values, as Golub's: judged already logged
    run = RunConfig(n_clusters=2)
    cluster_samples(adata, run)
    assert adata.uns["log2"]["applied"] is False
    adata.uns["log2"]["applied"] = np.False_  # as read back from adata.h5ad
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    report = build_report(adata, summary, {"markers": b""}, marker_table(adata))
    blocks = next(s for s in report.sections if s.key == "markers").blocks
    assert next(b for b in blocks if hasattr(b, "columns")).columns[4] == "diff. of means"
    weak = two_tissues()
    weak.obs["type"] = pd.Categorical(np.tile(["normal", "tumour"], 9)[:17])
    run = RunConfig()
    cluster_samples(weak, run)
    assert weak.uns["choose_k"]["strong"] is False
    weak.uns["choose_k"]["strong"] = np.False_
    summary = _summary(weak, run, {"path": "test", "simulated": False}, weak.n_vars)
    texts = section_texts(build_report(weak, summary, {}, marker_table(weak)))
    assert "arbitrary cut fell" in texts["markers"]


def test_no_evidence_of_groups_on_few_samples_says_the_test_has_little_power():
    # Before: on 17 samples the report said 'NO EVIDENCE OF GROUPS ... the clusters below may
    # be arbitrary cuts of a continuum.' and 'these genes describe where an arbitrary cut
    # fell', where the test finds two clear groups of 10 in only 2 of 10 simulated sets
    shuffled = two_tissues()
    shuffled.obs["type"] = pd.Categorical(np.tile(["normal", "tumour"], 9)[:17])
    texts = report_text(shuffled, markers=True)
    note = ("with 17 samples this test has little power: two clear groups of 10 in 20 "
            "samples, each cut exactly by the tree, were called weak in 8 of 10 simulated "
            "sets, so this verdict is no evidence against groups either")
    assert (f"the clusters below may be arbitrary cuts of a continuum; but {note}: judge by "
            "the tree's gaps and the genes behind the split.") in texts["overview"]
    assert (f"these genes may describe where an arbitrary cut fell, not a biological "
            f"difference ({note}).") in texts["markers"]
    assert f"may be arbitrary cuts of a continuum; but {note}." in texts["limits"]
    # 40 samples or more: as before
    texts = report_text(noise(n_obs=40), markers=True)
    assert "NO EVIDENCE OF GROUPS" in texts["overview"]
    assert "little power" not in " ".join(texts.values())
