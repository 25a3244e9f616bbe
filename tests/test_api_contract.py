"""What every scanpy user expects of each function: ``layer=``, ``copy=``/``inplace=``,
sparse and float32 input, reordered samples and ``optimal_ordering``."""

from __future__ import annotations

import re

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist

import gexclust as gx
from gexclust.pl._cluster_heatmap import cluster_heatmap_spec
from gexclust.pl._clustermap import clustermap_spec
from gexclust.pl._dendrogram import dendrogram_spec
from tests.conftest import make_planted


def data() -> ad.AnnData:
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=30)
    adata.var["gene_symbol"] = [f"G{j // 2}" for j in range(adata.n_vars)]  # 2 probes a gene
    adata.obs["cluster"] = adata.obs["type"]
    return adata


def in_layer(adata: ad.AnnData) -> ad.AnnData:
    """The same data moved to ``.layers['L']``, with unrelated values in ``.X``."""
    moved = adata.copy()
    moved.layers["L"] = adata.X.copy()
    moved.X = np.random.default_rng(9).normal(size=adata.shape)[:, ::-1].copy()
    return moved


def run_log2(adata, **kw):
    if kw.get("layer") is not None and kw["layer"] in adata.layers:  # anndata 0.13: None is "in"
        adata.layers["L"] = 2.0 ** adata.layers["L"]
    else:
        adata.X = 2.0 ** adata.X
    gx.pp.log2(adata, **kw)
    return adata.layers["L"] if kw else adata.X


LAYER_CASES = {
    "pp.log2": run_log2,
    "pp.scale": lambda a, **kw: (gx.pp.scale(a, **kw), a.layers["L"] if kw else a.X)[1],
    "pp.center": lambda a, **kw: (gx.pp.center(a, **kw), a.layers["L"] if kw else a.X)[1],
    "pp.select_variable": lambda a, **kw: (gx.pp.select_variable(a, n_top=5, **kw),
                                           a.var["variability"].to_numpy())[1],
    "pp.collapse_probes": lambda a, **kw: gx.pp.collapse_probes(a, **kw).X,
    "tl.hclust": lambda a, **kw: (gx.tl.hclust(a, **kw), a.uns["hclust"]["linkage"])[1],
    "tl.markers": lambda a, **kw: gx.tl.markers(a, n_genes=3, inplace=False, **kw)[
        ["score", "diff"]].to_numpy(),
    "tl.consensus": lambda a, **kw: (gx.tl.consensus(a, k_range=[2, 3], n_resamples=5,
                                                     progress=False, **kw),
                                     a.obsp["consensus_k3"])[1],
    "pl.cluster_heatmap": lambda a, **kw: cluster_heatmap_spec(a, n_genes=3, **kw).means,
    "pl.clustermap": lambda a, **kw: (gx.tl.hclust(a, **kw),
                                      clustermap_spec(a, n_genes=10, **kw).values)[1],
}


@pytest.mark.parametrize("name", LAYER_CASES)
def test_layer_gives_what_x_gives(name):
    run = LAYER_CASES[name]
    expected = run(data())
    moved = in_layer(data())
    x_before = moved.X.copy()
    np.testing.assert_allclose(run(moved, layer="L"), expected, rtol=1e-12)
    np.testing.assert_array_equal(moved.X, x_before)  # .X untouched
    with pytest.raises(KeyError, match="layer='nope' not found"):
        run(data(), layer="nope")


def test_write_treeview_layer(tmp_path):
    plain, moved = data(), in_layer(data())
    for adata in (plain, moved):
        gx.tl.hclust(adata, layer="L" if adata is moved else None)
    gx.io.write_treeview(plain, tmp_path / "x")
    gx.io.write_treeview(moved, tmp_path / "l", layer="L")
    assert (tmp_path / "x.cdt").read_text() == (tmp_path / "l.cdt").read_text()


COPY_CASES = {
    "pp.log2": lambda a, **kw: gx.pp.log2(a, auto=False, **kw),
    "pp.scale": lambda a, **kw: gx.pp.scale(a, **kw),
    "pp.select_variable": lambda a, **kw: gx.pp.select_variable(a, n_top=5, subset=True, **kw),
    "tl.hclust": lambda a, **kw: gx.tl.hclust(a, **kw),
    "tl.cut": lambda a, **kw: gx.tl.cut(a, n_clusters=3, key_added="k", **kw),
    "pp.center": lambda a, **kw: gx.pp.center(a, **kw),
    "tl.bootstrap": lambda a, **kw: gx.tl.bootstrap(a, n_boot=5, progress=False, **kw),
    "tl.consensus": lambda a, **kw: gx.tl.consensus(a, k_range=[2, 3], n_resamples=3,
                                                    progress=False, **kw),
}


@pytest.mark.parametrize("name", COPY_CASES)
def test_copy_returns_the_result_and_leaves_the_input(name):
    run = COPY_CASES[name]
    original = data()
    gx.tl.hclust(original)
    snapshot = original.copy()
    result = run(original, copy=True)
    assert isinstance(result, ad.AnnData)
    assert result is not original
    np.testing.assert_array_equal(original.X, snapshot.X)
    assert original.shape == snapshot.shape
    assert set(original.uns) == set(snapshot.uns)
    assert list(original.obs.columns) == list(snapshot.obs.columns)
    assert list(original.var.columns) == list(snapshot.var.columns)
    in_place = snapshot.copy()
    assert run(in_place) is None
    np.testing.assert_array_equal(result.X, in_place.X)
    assert set(result.uns) == set(in_place.uns)


INPLACE_CASES = {  # name: (call, key of .uns written)
    "tl.markers": (lambda a, **kw: gx.tl.markers(a, n_genes=2, **kw), "markers"),
    "tl.compare": (lambda a, **kw: gx.tl.compare(a, reference="type", clusters="cluster",
                                                 **kw), "compare_type_cluster"),
    "tl.choose_k": (lambda a, **kw: gx.tl.choose_k(a, k_range=range(2, 5), n_rotations=19,
                                                   progress=False, **kw), "choose_k"),
}


@pytest.mark.parametrize("name", INPLACE_CASES)
def test_inplace_writes_and_returns_none_as_scanpy(name):
    # before: tl.markers and tl.compare returned their table/dict with inplace=True too,
    # where scanpy's tools (rank_genes_groups, highly_variable_genes, calculate_qc_metrics)
    # return None when they write into adata
    call, key = INPLACE_CASES[name]
    adata = clustered()
    snapshot = adata.copy()
    result = call(adata, inplace=False)
    assert set(adata.uns) == set(snapshot.uns)  # inplace=False: nothing written
    assert list(adata.obs.columns) == list(snapshot.obs.columns)
    assert call(adata) is None
    stored = adata.uns[key]
    if isinstance(result, pd.DataFrame):
        pd.testing.assert_frame_equal(stored, result)
        assert len(result) == 6  # 2 genes x 3 clusters
    else:
        assert set(stored) == set(result)
        assert stored["ari" if "ari" in result else "k"] == (1.0 if "ari" in result else 3)


def test_compare_takes_its_columns_as_keywords():
    # before: compare(adata, reference, clusters) took them by position, unlike every other
    # function of the API (adata first, the rest keyword-only)
    adata = clustered()
    with pytest.raises(TypeError, match="positional argument"):
        gx.tl.compare(adata, "type", "cluster")
    gx.tl.compare(adata, reference="type", clusters="cluster", key_added="cmp")
    assert adata.uns["cmp"]["ari"] == 1.0


def test_every_public_function_takes_adata_then_keywords():
    # scverse's shape: adata (or, for readers, the path) first, the rest keyword-only; the
    # writers also take the path they write to second, as AnnData.write_h5ad(filename) does
    import importlib
    import inspect

    second = {"io.write_cumida": "path", "io.write_newick": "path",
              "io.write_treeview": "prefix", "io.annotate_obs": "path",
              "io.read_annotations": "obs_names"}
    for subpackage in ("pp", "tl", "pl", "io"):
        module = importlib.import_module(f"gexclust.{subpackage}")
        for name in module.__all__:
            func = getattr(module, name)
            if inspect.isclass(func) or not callable(func):
                continue
            positional = [p.name for p in inspect.signature(func).parameters.values()
                          if p.kind is p.POSITIONAL_OR_KEYWORD]
            qualified = f"{subpackage}.{name}"
            assert positional[1:] == ([second[qualified]] if qualified in second else []), (
                qualified, positional)


def _view(adata: ad.AnnData) -> ad.AnnData:
    return adata[adata.obs["type"] != "none"]  # every sample, as a view


VIEW_CASES = {  # name: (call, what it writes)
    # values that look logged: only the record is written (before: the warning leaked)
    "pp.log2": (lambda a: gx.pp.log2(a), lambda a: a.uns["log2"]["reason"]),
    "pp.select_variable": (lambda a: gx.pp.select_variable(a, n_top=5, subset=True),
                           lambda a: a.var_names.tolist()),
    "tl.hclust": (lambda a: gx.tl.hclust(a, key_added="again"),
                  lambda a: a.uns["again"]["linkage"]),
    "tl.cut": (lambda a: gx.tl.cut(a, n_clusters=2, key_added="two"),
               lambda a: a.obs["two"].tolist()),
    "tl.cut dynamic": (lambda a: gx.tl.cut(a, method="dynamic", key_added="dyn"),
                       lambda a: a.obs["dyn"].tolist()),
    "tl.markers": (lambda a: gx.tl.markers(a, n_genes=2), lambda a: a.uns["markers"]),
    "tl.compare": (lambda a: gx.tl.compare(a, reference="type", clusters="cluster"),
                   lambda a: a.uns["compare_type_cluster"]["ari"]),
    "tl.choose_k": (lambda a: gx.tl.choose_k(a, k_range=range(2, 4), n_rotations=19,
                                             progress=False),
                    lambda a: a.uns["choose_k"]["k"]),
    "tl.consensus": (lambda a: gx.tl.consensus(a, k_range=[2, 3], n_resamples=3,
                                               progress=False),
                     lambda a: a.obs["consensus"].tolist()),
}


@pytest.mark.parametrize("name", VIEW_CASES)
def test_a_view_becomes_an_anndata_of_its_own_without_a_warning(name):
    # before: each leaked anndata's "ImplicitModificationWarning: Trying to modify attribute
    # `.var` of view" (`._uns`, `.obs`, `.obsp['consensus_k2']`); pp.log2 too when it left
    # values that look logged as they are; pp.log2 logging, pp.center, pp.scale and
    # tl.bootstrap already made the view an AnnData of its own first, as scanpy
    call, written = VIEW_CASES[name]
    parent = clustered()
    snapshot = parent.copy()
    view = _view(parent)
    assert view.is_view
    call(view)  # warnings are errors here
    assert not view.is_view
    expected = snapshot.copy()
    call(expected)
    got, want = written(view), written(expected)
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want)
    else:
        np.testing.assert_array_equal(got, want)
    assert set(parent.uns) == set(snapshot.uns)  # the parent is left as it was
    assert list(parent.obs.columns) == list(snapshot.obs.columns)
    assert parent.shape == snapshot.shape


SPARSE_CASES = {
    "pp.log2": lambda a: (gx.pp.log2(a, auto=False), a.X)[1],
    "pp.scale": lambda a: (gx.pp.scale(a), a.X)[1],
    "pp.select_variable": lambda a: (gx.pp.select_variable(a, n_top=5),
                                     a.var["variability"].to_numpy())[1],
    "pp.select_variable(mad)": lambda a: (gx.pp.select_variable(a, n_top=5, flavor="mad"),
                                          a.var["variability"].to_numpy())[1],
    "tl.hclust": lambda a: (gx.tl.hclust(a), a.uns["hclust"]["linkage"])[1],
    "tl.markers": lambda a: gx.tl.markers(a, n_genes=3, inplace=False)[["score"]].to_numpy(),
}


@pytest.mark.parametrize("name", SPARSE_CASES)
def test_sparse_input_gives_the_dense_result_and_says_so(name, caplog):
    run = SPARSE_CASES[name]
    dense_data = data()
    dense_data.X[dense_data.X < 7.5] = 0.0  # mostly zeros, as sparse data are
    expected = run(dense_data.copy())
    as_sparse = dense_data.copy()
    as_sparse.X = sparse.csr_matrix(as_sparse.X)
    with caplog.at_level("WARNING", logger="gexclust"):
        got = run(as_sparse)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    densified = "is sparse; working on a dense copy" in caplog.text
    assert densified == (name != "pp.select_variable")  # variance is computed sparse


def test_huge_sparse_matrices_are_refused(monkeypatch):
    import gexclust._utils

    monkeypatch.setattr(gexclust._utils, "MAX_DENSE_BYTES", 1000)
    adata = data()
    adata.X = sparse.csr_matrix(adata.X)
    # in the units of every size in messages: it said "0.0 GiB" (a float64 copy is 4,320 B)
    with pytest.raises(ValueError, match=r"pp.scale: .X is sparse \(18 x 30\); a dense copy "
                       r"would take 4\.2 KiB \(more than 1000 bytes\)") as refused:
        gx.pp.scale(adata)
    assert "use_rep" not in str(refused.value)  # only tl.hclust takes it
    with pytest.raises(ValueError, match=r"or cluster a representation \(use_rep=\)$"):
        gx.tl.hclust(adata)
    gx.pp.select_variable(adata, n_top=4, subset=True)  # the way out the message names
    gx.pp.scale(adata)
    assert adata.shape == (18, 4)


FLOAT32_CASES = {
    "pp.log2": lambda a: (gx.pp.log2(a, auto=False), a.X)[1],
    "pp.scale": lambda a: (gx.pp.scale(a), a.X)[1],
    "pp.select_variable": lambda a: (gx.pp.select_variable(a, n_top=5),
                                     a.var["variability"].to_numpy())[1],
    "tl.hclust": lambda a: (gx.pp.scale(a), gx.tl.hclust(a), a.uns["hclust"]["linkage"])[2],
    "tl.markers": lambda a: gx.tl.markers(a, n_genes=3, inplace=False)[["diff"]].to_numpy(),
}


@pytest.mark.parametrize("name", FLOAT32_CASES)
def test_float32_input_agrees_with_float64(name):
    run = FLOAT32_CASES[name]
    expected = run(data())
    single = data()
    single.X = single.X.astype(np.float32)
    got = run(single)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    if name.startswith("pp.") and name != "pp.select_variable":
        assert single.X.dtype == np.float32  # no silent doubling of memory


def test_float32_tree_has_the_same_clusters():
    double, single = data(), data()
    single.X = single.X.astype(np.float32)
    for adata in (double, single):
        gx.tl.hclust(adata)
        gx.tl.cut(adata, n_clusters=3)
    np.testing.assert_array_equal(single.uns["hclust"]["leaves"], double.uns["hclust"]["leaves"])
    assert (single.obs["cluster"] == double.obs["cluster"]).all()


def test_optimal_ordering_matches_scipy_and_only_reorders():
    adata = data()
    gx.tl.hclust(adata, method="average")
    gx.tl.cut(adata, n_clusters=3)
    plain = adata.obs["cluster"].copy()
    gx.tl.hclust(adata, method="average", optimal_ordering=True)
    Z = hierarchy.linkage(pdist(adata.X), "average", optimal_ordering=True)
    np.testing.assert_allclose(adata.uns["hclust"]["linkage"], Z)
    np.testing.assert_array_equal(adata.uns["hclust"]["leaves"], hierarchy.leaves_list(Z))
    assert adata.uns["hclust"]["params"]["optimal_ordering"] is True
    gx.tl.cut(adata, n_clusters=3)
    assert pd.crosstab(plain, adata.obs["cluster"]).gt(0).sum().eq(1).all()  # same partition
    spec = dendrogram_spec(adata)
    assert spec.leaf_labels == adata.obs_names[hierarchy.leaves_list(Z)].tolist()


def test_reordered_and_subset_anndata_through_the_whole_api():
    adata = data()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    shuffled = adata[np.random.default_rng(3).permutation(adata.n_obs)].copy()
    gx.tl.cut(shuffled, n_clusters=3)
    assert (shuffled.obs["cluster"] == adata.obs["cluster"].loc[shuffled.obs_names]).all()
    assert gx.tl.compare(shuffled, reference="type", clusters="cluster",
                         inplace=False)["ari"] == 1.0
    assert (dendrogram_spec(shuffled).leaf_labels
            == dendrogram_spec(adata).leaf_labels)
    subset = adata[:10].copy()
    for call in (lambda: gx.tl.cut(subset, n_clusters=2), lambda: gx.pl.dendrogram(subset),
                 lambda: gx.pl.clustermap(subset), lambda: gx.io.write_newick(subset)):
        with pytest.raises(ValueError, match=r"rerun gexclust\.tl\.hclust"):
            call()


def documented(func, record: dict) -> list[str]:
    """Names in ``record`` (and its ``params``/``support``) that ``func``'s docstring lacks.

    A ``params`` entry named after an argument of ``func`` is documented by that argument.
    """
    import inspect

    arguments = set(inspect.signature(func).parameters)
    names = {(name, False) for name in record}
    for sub in ("params", "support"):
        if isinstance(record.get(sub), dict):
            names |= {(name, sub == "params") for name in record[sub]}
    return sorted(name for name, is_param in names
                  if f"``{name}" not in func.__doc__ and not (is_param and name in arguments))


def test_every_field_written_is_documented():
    # before: tl.cut wrote 'n_unassigned' (dynamic cut) and rule='pvpick', 'dynamic_hybrid' or
    # 'dynamic_tree', none of which its docstring named among the fields written
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=30)
    adata.X = 2.0 ** adata.X
    runs = [
        (gx.pp.log2, lambda: gx.pp.log2(adata), "log2"),
        (gx.pp.select_variable, lambda: gx.pp.select_variable(adata, n_top=20), "highly_variable"),
        (gx.pp.center, lambda: gx.pp.center(adata), "center"),
        (gx.pp.scale, lambda: gx.pp.scale(adata), "scale"),
        (gx.tl.hclust, lambda: gx.tl.hclust(adata), "hclust"),
        (gx.tl.cut, lambda: gx.tl.cut(adata, n_clusters=3), "cluster"),
        (gx.tl.cut, lambda: gx.tl.cut(adata, height=3.0, key_added="h"), "h"),
        (gx.tl.cut, lambda: gx.tl.cut(adata, method="dynamic", key_added="d"), "d"),
        (gx.tl.cut, lambda: gx.tl.cut(adata, method="dynamic", variant="tree", key_added="t"),
         "t"),
        (gx.tl.compare, lambda: gx.tl.compare(adata, reference="type", clusters="cluster",
                                              key_added="c"), "c"),
        (gx.tl.choose_k, lambda: gx.tl.choose_k(adata, k_range=range(2, 4), n_rotations=19),
         "choose_k"),
        (gx.tl.consensus, lambda: gx.tl.consensus(adata, k_range=[2, 3], n_resamples=3,
                                                  progress=False), "consensus"),
        (gx.tl.bootstrap, lambda: gx.tl.bootstrap(adata, n_boot=5, progress=False), "hclust"),
        (gx.tl.cut, lambda: gx.tl.cut(adata, min_support=0.5, key_added="s"), "s"),
    ]
    for func, run, key in runs:
        run()
        record = adata.uns[key]["support"] if func is gx.tl.bootstrap else adata.uns[key]
        assert documented(func, record) == [], (func.__name__, key)
        if func is gx.tl.cut:
            assert f"``'{record['rule']}'``" in func.__doc__


def test_geo_readers_document_what_they_write():
    # before: read_soft and read_series_matrix wrote .uns['missing'], which their docstrings
    # did not name, and named a 'type' column that series without known labels do not get
    from tests.conftest import shared_file

    adata = gx.io.read_soft(shared_file("GSM11805.txt.gz"))  # read_series_matrix: the same
    doc = gx.io.read_soft.__doc__
    assert [key for key in adata.uns if f".uns['{key}']" not in doc] == []
    assert "type" not in adata.obs
    assert "with ``type_from``; absent otherwise" in " ".join(doc.split())


def clustered() -> ad.AnnData:
    adata = data()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    return adata


# each was accepted before (silently clipped, ignored or drawn wrong) or refused with numpy's
# or Python's words ('Format specifier missing precision', 'expected non-negative integer')
OUT_OF_RANGE = {
    "pp.scale ddof=-1": (lambda a: gx.pp.scale(a, ddof=-1), "pp.scale: ddof must be"),
    "pp.scale ddof=0.5": (lambda a: gx.pp.scale(a, ddof=0.5), "pp.scale: ddof must be"),
    "pp.scale max_value=-1": (lambda a: gx.pp.scale(a, max_value=-1), "max_value must be"),
    "pp.scale max_value=0": (lambda a: gx.pp.scale(a, max_value=0), "max_value must be"),
    "tl.cut n_clusters=True": (lambda a: gx.tl.cut(a, n_clusters=True), "n_clusters must"),
    "tl.cut height=nan": (lambda a: gx.tl.cut(a, height=np.nan), "height must be a finite"),
    "tl.cut support='x'": (lambda a: gx.tl.cut(a, n_clusters=2, support="x"), "support='x'"),
    "tl.cut static deep_split": (lambda a: gx.tl.cut(a, n_clusters=2, deep_split=2),
                                 "are for method='dynamic'"),
    "pl.clustermap n_genes=-3": (lambda a: gx.pl.clustermap(a, n_genes=-3),
                                 "pl.clustermap: n_genes must be"),
    "pl.clustermap n_genes=0": (lambda a: gx.pl.clustermap(a, n_genes=0),
                                "pl.clustermap: n_genes must be"),
    "pl.clustermap vmax=0": (lambda a: gx.pl.clustermap(a, vmax=0), "vmax must be"),
    "pl.dendrogram truncate=-1": (lambda a: gx.pl.dendrogram(a, truncate=-1), "truncate must"),
    "pl.dendrogram alpha=95": (lambda a: gx.pl.dendrogram(a, alpha=95), "alpha must be"),
    "io.write_newick decimals=-1": (lambda a: gx.io.write_newick(a, decimals=-1),
                                    "decimals must be"),
    "io.write_cumida decimals=-1": (lambda a: gx.io.write_cumida(a, "never.csv", decimals=-1),
                                    "decimals must be"),
    "datasets random_state=-1": (lambda a: gx.datasets.gse9476_example(random_state=-1),
                                 "random_state must be"),
    # True selected one gene
    "pp.select_variable n_top=True": (lambda a: gx.pp.select_variable(a, n_top=True),
                                      "pp.select_variable: n_top must be a positive integer"),
    # None (scikit-learn's 'a fresh seed') failed after the whole computation with Python's
    # "int() argument must be a string, a bytes-like object or a real number, not
    # 'NoneType'"; 1.5 with numpy's "SeedSequence expects int or sequence of ints"
    "tl.choose_k random_state=None": (lambda a: gx.tl.choose_k(a, random_state=None),
                                      "choose_k: random_state must be a whole number of at "
                                      "least 0"),
    "tl.choose_k random_state=1.5": (lambda a: gx.tl.choose_k(a, random_state=1.5),
                                     "choose_k: random_state must be a whole number"),
    # k = 2.5 was cut at 2, True at 1 and '3' at 3, without a word
    "tl.choose_k k_range=[2.5, 3]": (lambda a: gx.tl.choose_k(a, k_range=[2.5, 3]),
                                     "choose_k: k_range must hold whole numbers of clusters, "
                                     "got 2.5"),
    "tl.choose_k k_range=[True, 3]": (lambda a: gx.tl.choose_k(a, k_range=[True, 3]),
                                      "choose_k: k_range must hold whole numbers"),
    "tl.consensus k_range=['2', '3']": (lambda a: gx.tl.consensus(a, k_range=["2", "3"]),
                                        "consensus: k_range must hold whole numbers of "
                                        "clusters, got '2'"),
    # a single number was refused with Python's "TypeError: tl.choose_k: 'int' object is not
    # iterable", and a text was read character by character ("... got '2'" for '2-5')
    "tl.choose_k k_range=5": (lambda a: gx.tl.choose_k(a, k_range=5),
                              "tl.choose_k: k_range must be a list or range of whole numbers of "
                              "clusters (e.g. range(2, 6), or [5] for one k), got 5"),
    # and k_range=1 was told "or [1] for one k", which is refused in turn (k of at least 2)
    "tl.consensus k_range=1": (lambda a: gx.tl.consensus(a, k_range=1),
                               "tl.consensus: k_range must be a list or range of whole numbers "
                               "of clusters (e.g. range(2, 3), or [2] for one k), got 1"),
    "tl.consensus k_range='2-5'": (lambda a: gx.tl.consensus(a, k_range="2-5"),
                                   "tl.consensus: k_range must be a list or range of whole "
                                   "numbers of clusters (e.g. range(2, 6), or [5] for one k), "
                                   "got '2-5'"),
    # one gene has no gene tree: refused as 'only 30 of its 30 genes vary across the samples'
    "pl.clustermap n_genes=1": (lambda a: gx.pl.clustermap(a, n_genes=1),
                                "pl.clustermap: n_genes must be a whole number of at least 2 "
                                "(the most variable genes shown; a gene tree needs two), or "
                                "None for all, got 1"),
}


@pytest.mark.parametrize("name", OUT_OF_RANGE)
def test_arguments_out_of_range_are_refused_naming_them(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    call, says = OUT_OF_RANGE[name]
    adata = clustered()
    with pytest.raises(ValueError, match=re.escape(says)):
        call(adata)
    assert not list(tmp_path.iterdir())  # nothing written


def test_support_asked_of_a_tree_without_bootstrap_names_the_argument_given():
    # before: pl.dendrogram(support='au') said 'pl.dendrogram: min_support needs ...'
    with pytest.raises(KeyError, match=r"pl.dendrogram: support='au' needs bootstrap support"):
        gx.pl.dendrogram(clustered(), support="au", show=False)


def _documented_parameters(doc: str) -> set[str]:
    """Names in the numpydoc ``Parameters`` section of ``doc`` (``a, b : type`` lines too)."""
    section = doc.split("Parameters\n----------", 1)[1]
    section = re.split(r"\n(?:Returns|Yields|Raises|See Also|Notes|Examples)\n-+", section)[0]
    return {name.strip() for line in section.splitlines() if line and not line[0].isspace()
            for name in line.split(":")[0].split(",")}


@pytest.mark.parametrize("subpackage", ["pp", "tl", "pl", "io", "datasets"])
def test_every_public_function_documents_its_parameters_and_returns(subpackage):
    # io.fetch_geo had neither section (its arguments were described in prose, some not)
    import importlib
    import inspect

    module = importlib.import_module(f"gexclust.{subpackage}")
    for name in module.__all__:
        func = getattr(module, name)
        if inspect.isclass(func) or not callable(func):
            continue
        doc = inspect.getdoc(func) or ""
        signature = inspect.signature(func)
        params = [p for p in signature.parameters if p not in ("args", "kwargs")]
        if params:
            assert "Parameters\n----------" in doc, f"{subpackage}.{name}: no Parameters"
            missing = set(params) - _documented_parameters(doc)
            assert not missing, f"{subpackage}.{name}: undocumented {sorted(missing)}"
        if signature.return_annotation not in (None, "None"):
            assert "Returns\n-------" in doc, f"{subpackage}.{name}: no Returns section"


def test_dir_lists_each_public_name_once_and_no_implementation_imports():
    # dir(gx) listed 'pl' and 'pp' twice once they were imported, and dir(gx.pl) a plot twice
    # once it was used; both offered TYPE_CHECKING, annotations, importlib and lazy_members
    # to IPython's tab completion, as if they were the API
    import subprocess
    import sys

    code = (
        "import gexclust as gx\n"
        "gx.pl.dendrogram, gx.io.read_cumida, gx.tl.cut, gx.pp.log2, gx.datasets\n"
        "for m in (gx, gx.pl, gx.io, gx.tl, gx.pp):\n"
        "    names = dir(m)\n"
        "    assert len(names) == len(set(names)), (m.__name__, names)\n"
        "    public = [n for n in names if not n.startswith('_')]\n"
        "    assert public == sorted(n for n in m.__all__ if not n.startswith('_')), public\n"
        "    assert '__version__' not in m.__all__ or '__version__' in names\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# one call per public function that refuses its arguments; before, the messages started
# 'cut:', 'compare:', 'choose_k:', 'scale:', 'hclust:', 'bootstrap:', 'select_variable:',
# 'write_cumida:' or with no name at all ('alpha must be between 0 and 1', "method='x' is
# not valid", "layer='nope' not found"), beside 'tl.markers:' and 'pl.dendrogram:'
REFUSED = {
    "pp.log2": lambda a: gx.pp.log2(a, floor=0),
    "pp.center": lambda a: gx.pp.center(a, layer="nope"),
    "pp.scale": lambda a: gx.pp.scale(a, layer="nope"),
    "pp.select_variable": lambda a: gx.pp.select_variable(a, flavor="x"),
    "pp.collapse_probes": lambda a: gx.pp.collapse_probes(a, by="nope"),
    "tl.hclust": lambda a: gx.tl.hclust(a, method="x"),
    "tl.cut": lambda a: gx.tl.cut(a, n_clusters=2, height=1.0),
    "tl.markers": lambda a: gx.tl.markers(a, direction="sideways"),
    "tl.compare": lambda a: gx.tl.compare(a, reference="type", clusters="nope"),
    "tl.choose_k": lambda a: gx.tl.choose_k(a, alpha=1.5),
    "tl.consensus": lambda a: gx.tl.consensus(a, n_resamples=0),
    "tl.bootstrap": lambda a: gx.tl.bootstrap(a, scales=[-1.0]),
    "pl.dendrogram": lambda a: gx.pl.dendrogram(a, key="nope"),
    "pl.cluster_heatmap": lambda a: gx.pl.cluster_heatmap(a, groupby="nope"),
    "pl.clustermap": lambda a: gx.pl.clustermap(a, layer="nope"),
    "pl.markers": lambda a: gx.pl.markers(a, n_genes=0),
    "pl.choose_k": lambda a: gx.pl.choose_k(a),
    "pl.consensus": lambda a: gx.pl.consensus(a),
    "io.write_newick": lambda a: gx.io.write_newick(a, key="nope"),
    "io.write_treeview": lambda a: gx.io.write_treeview(a, "never", layer="nope"),
    "io.write_cumida": lambda a: gx.io.write_cumida(a, "never.csv", type_key="nope"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_every_error_starts_with_the_function_as_called(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises((ValueError, KeyError)) as refused:
        REFUSED[name](clustered())
    message = refused.value.args[0]
    assert message.startswith(f"{name}: "), message
    assert not message.startswith(f"{name}: {name.split('.')[1]}: ")  # named once
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_unicode_error_passes_through_the_name_unchanged():
    # before: a surrogate in a sample name (gx.io.write_cumida) raised UnicodeEncodeError with
    # args ('io.write_cumida: utf-8', ...): its message reads its fields, not args, so it still
    # said "'utf-8' codec can't encode ...", but its encoding field was overwritten
    import pickle

    from gexclust._api import named

    # (io.write_cumida, io.write_newick and io.write_treeview now refuse such a name in a
    # message of their own: a function of the test's meets Python's error)
    @named("io.write_example")
    def write_example(name: str) -> bytes:
        return name.encode("utf-8")

    with pytest.raises(UnicodeEncodeError) as raised:
        write_example("s3\udcff")
    assert raised.value.args[0] == "utf-8"
    assert str(raised.value) == ("'utf-8' codec can't encode character '\\udcff' in position "
                                 "2: surrogates not allowed")
    assert pickle.loads(pickle.dumps(raised.value)).args == raised.value.args


def test_a_bare_missing_key_is_not_renamed():
    # before: a tree record without its 'params' (pl.dendrogram) raised KeyError('pl.dendrogram:
    # method'), as if the key missing were 'pl.dendrogram: method'; a KeyError's argument
    # that is one word is the key looked up, not a message (pl.dendrogram draws such a tree
    # now, so a lookup of the same kind stands in for it)
    from gexclust._api import named

    @named("pl.dendrogram")
    def dendrogram(params: dict) -> str:
        return params["method"]

    with pytest.raises(KeyError) as raised:
        dendrogram({})
    assert raised.value.args == ("method",)


def test_a_call_python_refuses_names_the_function_once():
    # before: 'tl.compare: compare() takes 1 positional argument but 3 were given' (the
    # columns became keyword-only today) and 'tl.hclust: hclust() got an unexpected keyword
    # argument 'methd''
    adata = clustered()
    with pytest.raises(TypeError) as positional:
        gx.tl.compare(adata, "type", "cluster")
    assert positional.value.args[0] == (
        "tl.compare() takes 1 positional argument but 3 were given")
    with pytest.raises(TypeError) as typo:
        gx.tl.hclust(adata, methd="ward")
    # (Python 3.13 adds ". Did you mean 'method'?")
    assert typo.value.args[0].startswith(
        "tl.hclust() got an unexpected keyword argument 'methd'")


def test_every_public_function_is_in_the_error_test():
    # a new public function gets its line in REFUSED (io's readers name the file first)
    import importlib
    import inspect

    public = {f"{sub}.{name}" for sub in ("pp", "tl", "pl", "io")
              for name in importlib.import_module(f"gexclust.{sub}").__all__
              if inspect.isfunction(getattr(importlib.import_module(f"gexclust.{sub}"), name))}
    readers = {name for name in public if name.startswith(("io.read_", "io.fetch_"))}
    assert public - readers - set(REFUSED) == {"io.annotate_obs", "io.from_geoparse"}


def test_annotate_obs_on_a_view_leaves_the_parent(tmp_path):
    # before: anndata's ImplicitModificationWarning ("Trying to modify attribute `.obs` of
    # view") leaked, as from the tools above
    parent = clustered()
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("sample,batch\n" + "".join(f"{name},b{i % 2}\n"
                                                 for i, name in enumerate(parent.obs_names)))
    view = _view(parent)
    gx.io.annotate_obs(view, sheet)
    assert not view.is_view
    assert view.obs["batch"].tolist() == [f"b{i % 2}" for i in range(parent.n_obs)]
    assert "batch" not in parent.obs
    assert "annotations" not in parent.uns


# the readers' argument errors name the reader (their other errors name the file); before,
# 'missing' was checked only after the whole file was parsed, or the series downloaded, and
# both messages named no function ("missing='x' is not valid; ...")
READER_ARGUMENTS = {
    "io.read_cumida": lambda path: gx.io.read_cumida(path, missing="x"),
    "io.read_series_matrix": lambda path: gx.io.read_series_matrix(path, missing="x"),
    "io.read_soft": lambda path: gx.io.read_soft(path, missing="x"),
    "io.from_geoparse": lambda path: gx.io.from_geoparse(object(), missing="x"),
    "io.read_geo": lambda path: gx.io.read_geo("GSE9476", missing="x"),
    "io.read_geo source": lambda path: gx.io.read_geo("GSE9476", source="x"),
    "io.fetch_geo": lambda path: gx.io.fetch_geo("GSE9476", source="x"),
}


@pytest.mark.parametrize("name", READER_ARGUMENTS)
def test_a_readers_invalid_choice_is_refused_first_naming_the_reader(name, tmp_path,
                                                                     monkeypatch):
    path = tmp_path / "missing_file.csv"  # never opened: the argument is refused first
    monkeypatch.setenv("GEXCLUST_GEO_URL", "http://127.0.0.1:9/geo")  # never asked either
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GEXCLUST_DOWNLOAD_BUDGET", "1")
    argument = "source='x'" if "source" in name or "fetch" in name else "missing='x'"
    start = re.escape(f"{name.split()[0]}: {argument} is not valid; choose one of ")
    with pytest.raises(ValueError, match=f"^{start}"):
        READER_ARGUMENTS[name](path)
    assert list(tmp_path.iterdir()) == []  # no cache made, nothing fetched


def _public_flags():
    """(qualified name, function, keyword, None allowed) for every bool keyword of the API."""
    import importlib
    import inspect

    found = []
    for subpackage in ("pp", "tl", "pl", "io", "datasets"):
        module = importlib.import_module(f"gexclust.{subpackage}")
        for name in module.__all__:
            func = getattr(module, name)
            if inspect.isclass(func) or not callable(func):
                continue
            for param in inspect.signature(func).parameters.values():
                if str(param.annotation) in ("bool", "bool | None"):
                    found.append((f"{subpackage}.{name}", func, param.name,
                                  str(param.annotation) == "bool | None"))
    return found


def test_every_bool_keyword_of_the_api_refuses_what_is_not_a_bool():
    # a text is always true to Python: pp.scale(copy='no') returned a copy, tl.hclust(
    # optimal_ordering='False') reordered the leaves, without a word; the check comes first,
    # so nothing is read or written (the first argument is not even looked at)
    flags = _public_flags()
    assert len(flags) >= 20, flags
    for qualified, func, keyword, allows_none in flags:
        for value in ("no", 0, 1, []) + (() if allows_none else (None,)):
            with pytest.raises(TypeError) as caught:
                func(None, **{keyword: value})
            options = "True, False or None" if allows_none else "True or False"
            assert str(caught.value) == f"{qualified}: {keyword} must be {options}, got {value!r}"


def test_bool_keywords_take_numpy_bools():
    # what a flag read back from .h5ad or computed with numpy is
    adata = data()
    assert gx.pp.scale(adata, copy=np.True_) is not None
    assert gx.pp.scale(adata, copy=np.False_) is None
