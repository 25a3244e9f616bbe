"""What a scanpy user does around gexclust: h5ad/zarr round trips, backed files, views,
``use_rep='X'``, counts, non-unique names; the workflow goes on after each."""

from __future__ import annotations

import itertools

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

import gexclust as gx
from gexclust._palette import MISSING_COLOUR
from gexclust.pl._base import labels_of
from gexclust.pl._cluster_heatmap import cluster_heatmap_spec
from gexclust.pl._clustermap import clustermap_spec
from gexclust.pl._dendrogram import dendrogram_spec
from gexclust.pl._labels import gene_labels
from tests.conftest import make_planted, shared_file


@pytest.fixture(scope="module")
def clustered() -> ad.AnnData:
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=30)
    gx.tl.hclust(adata)
    gx.tl.hclust(adata, axis="var", key_added="genes")
    gx.tl.cut(adata, n_clusters=3)
    gx.tl.consensus(adata, k_range=range(2, 4), n_resamples=4)
    gx.tl.bootstrap(adata, n_boot=20, progress=False)
    gx.tl.cut(adata, min_support=0.5, key_added="supported")
    gx.tl.choose_k(adata, k_range=range(2, 5), n_rotations=19)
    gx.tl.markers(adata, n_genes=3, direction="both")
    gx.tl.compare(adata, reference="type", clusters="cluster")
    return adata


@pytest.mark.filterwarnings("ignore:Writing zarr v2 data:UserWarning")  # anndata's, not ours
@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_workflow_goes_on_after_a_round_trip(clustered, fmt, tmp_path):
    # before: anndata reads the tree's labels back from zarr as numpy's StringDType, which
    # np.asarray(..., dtype=str) refuses: cut, the dendrogram, clustermap, bootstrap,
    # write_newick and write_treeview all failed with "cannot cast dtype StringDType()"
    if fmt == "zarr":
        needs_zarr()
    path = tmp_path / f"a.{fmt}"
    getattr(clustered, f"write_{fmt}")(path)
    back = getattr(ad, f"read_{fmt}")(path)
    gx.tl.cut(back, n_clusters=3)
    assert (back.obs["cluster"] == clustered.obs["cluster"]).all()
    assert gx.io.write_newick(back) == gx.io.write_newick(clustered)
    assert dendrogram_spec(back).leaf_labels == dendrogram_spec(clustered).leaf_labels
    gx.pl.consensus(back, show=False)
    gx.io.write_treeview(back, tmp_path / "tv", gene_key="genes")
    gx.io.write_treeview(clustered, tmp_path / "ref", gene_key="genes")
    for ext in ("cdt", "atr", "gtr"):
        assert (tmp_path / f"tv.{ext}").read_text() == (tmp_path / f"ref.{ext}").read_text()
    # the other results: bootstrap support, choose_k, markers and a comparison
    gx.tl.cut(back, min_support=0.5, key_added="supported")
    assert back.obs["supported"].equals(clustered.obs["supported"])
    assert (dendrogram_spec(back, support="au").support.boxes
            == dendrogram_spec(clustered, support="au").support.boxes)
    gx.pl.choose_k(back, show=False)
    assert (gx.tl.choose_k(back, k_range=range(2, 5), n_rotations=19, inplace=False)["k"]
            == clustered.uns["choose_k"]["k"])
    pd.testing.assert_frame_equal(back.uns["markers"], clustered.uns["markers"],
                                  check_dtype=False)
    stored = back.uns["compare_type_cluster"]
    assert stored["ari"] == clustered.uns["compare_type_cluster"]["ari"]
    assert gx.tl.compare(back, **stored["params"], inplace=False)["ari"] == stored["ari"]


def needs_zarr() -> None:
    """Skip when zarr is absent (anndata < 0.11 does not require it) or too new for anndata."""
    from importlib.metadata import version

    from packaging.version import Version

    pytest.importorskip("zarr")
    if Version(version("anndata")) < Version("0.11") and Version(version("zarr")).major >= 3:
        pytest.skip("anndata < 0.11 cannot write zarr 3 stores")


def test_use_rep_x_is_x_itself_as_in_scanpy():
    # before: sc.pp.neighbors(adata, use_rep='X') is common; here it raised
    # KeyError "use_rep='X' not found in .obsm"
    adata = make_planted(n_per_group=4, n_groups=3, n_genes=20)
    gx.tl.hclust(adata)
    expected = adata.uns["hclust"]["linkage"].copy()
    gx.tl.hclust(adata, use_rep="X")
    np.testing.assert_array_equal(adata.uns["hclust"]["linkage"], expected)
    assert adata.uns["hclust"]["params"]["use_rep"] == "X"
    gx.tl.bootstrap(adata, n_boot=5)  # reads the tree's data back the same way
    with pytest.raises(KeyError, match=r"available: \['X'\] \('X' is .X itself"):
        gx.tl.hclust(adata, use_rep="X_pca")


# anndata's own deprecation (FutureWarning, DeprecationWarning in 0.10), inside its backed .X setter
@pytest.mark.filterwarnings("ignore:This internal function has been deprecated")
# h5py 3.8's own reading of a dataset under numpy 1.25 (the oldest versions we support)
@pytest.mark.filterwarnings("ignore:`product` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("step", ["scale", "center", "log2"])
def test_read_only_backed_x_is_refused_clearly(step, tmp_path):
    # before: h5py's KeyError "Couldn't delete link (no write intent on file)"
    adata = make_planted(n_per_group=4, n_groups=2, n_genes=10)
    adata.X = 2.0 ** (adata.X + 4)  # linear values, so that log2 transforms them
    adata.write_h5ad(tmp_path / "a.h5ad")
    backed = ad.read_h5ad(tmp_path / "a.h5ad", backed="r")
    with pytest.raises(ValueError, match=r"backed read-only by '.*a\.h5ad'.*to_memory\(\)"):
        getattr(gx.pp, step)(backed)
    assert "mean" not in backed.var
    assert step not in backed.uns
    backed.file.close()
    writable = ad.read_h5ad(tmp_path / "a.h5ad", backed="r+")  # written into the file
    getattr(gx.pp, step)(writable)
    expected = getattr(gx.pp, step)(adata, copy=True).X
    np.testing.assert_allclose(np.asarray(writable.X[:]), expected)
    writable.file.close()


# h5py 3.8's own reading of a dataset under numpy 1.25 (the oldest versions we support)
@pytest.mark.filterwarnings("ignore:`product` is deprecated:DeprecationWarning")
def test_select_variable_with_subset_on_a_backed_file_says_how(tmp_path):
    # before: anndata's "To copy an AnnData object in backed mode, pass a filename", raised
    # after .var had been changed
    adata = make_planted(n_per_group=4, n_groups=2, n_genes=30)
    adata.write_h5ad(tmp_path / "a.h5ad")
    backed = ad.read_h5ad(tmp_path / "a.h5ad", backed="r")
    with pytest.raises(ValueError, match=r"backed AnnData \('.*a\.h5ad'\).*to_memory\(\)"):
        gx.pp.select_variable(backed, n_top=5, subset=True)
    assert "highly_variable" not in backed.var
    gx.pp.select_variable(backed, n_top=5)  # the way the error gives
    selected = backed[:, backed.var["highly_variable"]].to_memory()
    expected = gx.pp.select_variable(adata, n_top=5, subset=True, copy=True)
    assert selected.var_names.tolist() == expected.var_names.tolist()
    backed.file.close()


def test_repeated_var_names_in_marker_plots():
    # before: pandas' InvalidIndexError "Reindexing only valid with uniquely valued Index
    # objects" from pl.markers and pl.cluster_heatmap as soon as any var name repeated
    adata = make_planted(n_per_group=4, n_groups=3, n_genes=40)
    adata.var["gene_symbol"] = [f"SYM{j}" for j in range(adata.n_vars)]
    adata.obs["cluster"] = adata.obs["type"]
    reference = cluster_heatmap_spec(adata, n_genes=3)
    names = adata.var_names.tolist()
    names[38] = names[39] = "dup"  # unshifted genes, never markers: the plots work
    adata.var_names = names
    spec = cluster_heatmap_spec(adata, n_genes=3)
    assert spec.row_labels == reference.row_labels
    np.testing.assert_array_equal(spec.means, reference.means)
    gx.pl.markers(adata, n_genes=2, show=False)
    names[0] = names[1] = "g0"  # group0's markers (genes 0-9 shifted): which row is meant?
    adata.var_names = names
    for plot in (gx.pl.markers, gx.pl.cluster_heatmap):
        with pytest.raises(ValueError, match=r"marker gene 'g0' is the var name of 2 genes.*"
                                             r"var_names_make_unique"):
            plot(adata)
    assert gene_labels(adata, [1, 38, 39]) == ["SYM1 (g0)", "SYM38 (dup)", "SYM39 (dup)"]


def test_log2_of_counts_is_applied_and_warns(caplog):
    # before: UMI counts (mostly 0, so GEO2R's q25 > 0 fails, and q99 < 100) were judged
    # "already logged" and left as counts, silently, with a record saying so
    rng = np.random.default_rng(0)
    counts = rng.negative_binomial(0.3, 0.05, size=(30, 200)).astype(np.float32)
    counts[0, 0] = 400  # one highly expressed gene in one cell
    assert np.quantile(counts, 0.25) == 0  # GEO2R's rule alone says: logged
    assert np.quantile(counts, 0.99) < 100
    adata = ad.AnnData(counts)
    gx.pp.log2(adata)
    record = adata.uns["log2"]
    assert record["applied"] is True
    assert "counts" in record["reason"]
    np.testing.assert_allclose(adata.X, np.log2(np.maximum(counts, 1.0)))
    assert adata.X.dtype == np.float32
    assert "sc.pp.normalize_total" in caplog.text
    few = ad.AnnData(np.arange(40.0).reshape(4, 10))  # whole numbers spanning < 50: log-like
    gx.pp.log2(few)
    assert few.uns["log2"]["applied"] is False


def test_nullable_columns_and_typos_in_tree_plots():
    # before: a pandas 'string' or 'boolean' column with <NA> as color= raised "boolean value
    # of NA is ambiguous"; color='nope' (a typo) was skipped without a word
    adata = make_planted(n_per_group=4, n_groups=3, n_genes=20)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    adata.obs["s"] = pd.array(adata.obs["type"].astype(str), dtype="string")
    adata.obs["b"] = pd.array(adata.obs["type"] == "group0", dtype="boolean")
    adata.obs.loc[adata.obs_names[:2], ["s", "b"]] = pd.NA
    for column in ("s", "b"):
        spec = dendrogram_spec(adata, color=column)
        unlabelled = [spec.leaf_labels.index(name) for name in adata.obs_names[:2]]
        assert {spec.leaf_colours[i] for i in unlabelled} == {MISSING_COLOUR}
        gx.pl.clustermap(adata, color=column, n_genes=5, show=False)
    for plot, param in [(gx.pl.dendrogram, "color"), (gx.pl.dendrogram, "clusters"),
                        (gx.pl.dendrogram, "leaf_labels"), (gx.pl.clustermap, "color"),
                        (gx.pl.clustermap, "clusters")]:
        with pytest.raises(KeyError, match=rf"{param}='nope' is not an .obs column; available"):
            plot(adata, **{param: "nope"})
    del adata.obs["type"], adata.obs["cluster"]  # the defaults, absent (scanpy's data): quiet
    assert dendrogram_spec(adata).bars == []


@pytest.mark.parametrize("how", ["max_mean", "mean"])
def test_collapse_probes_keeps_what_describes_the_samples(how):
    # before: the new AnnData had no .obsm, .obsp, .layers or .raw, while .uns['neighbors']
    # still named the graph in .obsp: sc.pl.umap and the counts in a layer were gone
    from scipy import sparse

    adata = make_planted(n_per_group=4, n_groups=3, n_genes=12)
    adata.var["gene_symbol"] = [f"G{j // 3}" for j in range(adata.n_vars)]  # 3 probes a gene
    adata.layers["twice"] = 2 * adata.X
    adata.obsm["X_umap"] = np.arange(2.0 * adata.n_obs).reshape(-1, 2)
    adata.obsp["connectivities"] = sparse.identity(adata.n_obs, format="csr")
    adata.raw = adata
    genes = gx.pp.collapse_probes(adata, how=how)
    assert genes.n_vars == 4
    np.testing.assert_allclose(genes.layers["twice"], 2 * genes.X)  # collapsed as .X was
    np.testing.assert_array_equal(genes.obsm["X_umap"], adata.obsm["X_umap"])
    assert (genes.obsp["connectivities"] != adata.obsp["connectivities"]).nnz == 0
    assert genes.raw.n_vars == adata.n_vars
    genes.obsm["X_umap"][0, 0] = -1.0  # copies: the input keeps its own
    assert adata.obsm["X_umap"][0, 0] == 0.0


def test_select_variable_refuses_values_scaled_by_scanpy():
    # before: after sc.pp.scale every variance is 1, and select_variable marked the first
    # n_top genes in .var order, without a word
    sc = pytest.importorskip("scanpy")
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    adata.layers["log"] = adata.X.copy()
    sc.pp.scale(adata, max_value=2.5)  # clipped genes spread less than 1
    with pytest.raises(ValueError, match=r"every gene of .X has standard deviation 1"):
        gx.pp.select_variable(adata, n_top=10, flavor="mad")
    gx.pp.select_variable(adata, n_top=10, layer="log")
    assert adata.var["highly_variable"].iloc[:30].sum() == 10  # the shifted genes


def test_clustermap_of_scaled_values_shows_the_variable_genes(caplog):
    # before: after pp.scale (without select_variable) every variance is 1, and the
    # "top variable genes" of the clustermap were the first genes in .var order
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=60)[:, ::-1].copy()  # noise first
    shifted = {f"g{j}" for j in range(30)}
    gx.pp.scale(adata)
    gx.tl.hclust(adata)
    assert set(clustermap_spec(adata, n_genes=10).gene_labels) <= shifted
    del adata.uns["scale"]  # as sc.pp.scale leaves it: no record, so no way back
    clustermap_spec(adata, n_genes=10)
    assert "the 10 genes shown are the first in order" in caplog.text
    caplog.clear()
    gx.pp.scale(adata)  # a record again, but with sc.pp.scale's statistics over ours:
    adata.var["mean"], adata.var["std"] = 0.0, 1.0  # what sc.pp.scale writes after it
    clustermap_spec(adata, n_genes=10)
    assert "the 10 genes shown are the first in order" in caplog.text


def test_backed_sparse_x_is_read(tmp_path):
    # before: the .X of read_h5ad(..., backed='r') holding a sparse matrix (the usual
    # single-cell file) gave "setting an array element with a sequence" in every tool
    from scipy import sparse

    adata = make_planted(n_per_group=4, n_groups=3, n_genes=20)
    expected = adata.copy()
    adata.X = sparse.csr_matrix(adata.X)
    adata.write_h5ad(tmp_path / "a.h5ad")
    backed = ad.read_h5ad(tmp_path / "a.h5ad", backed="r")
    for each in (backed, expected):
        gx.pp.select_variable(each, n_top=10)
        gx.tl.hclust(each)
        gx.tl.cut(each, n_clusters=3)
        gx.tl.markers(each, n_genes=3)
    np.testing.assert_array_equal(backed.uns["hclust"]["linkage"],
                                  expected.uns["hclust"]["linkage"])
    np.testing.assert_allclose(backed.var["variability"], expected.var["variability"])
    assert (backed.obs["cluster"] == expected.obs["cluster"]).all()
    pd.testing.assert_frame_equal(backed.uns["markers"], expected.uns["markers"])
    backed.file.close()


def test_legends_leave_out_categories_no_sample_has():
    # before: a category without samples (pd.Categorical with fixed categories,
    # .cat.add_categories) had a legend entry in the dendrogram and the clustermap
    adata = make_planted(n_per_group=4, n_groups=3, n_genes=20)
    adata.obs["type"] = adata.obs["type"].cat.add_categories(["ghost"])
    gx.tl.hclust(adata)
    for spec in (dendrogram_spec(adata), clustermap_spec(adata, n_genes=5)):
        assert list(spec.legends[0][1]) == ["group0", "group1", "group2"]
    assert len(adata.uns["type_colors"]) == 4  # one colour per category, as scanpy keeps them


def test_use_rep_dataframe_with_a_text_column_is_named():
    # before: "could not convert string to float: 'a'", naming neither .obsm nor the column
    adata = make_planted(n_per_group=4, n_groups=3, n_genes=20)
    pcs = pd.DataFrame(adata.X[:, :5], index=adata.obs_names).add_prefix("PC")
    adata.obsm["pcs"] = pcs
    gx.tl.hclust(adata, use_rep="pcs")
    np.testing.assert_array_equal(adata.uns["hclust"]["linkage"],
                                  gx.tl.hclust(ad.AnnData(adata.X[:, :5]), copy=True)
                                  .uns["hclust"]["linkage"])
    adata.obsm["pcs"] = pcs.assign(batch=pd.Categorical(["a", "b"] * 6))
    with pytest.raises(ValueError, match=r"column 'batch' of .obsm\['pcs'\] is not numeric"):
        gx.tl.hclust(adata, use_rep="pcs")


def test_scanpy_dendrogram_key_is_named_as_such():
    # before: KeyError 'leaves' from cut, the plots and the exports given key= of scanpy's
    # sc.tl.dendrogram (a tree of group means, with a 'linkage' too)
    sc = pytest.importorskip("scanpy")
    adata = make_planted(n_per_group=4, n_groups=3, n_genes=20)
    sc.tl.dendrogram(adata, "type", use_rep="X")
    for call in (lambda: gx.tl.cut(adata, key="dendrogram_type", n_clusters=2),
                 lambda: gx.pl.dendrogram(adata, key="dendrogram_type", show=False),
                 lambda: gx.io.write_newick(adata, key="dendrogram_type")):
        with pytest.raises(KeyError, match=r"is scanpy's tree of the 'type' groups "
                                           r"\(sc.tl.dendrogram\), not a tree of the samples"):
            call()


def test_an_anndata_without_x_is_refused_naming_its_layers(tmp_path):
    # before: anndata allows X=None (values in layers only); numpy read None as one NaN, so
    # pp.log2 recorded "data look already logged" and left them, and the other tools failed
    # with numpy's "tuple index out of range" or "calling nonzero on 0d arrays"
    planted = make_planted(n_per_group=4, n_groups=3, n_genes=20)
    adata = ad.AnnData(obs=planted.obs, var=planted.var, layers={"L": planted.X.copy()})
    gx.tl.hclust(adata, layer="L")
    gx.tl.cut(adata, n_clusters=3)
    calls = {
        "pp.log2": lambda: gx.pp.log2(adata),
        "pp.center": lambda: gx.pp.center(adata),
        "pp.scale": lambda: gx.pp.scale(adata),
        "pp.select_variable": lambda: gx.pp.select_variable(adata, n_top=5),
        "tl.hclust": lambda: gx.tl.hclust(adata, key_added="x"),
        "tl.consensus": lambda: gx.tl.consensus(adata, k_range=[2], n_resamples=2),
        "tl.markers": lambda: gx.tl.markers(adata),
        "pl.clustermap": lambda: gx.pl.clustermap(adata),
        "pl.cluster_heatmap": lambda: gx.pl.cluster_heatmap(adata),
        "io.write_treeview": lambda: gx.io.write_treeview(adata, tmp_path / "t"),
    }
    for caller, call in calls.items():
        with pytest.raises(ValueError, match=rf"^{caller}: .X is None .*pass layer= "
                                             r"\(layers: \['L'\]\)"):
            call()
    assert "log2" not in adata.uns
    with pytest.raises(ValueError, match=r"write_cumida: .X is None .*adata.X = adata.layers"):
        gx.io.write_cumida(adata, tmp_path / "a.csv")
    gx.pp.select_variable(adata, n_top=5, layer="L")  # the way out the messages give
    assert gx.tl.markers(adata, layer="L", n_genes=2, inplace=False)["group"].nunique() == 3


def test_log2_of_normalised_counts_is_applied():
    # before: counts normalised by sc.pp.normalize_total (fractions, 75% zeros: GEO2R's q25 > 0
    # fails, q99 = 33 < 100) were judged "already logged" and left linear, without a warning;
    # tl.markers then reported differences of linear means as log2 fold changes
    sc = pytest.importorskip("scanpy")
    pbmc = sc.datasets.pbmc68k_reduced()  # .raw: log1p of normalised counts (bundled, real)
    normalised = np.expm1(pbmc.raw.X.toarray())
    assert np.quantile(normalised, 0.25) == 0
    assert np.quantile(normalised, 0.99) < 100
    assert not np.array_equal(normalised, np.round(normalised))  # not counts
    adata = ad.AnnData(normalised, obs=pbmc.obs[["bulk_labels"]], var=pbmc.raw.var)
    table = gx.tl.markers(adata, groupby="bulk_labels", n_genes=1, inplace=False)
    nk = table.set_index("group").loc["CD56+ NK"]  # NKG7: 66.9 vs 3.8 on average
    assert nk["logfoldchange"] == pytest.approx(4.14, abs=0.01)  # not the difference, 63.1
    assert nk["logfoldchange"] == pytest.approx(
        np.log2((nk["mean_group"] + 1e-9) / (nk["mean_rest"] + 1e-9)))
    gx.pp.log2(adata)
    assert adata.uns["log2"]["applied"] is True
    assert "values >= 0 spanning more than 50" in adata.uns["log2"]["reason"]
    np.testing.assert_allclose(adata.X, np.log2(np.maximum(normalised, 1.0)))
    logged = ad.AnnData(np.log2(1 + normalised))  # the same values logged: left alone
    gx.pp.log2(logged)
    assert logged.uns["log2"]["applied"] is False


def test_shallow_counts_normalised_to_the_median_are_not_read_as_log2(caplog):
    # before: sc.pp.normalize_total with its default target (the median count per cell, 202)
    # on cells of about 200 UMIs gave values of 0 to 34.2 (q99 6.4): no span above 50, not
    # whole numbers, so pp.log2 left them "already logged" and tl.markers reported the
    # differences of their means, 0.67 to 2.50, as the log2 fold changes of five genes 4x up
    # (log2 of the means' ratios: 1.89 to 2.14)
    sc = pytest.importorskip("scanpy")
    from gexclust.pp._log2 import looks_linear

    rng = np.random.default_rng(0)
    genes = rng.lognormal(0, 1, 300)
    depth = rng.lognormal(np.log(200), 0.3, 400)
    mean = depth[:, None] * genes / genes.sum()
    mean[200:, :5] *= 4  # group b: five genes 4x up
    counts = rng.negative_binomial(2, 2 / (2 + mean)).astype(np.float32)
    adata = ad.AnnData(sparse.csr_matrix(counts), obs=pd.DataFrame(
        {"g": pd.Categorical(["a"] * 200 + ["b"] * 200)}, index=[f"c{i}" for i in range(400)]))
    sc.pp.normalize_total(adata)  # target_sum=None: the median, 200 counts
    X = adata.X.toarray()
    assert X.max() == pytest.approx(34.16, abs=0.01)
    assert not np.array_equal(X, np.round(X))
    scale = looks_linear(X)
    assert (scale.linear, scale.normalised, scale.counts, scale.geo2r) == (True, True, False, False)
    table = gx.tl.markers(adata, groupby="g", n_genes=5, inplace=False)
    up = table[(table["group"] == "b") & (table["direction"] == "up")]
    assert set(up["gene"]) == {str(i) for i in range(5)}
    np.testing.assert_allclose(up["logfoldchange"],
                               np.log2(up["mean_group"] / up["mean_rest"]), rtol=1e-6)
    np.testing.assert_allclose(up["logfoldchange"], 2.0, atol=0.15)
    logged = adata.copy()
    gx.pp.log2(adata)
    assert adata.uns["log2"]["applied"] is True
    assert "counts normalised per row" in adata.uns["log2"]["reason"]
    assert ("counts normalised per row (max 34.1618); log2(max(x, 1)) gives the 12888 values "
            "between 0 and 1 the value of 0 (log2(1))" in caplog.text)
    np.testing.assert_allclose(adata.X, np.log2(np.maximum(X, 1.0)), rtol=1e-6)
    sc.pp.log1p(logged)  # the same values logged (natural log, as scanpy): left alone
    assert not looks_linear(logged.X.toarray()).linear
    gx.pp.log2(logged)
    assert logged.uns["log2"]["applied"] is False
    assert logged.uns["log1p"] == {"base": None}


def test_markers_of_a_raw_set_before_log2(caplog):
    # before: .raw = the linear MAS 5.0 values (set before pp.log2, as scanpy users keep
    # them), read as sc.pp.log1p values in base 2 (the .uns['log1p'] of .X): the fold changes
    # of the default use_raw were 2**mean - 1 ratios: 442 and 402 for the top tumour
    # markers, inf and NaN for the others
    path = shared_file("GSE781_family.soft.gz")
    adata = gx.io.read_soft(path, platform="GPL96", type_from="source_name")  # MAS 5.0
    adata = adata[:, :4000].copy()
    adata.raw = adata
    gx.pp.log2(adata)
    assert adata.uns["log1p"] == {"base": 2}
    table = gx.tl.markers(adata, groupby="type", n_genes=3, inplace=False)
    assert ".raw holds values not logged (q99=" in caplog.text
    np.testing.assert_allclose(table["logfoldchange"],
                               np.log2((table["mean_group"] + 1e-9) / (table["mean_rest"] + 1e-9)))
    assert np.isfinite(table["logfoldchange"]).all()
    assert (table["logfoldchange"].abs() < 10).all()
    assert (table["mean_rest"] > 100).all()  # linear values: the means of .raw


def test_cut_says_when_it_replaces_clusters_that_came_with_the_data(caplog, tmp_path):
    # before: tl.cut (and tl.consensus) replaced an .obs['cluster'] that came with the data
    # (the authors' clusters of a published h5ad) without a word
    sc = pytest.importorskip("scanpy")
    adata = sc.datasets.pbmc68k_reduced()
    adata.obs["cluster"] = adata.obs["bulk_labels"]  # as a published object holds them
    gx.tl.hclust(adata, use_rep="X_pca")
    gx.tl.cut(adata, n_clusters=5)
    assert ("cut: replaced .obs['cluster'] (10 labels: 'CD14+ Monocyte', 'Dendritic', "
            "'CD56+ NK', ...), which no clustering recorded in .uns['cluster']") in caplog.text
    assert "pass key_added='hclust_cluster'" in caplog.text
    caplog.clear()
    gx.tl.cut(adata, n_clusters=3)  # ours, with its record: replaced, as scanpy replaces
    adata.write_h5ad(tmp_path / "a.h5ad")
    gx.tl.cut(ad.read_h5ad(tmp_path / "a.h5ad"), n_clusters=4)  # the record survives
    assert "replaced" not in caplog.text
    adata.obs["consensus"] = adata.obs["bulk_labels"]
    gx.tl.consensus(adata, k_range=[2], n_resamples=2, use_rep="X_pca", progress=False)
    assert "consensus: replaced .obs['consensus'] (10 labels" in caplog.text


def test_gexclust_run_keeps_a_cluster_column_of_the_input(caplog):
    # a GEO characteristic 'cluster: ...' becomes .obs['cluster']; the run keeps it aside
    from gexclust._pipeline import RunConfig, cluster_samples

    adata = gx.datasets.gse9476_example()
    adata.obs["cluster"] = adata.obs["type"].astype(str).str[:2]
    adata.obs["cluster_input"] = "taken"
    given = adata.obs["cluster"].copy()
    cluster_samples(adata, RunConfig(n_clusters=5))
    assert adata.obs["cluster_input2"].equals(given)
    assert adata.obs["cluster_input"].eq("taken").all()
    assert adata.uns["compare_type_cluster"]["ari"] == pytest.approx(1.0)
    assert "kept as .obs['cluster_input2']" in caplog.text


def test_gexclust_run_keeps_a_scanpy_clustering_named_cluster_with_its_record():
    # sc.tl.leiden(key_added='cluster') leaves .uns['cluster'] = {'params': ...}, which
    # tl.cut now refuses to overwrite: the run keeps column, record and colours aside
    from gexclust._pipeline import RunConfig, cluster_samples

    adata = gx.datasets.gse9476_example()
    adata.obs["cluster"] = pd.Categorical(adata.obs["type"].astype(str).str[:2])
    record = {"params": {"resolution": 1.0, "n_iterations": -1}}
    colours = ["#1f77b4", "#ff7f0e", "#279e68"][: adata.obs["cluster"].nunique()]
    adata.uns["cluster"], adata.uns["cluster_colors"] = record, colours
    given = adata.obs["cluster"].copy()
    cluster_samples(adata, RunConfig(n_clusters=5))
    assert adata.obs["cluster_input"].equals(given)
    assert adata.uns["cluster_input"] == record
    assert list(adata.uns["cluster_input_colors"]) == colours
    assert adata.uns["cluster"]["rule"] == "maxclust"
    assert adata.obs["cluster"].nunique() == 5


def test_markers_of_a_linear_x_under_scanpys_log1p_record(caplog):
    # before: .uns['log1p'] (left by sc.pp.log1p) was believed for a .X that holds linear
    # values again (normalised counts put back): NKG7's fold change in NK cells was
    # log2(expm1(66.9) / expm1(3.8)) = 91.0 instead of log2(66.9 / 3.8) = 4.14
    sc = pytest.importorskip("scanpy")
    pbmc = sc.datasets.pbmc68k_reduced()
    adata = ad.AnnData(np.expm1(pbmc.raw.X.toarray()), obs=pbmc.obs[["bulk_labels"]],
                       var=pbmc.raw.var, uns={"log1p": {"base": None}})
    table = gx.tl.markers(adata, groupby="bulk_labels", n_genes=1, inplace=False)
    nk = table.set_index("group").loc["CD56+ NK"]
    assert nk["gene"] == "NKG7"
    assert nk["logfoldchange"] == pytest.approx(4.14, abs=0.01)
    assert ".X holds values not logged (q99=33.12" in caplog.text
    caplog.clear()
    adata.X = np.log1p(adata.X)  # what the record says: scanpy's numbers, without a word
    nk = gx.tl.markers(adata, groupby="bulk_labels", n_genes=1,
                       inplace=False).set_index("group").loc["CD56+ NK"]
    assert nk["logfoldchange"] == pytest.approx(
        np.log2((np.expm1(nk["mean_group"]) + 1e-9) / (np.expm1(nk["mean_rest"]) + 1e-9)))
    assert "not logged" not in caplog.text


def test_no_cluster_or_category_is_grey():
    # before: the 8th cluster was Dark2's #666666 (beside the #808080 of the tree above the
    # cut: pbmc68k's 8 clusters, the k tl.choose_k picks, showed 7) and the 8th category
    # tab10's #7f7f7f (beside the #9e9e9e of unlabelled samples: Garber's 8 lung types)
    from matplotlib.colors import to_rgb

    from gexclust._palette import palette

    sc = pytest.importorskip("scanpy")

    def grey(colour):
        return len(set(np.round(to_rgb(colour), 2))) == 1

    for n in range(1, 41):
        for kind in ("cluster", "category"):
            colours = palette(n, kind=kind)
            assert len(set(colours)) == n
            assert not any(map(grey, colours)), (n, kind)
    adata = sc.datasets.pbmc68k_reduced()
    gx.tl.hclust(adata, use_rep="X_pca")
    gx.tl.cut(adata, n_clusters=8)
    spec = dendrogram_spec(adata, color="phase")
    assert len(set(spec.branch_colours)) == 8
    assert not any(map(grey, spec.branch_colours))
    lung = gx.io.read_cumida(shared_file("real/lung_pvclust.csv.gz"), missing="impute")
    assert lung.obs["type"].nunique() == 8
    gx.tl.hclust(lung)
    spec = dendrogram_spec(lung)
    assert not any(map(grey, spec.legends[0][1].values()))


@pytest.mark.filterwarnings("ignore:Writing zarr v2 data:UserWarning")  # anndata's, not ours
@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_compare_with_slashes_in_labels_is_written(fmt, tmp_path):
    # before: tl.compare(adata, reference='cluster', clusters='bulk_labels') made pbmc68k's
    # 'CD4+/CD25 T Reg' a
    # column of the crosstab, i.e. a key in the file: write_h5ad and write_zarr failed with
    # "Forward slashes are not allowed in keys" (anndata 0.13; 0.12: "Incompatible object
    # (Dataset) already exists" for 'A/B' beside 'A/B/C'), and the whole object was unsaved
    sc = pytest.importorskip("scanpy")
    if fmt == "zarr":
        needs_zarr()
    adata = sc.datasets.pbmc68k_reduced()
    gx.tl.hclust(adata, use_rep="X_pca")
    gx.tl.cut(adata, n_clusters=5)
    gx.tl.compare(adata, reference="cluster", clusters="bulk_labels")
    result = adata.uns["compare_cluster_bulk_labels"]
    swapped = gx.tl.compare(adata, reference="bulk_labels", clusters="cluster", inplace=False)
    assert result["ari"] == swapped["ari"]
    crosstab = result["crosstab"]
    assert "CD4+\u2215CD25 T Reg" in crosstab.columns  # a division slash, which looks the same
    assert crosstab.columns.name == "bulk_labels"
    getattr(adata, f"write_{fmt}")(tmp_path / f"a.{fmt}")
    back = getattr(ad, f"read_{fmt}")(tmp_path / f"a.{fmt}").uns["compare_cluster_bulk_labels"]
    assert back["crosstab"].columns.tolist() == crosstab.columns.tolist()
    np.testing.assert_array_equal(back["crosstab"].to_numpy(), crosstab.to_numpy())


def test_dendrogram_in_a_panel_stays_in_it():
    # before: with ax= (one panel of plt.subplots, beside sc.pl.umap) the truncation note ran
    # over the next panel, and the leaf labels were sized for the whole figure's width, so
    # neighbours overlapped
    import matplotlib.pyplot as plt

    sc = pytest.importorskip("scanpy")
    adata = sc.datasets.pbmc68k_reduced()
    gx.tl.hclust(adata, use_rep="X_pca")
    gx.tl.cut(adata, n_clusters=5)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    try:
        ax = gx.pl.dendrogram(adata, ax=axes[0], show=False)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        right_edge = axes[1].get_window_extent(renderer).x0
        assert ax.get_title(loc="left").startswith("truncated: the top 50 of 700")
        note = ax._left_title  # the Text of a loc='left' title has no public accessor
        assert note.get_window_extent(renderer).x1 < right_edge
        labels = sorted((t.get_window_extent(renderer) for t in labels_of(ax, "bottom")),
                        key=lambda box: box.x0)
        assert len(labels) == 50
        assert all(a.x1 <= b.x0 + 0.5 for a, b in itertools.pairwise(labels))
    finally:
        plt.close(fig)


@pytest.mark.parametrize("missing", [None, np.nan])
@pytest.mark.parametrize("categorical", [False, True])
def test_genes_without_a_symbol_are_labelled_by_their_id(missing, categorical):
    # scanpy's var of symbols has holes (None, NaN; categorical after read_h5ad). Before:
    # pandas 2 labelled such a gene 'None (g0)', and under pandas 3, whose astype(str)
    # keeps NaN, pl.clustermap, pl.cluster_heatmap and pl.markers raised AttributeError:
    # 'float' object has no attribute 'split'
    adata = make_planted(n_per_group=4, n_groups=3, n_genes=12)
    symbols = [missing if j in (0, 5) else f"SYM{j}" for j in range(adata.n_vars)]
    adata.var["gene_symbol"] = pd.Categorical(symbols) if categorical else symbols
    assert gene_labels(adata, [0, 1, 5]) == ["g0", "SYM1 (g1)", "g5"]
    adata.obs["cluster"] = adata.obs["type"]
    gx.tl.hclust(adata)
    labels = clustermap_spec(adata, n_genes=12).gene_labels
    assert {"g0", "g5", "SYM1 (g1)"} <= set(labels)


@pytest.mark.parametrize("dtype", ["Int64", "string", "category"])
def test_leaf_labels_of_a_column_with_a_missing_value(dtype):
    # before: a nullable Int64 column of patient numbers labelled the leaves '3.0', '1.0'
    # and 'nan' (numpy made floats of it), a 'string' column '<NA>'
    adata = make_planted(n_per_group=2, n_groups=2, n_genes=20)
    values = pd.Series([7, None, 12, 3], index=adata.obs_names, dtype="Int64")
    adata.obs["patient"] = values.astype(dtype) if dtype != "string" else values.astype(
        "string")
    gx.tl.hclust(adata)
    spec = dendrogram_spec(adata, leaf_labels="patient", color=None, clusters=None)
    by_name = dict(zip(adata.obs_names[spec.leaves], spec.leaf_labels, strict=True))
    assert by_name == {"s0": "7", "s1": "", "s2": "12", "s3": "3"}


def test_cluster_numbers_with_an_unassigned_sample_are_named_as_numbers():
    # another tool's clusters as nullable Int64 with an unassigned sample: the dendrogram's
    # cluster bar named its runs '1.0', '2.0' (numpy made floats of the column)
    adata = make_planted(n_per_group=3, n_groups=2, n_genes=20)
    adata.obs["other"] = pd.array([1, 2, None, 1, 2, 2], dtype="Int64")
    gx.tl.hclust(adata)
    names = dendrogram_spec(adata, clusters="other", color=None).bars[-1].run_names
    order = adata.obs_names[hierarchy_leaves(adata)]
    expected = {"s0": "1", "s1": "2", "s2": "", "s3": "1", "s4": "2", "s5": "2"}
    assert names == [expected[name] for name in order]


def hierarchy_leaves(adata: ad.AnnData) -> np.ndarray:
    """The leaf order of ``.uns['hclust']`` (samples in their original order)."""
    return np.asarray(adata.uns["hclust"]["leaves"])


# scanpy 1.11's sc.pl.umap calls Colormap.set_bad, which matplotlib 3.11 marks for deprecation
@pytest.mark.filterwarnings("ignore:The set_bad function:PendingDeprecationWarning")
def test_scanpy_workflow_end_to_end_on_pbmc68k(tmp_path):
    # the brief's workflow, warnings as errors: neighbors, a ward tree on X_pca, a cut, scanpy's
    # markers and UMAP on our clusters, our dendrogram and heatmap, an h5ad round trip
    import matplotlib.pyplot as plt

    sc = pytest.importorskip("scanpy")
    adata = sc.datasets.pbmc68k_reduced()
    sc.pp.neighbors(adata)
    gx.tl.hclust(adata, use_rep="X_pca")
    gx.tl.cut(adata, n_clusters=6)
    assert adata.obs["cluster"].value_counts().sort_index().tolist() == [
        64, 166, 32, 67, 176, 195]
    sc.tl.rank_genes_groups(adata, groupby="cluster", method="t-test")
    assert sc.get.rank_genes_groups_df(adata, group="3")["names"].iloc[0] == "PPIB"
    sc.pl.umap(adata, color="cluster", show=False)
    plt.savefig(tmp_path / "umap.png")
    plt.close("all")
    gx.pl.dendrogram(adata, color="bulk_labels", save=tmp_path / "dendrogram.png", show=False)
    gx.pl.cluster_heatmap(adata, save=tmp_path / "heatmap.png", show=False)
    assert gx.tl.compare(adata, reference="bulk_labels", clusters="cluster") is None
    ari = adata.uns["compare_bulk_labels_cluster"]["ari"]
    assert ari == pytest.approx(0.5793, abs=1e-4)
    adata.write_h5ad(tmp_path / "a.h5ad")
    back = ad.read_h5ad(tmp_path / "a.h5ad")
    assert (back.obs["cluster"] == adata.obs["cluster"]).all()
    assert list(back.uns["cluster_colors"]) == list(adata.uns["cluster_colors"])
    gx.tl.cut(back, n_clusters=6)  # the tree read back cuts the same
    assert (back.obs["cluster"] == adata.obs["cluster"]).all()
    assert back.uns["compare_bulk_labels_cluster"]["ari"] == ari
    for name in ("umap", "dendrogram", "heatmap"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000


# scanpy 1.11's scatter plots call Colormap.set_bad (matplotlib 3.11 warns): theirs, not ours
@pytest.mark.filterwarnings("ignore:The set_bad function:PendingDeprecationWarning")
@pytest.mark.parametrize("n", [3, 8, 10, 12, 20])
def test_a_column_without_colours_gets_the_colours_scanpy_gives_it(n):
    # before: 10 categories got tab20's first ten (#1f77b4 #aec7e8 #ff7f0e ...), 11 to 18
    # tab20 and 19 or 20 evenly spaced hues, where sc.pl.umap stores tab10 (10) or its own
    # 20 colours; a column drawn by gexclust first showed other colours than scanpy gives it.
    # Now scanpy's colours, only tab10's grey (the 8th) replaced (grey is no label here)
    sc = pytest.importorskip("scanpy")
    import matplotlib

    matplotlib.use("Agg")
    adata = sc.datasets.pbmc68k_reduced()
    gx.tl.hclust(adata, use_rep="X_pca")
    column = pd.Categorical([f"g{i % n:02d}" for i in range(adata.n_obs)])
    scanpy_first, ours_first = adata.copy(), adata.copy()
    scanpy_first.obs["x"] = ours_first.obs["x"] = column

    sc.pl.umap(scanpy_first, color="x", show=False)
    by_scanpy = list(scanpy_first.uns["x_colors"])
    assert dendrogram_spec(scanpy_first, color="x").bars[0].colours == by_scanpy

    drawn = dendrogram_spec(ours_first, color="x").bars[0].colours
    assert drawn == ["#ffbb78" if c == "#7f7f7f" else c for c in by_scanpy]
    assert list(ours_first.uns["x_colors"]) == drawn
    sc.pl.umap(ours_first, color="x", show=False)  # scanpy keeps them
    assert list(ours_first.uns["x_colors"]) == drawn


def test_a_gene_symbols_column_that_is_not_there_is_named(clustered, tmp_path):
    # before: a typo (gene_symbols='symbol' for .var['symbols'], scanpy's 'feature_name' on
    # data without it) gave a marker table with every gene_symbol '' and plots and .cdt files
    # labelled by var names, without a word; the default 'gene_symbol' stays optional
    adata = clustered.copy()
    adata.var["symbols"] = [f"S{j}" for j in range(adata.n_vars)]
    table = gx.tl.markers(adata, gene_symbols="symbols", n_genes=1, inplace=False)
    assert table["gene_symbol"].str.startswith("S").all()
    assert (gx.tl.markers(adata, n_genes=1, inplace=False)["gene_symbol"] == "").all()
    says = (r"gene_symbols='symbol' is not a column of \.var; available: \['symbols'\], or "
            r"None for no symbols")
    for name, call in (
        ("tl.markers", lambda: gx.tl.markers(adata, gene_symbols="symbol", inplace=False)),
        ("pl.markers", lambda: gx.pl.markers(adata, gene_symbols="symbol", show=False)),
        ("pl.cluster_heatmap",
         lambda: gx.pl.cluster_heatmap(adata, gene_symbols="symbol", show=False)),
        ("pl.clustermap", lambda: gx.pl.clustermap(adata, gene_symbols="symbol", show=False)),
    ):
        with pytest.raises(KeyError, match=rf"{name}: {says}"):
            call()
    with pytest.raises(KeyError, match=r"io\.write_treeview: gene_name='symbol' is not a column "
                       r"of \.var; available: \['symbols'\], or None for no symbols"):
        gx.io.write_treeview(adata, tmp_path / "tree", gene_name="symbol")
    assert not list(tmp_path.iterdir())


def test_a_gene_symbols_typo_is_refused_before_the_groups_are_tested(clustered):
    # before (since the merge that moved the check into Ranked.table): every group was
    # tested against the rest first, and with one group the typo went unsaid behind
    # "'one' needs at least 2 groups with samples to rank markers"
    adata = clustered.copy()
    adata.var["symbols"] = [f"S{j}" for j in range(adata.n_vars)]
    adata.obs["one"] = "a"
    says = r"gene_symbols='symbol' is not a column of \.var; available: \['symbols'\]"
    for name, call in (
        ("tl.markers", lambda: gx.tl.markers(adata, groupby="one", gene_symbols="symbol",
                                             inplace=False)),
        ("pl.markers", lambda: gx.pl.markers(adata, groupby="one", gene_symbols="symbol",
                                             show=False)),
    ):
        with pytest.raises(KeyError, match=rf"{name}: {says}"):
            call()


def test_markers_of_a_raw_set_after_scaling_are_said_to_be_z_scores(caplog):
    # before: adata.raw = adata after sc.pp.scale (raw holding z-scores, a known slip) was
    # read as sc.pp.log1p values: every fold change was NaN with numpy's "RuntimeWarning:
    # invalid value encountered in log2" (an error here), and pl.markers drew a dot plot
    # without a single coloured dot; .X of z-scores already had the warning below
    import scanpy as sc

    adata = make_planted(n_per_group=6, n_groups=3, n_genes=30)
    adata.obs["cluster"] = adata.obs["type"]
    sc.pp.scale(adata)
    adata.raw = adata
    table = gx.tl.markers(adata, n_genes=3, inplace=False)
    assert ("tl.markers: every gene of .raw.X has standard deviation 1 (z-scores, e.g. of "
            "sc.pp.scale) and nothing records how to undo the scaling") in caplog.text
    assert table["logfoldchange"].isna().all()
    assert (table["diff"] > 1).all()  # in standard deviations, for the planted groups
    fig = gx.pl.markers(adata, n_genes=2, show=False)
    assert np.isfinite(fig.axes[1].collections[0].get_array()).all()  # every dot coloured
    assert fig.axes[2].get_ylabel() == "difference in SD"


@pytest.mark.parametrize(("name", "call"), [
    ("tl.markers", lambda a, key: gx.tl.markers(a, n_genes=2, key_added=key)),
    ("tl.choose_k", lambda a, key: gx.tl.choose_k(a, k_range=range(2, 4), n_rotations=19,
                                                  key_added=key)),
    ("tl.compare", lambda a, key: gx.tl.compare(a, reference="type", clusters="cluster",
                                                key_added=key)),
    ("tl.hclust", lambda a, key: gx.tl.hclust(a, key_added=key)),
    # before: these three replaced any of them too
    ("tl.cut", lambda a, key: gx.tl.cut(a, n_clusters=2, key_added=key)),
    ("tl.consensus", lambda a, key: gx.tl.consensus(a, k_range=[2], n_resamples=2,
                                                    key_added=key, progress=False)),
    ("pp.select_variable", lambda a, key: gx.pp.select_variable(a, n_top=5, key_added=key)),
])
def test_key_added_never_replaces_what_another_step_stored(clustered, name, call):
    # before: tl.markers(adata, key_added='cluster') replaced tl.cut's record in
    # .uns['cluster'] without a word (pl.dendrogram lost its cut line: 1 line drawn, then 0),
    # and the next tl.cut replaced the markers table the same way; key_added='cluster_colors'
    # gave "holds 9 colour(s) for the 3 categories of 'cluster'" and new colours
    adata = clustered.copy()
    adata.uns["pca"] = {"variance_ratio": np.array([0.5, 0.2])}  # as sc.pp.pca stores it
    record, colours = dict(adata.uns["cluster"]), list(adata.uns["cluster_colors"])
    for key, what in (("cluster", r"the record of the \.obs column 'cluster' \(tl\.cut's"),
                      ("cluster_colors", r"the colours of 'cluster'"),
                      ("pca", r"another result"),
                      ("markers" if name != "tl.markers" else "choose_k", r"another result")):
        if name == "tl.cut" and key == "cluster":  # its own record: a rerun
            continue
        with pytest.raises(ValueError, match=rf"^{name}: \.uns\['{key}'\] holds {what}.*, "
                                             rf"which key_added='{key}' would overwrite"):
            call(adata, key)
    assert adata.uns["cluster"]["threshold"] == record["threshold"]
    assert list(adata.uns["cluster_colors"]) == colours
    assert list(adata.uns["pca"]["variance_ratio"]) == [0.5, 0.2]
    assert len(gx.pl.dendrogram(adata, show=False).lines) == 1  # the cut line
    adata.obs["other"] = "x"  # a column without a record is no obstacle, nor a rerun
    call(adata, "other")
    call(adata, "other")
    assert "other" in adata.uns


def test_tl_cut_refusing_a_scanpy_record_does_not_call_it_a_cut(clustered):
    # before: "tl.cut: .uns['leiden'] holds the record of the .obs column 'leiden' (tl.cut's
    # parameters and cut height, a scanpy tool's parameters)": tl.cut had just found it is
    # no cut of its own (a cut's record would be replaced, as a rerun)
    adata = clustered.copy()
    adata.obs["leiden"] = pd.Categorical(["0", "1"] * (adata.n_obs // 2))
    adata.uns["leiden"] = {"params": {"resolution": 1.0, "n_iterations": -1}}
    with pytest.raises(ValueError, match=r"^tl\.cut: ") as refused:
        gx.tl.cut(adata, n_clusters=2, key_added="leiden")
    assert str(refused.value) == (
        "tl.cut: .uns['leiden'] holds the record of the .obs column 'leiden' (a scanpy "
        "tool's parameters), which key_added='leiden' would overwrite; choose another "
        "key_added")
    assert adata.uns["leiden"] == {"params": {"resolution": 1.0, "n_iterations": -1}}


def test_hclust_keeps_scanpys_dendrogram():
    # scanpy's sc.tl.dendrogram tree has a 'linkage' too (of the groups, not the samples):
    # taken for a tree of tl.hclust, tl.hclust(key_added='dendrogram_cluster') replaced it,
    # and sc.pl.dotplot(..., dendrogram=True) then failed: "The given dendrogram key
    # ('dendrogram_cluster') does not contain valid dendrogram information."
    sc = pytest.importorskip("scanpy")
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=30)
    adata.obs["cluster"] = adata.obs["type"]
    sc.tl.dendrogram(adata, groupby="cluster", use_rep="X")
    with pytest.raises(ValueError, match=r"^tl\.hclust: \.uns\['dendrogram_cluster'\] holds "
                                         r"another result .* choose another key_added"):
        gx.tl.hclust(adata, key_added="dendrogram_cluster")
    assert "categories_ordered" in adata.uns["dendrogram_cluster"]
    gx.tl.hclust(adata, key_added="tree")
    gx.tl.hclust(adata, key_added="tree")  # its own tree is replaced, as before
    assert adata.uns["tree"]["linkage"].shape == (17, 4)


def test_select_variable_says_it_replaces_scanpys_selection(caplog):
    # before: after sc.pp.highly_variable_genes, pp.select_variable replaced
    # .var['highly_variable'] (here 13 of scanpy's 20 genes dropped) without a word, while
    # .uns['hvg'] still called it scanpy's 'seurat' selection and sc.pp.pca used the new one
    sc = pytest.importorskip("scanpy")
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=60)
    adata.X = adata.X - adata.X.min()  # scanpy's dispersions need values >= 0
    sc.pp.highly_variable_genes(adata, n_top_genes=20)
    theirs = adata.var["highly_variable"].to_numpy()
    gx.pp.select_variable(adata, n_top=20, flavor="mad", key_added="gx_highly_variable")
    assert not caplog.text  # beside scanpy's: nothing replaced
    gx.pp.select_variable(adata, n_top=20, flavor="mad")
    kept = int((theirs & adata.var["highly_variable"].to_numpy()).sum())
    assert kept < 20
    assert caplog.messages == [
        "pp.select_variable: replaced .var['highly_variable'] of sc.pp.highly_variable_genes "
        f"(flavor 'seurat', 20 genes; {kept} of them are in this selection of 20), which "
        ".uns['hvg'] still describes; to keep scanpy's selection beside this one, pass "
        "key_added='gx_highly_variable'"]
    caplog.clear()
    gx.pp.select_variable(adata, n_top=20, flavor="mad")  # its own selection again: quiet
    assert not caplog.text


def test_a_new_cut_drops_scanpys_dendrogram_of_the_earlier_clusters(caplog):
    # before: after sc.tl.dendrogram(groupby='cluster'), a cut of another tree into as many
    # clusters left scanpy's dendrogram of the earlier ones, and sc.pl.dotplot(...,
    # dendrogram=True) drew it (clusters ordered 5, 6, 1, 2, 3, 4 where scanpy's own order of
    # the new ones is 1-6); sc.tl.rank_genes_groups' ranking of them was kept without a word
    import matplotlib.pyplot as plt

    sc = pytest.importorskip("scanpy")
    adata = sc.datasets.pbmc68k_reduced()
    gx.tl.hclust(adata, use_rep="X_pca")
    gx.tl.cut(adata, n_clusters=6)
    sc.tl.dendrogram(adata, groupby="cluster")
    sc.tl.rank_genes_groups(adata, "cluster", method="t-test")  # of .raw
    sc.tl.dendrogram(adata, groupby="bulk_labels")
    gx.tl.cut(adata, n_clusters=6)  # the same clusters: scanpy's results stay, quietly
    assert "dendrogram_cluster" in adata.uns
    assert not caplog.text
    gx.tl.hclust(adata, use_rep="X_pca", method="average", metric="correlation")
    gx.tl.cut(adata, n_clusters=6)
    assert "dendrogram_cluster" not in adata.uns
    assert "dendrogram_bulk_labels" in adata.uns  # of another column: kept
    assert "rank_genes_groups" in adata.uns
    assert caplog.messages == [
        "tl.cut: removed .uns['dendrogram_cluster'], scanpy's dendrogram of the earlier "
        "clusters of 'cluster'; scanpy's plots with dendrogram=True compute it anew (or "
        "rerun sc.tl.dendrogram(adata, 'cluster'))",
        "tl.cut: .uns['rank_genes_groups'] ranks the genes of the earlier clusters of "
        "'cluster' (sc.tl.rank_genes_groups), which its plots would show under the new "
        "labels; rerun sc.tl.rank_genes_groups(adata, 'cluster')"]
    sc.pl.dotplot(adata, ["CD3D", "LYZ"], groupby="cluster", dendrogram=True, show=False)
    plt.close("all")
    drawn = adata.uns["dendrogram_cluster"]["categories_ordered"]
    fresh = adata.copy()
    sc.tl.dendrogram(fresh, groupby="cluster")
    assert drawn == fresh.uns["dendrogram_cluster"]["categories_ordered"]


def test_deep_cells_normalised_to_10000_say_their_single_counts_become_0(caplog):
    # before: sc.pp.normalize_total(target_sum=1e4) of cells of ~29,000 UMIs gave values of
    # 0 to 313 (linear by their span alone), and pp.log2's log2(max(x, 1)) made the 105,882
    # of 313,464 values above 0 that were one or two counts (0.34, 0.69) 0, as undetected,
    # without a word; only normalised counts spanning less than 50 had the warning
    sc = pytest.importorskip("scanpy")
    rng = np.random.default_rng(0)
    means = rng.lognormal(-1, 1.8, size=2000)
    means *= 30000 / means.sum()
    counts = rng.poisson(means * rng.lognormal(0, 0.3, size=(200, 1))).astype(np.float32)
    adata = ad.AnnData(counts)
    sc.pp.normalize_total(adata, target_sum=1e4)
    X = adata.X.copy()
    assert X.max() - X.min() > 50
    gx.pp.log2(adata)
    n_between = int(((X > 0) & (X < 1)).sum())
    assert n_between == 105882
    assert caplog.messages == [
        "pp.log2: the values are counts normalised per row (max 312.571); log2(max(x, 1)) "
        f"gives the {n_between} values between 0 and 1 the value of 0 (log2(1)); "
        "sc.pp.log1p(adata, base=2) keeps them apart"]
    np.testing.assert_allclose(adata.X, np.log2(np.maximum(X, 1.0)), rtol=1e-6)
    caplog.clear()
    cpm = ad.AnnData(counts)
    sc.pp.normalize_total(cpm, target_sum=1e6)  # every count above 1: nothing made 0
    gx.pp.log2(cpm)
    assert not caplog.text
