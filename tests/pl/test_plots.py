from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import gexclust as gx
from gexclust._pipeline import RunConfig, cluster_samples
from gexclust.pl._base import labels_of
from tests.conftest import make_planted


@pytest.fixture(scope="module")
def clustered():
    adata = gx.datasets.gse9476_example()
    return cluster_samples(adata, RunConfig(n_clusters=4))


def label_boxes(fig, texts):
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else None
    return [t.get_window_extent(renderer) for t in texts if t.get_visible() and t.get_text()]


def assert_no_overlap(boxes, axis: str):
    lo, hi = ("x0", "x1") if axis == "x" else ("y0", "y1")
    spans = sorted((getattr(b, lo), getattr(b, hi)) for b in boxes)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end - 0.01, f"labels overlap: {end} > {start}"


def draw(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()


def test_dendrogram(clustered, tmp_path):
    ax = gx.pl.dendrogram(clustered, save=tmp_path / "d.png", show=False)
    assert isinstance(ax, Axes)
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = ax.figure
    draw(fig)
    label_ax = fig.axes[-1]
    texts = labels_of(label_ax, "bottom")
    leaves = clustered.uns["hclust"]["leaves"]
    assert [t.get_text() for t in texts] == clustered.obs_names[leaves].tolist()
    colours = dict(zip(clustered.obs["type"].cat.categories, clustered.uns["type_colors"],
                       strict=True))
    for text, kind in zip(texts, clustered.obs["type"].to_numpy()[leaves], strict=True):
        assert to_hex(text.get_color()) == colours[kind]
    assert_no_overlap(label_boxes(fig, texts), "x")
    cut = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert cut
    assert cut[0].get_ydata()[0] == pytest.approx(clustered.uns["cluster"]["threshold"])
    run_names = {t.get_text() for t in fig.axes[2].texts if t.get_gid() is None}
    assert run_names == {"1", "2", "3", "4"}  # written on the cluster bar


def test_example_figures_say_simulated(clustered):
    for fig in (gx.pl.dendrogram(clustered, show=False).figure,
                gx.pl.cluster_heatmap(clustered, show=False),
                gx.pl.clustermap(clustered, show=False)):
        assert any("SIMULATED" in t.get_text() for t in fig.texts)
    real = clustered.copy()
    del real.uns["simulated"]
    assert not any("SIMULATED" in t.get_text() for t in gx.pl.clustermap(real, show=False).texts)


def test_dendrogram_into_given_axes(clustered):
    fig = Figure()
    ax = fig.add_subplot()
    assert gx.pl.dendrogram(clustered, ax=ax, show=False) is ax
    assert len(fig.axes) == 1


def test_cluster_heatmap(clustered, tmp_path):
    clustered = clustered.copy()
    clustered.uns["markers"] = "the user's own table"
    fig = gx.pl.cluster_heatmap(clustered, layer="expression", n_genes=5,
                                save=tmp_path / "h.pdf", show=False)
    assert clustered.uns["markers"] == "the user's own table"  # never replaced
    assert isinstance(fig, Figure)
    assert (tmp_path / "h.pdf").read_bytes()[:4] == b"%PDF"
    heat = fig.axes[1]
    image = heat.get_images()[0].get_array()
    assert image.shape == (20, 4)  # 5 markers x 4 clusters
    labels = [t.get_text() for t in labels_of(heat, "left")]
    table = gx.tl.markers(clustered, n_genes=5, layer="expression", inplace=False)
    genes = list(dict.fromkeys(table["gene"]))
    for label, gene in zip(labels, genes, strict=True):
        symbol = clustered.var.loc[gene, "gene_symbol"]
        # 'SYMBOL (probe)' where the platform annotates the probe, else the probe id
        assert label == (f"{symbol.split(' /// ')[0]}{'+' if '///' in symbol else ''} ({gene})"
                         if symbol else gene)
    draw(fig)
    assert_no_overlap(label_boxes(fig, labels_of(heat, "left")), "y")


def test_cluster_heatmap_shows_expression_by_default(clustered):
    """On z-scored .X, the default shows expression means (pp.scale undone), as the layer."""
    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    default = cluster_heatmap_spec(clustered, n_genes=5)
    layer = cluster_heatmap_spec(clustered, n_genes=5, layer="expression")
    assert default.row_labels == layer.row_labels
    np.testing.assert_allclose(default.means, layer.means, rtol=1e-9)
    assert default.means.min() > 2  # log2 expression, not z-scores around 0


def test_cluster_heatmap_row_z_scores_are_pheatmap_s():
    # pheatmap's scale='row' divides by R's sd (n - 1): for (1, 2, 4) the mean is 7/3 and
    # sd = sqrt(7/3), so the z-scores are (-4/3, -1/3, 5/3) / sqrt(7/3); numpy's default
    # sd (n) gave -1.07, -0.27, 1.34
    from gexclust.pl._cluster_heatmap import _row_scaled

    shown, label = _row_scaled(np.array([[1.0, 2.0, 4.0], [5.0, 5.0, 5.0]]), "expression")
    np.testing.assert_allclose(shown[0], np.array([-4, -1, 5]) / 3 / np.sqrt(7 / 3), rtol=1e-12)
    np.testing.assert_array_equal(shown[1], 0.0)  # a flat row stays 0, not NaN
    assert label == "row z-score of mean"


def test_cluster_heatmap_of_two_clusters_shows_how_far_apart_they_are(clustered):
    # the row z-scores of two means are -1 and +1 whatever the difference (Golub's ALL/AML
    # heatmap was two solid blocks); two clusters are centred instead, in expression units
    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    two = clustered.copy()
    gx.tl.cut(two, n_clusters=2)
    spec = cluster_heatmap_spec(two, n_genes=5, layer="expression")
    np.testing.assert_allclose(spec.shown, spec.means - spec.means.mean(axis=1, keepdims=True))
    assert len(np.unique(np.round(np.abs(spec.shown), 6))) > 1
    assert spec.colour_label == "mean minus row mean"
    fig = gx.pl.cluster_heatmap(two, n_genes=5, layer="expression", show=False)
    assert fig.axes[2].get_ylabel() == "mean minus row mean"
    four = cluster_heatmap_spec(clustered, n_genes=5, layer="expression")
    np.testing.assert_allclose(four.shown.std(axis=1, ddof=1), 1.0)  # more groups: z-scores
    assert four.colour_label == "row z-score of mean"
    one = clustered.copy()
    gx.tl.cut(one, n_clusters=1)
    spec = cluster_heatmap_spec(one, n_genes=6, layer="expression")
    np.testing.assert_array_equal(spec.shown, spec.means)  # one group: the means themselves
    assert spec.colour_label == "mean expression"


def test_cluster_heatmap_with_one_cluster_or_string_groups(clustered):
    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    one = clustered.copy()
    gx.tl.cut(one, n_clusters=1)
    spec = cluster_heatmap_spec(one, n_genes=6)
    assert spec.means.shape == (6, 1)
    assert "One cluster only" in spec.title
    strings = clustered.copy()
    strings.obs["cluster"] = strings.obs["cluster"].astype(str).astype(object)
    strings.obs["type"] = strings.obs["type"].astype(str).astype(object)
    spec = cluster_heatmap_spec(strings, n_genes=5)
    assert spec.column_labels == ["cluster 1", "cluster 2", "cluster 3", "cluster 4"]
    for name in ("dendrogram", "cluster_heatmap", "clustermap"):
        getattr(gx.pl, name)(strings)  # plain string columns draw like categoricals


def test_cluster_heatmap_column_labels_stand_upright_when_they_would_run_together(clustered):
    # before: groups named by cell type ('cluster CD4+/CD45RA+/CD25- Naive T', as scanpy's
    # bulk_labels) were written level under their columns and ran into one another
    cell_types = clustered.copy()
    names = ["CD4+/CD45RA+/CD25- Naive T", "CD14+ Monocyte", "CD56+ NK", "Dendritic"]
    cell_types.obs["cluster"] = cell_types.obs["cluster"].cat.rename_categories(names)
    for adata, rotation in ((clustered, 0.0), (cell_types, 90.0)):
        fig = gx.pl.cluster_heatmap(adata, n_genes=2, show=False)
        draw(fig)
        texts = labels_of(fig.axes[1], "bottom")
        assert [t.get_text() for t in texts] == [
            f"cluster {c}" for c in adata.obs["cluster"].cat.categories]
        assert {t.get_rotation() for t in texts} == {rotation}
        assert_no_overlap(label_boxes(fig, texts), "x")

def test_clustermap(clustered):
    fig = gx.pl.clustermap(clustered, n_genes=30, show=False)
    assert isinstance(fig, Figure)
    draw(fig)
    heat = next(ax for ax in fig.axes if ax.get_images() and ax.get_images()[0].get_array().shape == (64, 30))  # noqa: E501
    assert_no_overlap(label_boxes(fig, labels_of(heat, "right")), "y")
    assert_no_overlap(label_boxes(fig, labels_of(heat, "bottom")), "x")
    rows = [t.get_text() for t in labels_of(heat, "right")]
    assert rows == clustered.obs_names[clustered.uns["hclust"]["leaves"]].tolist()
    values = heat.get_images()[0].get_array()
    assert np.nanmax(np.abs(values)) <= 3.0 + 1e-9


def test_clustermap_names_the_clusters_on_their_bar(clustered):
    # before: the clusters' bar of the clustermap had neither names nor a legend, while the
    # dendrogram names them; from the 11th cluster on their colours are tab10's, so a cluster
    # beside a scanpy column (pbmc68k's bulk_labels) read as one of that column's categories
    from gexclust.pl._dendrogram import dendrogram_spec

    fig = gx.pl.clustermap(clustered, n_genes=20, show=False)
    bar = next(ax for ax in fig.axes
               if [t.get_text() for t in labels_of(ax, "bottom")] == ["cluster"])
    names = [t for t in bar.texts if not t.get_gid()]
    spec = dendrogram_spec(clustered)
    codes = spec.bars[-1].codes  # the clusters in leaf order, the clustermap's row order
    runs = [c for i, c in enumerate(codes) if i == 0 or c != codes[i - 1]]
    categories = clustered.obs["cluster"].cat.categories
    assert [t.get_text() for t in names] == [str(categories[c]) for c in runs]
    assert {t.get_rotation() for t in names} == {90.0}


def printed_by_a_new_python(code: str, *, warnings: str) -> str:
    """What ``code`` prints in a new interpreter on the Agg backend, before pyplot is loaded.

    This process has loaded pyplot and picked its backend; a script's first figure has not.
    ``warnings`` is the ``-W`` action ('error'; 'ignore' where a figure shown on Agg warns).
    """
    import os
    import subprocess
    import sys

    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-W", warnings, "-c", code], capture_output=True,
                          text=True, check=True, env=env).stdout


def test_pyplot_only_when_in_use_or_shown():
    """In a fresh process (its own backend, not this one's): pyplot stays out unless needed."""
    code = (
        "import sys, numpy as np, anndata as ad, gexclust as gx\n"
        "import matplotlib._pylab_helpers as helpers\n"
        "a = ad.AnnData(np.random.default_rng(0).normal(size=(12, 5)))\n"
        "gx.tl.hclust(a)\n"
        "gx.pl.dendrogram(a)\n"
        "print('matplotlib.pyplot' in sys.modules, len(helpers.Gcf.get_all_fig_managers()))\n"
        "gx.pl.clustermap(a, n_genes=5, show=True)\n"
        "print('matplotlib.pyplot' in sys.modules, len(helpers.Gcf.get_all_fig_managers()))\n"
        "gx.pl.dendrogram(a)  # pyplot in use now, as in a notebook: the figure is managed\n"
        "print(len(helpers.Gcf.get_all_fig_managers()))\n"
    )
    out = printed_by_a_new_python(code, warnings="ignore")  # show=True on Agg warns
    assert out.split("\n")[:3] == ["False 0", "True 1", "2"]


def test_clustermap_says_why_it_needs_two_varying_genes(planted):
    one_gene = gx.pp.select_variable(planted, n_top=1, subset=True, copy=True)
    gx.tl.hclust(one_gene)
    with pytest.raises(ValueError, match=r"needs at least 2 genes .* adata has 1 gene"):
        gx.pl.clustermap(one_gene, show=False)
    identical = planted.copy()
    identical.X[:] = identical.X[0]  # every sample the same: no gene varies
    gx.tl.hclust(identical)
    with pytest.raises(ValueError, match="only 0 of its 60 genes vary across the samples"):
        gx.pl.clustermap(identical, show=False)
    constant = planted.copy()
    constant.X[:, 3] = 5.0  # a constant gene is left out, not an error about metrics
    gx.tl.hclust(constant)
    fig = gx.pl.clustermap(constant, n_genes=60, show=False)
    assert "x 59 genes" in fig.axes[2].get_title(loc="left")  # the constant one left out


def test_a_clustermap_of_two_genes_says_nothing_about_a_cophenetic_correlation(planted,
                                                                               caplog):
    # before: `gexclust run --n-top-genes 2` warned "hclust: cophenetic correlation is
    # undefined (only two leaves)" for a tree of 60 samples: the clustermap's gene tree had 2
    two_genes = gx.pp.select_variable(planted, n_top=2, subset=True, copy=True)
    gx.tl.hclust(two_genes)
    caplog.clear()
    gx.pl.clustermap(two_genes, show=False)
    assert "cophenetic" not in caplog.text


def test_dendrogram_draws_no_cut_of_another_tree(clustered):
    # before: a gene tree cut with the default key_added='cluster' replaced .uns['cluster'],
    # and the sample dendrogram drew the gene tree's cut height ("cut: 6 clusters"); tl.cut
    # now refuses that key, but a record of another tree can still get there by hand
    adata = clustered.copy()
    gx.tl.hclust(adata, axis="var", key_added="genes")
    gx.tl.cut(adata, n_clusters=6, key="genes", key_added="gene_cluster")
    adata.uns["cluster"] = adata.uns["gene_cluster"]
    ax = gx.pl.dendrogram(adata, show=False)
    assert not [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert not [t for t in ax.texts if t.get_text().startswith("cut:")]


def test_unassigned_samples_are_not_named_nan_on_the_cluster_bar(clustered):
    adata = clustered.copy()
    adata.obs.loc[adata.obs_names[:5], "cluster"] = np.nan  # as min_support leaves them
    fig = gx.pl.dendrogram(adata, show=False).figure
    names = {t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() is None}
    assert "nan" not in names
    assert {"1", "2", "3", "4"} <= names


def test_blank_type_has_no_colour_or_legend_entry_of_its_own(planted):
    # before: an empty 'type' field was a category '' with a palette colour (the first one,
    # shifting every other type's colour) and a blank entry in the legend
    from gexclust.pl._clustermap import clustermap_spec
    from gexclust.pl._dendrogram import dendrogram_spec

    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    as_nan = planted.copy()
    as_nan.obs["type"] = as_nan.obs["type"].cat.remove_categories(["group1"])
    blank = planted.copy()
    blank.obs["type"] = as_nan.obs["type"].astype(object).fillna("").to_numpy()  # plain str
    specs = {name: dendrogram_spec(a) for name, a in (("nan", as_nan), ("blank", blank))}
    assert specs["blank"].legends[0][1] == specs["nan"].legends[0][1] == {
        "group0": blank.uns["type_colors"][1], "group2": blank.uns["type_colors"][2]}
    assert specs["blank"].leaf_colours == specs["nan"].leaf_colours
    strips = {name: [bar.colours[c] if c >= 0 else None for bar in [spec.bars[0]]
                     for c in bar.codes] for name, spec in specs.items()}
    assert strips["blank"] == strips["nan"]  # the blank samples stay blank in the strip
    # one colour per category, as scanpy expects: '' (sorted first) in the grey of NaN
    assert blank.uns["type_colors"] == ["#9e9e9e", *as_nan.uns["type_colors"]]
    assert clustermap_spec(blank).legends == specs["nan"].legends


def test_no_cut_line_from_a_cut_of_an_earlier_tree(planted):
    # before: after tl.hclust was rerun with ward, the average tree's cut at 0.63 was drawn
    # on the new tree (root at 52) and labelled "cut: 3 clusters"
    from gexclust.pl._dendrogram import dendrogram_spec

    gx.tl.hclust(planted, method="average", metric="correlation")
    gx.tl.cut(planted, n_clusters=3)
    assert dendrogram_spec(planted).cut == (planted.uns["cluster"]["threshold"], "cut: 3 clusters")
    gx.tl.hclust(planted, method="ward")
    assert dendrogram_spec(planted).cut is None
    gx.tl.cut(planted, height=30.0)
    assert dendrogram_spec(planted).cut[0] == 30.0
    au = np.ones(planted.n_obs - 1)
    au[np.flatnonzero(planted.uns["hclust"]["linkage"][:, 3] == 8)[0]] = 0.5  # 1 group of 3
    planted.uns["hclust"]["support"] = {"au": au, "bp": au}
    gx.tl.cut(planted, n_clusters=3, min_support=0.95)
    assert planted.obs["cluster"].isna().sum() == 8
    assert dendrogram_spec(planted).cut is not None  # unassigned samples: still this cut


def test_a_numeric_column_is_a_gradient_not_a_colour_per_value(planted):
    # before: color='age' made each distinct age a category: 24 colours, a 24-entry legend,
    # and .uns['age_colors'] written; scanpy and pheatmap draw numbers as a gradient
    from gexclust.pl._clustermap import clustermap_spec
    from gexclust.pl._dendrogram import dendrogram_spec

    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    planted.obs["age"] = np.linspace(20.0, 80.0, planted.n_obs)
    planted.obs.loc[planted.obs_names[5], "age"] = np.nan
    spec = dendrogram_spec(planted, color="age")
    bar = spec.bars[0]
    ages = planted.obs["age"].to_numpy()[spec.leaves]
    shown = [bar.colours[c] for c in bar.codes if c >= 0]
    # viridis: the youngest sample darkest, the oldest yellow, in the order of the leaves
    youngest, oldest = np.nanargmin(ages), np.nanargmax(ages)
    assert bar.colours[bar.codes[youngest]] == "#440154"
    assert bar.colours[bar.codes[oldest]] == "#fde725"
    assert bar.codes[np.flatnonzero(np.isnan(ages))[0]] == -1  # no value: no colour
    assert len(set(shown)) > 10
    assert list(spec.legends[0][1]) == ["20", "35", "50", "65", "80"]
    assert spec.leaf_colours[youngest] == "#440154"
    assert "age_colors" not in planted.uns
    assert clustermap_spec(planted, color="age").legends == spec.legends


@pytest.mark.parametrize("call", [
    lambda a: gx.tl.compare(a, reference="age", clusters="cluster"),
    lambda a: gx.tl.markers(a, groupby="age"),
    lambda a: gx.pl.cluster_heatmap(a, groupby="age", show=False),
    lambda a: gx.pl.dendrogram(a, clusters="age", show=False),
])
def test_fractional_numbers_are_refused_as_groups(planted, call):
    # before: each of the 24 ages was a group of one sample: markers ranked 24 "groups",
    # the heatmap drew 24 columns, compare scored them as classes
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    planted.obs["age"] = np.linspace(20.5, 80.5, planted.n_obs)
    with pytest.raises(ValueError, match=r"'age'\] holds numbers, not labels .*pd\.cut"):
        call(planted)


@pytest.mark.parametrize("call", [
    lambda a: gx.tl.compare(a, reference="age", clusters="cluster"),
    lambda a: gx.tl.markers(a, groupby="age"),
])
def test_ages_in_whole_years_are_refused_as_groups(planted, call):
    # before: ages in years (whole numbers) passed as labels: 20 groups of 1-2 samples
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    planted.obs["age"] = np.arange(planted.n_obs) // 1.2 + 30
    planted.obs.loc[planted.obs_names[0], "age"] = np.nan  # float64 whole numbers, as read_csv
    with pytest.raises(ValueError, match=r"'age'\] holds numbers, not labels \(20 distinct "
                       r"values in 23 samples\)"):
        call(planted)


def test_whole_numbers_are_labels(planted):
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    planted.obs["batch"] = planted.obs["cluster"].cat.codes.to_numpy() + 1  # 1, 2, 3
    assert gx.tl.compare(planted, reference="batch", clusters="cluster",
                         inplace=False)["ari"] == 1.0
    table = gx.tl.markers(planted, groupby="batch", inplace=False)
    assert set(table["group"]) == {"1", "2", "3"}


def test_whole_number_clusters_are_one_colour_per_cluster(planted):
    # before: clusters= of whole numbers (another tool's cluster numbers) passed the label
    # check but was drawn as a gradient, one colour per sample, and the branches took the
    # first gradient colours by cluster code (all three near-black)
    from gexclust.pl._clustermap import clustermap_spec
    from gexclust.pl._dendrogram import dendrogram_spec

    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    planted.obs["number"] = planted.obs["cluster"].astype(int)  # 1, 2, 3
    expected = dendrogram_spec(planted, clusters="cluster")
    spec = dendrogram_spec(planted, clusters="number")
    assert len(spec.bars[-1].colours) == 3
    np.testing.assert_array_equal(spec.bars[-1].codes, expected.bars[-1].codes)
    assert spec.branch_colours == spec.bars[-1].colours == planted.uns["number_colors"]
    assert len(set(spec.branch_colours)) == 3
    assert spec.bars[-1].run_names == expected.bars[-1].run_names
    assert len(clustermap_spec(planted, clusters="number").bars[-1].colours) == 3


def test_gradient_legend_steps_read_apart(planted):
    # before: years 2001-2010 were labelled '2e+03', '2e+03', '2.01e+03', ...: the legend
    # dict merged them into two entries
    from gexclust.pl._dendrogram import dendrogram_spec

    gx.tl.hclust(planted)
    planted.obs["year"] = np.linspace(2001, 2010, planted.n_obs)
    assert list(dendrogram_spec(planted, color="year").legends[0][1]) == [
        "2001", "2003", "2006", "2008", "2010"]


def test_several_annotation_columns_as_scanpy_color_lists(planted):
    # before: color=['type', 'batch'] failed with "unhashable type: 'list'"
    from gexclust.pl._clustermap import clustermap_spec
    from gexclust.pl._dendrogram import dendrogram_spec

    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    planted.obs["batch"] = pd.Categorical(["b1", "b2"] * (planted.n_obs // 2))
    planted.obs["age"] = np.linspace(20.0, 80.0, planted.n_obs)
    spec = dendrogram_spec(planted, color=["type", "batch", "age"])
    assert [bar.label for bar in spec.bars] == ["type", "batch", "age", "cluster"]
    assert [title for title, _ in spec.legends] == ["type", "batch", "age"]
    assert spec.legends[1][1] == dict(zip(["b1", "b2"], planted.uns["batch_colors"],
                                          strict=True))
    assert spec.leaf_colours == dendrogram_spec(planted, color="type").leaf_colours
    cm = clustermap_spec(planted, color=["type", "batch"])
    assert [bar.label for bar in cm.bars] == ["type", "batch", "cluster"]
    for fig in (gx.pl.dendrogram(planted, color=["type", "batch", "age"], show=False).figure,
                gx.pl.clustermap(planted, color=["type", "batch"], show=False)):
        draw(fig)
        texts = [t for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        bold = [t.get_text() for t in texts if t.get_fontweight() == "bold"]
        assert bold[:2] == ["type", "batch"]
        assert {"group0", "b1", "b2"} <= {t.get_text() for t in texts}
    with pytest.raises(KeyError, match=r"color='batc' is not an \.obs column"):
        dendrogram_spec(planted, color=["type", "batc"])


def test_plots_write_nothing_but_missing_colours_and_say_so(planted):
    # before: pl.clustermap wrote .uns['type_colors'] and ['cluster_colors'] when missing, as
    # the dendrogram does, but its docstring did not say it changes adata at all
    gx.tl.hclust(planted)
    gx.tl.cut(planted, n_clusters=3)
    gx.tl.choose_k(planted, k_range=range(2, 4), n_rotations=19)
    gx.tl.consensus(planted, k_range=[2, 3], n_resamples=3, progress=False)
    plots = {gx.pl.dendrogram: {}, gx.pl.clustermap: {"n_genes": 10},
             gx.pl.cluster_heatmap: {"n_genes": 2}, gx.pl.markers: {"n_genes": 2},
             gx.pl.choose_k: {}, gx.pl.consensus: {}}
    for plot, kwargs in plots.items():
        for name in [n for n in planted.uns if n.endswith("_colors")]:
            del planted.uns[name]
        before = {**planted.uns}, planted.obs.copy(), planted.var.copy(), planted.X.copy()
        plot(planted, **kwargs)
        added = set(planted.uns) - set(before[0])
        assert all(planted.uns[n] is v for n, v in before[0].items()), plot.__name__
        assert planted.obs.equals(before[1])
        assert planted.var.equals(before[2])
        np.testing.assert_array_equal(planted.X, before[3])
        assert all(name.endswith("_colors") for name in added), plot.__name__
        if added:
            assert "_colors']``" in plot.__doc__, plot.__name__


def test_save_as_scanpy_takes_it_is_refused_clearly(clustered, tmp_path, monkeypatch):
    # before: save=True gave "expected str, bytes or os.PathLike object, not bool"; save='.pdf'
    # (scanpy's figures/<plot>.pdf) silently wrote a hidden PNG named '.pdf' into the cwd
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError, match=r"save=True: give the file to write, e\.g\. "
                                        r"save='dendrogram\.png'"):
        gx.pl.dendrogram(clustered, save=True, show=False)
    for plot in (gx.pl.dendrogram, gx.pl.clustermap):
        with pytest.raises(ValueError, match=r"save='\.pdf' is only an extension .*"
                                             r"save='dendrogram\.pdf'"):
            plot(clustered, save=".pdf")
    gx.pl.dendrogram(clustered, save=False, show=False)  # scanpy's "do not save"
    assert list(tmp_path.iterdir()) == []
    gx.pl.dendrogram(clustered, save="figures/tree.pdf", show=False)
    assert (tmp_path / "figures" / "tree.pdf").read_bytes().startswith(b"%PDF")


def test_save_without_an_extension_adds_matplotlibs_format(clustered, tmp_path, monkeypatch):
    """Before: save='tree' wrote PNG bytes under the name 'tree' (no extension, nothing said
    what it was). matplotlib's savefig adds the extension of rcParams['savefig.format'], and
    scanpy its figure format's: so does every plot now, in that format."""
    import matplotlib

    monkeypatch.chdir(tmp_path)
    gx.pl.dendrogram(clustered, save="tree", show=False)
    gx.pl.clustermap(clustered, save="figs/map", show=False)
    with matplotlib.rc_context({"savefig.format": "pdf"}):
        gx.pl.dendrogram(clustered, save=tmp_path / "tree_pdf", show=False)
    written = {p.relative_to(tmp_path).as_posix(): p.read_bytes()[:4]
               for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"tree.png": b"\x89PNG", "figs/map.png": b"\x89PNG",
                       "tree_pdf.pdf": b"%PDF"}
    # a folder is no name to add to: refused, naming it, as before
    with pytest.raises(IsADirectoryError, match=r"^figs: is a folder; give the path of the "):
        gx.pl.dendrogram(clustered, save="figs", show=False)
    with pytest.raises(ValueError, match=r"^pl\.dendrogram: save='new/' names a folder; "):
        gx.pl.dendrogram(clustered, save="new/", show=False)
    with pytest.raises(ValueError, match=r"^pl\.dendrogram: save='' is an empty path"):
        gx.pl.dendrogram(clustered, save="", show=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figs", "tree.png", "tree_pdf.pdf"]
    # a device is written into as named, not beside it ('/dev/null.png')
    beside = Path(os.devnull + ".png")
    existed = beside.exists()
    gx.pl.dendrogram(clustered, save=os.devnull, show=False)
    made = beside.exists() and not existed
    if made:
        beside.unlink()
    assert not made


def test_a_figsize_that_is_no_size_is_refused_naming_it(clustered, tmp_path):
    """Before: figsize=5 was matplotlib's "object of type 'int' has no len()", (0, 5) in
    pl.clustermap numpy's "Singular matrix", and pl.cluster_heatmap(figsize=(3, 0)) saved an
    empty figure without a word."""
    plots = (gx.pl.dendrogram, gx.pl.clustermap, gx.pl.cluster_heatmap, gx.pl.markers)
    for figsize in (5, (0, 5), (3, 0), (5,), (-1, 3), ("4", 3), (np.inf, 3)):
        for plot in plots:
            name = plot.__name__
            expected = (f"pl.{name}: figsize must be (width, height) in inches, two numbers "
                        f"above 0, got {figsize!r}")
            with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
                plot(clustered, figsize=figsize, save=tmp_path / f"{name}.png", show=False)
    assert list(tmp_path.iterdir()) == []
    gx.pl.cluster_heatmap(clustered, figsize=[4, 3], save=tmp_path / "h.png", show=False)
    assert (tmp_path / "h.png").read_bytes().startswith(b"\x89PNG")


def test_save_under_the_home_folder_writes_there(clustered, tmp_path, monkeypatch):
    # before: save='~/figs/tree.png' made a folder named '~' in the working directory (the
    # missing folders of a path are made) and the figure went there, not into the home folder
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    gx.pl.dendrogram(clustered, save="~/figs/tree.png", show=False)
    assert (home / "figs" / "tree.png").read_bytes().startswith(b"\x89PNG")
    assert list(work.iterdir()) == []


def test_markers_colour_bar_says_log2_fold_change_only_where_a_record_says_log2(planted):
    # before: values taken for log2 by their look alone (an array series' log10 or ln values,
    # as Golub's) were coloured under "log2 fold change", a +1 (10-fold) read as 2-fold; the
    # report's caption said so in words while the figure's own colour bar did not
    planted.obs["cluster"] = planted.obs["type"]

    def colour_bar(adata):
        fig = gx.pl.markers(adata, n_genes=2, show=False)
        return fig.axes[-1].get_ylabel().replace("\n", " ")  # wrapped to the bar's height

    assert colour_bar(planted) == "difference of means (log2 FC if the input is log2)"
    linear = planted.copy()
    linear.X = 2.0 ** planted.X  # linear values: pp.log2 takes their log2 and records it
    gx.pp.log2(linear)
    assert linear.uns["log2"]["applied"]
    assert colour_bar(linear) == "log2 fold change"
    scanpy_log2 = planted.copy()
    scanpy_log2.uns["log1p"] = {"base": 2}  # sc.pp.log1p(adata, base=2)
    assert colour_bar(scanpy_log2) == "log2 fold change"
    judged = planted.copy()
    gx.pp.log2(judged)  # judged already logged: the record says nothing about the base
    assert not judged.uns["log2"]["applied"]
    assert colour_bar(judged) == "difference of means (log2 FC if the input is log2)"


def test_markers_colour_bar_label_fits_its_bar_and_a_key_gives_the_dot_sizes():
    # before, on every CuMiDa input (Golub, lung: values judged already logged), the colour
    # bar's label 'difference of means (log2 FC if the input is log2)' ran past its bar's top
    # and over the title's '-log10 adj. p (size)', and no key said which dot size is which p
    adata = make_planted(n_groups=2)
    adata.obs["cluster"] = adata.obs["type"]
    fig = gx.pl.markers(adata, show=False)
    draw(fig)
    strip, _, cax = fig.axes
    bar, label = cax.get_window_extent(), cax.yaxis.label.get_window_extent()
    assert label.y0 >= bar.y0 - 1, (label, bar)
    assert label.y1 <= bar.y1 + 1, (label, bar)
    assert not label.overlaps(strip.title.get_window_extent())
    assert cax.get_ylabel().replace("\n", " ") == (
        "difference of means (log2 FC if the input is log2)")
    assert strip.get_title() == "Top markers per cluster"
    (key,) = fig.legends
    assert key.get_title().get_text() == "adj. p (dot size)"
    assert [t.get_text() for t in key.get_texts()] == ["0.05", "1e-05", "≤ 1e-10"]
    sizes = [h.get_markersize() ** 2 for h in key.legend_handles]
    assert sizes == pytest.approx([8 + 22 * -np.log10(0.05), 8 + 22 * 5, 8 + 22 * 10])
    box = key.get_window_extent()
    assert not box.overlaps(cax.get_tightbbox())
    assert not box.overlaps(strip.title.get_window_extent())


def test_markers_colours_survive_a_gene_absent_from_the_rest():
    """Counts in which a gene is 0 outside its group: log2 FC about 35 (scanpy's 1e-9 offset).

    Before: the colour scale spanned -35.5 to 35.5, so every other dot (fold changes of 1-2)
    was drawn near white.
    """
    rng = np.random.default_rng(4)
    counts = rng.poisson(20, size=(30, 12)).astype(float)
    groups = np.repeat(["a", "b", "c"], 10)
    counts[groups == "a", 0] *= 3  # an ordinary marker of a
    counts[groups == "b", 1] *= 4  # of b
    counts[groups != "c", 2] = 0  # only c expresses it
    counts[groups == "c", 2] = 50
    adata = ad.AnnData(rng.normal(size=(30, 12)))
    adata.layers["counts"] = counts
    adata.uns["log1p"] = {"base": 2}  # what is recorded of .X; the layer is linear counts
    adata.obs["group"] = pd.Categorical(groups)
    fig = gx.pl.markers(adata, groupby="group", layer="counts", n_genes=2, show=False)
    dots = fig.axes[1].collections[0]
    fold = np.asarray(dots.get_array())
    assert np.abs(fold).max() > 30
    low, high = dots.get_clim()
    measured = np.abs(fold)[np.abs(fold) < 20]
    assert high == -low == measured.max() < 3  # the largest measured fold change, not 35
    assert fig.axes[-1].get_ylabel() == "log2 fold change"
    colour_bar = dots.colorbar
    assert colour_bar.extend == "both"  # the dots beyond it are marked as such
    # differences (of means, in SD) have no offset: a one-sample group among hundreds of
    # z-scored samples can lie 24 SD away, and stays on the scale
    from gexclust.pl._markers import colour_limit

    assert colour_limit(np.array([1.0, -24.0]), None, ratios=False) == 24.0
    assert colour_limit(np.array([1.0, -24.0]), None, ratios=True) == 1.0
    fig = gx.pl.markers(adata, groupby="group", layer="counts", n_genes=2, vmax=2.0, show=False)
    assert fig.axes[1].collections[0].get_clim() == (-2.0, 2.0)
    with pytest.raises(ValueError, match="vmax must be a positive number, got -1"):
        gx.pl.markers(adata, groupby="group", layer="counts", vmax=-1, show=False)


@pytest.mark.parametrize("scale_rows", [False, True])
def test_cluster_heatmap_annotations_contrast_with_their_cells(clustered, scale_rows):
    """Each annotated mean is its cell's mean, white on a dark cell and black on a light one.

    Before: darkness was taken from |value| over the largest |value|, right for colours
    centred on 0 but not for uncentred means (scale_rows=False, 5.4 to 13.3 on RdBu_r, where
    the middle values are the white cells): 33 of 48 numbers had the wrong colour, white on
    white among them."""
    import re

    fig = gx.pl.cluster_heatmap(clustered, layer="expression", n_genes=3, annotate=True,
                                scale_rows=scale_rows, show=False)
    heat = fig.axes[1]
    image = heat.get_images()[0]
    shown = np.asarray(image.get_array())
    cells = [t for t in heat.texts if re.fullmatch(r"-?\d+\.\d", t.get_text())]
    assert len(cells) == shown.size == 48
    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    means = cluster_heatmap_spec(clustered, layer="expression", n_genes=3).means
    for text in cells:
        x, y = (int(v) for v in text.get_position())
        assert text.get_text() == f"{means[y, x]:.1f}"
        r, g, b, _ = image.cmap(image.norm(shown[y, x]))
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
        assert text.get_color() == ("white" if dark else "black"), (y, x, shown[y, x])
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_clustermap_ranks_float32_genes_by_their_variance():
    # numpy's float32 variance down 200,000 rows of values near 5,000 made a gene of
    # variance 0.25 look like 34 and shown among the 3 most variable, instead of one of 2.25
    from gexclust.pl._clustermap import _top_genes

    rng = np.random.default_rng(0)
    sd = np.array([1.0, 1.5, 2.0, 0.5, 0.1, 0.1])
    values = np.array([5000.0, 10, 10, 5000, 10, 10]) + rng.normal(0, 1, (200_000, 6)) * sd
    adata = ad.AnnData(values.astype(np.float32))
    assert _top_genes(adata, adata.X, 3).tolist() == [0, 1, 2]


def test_clustermap_ranks_clipped_z_scores_by_the_spread_before_scaling():
    # before: after pp.scale(max_value=3) the variance of the clipped z-scores times the
    # recorded std ranked the genes, so gene 0 (SD 4.9, one outlier clipped: 0.30 x 23.6)
    # fell behind genes 1 and 2 (SD 3.1, 3.2) and the top 2 were [1, 2]; unclipped, [0, 1]
    from gexclust.pl._clustermap import _top_genes

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6))
    X[:, 0] = rng.normal(size=40)
    X[0, 0] = 30.0
    X[:, 1] = rng.normal(size=40) * 3
    X[:, 2] = rng.normal(size=40) * 3.2
    clipped, scaled = ad.AnnData(X.copy()), ad.AnnData(X.copy())
    gx.pp.scale(clipped, max_value=3)
    gx.pp.scale(scaled)
    assert _top_genes(scaled, scaled.X, 2).tolist() == [0, 1]
    assert _top_genes(clipped, clipped.X, 2).tolist() == [0, 1]


def test_clustermap_z_scores_float32_genes_with_float64_sums():
    # before: numpy's float32 mean and SD down 200,000 rows of values near 5,000 (SD 1) gave
    # the heat map's z-scores a mean of 0.99 and an SD of 0.17 (4.8 SD off at worst), as
    # pp.center/pp.scale did before their fix; float64 values are z-scored as numpy does
    from gexclust.pl._clustermap import _z

    values = 5000.0 + np.random.default_rng(0).normal(0, 1, (200_000, 2))
    exact = values.astype(np.float32).astype(np.float64)
    expected = (exact - exact.mean(axis=0)) / exact.std(axis=0, ddof=1)
    z = _z(values.astype(np.float32))
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, expected, atol=1e-3)
    small = values[:50]
    np.testing.assert_array_equal(  # _z overwrites what it is given (a copy, in clustermap)
        _z(small.copy()), (small - small.mean(axis=0)) / small.std(axis=0, ddof=1))


def test_cluster_heatmap_of_one_cluster_ranks_float32_genes_by_their_variance():
    # before: with one cluster the heat map shows the most variable genes, ranked by numpy's
    # float32 variance: over 200,000 rows near 5,000 it chose a gene of variance 0.25 over
    # one of 1.25 (genes '1', '2' instead of '1', '0')
    from gexclust.pl._cluster_heatmap import cluster_heatmap_spec

    rng = np.random.default_rng(0)
    values = 5000.0 + rng.normal(0, 1, (200_000, 3)) * [1.0, 2.0, 0.5]
    values[:100_000, 0] += 1.0  # variance 1 + 0.25
    adata = ad.AnnData(values.astype(np.float32))
    adata.obs["cluster"] = pd.Categorical(["1"] * adata.n_obs)
    spec = cluster_heatmap_spec(adata, n_genes=2, scale_rows=False)
    assert spec.row_labels == ["1", "0"]
    np.testing.assert_allclose(spec.means.ravel(), values.astype(np.float32).astype(
        np.float64)[:, [1, 0]].mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("vmax", ["2", True, [2.0]])
def test_markers_refuses_a_vmax_that_is_not_a_number_in_one_line(vmax):
    """Before, vmax='2' (a number read from a text field) failed in numpy: "ufunc 'isfinite'
    not supported for the input types, ...", and vmax=True drew a scale of -1 to 1."""
    adata = make_planted()
    with pytest.raises(ValueError, match=rf"^pl.markers: vmax must be a positive number, got "
                       rf"{re.escape(repr(vmax))}$"):
        gx.pl.markers(adata, groupby="type", vmax=vmax, show=False)


def _every_plot() -> tuple[ad.AnnData, dict]:
    adata = make_planted(n_per_group=5, n_groups=3, n_genes=30)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    gx.tl.choose_k(adata, k_range=range(2, 5), n_rotations=19)
    gx.tl.consensus(adata, k_range=range(2, 4), n_resamples=5, progress=False)
    plots = {"dendrogram": (gx.pl.dendrogram, Axes), "clustermap": (gx.pl.clustermap, Figure),
             "cluster_heatmap": (gx.pl.cluster_heatmap, Figure),
             "markers": (gx.pl.markers, Figure), "choose_k": (gx.pl.choose_k, Figure),
             "consensus": (gx.pl.consensus, Figure)}
    return adata, plots


def test_plots_return_none_once_shown_as_scanpy(tmp_path, monkeypatch):
    """scanpy 1.11's sc.pl.umap / sc.pl.heatmap return None when they show (show=None with
    settings.autoshow, or show=True), whatever save=; their Axes only with show=False.

    Before, every pl.* returned its Axes or Figure, so a notebook printed '<Axes: ...>' under
    each plot.
    """
    import matplotlib.pyplot as plt  # pyplot in use, as in a notebook

    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(True))
    adata, plots = _every_plot()
    for name, (plot, kind) in plots.items():
        assert plot(adata) is None, name
        assert plot(adata, show=True) is None, name
        assert plot(adata, save=tmp_path / f"{name}.png") is None, name
        assert (tmp_path / f"{name}.png").stat().st_size > 0
        assert isinstance(plot(adata, show=False), kind), name
        assert isinstance(plot(adata, show=False, save=tmp_path / f"{name}.pdf"), kind), name
        assert (tmp_path / f"{name}.pdf").read_bytes()[:4] == b"%PDF"
        plt.close("all")  # pyplot keeps what it manages
    assert len(shown) == 3 * len(plots)  # shown by default where pyplot manages the figure


def test_default_show_without_pyplot_returns_none_and_opens_nothing():
    """A script that never imported pyplot: show=None returns None, as scanpy, without pyplot."""
    code = (
        "import sys, numpy as np, anndata as ad, gexclust as gx\n"
        "a = ad.AnnData(np.random.default_rng(0).normal(size=(12, 5)))\n"
        "gx.tl.hclust(a)\n"
        "print(gx.pl.dendrogram(a), type(gx.pl.dendrogram(a, show=False)).__name__,\n"
        "      'matplotlib.pyplot' in sys.modules)\n"
    )
    assert printed_by_a_new_python(code, warnings="error").split() == ["None", "Axes", "False"]


def test_a_saved_figure_that_is_not_returned_is_closed_as_scanpy(tmp_path, monkeypatch):
    """scanpy's savefig_or_show closes a figure it saved. Before, every saved figure stayed
    open in pyplot: a script saving 22 figures in a loop met matplotlib's "More than 20
    figures have been opened" RuntimeWarning (an error under -W error), with no figure
    returned to close. A figure returned (show=False) stays open for more drawing."""
    import matplotlib.pyplot as plt  # pyplot in use, as in a script that imports it

    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    plt.close("all")
    adata, plots = _every_plot()
    for name, (plot, _) in plots.items():
        plot(adata, save=tmp_path / f"{name}.png")
        plot(adata, show=True, save=tmp_path / f"{name}.svg")
        assert plt.get_fignums() == [], name
        kept = plot(adata, show=False, save=tmp_path / f"{name}.pdf")
        assert plt.fignum_exists(kept.figure.number if name == "dendrogram" else kept.number)
        plt.close("all")
    for i in range(22):  # no RuntimeWarning: warnings are errors here
        gx.pl.dendrogram(adata, save=tmp_path / f"loop{i}.png")
    assert plt.get_fignums() == []
