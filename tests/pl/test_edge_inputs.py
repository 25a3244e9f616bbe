"""Plots on the inputs a scanpy user brings: unused categories, NaN groups, views, sparse X."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

import gexclust as gx
from gexclust.pl._base import labels_of


def clustered():
    adata = gx.datasets.gse9476_example()
    gx.pp.select_variable(adata, n_top=200, subset=True)
    gx.pp.scale(adata)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    return adata


def cut_lines(ax) -> list[float]:
    return [line.get_ydata()[0] for line in ax.get_lines()]


def test_an_unused_category_leaves_the_cut_line_drawn():
    # before: a category no sample has (added by hand, or left over after subsetting) was
    # counted as a cluster, so '3 clusters found' no longer matched and the cut line and its
    # label silently vanished
    adata = clustered()
    threshold = adata.uns["cluster"]["threshold"]
    adata.obs["cluster"] = adata.obs["cluster"].cat.add_categories(["4"])
    ax = gx.pl.dendrogram(adata, show=False)
    assert cut_lines(ax) == [threshold]
    assert [t.get_text() for t in ax.texts if t.get_text().startswith("cut")] == [
        "cut: 3 clusters"]
    # and the groups drawn elsewhere are the 3 with samples
    fig = gx.pl.cluster_heatmap(adata, n_genes=2, show=False)
    assert [t.get_text() for t in labels_of(fig.axes[1], "bottom")] == [
        "cluster 1", "cluster 2", "cluster 3"]
    fig = gx.pl.markers(adata, n_genes=2, show=False)
    assert [t.get_text() for t in labels_of(fig.axes[1], "left")] == [
        "cluster 1", "cluster 2", "cluster 3"]


def test_a_view_with_every_sample_draws_a_dendrogram_and_stays_a_view():
    # before: the figure wrote .uns['type_colors'] into the view: anndata's
    # ImplicitModificationWarning, and the view became a copy of its own
    adata = clustered()
    assert "type_colors" not in adata.uns
    view = adata[:, :150]
    ax = gx.pl.dendrogram(view, show=False)
    assert view.is_view
    assert "type_colors" not in adata.uns
    assert len(ax.figure.axes) == 3  # the tree, the types' bar and the clusters' bar
    gx.pl.clustermap(view, n_genes=20, show=False)
    assert view.is_view


def test_nan_in_the_groups_leaves_those_samples_out_of_the_means():
    adata = clustered()
    labels = adata.obs["cluster"].astype(object)
    labels.iloc[:5] = np.nan
    adata.obs["cluster"] = pd.Categorical(labels)
    fig = gx.pl.cluster_heatmap(adata, n_genes=2, scale_rows=False, show=False)
    kept = adata[adata.obs["cluster"].notna()].copy()
    expected = gx.pl.cluster_heatmap(kept, n_genes=2, scale_rows=False, show=False)
    assert np.array_equal(fig.axes[1].get_images()[0].get_array(),
                          expected.axes[1].get_images()[0].get_array())


def test_float32_sparse_and_numeric_names_draw_what_float64_dense_draws():
    adata = clustered()
    dense = gx.pl.cluster_heatmap(adata, n_genes=2, scale_rows=False, show=False)
    other = adata.copy()
    other.X = sp.csr_matrix(other.X.astype(np.float32))
    other.var_names = [str(i) for i in range(other.n_vars)]
    other.var["gene_symbol"] = adata.var["gene_symbol"].to_numpy()
    fig = gx.pl.cluster_heatmap(other, n_genes=2, scale_rows=False, show=False)
    np.testing.assert_allclose(fig.axes[1].get_images()[0].get_array(),
                               dense.axes[1].get_images()[0].get_array(), rtol=1e-5)
    # the same genes, named by their new numeric names: 'SYMBOL (probe)' -> 'SYMBOL (12)'
    renamed = []
    for text in (t.get_text() for t in labels_of(dense.axes[1], "left")):
        if " (" not in text:  # a probe without a symbol is labelled by its name alone
            renamed.append(str(adata.var_names.get_loc(text)))
            continue
        symbol, probe = text[:-1].split(" (")
        renamed.append(f"{symbol} ({adata.var_names.get_loc(probe)})")
    assert [t.get_text() for t in labels_of(fig.axes[1], "left")] == renamed


def test_a_sparse_raw_draws_as_its_dense_copy_without_a_warning_each_figure(caplog):
    # before: 'pl.markers: .raw.X is sparse; working on a dense copy (700 x 765, 2.0 MiB)'
    # as a WARNING on every marker figure of a scanpy object (pbmc68k_reduced keeps .raw
    # sparse, as scanpy does): nothing to act on, and the numbers are those of the dense .raw
    import anndata as ad

    adata = gx.datasets.gse9476_example()
    gx.pp.select_variable(adata, n_top=200, subset=True)
    values = np.where(adata.X > 8.0, adata.X, 0.0)  # mostly zeros, as scanpy's .raw
    gx.pp.scale(adata)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    dense, sparse = adata.copy(), adata.copy()
    dense.raw = ad.AnnData(values, var=adata.var)
    sparse.raw = ad.AnnData(sp.csr_matrix(values), var=adata.var)
    expected = gx.pl.cluster_heatmap(dense, n_genes=2, scale_rows=False, show=False)
    with caplog.at_level("INFO", logger="gexclust"):
        fig = gx.pl.cluster_heatmap(sparse, n_genes=2, scale_rows=False, show=False)
        gx.pl.markers(sparse, n_genes=2, show=False)
    np.testing.assert_array_equal(fig.axes[1].get_images()[0].get_array(),
                                  expected.axes[1].get_images()[0].get_array())
    said = [r for r in caplog.records if ".raw.X is sparse; working on a dense copy" in r.message]
    assert [(r.levelname, r.message.split(":")[0]) for r in said] == [
        ("INFO", "pl.cluster_heatmap"), ("INFO", "pl.markers")]


def test_a_cut_that_labelled_no_sample_is_refused_in_words_by_the_heatmap():
    # before: after tl.cut(method='dynamic') found no cluster (every label NaN, with its own
    # warning), pl.cluster_heatmap failed with numpy's "need at least one array to stack";
    # pl.markers and tl.markers already said there are no groups with samples
    import pytest

    adata = clustered()
    adata.obs["cluster"] = pd.Categorical([np.nan] * adata.n_obs, categories=["1", "2"])
    with pytest.raises(ValueError, match=r"^pl\.cluster_heatmap: no sample has a label in "
                       r"\.obs\['cluster'\] \(every value is missing\), so there is no group "
                       r"to average; cut the tree again \(tl\.cut\) or pass another groupby$"):
        gx.pl.cluster_heatmap(adata, show=False)
    adata.obs["cluster"] = pd.Categorical(["1"] + [np.nan] * (adata.n_obs - 1))
    fig = gx.pl.cluster_heatmap(adata, n_genes=3, show=False)  # one group: drawn, as documented
    assert [t.get_text() for t in labels_of(fig.axes[1], "bottom")] == ["cluster 1"]


def svg_texts(path) -> set[str]:
    """The texts of an SVG saved with ``svg.fonttype='none'`` (text kept as text)."""
    import re

    return set(re.findall(r">([^<>]+)</text>", path.read_text()))


def test_labels_with_dollar_signs_are_drawn_as_written(tmp_path):
    # before: matplotlib read '$...$' in a label as mathtext: 'dose $5 to $10' was drawn as
    # 'dose 5to10' (the $ signs gone, 'to' in math italic), and 'x$^$y' stopped every figure,
    # and gexclust run before it wrote anything, with "ParseSyntaxException: Expected {phantom
    # | llap | ..."
    import matplotlib

    rng = np.random.default_rng(0)
    adata = ad.AnnData(rng.normal(size=(12, 20)) + np.repeat([[0.0], [3.0]], 6, axis=0),
                       obs=pd.DataFrame(index=[f"s{i}$" for i in range(12)]))
    adata.obs["type"] = pd.Categorical(["dose $5 to $10"] * 6 + ["x$^$y"] * 6)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=2)
    plots = {"dendrogram": {}, "clustermap": {"n_genes": 5},
             "cluster_heatmap": {"groupby": "type", "n_genes": 2},
             "markers": {"groupby": "type", "n_genes": 2}}
    texts = {}
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        for name, kwargs in plots.items():
            getattr(gx.pl, name)(adata, save=tmp_path / f"{name}.svg", show=False, **kwargs)
            texts[name] = svg_texts(tmp_path / f"{name}.svg")
    for name in ("dendrogram", "clustermap"):  # legend entries and sample names
        assert {"dose $5 to $10", "x$^$y", "s0$", "s11$"} <= texts[name], name
    for name in ("cluster_heatmap", "markers"):  # the groups' labels
        assert {"type dose $5 to $10", "type x$^$y"} <= texts[name], name


def test_a_cut_into_one_cluster_draws_the_tree_in_its_colour():
    # before: a tree whose links all had one colour was drawn grey, the colour of links above
    # the cut, so the one cluster's tree was grey under its teal bar; the line said
    # "cut: 1 clusters"
    from matplotlib.colors import to_hex

    adata = clustered()
    gx.tl.cut(adata, n_clusters=1)
    ax = gx.pl.dendrogram(adata, show=False)
    drawn = {to_hex(c) for c in ax.collections[0].get_colors()}
    assert drawn == {adata.uns["cluster_colors"][0]} == {"#1b9e77"}
    assert [t.get_text() for t in ax.texts if t.get_text().startswith("cut")] == [
        "cut: 1 cluster"]
    gx.tl.cut(adata, n_clusters=3)  # several clusters: grey above the cut, as before
    ax = gx.pl.dendrogram(adata, show=False)
    drawn = {to_hex(c) for c in ax.collections[0].get_colors()}
    assert drawn == {"#808080", *adata.uns["cluster_colors"]}


def test_a_tree_of_identical_samples_draws_without_a_warning():
    # before: every merge at height 0 set the height axis to (0, 0), and matplotlib warned
    # "Attempting to set identical low and high ylims makes transformation singular" from
    # pl.dendrogram, and from pl.clustermap's gene tree (genes equal up to a constant)
    base = np.arange(6.0)
    adata = ad.AnnData(np.tile(base, (4, 1)))
    adata.obs_names = [f"s{i}" for i in range(4)]
    gx.tl.hclust(adata, method="average", metric="cityblock")
    assert (adata.uns["hclust"]["linkage"][:, 2] == 0).all()
    ax = gx.pl.dendrogram(adata, show=False)
    assert ax.get_ylim() == (0.0, 1.0)
    twin = ad.AnnData(np.tile(base, (4, 1)) + np.array([0.0, 0.0, 1.0, 1.0])[:, None])
    twin.obs_names = [f"s{i}" for i in range(4)]
    gx.tl.hclust(twin)
    fig = gx.pl.clustermap(twin, n_genes=None, show=False)
    assert all(a.get_ylim() != (0.0, 0.0) and a.get_xlim() != (0.0, 0.0) for a in fig.axes)
