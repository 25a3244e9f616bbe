from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from sklearn.preprocessing import StandardScaler

import gexclust as gx
from gexclust.pl._cluster_heatmap import cluster_heatmap_spec


def test_scale_matches_scanpy(planted):
    planted.X[:, 5] = 3.0  # a constant gene
    ours = gx.pp.scale(planted, copy=True)
    theirs = sc.pp.scale(planted, copy=True)
    np.testing.assert_allclose(ours.X, theirs.X, atol=1e-12)
    assert (ours.X[:, 5] == 0).all()
    np.testing.assert_allclose(ours.var["std"], theirs.var["std"])
    clipped = gx.pp.scale(planted, max_value=1.0, copy=True)
    np.testing.assert_allclose(clipped.X, sc.pp.scale(planted, max_value=1.0, copy=True).X)
    assert clipped.X.max() == 1.0
    assert clipped.X.min() == -1.0


def test_scale_ddof0_matches_standard_scaler(planted):
    ours = gx.pp.scale(planted, ddof=0, copy=True)
    np.testing.assert_allclose(ours.X, StandardScaler().fit_transform(planted.X), atol=1e-12)


def test_scale_no_center_clips_upper_only(planted):
    ours = gx.pp.scale(planted, zero_center=False, max_value=20.0, copy=True)
    np.testing.assert_allclose(ours.X, np.minimum(planted.X / planted.X.std(0, ddof=1), 20.0))


def test_log2_auto_skips_logged_and_logs_linear(planted):
    gx.pp.log2(planted)
    assert planted.uns["log2"]["applied"] is False
    assert "already logged" in planted.uns["log2"]["reason"]
    assert "log1p" not in planted.uns  # nothing was transformed, so scanpy is told nothing
    linear = ad.AnnData(2.0 ** planted.X)
    linear.X[0, 0] = 0.0
    gx.pp.log2(linear)
    assert linear.uns["log2"]["applied"] is True
    assert "look linear" in linear.uns["log2"]["reason"]
    assert linear.uns["log1p"] == {"base": 2}
    assert linear.uns["log2"]["scanpy_log1p_base"] == 2
    assert linear.uns["log2"]["n_floored"] == 1
    expected = planted.X.copy()
    expected[0, 0] = 0.0  # log2(floor=1)
    np.testing.assert_allclose(linear.X, expected)
    forced = gx.pp.log2(ad.AnnData(np.full((3, 3), 4.0)), auto=False, copy=True)
    np.testing.assert_allclose(forced.X, 2.0)


def test_log2_geo2r_rule_on_mas5_like_values():
    from gexclust.pp._log2 import looks_linear

    rng = np.random.default_rng(0)
    mas5 = rng.lognormal(5.5, 1.5, size=(10, 500))  # median ~250, q99 in the thousands
    assert looks_linear(mas5)[0]
    assert not looks_linear(np.log2(mas5))[0]


def test_a_large_matrix_is_judged_on_a_sample_without_copying_it(monkeypatch):
    """Above SAMPLE_ABOVE values, quartiles and q99 come from a seeded sample of rows.

    Before, np.quantile copied the whole matrix: tl.markers on 100,000 x 2,000 float32 cells
    held 0.76 GB beyond .X to judge whether it was logged. Same decisions, min and max
    exact, quantiles to sampling error; a fraction of the memory.
    """
    import tracemalloc

    from gexclust.pp import _log2

    rng = np.random.default_rng(0)
    linear = rng.poisson(2.0, size=(4000, 500)) * rng.uniform(0.5, 60, size=500)
    matrices = {"linear": linear, "log2": np.log2(np.maximum(linear, 1)),
                "counts": rng.poisson(30, size=(4000, 500)).astype(float),
                "shallow counts": rng.poisson(1.5, size=(4000, 500)).astype(float),
                "normalised": linear / linear.sum(1, keepdims=True) * 1e4}
    shallow = matrices["shallow counts"]  # normalised to its median total: 0 to 11.5
    matrices["shallow normalised"] = shallow / shallow.sum(1, keepdims=True) * np.median(
        shallow.sum(1))
    matrices["log2"][0, :3] = np.nan  # missing values left out, as before
    exact = {name: _log2.looks_linear(X) for name, X in matrices.items()}
    monkeypatch.setattr(_log2, "SAMPLE_ABOVE", 100_000)
    monkeypatch.setattr(_log2, "SAMPLE_VALUES", 50_000)
    for name, X in matrices.items():
        tracemalloc.start()
        sampled = _log2.looks_linear(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < X.nbytes / 10, name
        assert sampled == exact[name]._replace(quantiles=sampled.quantiles), name
        q, e = sampled.quantiles, exact[name].quantiles
        assert (q["q0"], q["q100"]) == (e["q0"], e["q100"])
        spread = e["q99"] - e["q0"]
        for key in ("q25", "q50", "q75", "q99"):
            assert abs(q[key] - e[key]) < 0.02 * spread, (name, key)
    assert exact["linear"].linear
    assert exact["counts"].counts
    assert exact["shallow counts"].counts
    assert exact["normalised"].linear
    assert exact["shallow normalised"].normalised
    assert not exact["log2"].linear


@pytest.mark.parametrize("flavor", ["variance", "mad", "iqr"])
def test_select_variable(planted, flavor):
    gx.pp.select_variable(planted, n_top=30, flavor=flavor)
    assert planted.var["highly_variable"].sum() == 30
    # the 30 planted genes carry the group shifts; every flavour must find them
    assert planted.var["highly_variable"].iloc[:30].all()
    assert planted.uns["highly_variable"] == {"flavor": flavor, "n_top": 30}
    sub = gx.pp.select_variable(planted, n_top=10, flavor=flavor, subset=True, copy=True)
    assert sub.n_vars == 10


def test_select_variable_variance_matches_numpy(planted):
    gx.pp.select_variable(planted, n_top=5)
    expected = np.argsort(-planted.X.var(axis=0, ddof=1))[:5]
    assert set(np.flatnonzero(planted.var["highly_variable"])) == set(expected)


def test_select_variable_errors(planted):
    with pytest.raises(ValueError, match="choose one of 'variance', 'mad', 'iqr'"):
        gx.pp.select_variable(planted, flavor="dispersion")
    with pytest.raises(ValueError, match="positive integer"):
        gx.pp.select_variable(planted, n_top=0)


def test_log2_keeps_scanpys_record_and_fold_changes():
    """FTL in CD14+ monocytes (scanpy's pbmc68k_reduced, natural log): 2.40 stays 2.40."""
    import warnings

    pbmc = sc.datasets.pbmc68k_reduced()
    adata = pbmc.raw.to_adata()  # log1p (natural log) of normalised counts
    adata.uns["log1p"] = {"base": None}

    def ftl_fold_change():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scanpy's own warnings, not ours
            sc.tl.rank_genes_groups(adata, "bulk_labels", groups=["CD14+ Monocyte"],
                                    method="t-test")
        table = sc.get.rank_genes_groups_df(adata, "CD14+ Monocyte").set_index("names")
        return float(table.loc["FTL", "logfoldchanges"])

    before = ftl_fold_change()
    assert before == pytest.approx(2.40, abs=0.01)
    gx.pp.log2(adata)
    assert adata.uns["log2"]["applied"] is False
    assert adata.uns["log1p"] == {"base": None}
    assert ftl_fold_change() == pytest.approx(before, rel=1e-12)


def test_log2_of_linear_values_replaces_a_log_record_that_no_longer_describes_x(caplog):
    # the README and this docstring said scanpy's record is never replaced (kept): it is
    # kept for data judged already logged (above), but once .X is transformed it holds
    # log2 values, which {'base': None} would have scanpy read as natural logs
    linear = ad.AnnData(np.random.default_rng(0).lognormal(6, 2, (20, 50)))
    linear.uns["log1p"] = {"base": None}  # a record of values that are not logged
    gx.pp.log2(linear)
    assert linear.uns["log2"]["applied"] is True
    assert linear.uns["log1p"] == {"base": 2}
    assert linear.uns["log2"]["scanpy_log1p_base"] == 2
    assert ("log2: .uns['log1p'] says .X was already log-transformed ({'base': None}); its "
            "values look linear, so they were logged, and .uns['log1p'] is now {'base': 2}"
            ) in caplog.text  # before: '... logged again as asked', asked for nothing
    caplog.clear()
    again = ad.AnnData(linear.X.copy(), uns={"log1p": {"base": 2}})
    gx.pp.log2(again, auto=False)
    assert "logged again as asked (auto=False), and .uns['log1p'] is now" in caplog.text


def test_log2_record_gives_scanpy_the_log2_fold_change():
    """On data gexclust logged, scanpy's fold change is the difference of log2 means."""
    import warnings

    rng = np.random.default_rng(0)
    linear = rng.lognormal(7.0, 0.3, size=(20, 5))  # expressed genes, hundreds to thousands
    linear[:10, 0] *= 8.0  # gene 0 is 8x higher in group a: log2 fold change 3
    adata = ad.AnnData(linear)
    adata.obs["group"] = pd.Categorical(["a"] * 10 + ["b"] * 10)
    gx.pp.log2(adata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.tl.rank_genes_groups(adata, "group", groups=["a"], reference="b", method="t-test")
    table = sc.get.rank_genes_groups_df(adata, "a").set_index("names")
    means = [adata.X[adata.obs["group"] == g, 0].mean() for g in "ab"]
    assert table.loc["0", "logfoldchanges"] == pytest.approx(means[0] - means[1], abs=0.01)
    assert means[0] - means[1] == pytest.approx(3.0, abs=0.3)


def test_log2_on_a_layer_tells_scanpy_nothing(planted):
    planted.layers["counts"] = 2.0 ** (planted.X + 3)
    gx.pp.log2(planted, layer="counts")
    assert planted.uns["counts_log2"]["applied"] is True
    assert planted.uns["counts_log2"]["layer"] == "counts"
    assert "log2" not in planted.uns  # .X was not judged
    np.testing.assert_allclose(planted.layers["counts"], planted.X + 3)
    assert "log1p" not in planted.uns  # .X itself was not transformed


def test_scale_refuses_missing_values_naming_gene_and_sample(planted):
    planted.X[4, 7] = np.nan
    with pytest.raises(ValueError, match=r"pp.scale: gene 'g7' has a missing or infinite value "
                                         r"\(nan\) in sample 's4' \(1 such value"):
        gx.pp.scale(planted)
    assert np.isnan(planted.X[4, 7])  # nothing was changed
    assert "scale" not in planted.uns
    planted.X[4, 7] = np.inf
    with pytest.raises(ValueError, match="gene 'g7'"):
        gx.pp.select_variable(planted)


@pytest.mark.parametrize("step", ["log2", "scale", "center"])
def test_transforming_a_view_leaves_its_parent_alone(step):
    # anndata writes .X of a view into its parent's rows: the parent came out half logged
    parent = ad.AnnData(np.arange(1.0, 13.0).reshape(4, 3) * 100)
    before = parent.X.copy()
    view = parent[:2]
    getattr(gx.pp, step)(view)
    np.testing.assert_array_equal(parent.X, before)
    assert not view.is_view
    assert not np.array_equal(view.X, before[:2])


@pytest.mark.parametrize("step", ["scale", "center"])
def test_transforming_a_layer_keeps_the_undo_of_x(example, step):
    # before: pp.scale(layer='z') wrote .var['mean']/['std'] and .uns['scale'], and tl.markers
    # "undid" a scaling .X never had (mean_group 26.2 for a true 11.8)
    gx.pp.select_variable(example, n_top=100, subset=True)
    truth = gx.tl.markers(example, groupby="type", n_genes=3, inplace=False)
    example.layers["z"] = example.X.copy()
    getattr(gx.pp, step)(example, layer="z")
    assert f"z_{step}" in example.uns
    assert step not in example.uns
    assert "z_mean" in example.var
    assert "mean" not in example.var
    table = gx.tl.markers(example, groupby="type", n_genes=3, inplace=False)
    np.testing.assert_allclose(table["mean_group"], truth["mean_group"], rtol=1e-12)


@pytest.mark.parametrize("steps", [("scale", "scale"), ("center", "scale"), ("scale", "center"),
                                   ("center", "center")])
def test_centring_or_scaling_twice_keeps_fold_changes(example, steps):
    # a notebook cell run twice: before, the second pp.scale's statistics (mean 0, std 1)
    # replaced the first's, and log2 fold changes came out as z-score differences (off by 3.2)
    gx.pp.select_variable(example, n_top=100, subset=True)
    truth = gx.tl.markers(example, groupby="type", n_genes=3, inplace=False)
    for step in steps:
        getattr(gx.pp, step)(example)
    table = gx.tl.markers(example, groupby="type", n_genes=3, inplace=False)
    assert table["gene"].tolist() == truth["gene"].tolist()
    for column in ("logfoldchange", "mean_group"):
        np.testing.assert_allclose(table[column], truth[column], rtol=1e-9)


@pytest.mark.parametrize("steps", [("scale",), ("center",), ("center", "scale"),
                                   ("scale", "scale"), ("scale", "center")])
def test_a_layer_centred_or_scaled_is_undone_as_x_is(example, steps):
    # pp.scale(layer='z') records .uns['z_scale'] and .var['z_mean']/['z_std'], but
    # tl.markers(layer='z') said "nothing records how to undo the scaling" and gave NaN
    # fold changes, means of z-scores (1.2 for a true 11.8), and a second step on the layer
    # replaced the first's statistics instead of composing them, as it does for .X
    gx.pp.select_variable(example, n_top=100, subset=True)
    truth = gx.tl.markers(example, groupby="type", n_genes=3, inplace=False)
    example.layers["z"] = example.X.copy()
    for step in steps:
        getattr(gx.pp, step)(example, layer="z")
    std = example.var["z_std"].to_numpy() if "z_std" in example.var else 1.0
    undone = example.layers["z"] * std + example.var["z_mean"].to_numpy()
    np.testing.assert_allclose(undone, example.X, rtol=1e-12)
    table = gx.tl.markers(example, groupby="type", n_genes=3, layer="z", inplace=False)
    assert table["gene"].tolist() == truth["gene"].tolist()
    for column in ("logfoldchange", "mean_group"):
        np.testing.assert_allclose(table[column], truth[column], rtol=1e-9)
    spec = cluster_heatmap_spec(example, groupby="type", n_genes=3, layer="z")
    reference = cluster_heatmap_spec(example, groupby="type", n_genes=3)
    np.testing.assert_allclose(spec.means, reference.means, rtol=1e-9)


@pytest.mark.parametrize("floor", [0, -1.0, float("nan"), "1", float("inf"), True])
def test_log2_refuses_a_floor_that_gives_inf_or_nan(floor):
    # before, too: floor='1' was Python's "'>' not supported between instances of 'str' and
    # 'int'", floor=inf made every value inf, and True was taken for 1.0
    # before: floor=0 turned zeros into -inf (floor=-1: NaN), with only numpy's RuntimeWarning
    adata = ad.AnnData(np.array([[0.0, 500.0, 1000.0], [200.0, 300.0, 4000.0]]))
    with pytest.raises(ValueError, match="floor must be a positive number"):
        gx.pp.log2(adata, floor=floor)
    assert adata.X[0, 0] == 0.0


def test_select_variable_refuses_z_scores(example):
    # before: after pp.scale the 500 "most variable" genes by variance shared 9 (1.8%) with
    # those of the expression values: ranks of rounding noise
    reference = gx.pp.select_variable(example, n_top=500, copy=True)
    example.layers["expression"] = example.X.copy()
    gx.pp.scale(example)
    with pytest.raises(ValueError, match="select genes before scaling"):
        gx.pp.select_variable(example, n_top=500)
    gx.pp.select_variable(example, n_top=500, layer="expression")  # the way out
    assert example.var["highly_variable"].equals(reference.var["highly_variable"])


def test_select_variable_refuses_clipped_z_scores_of_a_layer(example):
    # before: only .X's record was read, so after pp.scale(layer='z', max_value=0.5) (no
    # longer all of variance 1) select_variable(layer='z') ranked genes by how much of them
    # the clipping cut, sharing 172 of its 500 genes with those of the expression values
    reference = gx.pp.select_variable(example, n_top=500, copy=True)
    example.layers["z"] = example.X.copy()
    gx.pp.scale(example, layer="z", max_value=0.5)
    with pytest.raises(ValueError, match=r"\.layers\['z'\] was z-scored by pp.scale"):
        gx.pp.select_variable(example, n_top=500, layer="z")
    gx.pp.select_variable(example, n_top=500)  # .X was not scaled
    assert example.var["highly_variable"].equals(reference.var["highly_variable"])


def test_select_variable_after_centring_is_unchanged(example):
    reference = gx.pp.select_variable(example, n_top=500, flavor="mad", copy=True)
    gx.pp.center(example)
    gx.pp.select_variable(example, n_top=500, flavor="mad")
    assert example.var["highly_variable"].equals(reference.var["highly_variable"])


def test_log2_of_a_layer_keeps_the_record_of_x(planted):
    # before: one .uns['log2'] for whichever matrix was logged last, so logging a layer
    # replaced the record of .X ("already logged, not applied") with the layer's ("applied"),
    # which the report then described as the clustered values
    planted.layers["mas5"] = 2.0 ** (planted.X + 3)  # linear values beside log2 ones
    gx.pp.log2(planted)
    gx.pp.log2(planted, layer="mas5")
    assert planted.uns["log2"]["applied"] is False
    assert planted.uns["log2"]["layer"] == "X"
    assert planted.uns["mas5_log2"]["applied"] is True
    assert planted.uns["mas5_log2"]["layer"] == "mas5"
    from gexclust.pp._log2 import log2_record

    assert log2_record(planted) is planted.uns["log2"]
    assert log2_record(planted, "mas5") is planted.uns["mas5_log2"]
    from types import SimpleNamespace

    from gexclust._report._content import _fold_change_basis

    # the report's fold changes of .X rest on values judged already logged: it says so
    assert "judged already logged" in _fold_change_basis(SimpleNamespace(adata=planted))


def test_a_log2_record_written_before_per_layer_keys_describes_its_layer_only(planted):
    from gexclust.pp._log2 import log2_record
    from gexclust.tl._markers import fold_change_scale

    planted.layers["mas5"] = 2.0 ** planted.X  # linear by GEO2R's rule
    planted.uns["log2"] = {"applied": True, "layer": "mas5"}  # as an older file holds it
    assert log2_record(planted) is None
    assert log2_record(planted, "mas5") is planted.uns["log2"]
    # the record says the layer is log2 now; .X is judged by its values (log2-like)
    assert fold_change_scale(planted, planted.layers["mas5"], "mas5") == ("log2", None)
    assert fold_change_scale(planted, planted.X, None) == ("log2", None)


def test_log2_logs_low_counts_that_span_less_than_50():
    # before: UMI counts up to 10 were called "already logged by GEO2R's rule" (q25 = 1, and
    # no span above 50) and left as counts
    from gexclust.pp._log2 import looks_linear

    rng = np.random.default_rng(0)
    counts = rng.poisson(1.5, size=(500, 40)).astype(np.float32)
    assert counts.max() <= 50
    assert np.quantile(counts, 0.25) == 1
    scale = looks_linear(counts)
    assert scale.linear
    assert scale.counts
    adata = ad.AnnData(counts)
    gx.pp.log2(adata)
    assert adata.uns["log2"]["applied"] is True
    assert "counts" in adata.uns["log2"]["reason"]
    # log2 values, even rounded to whole numbers, have a first quartile far above 1: logged
    logged = np.round(np.log2(rng.lognormal(6, 1.5, size=(500, 40))))
    assert not looks_linear(logged).linear
    assert not looks_linear((counts > 0).astype(float)).linear  # 0/1 calls are no counts


def test_logged_values_that_look_like_scaled_counts_stay_logged():
    # before: rounded log2 values (1 to 16) whose rows each hold a 1 passed the check for
    # counts normalised per row (every value a whole multiple of the row's smallest) and were
    # read as linear; whole numbers are now left to the counts rule. log1p of counts scaled
    # to 0.01 each (10 per cell of ~1,000 UMIs: log1p(0.02) / log1p(0.01) = 1.990, within
    # 0.01 of 2) stays logged: multiples must be within 0.001
    from gexclust.pp._log2 import looks_linear

    rng = np.random.default_rng(0)
    counts = rng.poisson(2.0, size=(300, 500)).astype(np.float32)
    logged = np.log1p(counts * (10 / counts.sum(axis=1, keepdims=True)))
    scale = looks_linear(logged)
    assert (scale.linear, scale.normalised) == (False, False)
    assert scale.quantiles["q100"] == pytest.approx(0.1003, abs=1e-4)
    rounded = np.round(rng.normal(7, 2.5, size=(50, 2000)).clip(1, 16))
    rounded[:, 0] = 1
    scale = looks_linear(rounded)
    assert (scale.linear, scale.normalised, scale.counts) == (False, False, False)
    unlogged = counts * (10 / counts.sum(axis=1, keepdims=True))  # the same, not logged
    assert looks_linear(unlogged).normalised


def test_logged_values_rounded_to_decimals_are_not_scaled_counts():
    # before: log2(TPM + 1) rounded to 0.01 (as GEO series deposit it) has a 0.01 in every
    # sample, so each row was whole multiples of its smallest value: read as counts
    # normalised per row and logged a second time. Every row shares that one step; each
    # cell of sc.pp.normalize_total has a factor of its own
    from gexclust.pp._log2 import looks_linear

    rng = np.random.default_rng(1)
    tpm = np.where(rng.random((12, 20000)) < 0.3, 0, rng.lognormal(0, 2.5, (12, 20000)))
    for decimals in (1, 2, 3):
        scale = looks_linear(np.round(np.log2(tpm + 1), decimals))
        assert (scale.linear, scale.normalised) == (False, False), decimals
    mas5 = np.round(np.log2(np.maximum(rng.lognormal(6, 2, (12, 22283)), 1)), 1)
    assert looks_linear(mas5) == (False, looks_linear(mas5).quantiles, False, False, False)
    adata = ad.AnnData(np.round(np.log2(tpm + 1), 2))
    gx.pp.log2(adata)
    assert adata.uns["log2"]["applied"] is False
    assert adata.X.max() == pytest.approx(18.18)


def test_a_large_matrix_with_missing_values_is_judged_on_its_finite_values(monkeypatch):
    """The sampled quantiles of a large matrix leave NaN out, as the exact ones do: log2 values
    with a missing value in every row (GEO's null cells, before a missing= policy) are judged on
    the sampled rows' finite values; a matrix with no finite value gives zeros either way."""
    from gexclust.pp import _log2

    rng = np.random.default_rng(1)
    X = np.log2(rng.lognormal(5.5, 1.5, size=(400, 300)))
    X.ravel()[::7] = np.nan  # one value in 7, in every row
    monkeypatch.setattr(_log2, "SAMPLE_ABOVE", 10_000)
    monkeypatch.setattr(_log2, "SAMPLE_VALUES", 3_000)  # 10 rows of 300
    sampled = _log2.looks_linear(X)
    rows = X[_log2._sample_rows(X)]
    assert len(rows) == 10
    expected = np.nanquantile(rows, _log2.QUANTILES)
    expected[0], expected[-1] = np.nanmin(X), np.nanmax(X)
    np.testing.assert_array_equal(list(sampled.quantiles.values()), expected)
    assert not sampled.linear
    assert not sampled.counts
    empty = _log2.looks_linear(np.full((400, 300), np.nan))
    assert empty == _log2.Scale(False, dict.fromkeys(empty.quantiles, 0.0), False, False)
    monkeypatch.setattr(_log2, "SAMPLE_ABOVE", 1 << 24)
    assert _log2.looks_linear(np.full((400, 300), np.nan)) == empty


def test_scaling_clipped_z_scores_again_keeps_them_clipped(planted):
    """pp.scale(max_value=...) then pp.scale(): .X is still clipped, so nothing may undo it
    into expression values (markers' fold changes) with the composed statistics."""
    from gexclust._utils import expression_matrix, is_clipped

    gx.pp.scale(planted, max_value=1.0)
    gx.pp.scale(planted)
    assert planted.uns["scale"]["max_value"] == 1.0
    assert planted.uns["scale"]["applied_to_transformed"]
    assert is_clipped(planted)
    np.testing.assert_array_equal(expression_matrix(planted, layer=None, caller="t"), planted.X)


def test_log2_forced_on_scaled_values_says_what_it_floors(caplog):
    # before: pp.log2(auto=False) on scanpy's pbmc68k_reduced (scaled) set 468,261 of its
    # 535,500 values to log2(1) = 0 without a word (only .uns['log2']['n_floored'] knew)
    scaled = ad.AnnData(np.random.default_rng(0).normal(size=(20, 10)))
    below = int((scaled.X < 1).sum())
    negative = int((scaled.X < 0).sum())
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pp.log2(scaled, auto=False)
    assert ("pp.log2(auto=False): data look already logged or scaled: negative values, which "
            "intensities and counts do not have (q99=") in caplog.text
    assert (f"logged again as asked, which sets the {below} of 200 values below the floor 1 "
            f"({negative} negative) to 0") in caplog.text
    assert scaled.uns["log2"]["n_floored"] == below
    caplog.clear()
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pp.log2(ad.AnnData(np.full((3, 3), 400.0)), auto=False)  # linear: as auto would
    assert "look already logged" not in caplog.text


def test_log2_reason_names_scaled_values_as_such():
    # pbmc68k_reduced's z-scored .X was 'data look already logged by GEO2R's rule (q99=3.825,
    # ...)': negative values come from scaling (or centring) as often as from a log
    scaled = ad.AnnData(np.random.default_rng(1).normal(size=(30, 8)))
    gx.pp.log2(scaled)
    assert scaled.uns["log2"]["reason"].startswith(
        "data look already logged or scaled: negative values, which intensities and counts do "
        "not have (q99=")
    logged = ad.AnnData(np.random.default_rng(1).normal(8.0, 1.0, size=(30, 8)))
    gx.pp.log2(logged)  # RMA-like log2 intensities: the rule's own words
    assert logged.uns["log2"]["reason"].startswith("data look already logged by GEO2R's rule")


def test_log2_of_centred_intensities_says_what_it_floors(caplog):
    # MAS5-like intensities centred by pp.center still pass GEO2R's rule (q99 3e4): 7,332 of
    # their 10,000 values went to log2(1) = 0, said at INFO only ("applied")
    values = np.random.default_rng(0).lognormal(7.0, 1.5, size=(20, 500))
    centred = ad.AnnData(values.copy())
    gx.pp.center(centred)
    below = int((centred.X < 1).sum())
    negative = int((centred.X < 0).sum())
    assert below == 7332
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pp.log2(centred)
    assert centred.uns["log2"]["applied"]
    assert ("pp.log2: .X was centred by pp.center (.uns['center']), so its values are "
            "differences from each gene's mean, not intensities; log2(max(x, 1)) sets the "
            f"7332 of 10000 below the floor ({negative} negative) to 0; log2 the values before "
            "centring them") in caplog.text
    caplog.clear()
    plain = ad.AnnData(values.copy())
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pp.log2(plain)  # intensities as read: logged without a word
    assert plain.uns["log2"]["applied"]
    assert plain.uns["log2"]["n_floored"] == int((values < 1).sum())
    assert caplog.text == ""
