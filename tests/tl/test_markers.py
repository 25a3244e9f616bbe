"""tl.markers and pl.markers: scanpy's t-test statistics, symbols, log2 fold changes."""

from __future__ import annotations

import warnings

import anndata
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import gexclust as gx
from tests.conftest import make_planted, shared_file

N = 25


@pytest.fixture(scope="module")
def clustered():
    adata = gx.datasets.gse9476_example()
    gx.pp.log2(adata)
    adata.layers["expression"] = adata.X.copy()
    gx.pp.select_variable(adata, n_top=1000, subset=True)
    gx.pp.scale(adata)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=4)
    return adata


def test_markers_agree_with_scanpy_rank_genes_groups(clustered):
    sc = pytest.importorskip("scanpy")
    adata = clustered.copy()
    table = gx.tl.markers(adata, layer="expression", n_genes=N, direction="both",
                          inplace=False)
    adata.uns["log1p"] = {"base": 2}  # log2 values: scanpy's fold changes need the base
    sc.tl.rank_genes_groups(adata, "cluster", method="t-test", layer="expression",
                            use_raw=False, n_genes=adata.n_vars)
    for group in adata.obs["cluster"].cat.categories:
        theirs = sc.get.rank_genes_groups_df(adata, group=group)
        for direction, rows in (("up", theirs.head(N)), ("down", theirs.tail(N)[::-1])):
            ours = table[(table["group"] == group) & (table["direction"] == direction)]
            assert ours["gene"].tolist() == rows["names"].tolist()
            np.testing.assert_allclose(ours["score"], rows["scores"], rtol=1e-5)
            np.testing.assert_allclose(ours["pval"], rows["pvals"], rtol=1e-5, atol=1e-300)
            np.testing.assert_allclose(ours["pval_adj"], rows["pvals_adj"], rtol=1e-5,
                                       atol=1e-300)
            # scanpy: log2((2^m1 - 1) / (2^m2 - 1)); ours: m1 - m2, the same where expressed
            expressed = np.minimum(ours["mean_group"], ours["mean_rest"]).to_numpy() > 6
            assert expressed.sum() > 5
            np.testing.assert_allclose(ours["logfoldchange"].to_numpy()[expressed],
                                       rows["logfoldchanges"].to_numpy()[expressed], atol=0.05)


def test_log2_fold_change_is_right_on_log2_data():
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)  # +4 on 10 genes per group
    gx.pp.log2(adata)  # values ~7: already log2, left alone
    table = gx.tl.markers(adata, groupby="type", n_genes=10, inplace=False)
    np.testing.assert_allclose(table["logfoldchange"], table["diff"])
    assert table["logfoldchange"].between(3.0, 5.0).all()  # planted: 4 up vs the rest


def poisson_groups(*, n_a: int, n_b: int, fold: float) -> anndata.AnnData:
    """Seeded Poisson(3) counts of 20 genes; group 'a' (the first n_a cells) has the first 5
    genes ``fold`` times higher."""
    rng = np.random.default_rng(0)
    counts = rng.poisson(3.0, size=(n_a + n_b, 20)).astype(float)
    counts[:n_a, :5] *= fold
    obs = pd.DataFrame({"group": pd.Categorical(["a"] * n_a + ["b"] * n_b)},
                       index=[f"c{i}" for i in range(n_a + n_b)])
    return anndata.AnnData(counts, obs=obs)


def test_fold_changes_on_scanpy_log1p_data_are_scanpy_s():
    sc = pytest.importorskip("scanpy")
    adata = poisson_groups(n_a=10, n_b=20, fold=6)
    sc.pp.log1p(adata)
    ours = gx.tl.markers(adata, groupby="group", n_genes=20, inplace=False)
    sc.tl.rank_genes_groups(adata, "group", method="t-test", n_genes=20)
    theirs = sc.get.rank_genes_groups_df(adata, group="a")
    mine = ours[ours["group"] == "a"]
    assert mine["gene"].tolist() == theirs["names"].tolist()
    np.testing.assert_allclose(mine["logfoldchange"], theirs["logfoldchanges"], rtol=1e-5)


def test_markers_table_has_symbols_directions_and_adjusted_p(clustered):
    table = gx.tl.markers(clustered, n_genes=3, direction="down", inplace=False)
    assert (table["direction"] == "down").all()
    assert (table["score"] < 0).all()
    symbols = clustered.var["gene_symbol"].astype(str)
    for gene, symbol in zip(table["gene"], table["gene_symbol"], strict=True):
        assert symbol == symbols[gene].split(" /// ")[0]
    assert (table["pval_adj"] >= table["pval"]).all()
    assert table["pval_adj"].le(1).all()
    with pytest.raises(ValueError, match="direction='sideways' is not valid"):
        gx.tl.markers(clustered, direction="sideways")


def test_pl_markers_dotplot(clustered, tmp_path):
    before = dict(clustered.uns)
    fig = gx.pl.markers(clustered, n_genes=3, save=tmp_path / "markers.png", show=False)
    dots = fig.axes[1].collections[0]
    assert len(dots.get_offsets()) == 4 * 4 * 3  # clusters x (clusters x genes)
    assert (tmp_path / "markers.png").stat().st_size > 10_000
    assert set(clustered.uns) == set(before)  # nothing stored


@pytest.mark.parametrize(("n_a", "n_b"), [(1, 10), (2, 5), (10, 54), (1, 1)])
def test_welch_and_bh_equal_scipy_stats(n_a, n_b):
    from scipy import stats

    from gexclust.tl._markers import benjamini_hochberg, welch_pvalue

    rng = np.random.default_rng(n_a * 100 + n_b)
    a, b = rng.normal(size=(n_a, 300)), rng.normal(size=(n_b, 300)) + 0.4
    a[:, :2], b[:, :2] = 1.0, [1.0, 3.0]  # constant genes: equal, and different
    var_a = a.var(axis=0, ddof=1) if n_a > 1 else np.zeros(300)
    var_b = b.var(axis=0, ddof=1) if n_b > 1 else np.zeros(300)
    with np.errstate(divide="ignore", invalid="ignore"):
        _, expected = stats.ttest_ind_from_stats(a.mean(0), np.sqrt(var_a), n_a, b.mean(0),
                                                 np.sqrt(var_b), n_b, equal_var=False)
    ours = welch_pvalue(a.mean(0) - b.mean(0), var_a, n_a, var_b, n_b)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)  # NaN where scipy's
    p = np.where(np.isnan(expected), 1.0, expected)
    np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p),
                               rtol=1e-12, atol=1e-15)


def test_pl_markers_dots_show_the_tables_numbers(clustered):
    # before: the dot plot adjusted p-values over the plotted genes only (16 of 1000), so its
    # dots were more significant than tl.markers says (-log10 p_adj 1.70 for the table's 1.59)
    from gexclust.pl._markers import MAX_SIGNIFICANCE

    fig = gx.pl.markers(clustered, n_genes=2, layer="expression", show=False)
    plotted = gx.tl.markers(clustered, n_genes=2, layer="expression", inplace=False)
    genes = list(dict.fromkeys(plotted["gene"]))
    every = gx.tl.markers(clustered, n_genes=clustered.n_vars, layer="expression",
                          inplace=False).set_index(["group", "gene"])
    groups = clustered.obs["cluster"].cat.categories
    index = pd.MultiIndex.from_product([groups, genes])
    significance = -np.log10(np.maximum(every.loc[index, "pval_adj"].to_numpy(), 1e-300))
    dots = fig.axes[1].collections[0]
    expected = 8 + 22 * np.minimum(significance, MAX_SIGNIFICANCE)
    np.testing.assert_allclose(dots.get_sizes(), expected, rtol=1e-9)
    np.testing.assert_allclose(dots.get_array(), every.loc[index, "logfoldchange"], rtol=1e-9)


def test_fold_changes_of_a_counts_layer_are_not_read_as_log1p():
    # before: scanpy's log1p record (it describes .X) was applied to .layers['counts']:
    # logfoldchange 19.3 for means 18.9 vs 5.6 (log2 ratio 1.77)
    rng = np.random.default_rng(0)
    counts = rng.poisson(10.0, (40, 6)).astype(float)
    counts[:20, 0] = rng.poisson(40.0, 20)
    adata = gx.datasets.gse9476_example()[:40, :6].copy()
    adata.X = np.log1p(counts)
    adata.layers["counts"] = counts
    adata.uns["log1p"] = {"base": None}
    adata.obs["g"] = ["a"] * 20 + ["b"] * 20
    table = gx.tl.markers(adata, groupby="g", layer="counts", n_genes=1, inplace=False)
    first = table.iloc[0]
    assert first["gene"] == adata.var_names[0]
    expected = np.log2(first["mean_group"] / first["mean_rest"])
    assert first["logfoldchange"] == pytest.approx(expected, rel=1e-9)
    assert first["logfoldchange"] == pytest.approx(2.0, abs=0.3)


@pytest.mark.parametrize("base", [None, 10])
def test_fold_changes_of_a_log1p_layer_are_scanpy_s(base):
    # scanpy's tutorial order: layers['log1p'] = adata.X.copy(), then sc.pp.scale. Before,
    # the layer (no record of its own) was taken for log2: logfoldchange was the difference
    # of its natural-log means, 2.06 for a planted 8-fold change (scanpy: 3.39)
    sc = pytest.importorskip("scanpy")
    adata = poisson_groups(n_a=20, n_b=20, fold=8)
    sc.pp.log1p(adata, base=base)
    adata.layers["log1p"] = adata.X.copy()
    sc.pp.scale(adata)
    ours = gx.tl.markers(adata, groupby="group", layer="log1p", n_genes=5, inplace=False)
    sc.tl.rank_genes_groups(adata, "group", method="t-test", layer="log1p", use_raw=False,
                            n_genes=5)
    theirs = sc.get.rank_genes_groups_df(adata, group="a")
    mine = ours[ours["group"] == "a"]
    assert mine["gene"].tolist() == theirs["names"].tolist()
    np.testing.assert_allclose(mine["logfoldchange"], theirs["logfoldchanges"], rtol=1e-5)
    assert mine["logfoldchange"].between(2.5, 3.5).all()  # planted: 8-fold


def test_blank_labels_are_no_group_as_nan_is():
    # before: an empty label ('' in a plain string column, as a CSV field reads) was a group
    # of its own: markers were ranked for "group ''" and it was a column of the heatmap
    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    adata = make_planted()
    as_nan = adata.copy()
    as_nan.obs["type"] = as_nan.obs["type"].cat.remove_categories(["group1"])
    blank = adata.copy()
    blank.obs["type"] = as_nan.obs["type"].astype(object).fillna("").to_numpy()
    tables = [gx.tl.markers(a, groupby="type", inplace=False) for a in (as_nan, blank)]
    assert set(tables[1]["group"]) == {"group0", "group2"}
    pd.testing.assert_frame_equal(tables[0], tables[1])
    specs = [cluster_heatmap_spec(a, groupby="type") for a in (as_nan, blank)]
    assert specs[1].column_labels == specs[0].column_labels == ["type group0", "type group2"]
    np.testing.assert_array_equal(specs[1].means, specs[0].means)
    fig = gx.pl.markers(blank, groupby="type", show=False)
    assert {t.get_text() for t in fig.axes[1].texts} >= {"type group0", "type group2"}
    assert "type " not in {t.get_text() for t in fig.axes[1].texts}


@pytest.fixture(scope="module")
def pbmc_ranked():
    # scanpy's pbmc68k_reduced (bundled, no network): .X scaled, log-normalised values in .raw
    sc = pytest.importorskip("scanpy")
    adata = sc.datasets.pbmc68k_reduced()
    sc.tl.rank_genes_groups(adata, "bulk_labels", method="t-test", n_genes=adata.raw.n_vars)
    return adata


def test_markers_read_raw_as_scanpy_does(pbmc_ranked):
    # before: .X was read (a warning said so); the logfoldchange of FTL in CD14+ monocytes
    # was 1.98, from scaled values, where rank_genes_groups (on .raw) gives 2.40
    sc = pytest.importorskip("scanpy")
    adata = pbmc_ranked
    table = gx.tl.markers(adata, groupby="bulk_labels", n_genes=N, inplace=False)
    for group in adata.obs["bulk_labels"].cat.categories:
        theirs = sc.get.rank_genes_groups_df(adata, group=group).head(N)
        ours = table[table["group"] == group]
        assert ours["gene"].tolist() == theirs["names"].tolist()
        # .raw is float32: both sides sum in float32, hence the tolerance
        np.testing.assert_allclose(ours["score"], theirs["scores"], rtol=1e-4)
        np.testing.assert_allclose(ours["logfoldchange"], theirs["logfoldchanges"], rtol=1e-4,
                                   atol=1e-4)
        np.testing.assert_allclose(ours["pval_adj"], theirs["pvals_adj"], rtol=1e-3,
                                   atol=1e-300)
    monocytes = table[table["group"] == "CD14+ Monocyte"].set_index("gene")
    assert monocytes.loc["FTL", "logfoldchange"] == pytest.approx(2.40, abs=0.005)


def test_use_raw_false_and_layers_read_what_they_name(pbmc_ranked):
    adata = pbmc_ranked.copy()
    on_x = gx.tl.markers(adata, groupby="bulk_labels", use_raw=False, inplace=False)
    adata.layers["scaled"] = adata.X.copy()
    on_layer = gx.tl.markers(adata, groupby="bulk_labels", layer="scaled", inplace=False)
    pd.testing.assert_frame_equal(on_x, on_layer)  # a layer means use_raw=False, as scanpy
    with pytest.raises(ValueError, match="pass either layer='scaled' or use_raw=True"):
        gx.tl.markers(adata, groupby="bulk_labels", layer="scaled", use_raw=True)
    del adata.raw
    with pytest.raises(ValueError, match=r"use_raw=True, but adata has no \.raw"):
        gx.tl.markers(adata, groupby="bulk_labels", use_raw=True)


def test_marker_plots_show_raw_genes_with_their_numbers(pbmc_ranked):
    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    adata = pbmc_ranked[:, :300].copy()  # .raw keeps all 765 genes, as scanpy's
    table = gx.tl.markers(adata, groupby="bulk_labels", n_genes=2, inplace=False)
    assert not set(table["gene"]) <= set(adata.var_names)  # markers among .raw's genes
    spec = cluster_heatmap_spec(adata, groupby="bulk_labels", n_genes=2)
    shown = [label.split(" ")[0] for label in spec.row_labels]
    assert shown == list(dict.fromkeys(table["gene"]))
    raw = adata.raw.to_adata()
    gene, group = table["gene"].iloc[0], table["group"].iloc[0]
    inside = (adata.obs["bulk_labels"] == group).to_numpy()
    column = spec.column_labels.index(f"bulk_labels {group}")
    assert spec.means[shown.index(gene), column] == pytest.approx(
        float(np.asarray(raw[inside, gene].X.todense()).mean()), rel=1e-5)
    fig = gx.pl.markers(adata, groupby="bulk_labels", n_genes=2, show=False)
    labels = [t.get_text() for t in fig.axes[1].texts]
    assert gene in labels


def test_missing_value_texts_are_no_group():
    # .astype(str) of a column with NaN gives 'nan' (pandas < 3): before, a group 'nan' got
    # markers. Written out, as pandas 3's .astype(str) keeps NaN missing.
    adata = make_planted()
    as_nan = adata.copy()
    as_nan.obs["type"] = as_nan.obs["type"].cat.remove_categories(["group1"])
    text = adata.copy()
    text.obs["type"] = ["nan" if pd.isna(v) else str(v) for v in as_nan.obs["type"]]
    assert "nan" in set(text.obs["type"])
    tables = [gx.tl.markers(a, groupby="type", inplace=False) for a in (as_nan, text)]
    assert set(tables[1]["group"]) == {"group0", "group2"}
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_float32_data_give_float64_p_values():
    # before: statistics of float32 data were float32, so p-values below 1e-38 came out 0
    adata = make_planted(n_per_group=30)
    single = adata.copy()
    single.X = single.X.astype(np.float32)
    tables = [gx.tl.markers(a, groupby="type", inplace=False) for a in (adata, single)]
    assert (tables[0]["pval"] < 1e-38).any()
    assert (tables[1]["pval"] > 0).all()
    np.testing.assert_allclose(tables[1]["pval"], tables[0]["pval"], rtol=1e-4)


def test_fold_changes_of_counts_in_x_without_a_log_record_are_log2_ratios():
    # before: .X without a record was taken as log2, so the fold change was the difference
    # of the count means (33.1 where the log2 ratio is 2.7)
    rng = np.random.default_rng(1)
    counts = rng.poisson(8.0, (40, 6)).astype(float)
    counts[:20, 0] = rng.poisson(60.0, 20)
    adata = anndata.AnnData(counts, obs=pd.DataFrame({"g": ["a"] * 20 + ["b"] * 20},
                                                     index=[f"c{i}" for i in range(40)]))
    table = gx.tl.markers(adata, groupby="g", n_genes=1, inplace=False)
    first = table.iloc[0]
    assert first["group"] == "a"
    assert first["gene"] == adata.var_names[0]
    assert first["logfoldchange"] == pytest.approx(
        np.log2(first["mean_group"] / first["mean_rest"]), rel=1e-9)
    assert first["logfoldchange"] == pytest.approx(np.log2(60 / 8), abs=0.3)
    assert first["diff"] > 40  # the difference of means is kept as what it is


@pytest.mark.filterwarnings("ignore::FutureWarning")  # scanpy's own, with some pandas
def test_z_scores_nobody_can_undo_have_no_fold_changes(caplog):
    # before: after sc.pp.scale (alone, or after gx.pp.scale, whose .var['mean'] and ['std']
    # it overwrites) the "log2 fold changes" were differences of z-scores (1.8 where the
    # planted shift is 4)
    import scanpy as sc

    adata = make_planted()
    adata.obs["cluster"] = adata.obs["type"]
    expected = gx.tl.markers(adata, inplace=False)
    np.testing.assert_allclose(expected["logfoldchange"].head(10), 4.0, atol=0.6)
    ours = adata.copy()
    gx.pp.scale(ours)  # undone from its record: the same fold changes
    table = gx.tl.markers(ours, inplace=False)
    np.testing.assert_allclose(table["logfoldchange"], expected["logfoldchange"], atol=1e-12)
    for name, steps in (("sc.pp.scale", [sc.pp.scale]),
                        ("gx then sc", [gx.pp.scale, sc.pp.scale]),
                        ("clipped", [lambda a: gx.pp.scale(a, max_value=2)])):
        scaled = adata.copy()
        for step in steps:
            step(scaled)
        caplog.clear()
        table = gx.tl.markers(scaled, inplace=False)
        assert table["logfoldchange"].isna().all(), name
        assert table["gene"].head(10).tolist() == expected["gene"].head(10).tolist(), name
        assert "fold changes" in caplog.text, name


def test_fold_changes_with_a_mean_below_0_are_nan_and_said(caplog):
    """Before: a layer of linear values below 0 (MAS 4.0 average differences) gave NaN
    fold changes through numpy's "invalid value encountered in log2" (an error here), and a
    gene whose two means were both below 0 a number of the wrong sign (-100 against -50 read
    as 2-fold up); a .raw of centred values (read as sc.pp.log1p's) NaN for every gene. Now
    NaN exactly where a mean is below 0, with one warning naming the matrix."""
    X = np.array([[-100.0, 400.0, 300.0], [-100.0, 400.0, 310.0], [-50.0, 100.0, 150.0],
                  [-50.0, 100.0, 160.0]])
    adata = anndata.AnnData(np.log2(np.abs(X) + 1), obs=pd.DataFrame(
        {"cluster": pd.Categorical(["a", "a", "b", "b"])}, index=["s1", "s2", "s3", "s4"]))
    adata.var_names = ["g1", "g2", "g3"]
    adata.layers["signal"] = X
    table = gx.tl.markers(adata, layer="signal", inplace=False, n_genes=3)
    fold = table.set_index(["group", "gene"])["logfoldchange"]
    assert np.isnan(fold["a", "g1"])  # -100 against -50: it read +1.0, "2-fold up"
    assert np.isnan(fold["b", "g1"])
    np.testing.assert_allclose(fold["a", "g2"], np.log2(400 / 100), rtol=1e-9)
    np.testing.assert_allclose(fold["b", "g3"], np.log2(155 / 305), rtol=1e-9)
    assert caplog.messages == [
        "tl.markers: .layers['signal'] holds values below 0 (min -100), read as linear values: "
        "a log2 ratio of means is undefined where a mean is below 0, so the log2 fold change "
        "of 1 gene is NaN; for a fold change of every gene, rank log2 expression (layer=; "
        "pp.log2 floors values below 0)"]
    centred = adata.copy()
    centred.X = adata.X - adata.X.mean(axis=0)
    centred.raw = centred
    caplog.clear()
    table = gx.tl.markers(centred, inplace=False, n_genes=3)
    assert table["logfoldchange"].isna().all()
    assert len(caplog.messages) == 1
    assert caplog.messages[0].startswith("tl.markers: .raw.X holds values below 0 (min -")
    assert "read as sc.pp.log1p values" in caplog.messages[0]
    assert "the log2 fold change of 3 genes is NaN" in caplog.messages[0]


@pytest.mark.filterwarnings("ignore::FutureWarning")  # scanpy's own, with some pandas
def test_marker_dots_of_z_scores_are_differences_in_sd():
    import scanpy as sc

    adata = make_planted()
    adata.obs["cluster"] = adata.obs["type"]
    sc.pp.scale(adata)
    fig = gx.pl.markers(adata, n_genes=2, show=False)
    colours = fig.axes[1].collections[0].get_array()
    assert np.isfinite(colours).all()
    assert colours.max() > 1.5  # about 2 SD up in its group
    assert fig.axes[2].get_ylabel() == "difference in SD"


@pytest.mark.filterwarnings("ignore::FutureWarning")  # scanpy's own, with some pandas
def test_heatmap_of_z_scores_says_so():
    import scanpy as sc

    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    adata = make_planted()
    adata.obs["cluster"] = adata.obs["type"]
    assert cluster_heatmap_spec(adata).title.startswith("Mean expression per cluster")
    sc.pp.scale(adata)
    assert cluster_heatmap_spec(adata).title.startswith("Mean z-score per cluster")


def test_all_groups_against_their_rest_equal_scipy_welch_from_one_pass():
    from scipy import stats

    from gexclust.tl._markers import all_vs_rest

    rng = np.random.default_rng(7)
    codes = rng.integers(-1, 6, 400)  # -1: unlabelled, in no group and no rest
    codes[codes == 4] = 3  # group 4 is empty
    codes[np.flatnonzero(codes == 5)[1:]] = 2  # group 5 has one sample
    X = (rng.normal(size=(400, 50)) + codes[:, None] * 0.3).astype(np.float32)
    X[:, 0] = 2.0  # a constant gene
    results = all_vs_rest(X, codes, 6)
    assert results[4] is None
    for code in (0, 1, 2, 3, 5):
        a, b = X[codes == code].astype(float), X[(codes >= 0) & (codes != code)].astype(float)
        ours = results[code]
        np.testing.assert_allclose(ours["mean_rest"], b.mean(0), rtol=1e-12)
        np.testing.assert_allclose(ours["diff"], a.mean(0) - b.mean(0), rtol=1e-9, atol=1e-12)
        assert ours["pval"][0] == 1.0  # constant gene: no evidence
        # one sample has no variance of its own: Student's pooled t, not Welch's
        _, expected = stats.ttest_ind(a[:, 1:], b[:, 1:], equal_var=len(a) == 1)
        np.testing.assert_allclose(ours["pval"][1:], expected, rtol=1e-9)


def test_a_group_of_one_sample_is_scored_as_a_single_case_not_with_zero_variance():
    """Crawford & Howell: t = (x - mean) / (sd * sqrt(1 + 1/n)) on n - 1 degrees of freedom.

    Welch's t took the lone sample's variance as 0, i.e. t = (x - mean) / (sd / sqrt(n)):
    sqrt(n + 1) = 8 times too large against 63 samples, and p-values near 1e-30 for a gene
    no further from the rest than a typical sample.
    """
    from scipy import stats

    from gexclust.tl._markers import all_vs_rest

    rng = np.random.default_rng(3)
    X = rng.normal(size=(64, 20))
    X[0] = X[1:].mean(0) + 2 * X[1:].std(0, ddof=1)  # two SDs from the rest, in every gene
    codes = np.r_[0, np.ones(63, dtype=int)]
    lone, rest = all_vs_rest(X, codes, 2)
    sd = X[1:].std(0, ddof=1)
    t = (X[0] - X[1:].mean(0)) / (sd * np.sqrt(1 + 1 / 63))
    np.testing.assert_allclose(lone["score"], t, rtol=1e-10)
    np.testing.assert_allclose(lone["pval"], 2 * stats.t.sf(np.abs(t), 62), rtol=1e-10)
    assert (lone["pval"] > 0.04).all()  # two SDs out: borderline, not 1e-30
    np.testing.assert_allclose(rest["score"], -t, rtol=1e-10)  # the rest against one sample
    two = all_vs_rest(X[:2], np.array([0, 1]), 2)  # one sample each: no test at all
    assert (two[0]["pval"] == 1.0).all()
    assert (two[1]["pval"] == 1.0).all()


def test_markers_read_the_matrix_once_not_a_copy_of_the_rest_per_group():
    # at 100,000 cells x 2,000 genes a copy of each group's rest (and its float64 variance)
    # took 2.3 GB beyond .X and ~3 s per group; the statistics need one group's rows at a time
    import tracemalloc

    from gexclust.tl._markers import all_vs_rest

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 100)).astype(np.float32)
    codes = rng.integers(0, 10, len(X))
    tracemalloc.start()
    try:
        all_vs_rest(X, codes, 10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 2


def test_clipped_z_scores_without_their_statistics_still_say_so(caplog):
    # before: with .var['mean']/['std'] gone (dropped, or a frame rebuilt) the fold changes of
    # clipped z-scores were NaN without a word: the warning came only when they could be read
    adata = make_planted()
    adata.obs["cluster"] = adata.obs["type"]
    gx.pp.scale(adata, max_value=2)
    adata.var = adata.var.drop(columns=["mean", "std"])
    with caplog.at_level("WARNING", logger="gexclust"):
        table = gx.tl.markers(adata, inplace=False)
    assert table["logfoldchange"].isna().all()
    assert "clipped by pp.scale(max_value=2" in caplog.text


def test_z_scores_are_found_whatever_the_first_genes_are():
    # the check reads a few genes first and the whole matrix only when they fit: z-scores
    # whose first genes are constant (0 after scaling) are still z-scores, and expression
    # whose first genes happen to spread less than 1 is still expression
    from gexclust._utils import all_unit_sd, column_variance, columns_have_unit_sd

    rng = np.random.default_rng(0)
    X = rng.normal(7.0, 2.0, size=(30, 200))
    z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    z[:, :80] = 0.0  # constant genes: more than the 64 read first, fewer than half
    assert all_unit_sd(column_variance(z), 30)
    assert columns_have_unit_sd(z)
    X[:, :100] = rng.normal(7.0, 0.5, size=(30, 100))  # quiet first genes, noisy rest
    assert not columns_have_unit_sd(X)
    assert not columns_have_unit_sd(z.astype(np.float32)[:, :1])  # one gene: no verdict
    assert columns_have_unit_sd(z.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_variance_is_taken_from_deviations(dtype):
    # before: the sum of squares minus n * mean**2, which cancels when the mean dwarfs the
    # spread: z-scores shifted by 1e8 (unit SD, as pp.scale(zero_center=False) of values
    # near 1e8 leaves them) had variances of 0 to 9.8, so they were not seen as scaled
    from gexclust._utils import column_variance, columns_have_unit_sd

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 100))
    z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    shifted = z + (1e8 if dtype == np.float64 else 1e6)  # float32: steps of 1/16
    shifted = shifted.astype(dtype)
    exact = shifted.astype(np.float64).var(axis=0, ddof=1)
    np.testing.assert_allclose(column_variance(shifted), exact, rtol=1e-7, atol=0)
    np.testing.assert_allclose(column_variance(shifted, block=7), exact, rtol=1e-7, atol=0)
    if dtype == np.float64:
        assert columns_have_unit_sd(shifted)



class RowReads(np.ndarray):
    """An array that counts the rows its slices read (the passes a function makes over it)."""

    rows_read = 0

    def __getitem__(self, key):
        part = super().__getitem__(key)
        if isinstance(key, slice):
            RowReads.rows_read += len(part)
        return part.view(np.ndarray)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_variance_reads_the_matrix_once(dtype):
    # before: one pass for the mean, another for the deviations, in blocks of 8,192 rows
    # (131 MB at 2,000 genes, out of cache): 116 ms of CPU on 2,000 x 20,000 z-scores; one
    # pass of cache-sized blocks combined pairwise takes 59 ms, as accurately
    from gexclust._utils import column_variance

    rng = np.random.default_rng(2)
    X = rng.normal(size=(1000, 30))
    X[:, 0] = 1e6 + 0.01 * rng.normal(size=1000)  # a gene of 1e6 +- 0.01
    X = X.astype(dtype)
    exact = X.astype(np.float64).var(axis=0, ddof=1)
    RowReads.rows_read = 0
    variance = column_variance(X.view(RowReads))
    assert RowReads.rows_read == 1000
    tolerance = 1e-6 if dtype == np.float32 else 1e-8  # float32: 1e6 in steps of 1/16
    np.testing.assert_allclose(variance, exact, rtol=tolerance, atol=0)
    for block in (1, 3, 7, 1000, 4096):  # many blocks, uneven ones, a single one
        np.testing.assert_allclose(column_variance(X, block=block), exact, rtol=tolerance)
    np.testing.assert_allclose(column_variance(X, ddof=0), X.astype(np.float64).var(axis=0),
                               rtol=tolerance)


def test_markers_of_one_group_are_refused_not_an_empty_table(clustered):
    # before: one cluster gave an empty table, silently (pl.markers already refused it)
    one = clustered.copy()
    gx.tl.cut(one, n_clusters=1)
    with pytest.raises(ValueError, match=r"tl\.markers: 'cluster' needs at least 2 groups with "
                                         r"samples .*it has one, '1'$"):
        gx.tl.markers(one)
    assert "markers" not in one.uns
    one.obs["cluster"] = np.nan
    with pytest.raises(ValueError, match=r"it has none \(no sample has a label\)$"):
        gx.tl.markers(one, inplace=False)


@pytest.mark.parametrize("n_genes", [0, -1, 2.5, True])
def test_a_number_of_genes_that_is_no_positive_count_is_refused(clustered, n_genes):
    # before: n_genes=0 said "'cluster' needs at least 2 groups with samples ...; it has one,
    # '1'" of four clusters; -1 kept every gene but the last of each group; 2.5 gave numpy's
    # "slice indices must be integers"; pl.cluster_heatmap(n_genes=0) "zero-size array"
    for call in (gx.tl.markers, gx.pl.markers, gx.pl.cluster_heatmap):
        caller = f"{call.__module__.split('.')[1]}.{call.__name__}"
        with pytest.raises(ValueError, match=rf"^{caller}: n_genes must be a positive whole "
                                             rf"number \(of genes per group\), got {n_genes!r}$"):
            call(clustered, n_genes=n_genes)


def test_markers_of_two_groups_and_no_genes_do_not_blame_the_groups(clustered):
    # before: 'cluster' needs at least 2 groups with samples ...; it has one, '1' (of four)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata 0.10: 'Transforming to str index' (no genes)
        none = clustered[:, :0].copy()
    table = gx.tl.markers(none, inplace=False)
    assert table.empty
    assert list(table.columns) == list(gx.tl.markers(clustered, inplace=False).columns)


def test_scores_do_not_depend_on_the_unit_of_the_values():
    """Welch's t is free of the unit: values in other units (here Golub's arrays x 1e-7, as
    proportions would be) rank the same genes with the same scores. Before, a fixed floor of
    1e-6 on the standard error turned every score into diff x 1e6 there (0.03 of the t; the
    top 10 AML genes were no longer scanpy's)."""
    adata = gx.io.read_cumida(shared_file("real/golub_multtest.csv.gz"))
    tiny = adata.copy()
    tiny.X = adata.X * 1e-7
    ours, small = (gx.tl.markers(a, groupby="type", n_genes=20, direction="both",
                                 inplace=False) for a in (adata, tiny))
    assert small["gene"].tolist() == ours["gene"].tolist()
    np.testing.assert_allclose(small["score"], ours["score"], rtol=1e-9)
    np.testing.assert_allclose(small["pval"], ours["pval"], rtol=1e-9)


def test_constant_genes_keep_finite_scores():
    """A gene constant everywhere scores 0; one constant within each group but different
    between them ranks first with a finite score (scanpy's is inf); rounding of the means
    of a constant gene (0.1 is not a binary fraction) is not read as a difference."""
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 1.0, size=(12, 5))
    X[:, 0] = 0.1
    X[:6, 1], X[6:, 1] = 7.0, 2.0
    adata = anndata.AnnData(X, obs=pd.DataFrame(
        {"g": pd.Categorical(["a"] * 6 + ["b"] * 6)}, index=[f"s{i}" for i in range(12)]))
    adata.var_names = [f"g{i}" for i in range(5)]
    table = gx.tl.markers(adata, groupby="g", n_genes=5, inplace=False).set_index(
        ["group", "gene"])
    assert np.isfinite(table["score"]).all()
    assert abs(table.loc[("a", "g0"), "score"]) < 1e-3
    assert table.loc[("a", "g1"), "score"] > 1e6
    assert table.loc[("a", "g1"), "rank"] == 0  # first


def test_fold_changes_of_low_counts_spanning_less_than_50_are_log2_ratios():
    # before: counts up to 18 (a shallow single-cell matrix: most cells 0-5 UMIs per gene)
    # passed for log2 values (no span above 50, and GEO2R's q99 is 8), so the "log2
    # fold change" of a 4x gene was the difference of means, 4.51, where log2(6.0 / 1.49) = 2.0
    rng = np.random.default_rng(0)
    lam = np.full((2000, 50), 1.5)
    lam[1000:, :5] *= 4
    counts = sparse.csr_matrix(rng.poisson(lam).astype(np.float32))
    adata = anndata.AnnData(counts, obs=pd.DataFrame(
        {"g": pd.Categorical(["a"] * 1000 + ["b"] * 1000)}, index=[f"c{i}" for i in range(2000)]))
    assert adata.X.max() <= 50
    table = gx.tl.markers(adata, groupby="g", n_genes=5, inplace=False)
    up = table[(table["group"] == "b") & (table["direction"] == "up")]
    np.testing.assert_allclose(up["logfoldchange"],
                               np.log2(up["mean_group"] / up["mean_rest"]), rtol=1e-6)
    np.testing.assert_allclose(up["logfoldchange"], 2.0, atol=0.1)


@pytest.mark.parametrize("where", ["X", "layer"])
def test_a_missing_value_is_refused_not_scored_as_no_difference(where):
    """Before, one NaN in a gene of .X (or a layer) made its t statistic NaN and its p-value
    1.0: on planted groups, gene 'g10', shifted by 4 in group1, read "no difference, p = 1"
    for group1 and fell to the bottom of its table (pl.cluster_heatmap annotated its mean as
    nan), while .raw with the same NaN was refused. Now it is refused, naming gene and sample,
    as every other tool refuses missing values."""
    adata = make_planted()
    first = int(np.flatnonzero(adata.obs["type"] == "group1")[0])
    values = adata.X.copy()
    values[first, 10] = np.nan
    if where == "X":
        adata.X = values
    else:
        adata.layers["expression"] = values
    layer = None if where == "X" else "expression"
    with pytest.raises(ValueError, match=rf"tl.markers: gene 'g10' has a missing or infinite "
                       rf"value \(nan\) in sample '{adata.obs_names[first]}'"):
        gx.tl.markers(adata, groupby="type", layer=layer)
    for plot in (gx.pl.markers, gx.pl.cluster_heatmap):
        with pytest.raises(ValueError, match="missing or infinite value"):
            plot(adata, groupby="type", layer=layer)


@pytest.mark.parametrize(("where", "name"), [("X", r"\.X"), ("layer", r"\.layers\['expression'\]"),
                                             ("raw", r"\.raw\.X")])
def test_a_missing_value_is_refused_naming_the_matrix_it_is_in(where, name):
    """Before, the refusal named gene and sample but not the matrix, which tl.markers chooses
    itself (.raw when there is one and no layer is given): with the NaN in .raw, the user was
    sent looking in .X, which held none. Now the matrix is named too."""
    adata = make_planted()
    values = adata.X.copy()
    values[3, 10] = np.nan
    if where == "X":
        adata.X = values
    elif where == "layer":
        adata.layers["expression"] = values
    else:
        adata.raw = anndata.AnnData(values, obs=adata.obs, var=adata.var)
    layer = "expression" if where == "layer" else None
    with pytest.raises(ValueError, match=rf"tl.markers: gene 'g10' has a missing or infinite "
                       rf"value \(nan\) in sample '{adata.obs_names[3]}' of {name} \(1 such"):
        gx.tl.markers(adata, groupby="type", layer=layer)


@pytest.mark.parametrize(("call", "name"), [
    (gx.tl.markers, "tl.markers"), (gx.pl.markers, "pl.markers"),
    (gx.pl.cluster_heatmap, "pl.cluster_heatmap"),
])
def test_markers_before_a_cut_name_the_caller_and_say_to_cut(call, name):
    # a newcomer who skipped tl.cut read "markers: no column 'cluster' in .obs; available:
    # [...]", from pl.markers too: neither what was called nor what makes the column
    adata = make_planted()
    gx.tl.hclust(adata)
    with pytest.raises(KeyError) as info:
        call(adata)
    message = info.value.args[0]
    assert message.startswith(f"{name}: no column 'cluster' in .obs; available: ['type']")
    assert message.endswith("; run gexclust.tl.cut(adata) to make it")
    # another column names no tool to run
    with pytest.raises(KeyError) as info:
        call(adata, groupby="leiden")
    assert info.value.args[0] == f"{name}: no column 'leiden' in .obs; available: ['type']"


def test_groups_of_a_plain_string_column_come_in_anndatas_natural_order():
    # scanpy33 made the order of a plain-string column's categories anndata's natural one
    # (as an h5ad round trip and scanpy's sanitize_anndata give them, and as its colours are
    # stored), which tl.markers and tl.compare use too: before, 'b1', 'b10', 'b2'. The column
    # itself stays as the user made it (only a figure that colours it stores it categorical)
    adata = make_planted(n_per_group=4)
    adata.obs["batch"] = np.resize(["b1", "b2", "b10"], adata.n_obs).astype(object)
    as_made = adata.obs["batch"].dtype  # object, or pandas 3's string dtype
    gx.tl.markers(adata, groupby="batch")
    assert list(dict.fromkeys(adata.uns["markers"]["group"].astype(str))) == ["b1", "b2", "b10"]
    gx.tl.compare(adata, reference="batch", clusters="type")
    assert list(adata.uns["compare_batch_type"]["crosstab"].index) == ["b1", "b2", "b10"]
    assert adata.obs["batch"].dtype == as_made


def test_marker_symbols_read_as_the_gene_labels():
    """The table's gene_symbol showed Affymetrix's '---' and 'nan' texts as symbols, an Entrez
    id of a float column as '7157.0', and the blank before ' TP53 /// X'; the plots' labels
    (pl._labels.gene_labels) read the same column as no symbol, '7157' and 'TP53'."""
    rng = np.random.default_rng(0)
    X = rng.normal(8.0, 1.0, (6, 5))
    X[:3] += 3.0
    var = pd.DataFrame({"gene_symbol": ["---", " TP53 /// X", 7157.0, np.nan, "nan"]},
                       index=[f"p{j}" for j in range(5)])
    obs = pd.DataFrame({"cluster": pd.Categorical(list("aaabbb"))},
                       index=[f"s{i}" for i in range(6)])
    table = gx.tl.markers(anndata.AnnData(X, obs=obs, var=var), n_genes=5, inplace=False)
    symbols = dict(zip(table["gene"], table["gene_symbol"], strict=False))
    assert symbols == {"p0": "", "p1": "TP53", "p2": "7157", "p3": "", "p4": ""}
