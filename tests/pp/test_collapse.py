from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import gexclust as gx


@pytest.fixture
def probes():
    X = np.array([[1.0, 5.0, 9.0, 2.0, 7.0, 3.0],
                  [3.0, 5.5, 1.0, 2.0, 7.5, 3.0],
                  [2.0, 6.0, 5.0, 2.0, 8.0, 3.0]])
    var = pd.DataFrame(
        {"gene_symbol": ["A", "A", "A", "B /// C", "", "C"]},
        index=["p1", "p2", "p3", "p4", "AFFX-x", "p6"],
    )
    obs = pd.DataFrame(index=["s1", "s2", "s3"])
    return ad.AnnData(X, obs=obs, var=var)


def test_max_mean_keeps_highest_mean_probe(probes):
    genes = gx.pp.collapse_probes(probes)
    assert genes.var_names.tolist() == ["A", "B", "C"]
    assert genes.var.loc["A", "probes"] == "p2"  # means 2, 5.5, 5 -> p2
    np.testing.assert_array_equal(genes[:, "A"].X.ravel(), probes[:, "p2"].X.ravel())
    assert genes.var["n_probes"].tolist() == [3, 1, 1]
    assert genes.uns["collapse_probes"]["n_genes"] == 3


def test_max_var_and_mean(probes):
    by_var = gx.pp.collapse_probes(probes, how="max_var")
    assert by_var.var.loc["A", "probes"] == "p3"
    mean = gx.pp.collapse_probes(probes, how="mean")
    np.testing.assert_allclose(mean[:, "A"].X.ravel(), probes[:, ["p1", "p2", "p3"]].X.mean(1))
    median = gx.pp.collapse_probes(probes, how="median")
    np.testing.assert_allclose(median[:, "A"].X.ravel(), np.median(probes[:, ["p1", "p2", "p3"]].X, 1))  # noqa: E501


def test_float32_probes_are_ranked_by_float64_sums():
    """numpy sums float32 columns in float32: over 200,000 samples near 5,000 the mean came
    out 5.9 low and a variance of 1 as 35. Before, gene G kept p2 (mean 4,996) over p1 (5,000)
    and, by variance, H kept p3 (variance 1) over p4 (4)."""
    z, w = (np.random.default_rng(seed).normal(size=200_000) for seed in (0, 1))
    X = np.column_stack([5000 + z, 4996 + 100 * w, 5000 + z, 2 * w]).astype(np.float32)
    adata = ad.AnnData(X, var=pd.DataFrame({"gene_symbol": ["G", "G", "H", "H"]},
                                           index=["p1", "p2", "p3", "p4"]))
    assert gx.pp.collapse_probes(adata).var["probes"].tolist() == ["p1", "p3"]
    by_var = gx.pp.collapse_probes(adata, how="max_var")
    assert by_var.var["probes"].tolist() == ["p2", "p4"]
    np.testing.assert_array_equal(by_var.X, X[:, [1, 3]])


def test_multi_symbol_rules(probes):
    assert gx.pp.collapse_probes(probes, multi="drop").var_names.tolist() == ["A", "C"]
    expanded = gx.pp.collapse_probes(probes, multi="expand", how="mean")
    assert expanded.var.loc["C", "probes"] == "p4;p6"
    assert expanded.var.loc["B", "probes"] == "p4"


def test_controls_and_unannotated_are_dropped(probes):
    probes.var.loc["AFFX-x", "gene_symbol"] = "CTRL"
    assert "CTRL" not in gx.pp.collapse_probes(probes).var_names
    assert "CTRL" in gx.pp.collapse_probes(probes, drop_controls=False).var_names


def test_on_example_gives_unique_genes(example):
    genes = gx.pp.collapse_probes(example)
    assert genes.var_names.is_unique
    assert genes.n_obs == 64
    symbols = example.var["gene_symbol"][~example.var_names.str.startswith("AFFX")]
    first = {s.split(" /// ")[0] for s in symbols if s}
    assert genes.n_vars == len(first) == 13_012
    assert (genes.obs["type"] == example.obs["type"]).all()


def test_errors(probes):
    with pytest.raises(ValueError, match="choose one of 'max_mean', 'max_var', 'mean', 'median'"):
        gx.pp.collapse_probes(probes, how="sum")
    with pytest.raises(KeyError, match="no column 'symbol'"):
        gx.pp.collapse_probes(probes, by="symbol")


def test_collapsed_uns_is_its_own(probes):
    # before: .uns was copied shallowly, so a record changed on the genes changed the probes'
    probes.uns["log2"] = {"applied": True}
    genes = gx.pp.collapse_probes(probes)
    genes.uns["log2"]["applied"] = False
    assert probes.uns["log2"]["applied"] is True


@pytest.mark.parametrize("step", ["center", "scale"])
def test_centred_or_scaled_x_is_refused(example, step):
    # before: after pp.center every probe mean is 0, and 'max_mean' kept the probe of highest
    # expression for only 44% of the 4,742 multi-probe genes of the example
    reference = gx.pp.collapse_probes(example)
    example.layers["expression"] = example.X.copy()
    getattr(gx.pp, step)(example)
    with pytest.raises(ValueError, match="collapse before centring or scaling"):
        gx.pp.collapse_probes(example)
    genes = gx.pp.collapse_probes(example, layer="expression")  # the way out the error names
    assert genes.var["probes"].tolist() == reference.var["probes"].tolist()


def test_collapsing_a_layer_leaves_out_the_records_of_x(example):
    # before: after pp.scale(max_value=3), collapse_probes(layer='expression') (the way out
    # its refusal gives) kept .uns['scale'] with the collapsed expression in .X: select_variable
    # refused "z-scores" and tl.markers gave NaN fold changes, saying the z-scores were clipped
    reference = gx.pp.collapse_probes(example)
    example.layers["expression"] = example.X.copy()
    gx.pp.log2(example, auto=False)  # records of .X: 'log2' (of .X) and scanpy's 'log1p'
    gx.pp.scale(example, max_value=3)
    genes = gx.pp.collapse_probes(example, layer="expression")
    assert not {"scale", "log2", "log1p"} & set(genes.uns)
    for adata in (genes, reference):
        gx.pp.select_variable(adata, n_top=200, subset=True)
    assert genes.var_names.tolist() == reference.var_names.tolist()
    got, expected = (gx.tl.markers(adata, groupby="type", n_genes=3, inplace=False)
                     for adata in (genes, reference))
    pd.testing.assert_frame_equal(got, expected)
    assert got["logfoldchange"].notna().all()


@pytest.mark.filterwarnings("ignore::FutureWarning")  # scanpy's own, with some pandas
@pytest.mark.parametrize("how", ["max_mean", "max_var"])
def test_x_scaled_by_scanpy_is_refused(example, how):
    # before: after sc.pp.scale (no record of ours) every probe mean is 0 and every SD 1, and
    # the probe kept for a gene was the one whose rounding error was largest
    import scanpy as sc

    scaled = example.copy()
    sc.pp.scale(scaled)
    with pytest.raises(ValueError, match=r"every probe of \.X has standard deviation 1"):
        gx.pp.collapse_probes(scaled, how=how)
    averaged = gx.pp.collapse_probes(scaled, how="mean")  # averaging z-scores stays allowed
    assert averaged.n_vars == gx.pp.collapse_probes(example, how="mean").n_vars


def test_categorical_symbols_with_missing_values(probes):
    # anndata stores string columns as categoricals (read_h5ad, sc.read_10x_h5), where a
    # probe without a symbol is NaN: pandas refused the fillna('') with 'Cannot setitem on a
    # Categorical with a new category'
    probes.var["gene_symbol"] = pd.Categorical(["A", "A", "A", "B /// C", None, "C"])
    genes = gx.pp.collapse_probes(probes)
    assert genes.var_names.tolist() == ["A", "B", "C"]
    assert genes.var["probes"].tolist() == ["p2", "p4", "p6"]


def test_entrez_ids_in_a_float_column_name_genes_without_a_fraction(probes):
    # pandas makes a float column of integer ids with a missing one: genes were named '7157.0'
    probes.var["entrez_id"] = [7157.0, 7157.0, 7157.0, 672.0, np.nan, 1.5]
    genes = gx.pp.collapse_probes(probes, by="entrez_id")
    assert genes.var_names.tolist() == ["7157", "672", "1.5"]


@pytest.mark.parametrize("step", ["center", "scale"])
def test_centred_or_scaled_layer_is_refused(example, step):
    # before: the refusal looked at .X's records only, so after pp.center(layer='c') every
    # probe mean of the layer was 0 and collapse_probes(layer='c') kept, for a gene, the probe
    # whose rounding was largest instead of the one of highest expression
    reference = gx.pp.collapse_probes(example)
    example.layers["c"] = example.X.copy()
    getattr(gx.pp, step)(example, layer="c")
    with pytest.raises(ValueError, match=r"\.layers\['c'\] was centred or scaled"):
        gx.pp.collapse_probes(example, layer="c")
    genes = gx.pp.collapse_probes(example)  # .X was not transformed: collapsed as before
    assert genes.var["probes"].tolist() == reference.var["probes"].tolist()


def test_gene_names_from_nullable_and_object_columns():
    from gexclust._labels import label_texts

    mixed = pd.Series([7157.0, np.nan, None, pd.NA, "NA", " TP53 ", 3, 1.5], dtype=object)
    assert label_texts(mixed).tolist() == ["7157", "", "", "", "NA", "TP53", "3", "1.5"]
    assert label_texts(pd.array([1, None, 3], dtype="Int64")).tolist() == ["1", "", "3"]


def test_a_missing_value_does_not_disqualify_a_probe():
    """A GEO series matrix can hold empty cells. Before, one missing value made a probe's mean
    (and variance) NaN, ranked below every number: TP53 kept p2 (mean 3.0) over p1 (mean 11.8,
    one value missing), and MYC by variance p4 (0.01) over p3 (17.3). Missing values are left out
    of the probe's statistics, as WGCNA's collapseRows does (na.rm=TRUE); they stay missing."""
    X = np.array([[12.0, 3.0, 1.0, 5.0],
                  [np.nan, 3.2, 9.0, 5.2],
                  [11.0, 2.8, np.nan, 5.1],
                  [12.5, 3.0, 3.0, 5.0]])
    adata = ad.AnnData(X, var=pd.DataFrame({"gene_symbol": ["TP53", "TP53", "MYC", "MYC"]},
                                           index=["p1", "p2", "p3", "p4"]))
    by_mean = gx.pp.collapse_probes(adata)
    assert by_mean.var["probes"].tolist() == ["p1", "p4"]
    np.testing.assert_array_equal(by_mean[:, "TP53"].X.ravel(), X[:, 0])  # NaN kept as NaN
    by_var = gx.pp.collapse_probes(adata, how="max_var")
    assert by_var.var["probes"].tolist() == ["p1", "p3"]
    # a probe with no value at all ranks last, as before
    adata.X = np.where(np.arange(4) == 0, np.nan, X)
    assert gx.pp.collapse_probes(adata).var["probes"].tolist() == ["p2", "p4"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_averaged_genes_leave_out_the_missing_probes_of_a_sample(dtype):
    """how='mean'/'median': a gene's value in a sample averages its probes that have one
    there, NaN only when none has: limma's avereps (rowsum(na.rm=TRUE) over the count of
    values present), not R's plain mean, which is NA as soon as one probe is."""
    X = np.array([[12.0, 3.0, 1.0, np.nan, 4.0],
                  [np.nan, 3.2, np.nan, np.nan, 5.0],
                  [11.0, np.nan, np.nan, 5.1, 6.0]], dtype=dtype)
    adata = ad.AnnData(X, var=pd.DataFrame({"gene_symbol": ["TP53", "TP53", "MYC", "MYC",
                                                            "MYC"]},
                                           index=["p1", "p2", "p3", "p4", "p5"]))
    adata.layers["copy"] = X.copy()
    mean = gx.pp.collapse_probes(adata, how="mean")
    expected = np.array([[7.5, 2.5], [3.2, 5.0], [11.0, 5.55]])
    np.testing.assert_allclose(mean.X, expected, rtol=1e-6)
    np.testing.assert_allclose(mean.layers["copy"], expected, rtol=1e-6)
    median = gx.pp.collapse_probes(adata, how="median")
    np.testing.assert_allclose(median.X, [[7.5, 2.5], [3.2, 5.0], [11.0, 5.55]], rtol=1e-6)
    # no probe of MYC has a value in the second sample: missing, not 0 or a warning
    adata.X[1, 4] = np.nan
    for how in ("mean", "median"):
        genes = gx.pp.collapse_probes(adata, how=how)
        assert np.isnan(genes[1, "MYC"].X).all()
        assert np.isfinite(np.delete(genes.X.ravel(), 3)).all()


def test_a_gene_listed_twice_for_one_probe_counts_that_probe_once():
    """GPL96 lists PI4KAP2 twice for 213408_s_at ('PI4KA /// PI4KAP1 /// PI4KAP2 ///
    PI4KAP2'): with multi='expand' the probe counted twice for the gene (n_probes 2,
    probes '213408_s_at;213408_s_at'), and next to another probe of the gene its values
    weighed double in the mean: B's mean was (2 x 1 + 4) / 3 = 2, not (1 + 4) / 2 = 2.5."""
    adata = ad.AnnData(np.array([[1.0, 4.0], [1.0, 4.0]]),
                       var=pd.DataFrame({"gene_symbol": ["A /// B /// B", "B"]},
                                        index=["p1", "p2"]))
    genes = gx.pp.collapse_probes(adata, multi="expand", how="mean")
    assert genes.var.loc["B", "n_probes"] == 2
    assert genes.var.loc["B", "probes"] == "p1;p2"
    np.testing.assert_array_equal(genes[:, "B"].X.ravel(), [2.5, 2.5])
    assert gx.pp.collapse_probes(adata, multi="expand").var["n_probes"].tolist() == [1, 2]


def test_probes_whose_symbol_is_a_no_gene_text_are_dropped():
    """Affymetrix's annotation files write '---' for a probe without a gene, and astype(str)
    writes 'nan': before, each became a gene ('---' collapsing every unannotated probe into
    one, picked by max_mean and clustered), and '--- /// B' went to gene '---'."""
    var = pd.DataFrame({"gene_symbol": ["A", "---", "nan", "NA", " --- ", "--- /// B", "A"]},
                       index=[f"p{j}" for j in range(7)])
    adata = ad.AnnData(np.arange(1.0, 15.0).reshape(2, 7), var=var)
    genes = gx.pp.collapse_probes(adata)
    assert genes.var_names.tolist() == ["A", "B"]
    assert genes.var["probes"].tolist() == ["p6", "p5"]
    assert genes.uns["collapse_probes"]["n_probes_used"] == 3
    assert gx.pp.collapse_probes(adata, multi="drop").var_names.tolist() == ["A", "B"]


@pytest.mark.parametrize("how", ["mean", "median"])
def test_averaging_linear_values_is_warned_about(how, caplog):
    """MAS 5.0 signals (GSE781's, linear) averaged then logged are not the average of the
    logs (log2 of the mean of 100 and 10,000 is 12.3, the mean of the logs 10.0): before,
    collapse_probes averaged them without a word; log values are averaged silently."""
    var = pd.DataFrame({"gene_symbol": ["A", "A"]}, index=["p1", "p2"])
    linear = ad.AnnData(np.array([[100.0, 10_000.0], [120.0, 9_000.0], [90.0, 11_000.0]]),
                        var=var)
    genes = gx.pp.collapse_probes(linear, how=how)
    assert "looks linear, not logged" in caplog.text
    assert "run pp.log2 first" in caplog.text
    np.testing.assert_allclose(genes.X[0, 0], 5050.0)  # averaged as given, only warned
    caplog.clear()
    gx.pp.log2(linear)
    gx.pp.collapse_probes(linear, how=how)
    assert "looks linear" not in caplog.text
