"""Trees too big to draw leaf by leaf: truncation like scipy's, all-gene clustermaps."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from scipy.cluster import hierarchy

import gexclust as gx
from gexclust.pl._base import labels_of
from gexclust.pl._clustermap import _z
from gexclust.pl._tree import truncate_tree


def blobs(n, d=4, k=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    return centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))


@pytest.mark.parametrize("p", [2, 7, 30])
def test_truncation_is_scipy_lastp(p):
    Z = hierarchy.linkage(blobs(400), "ward")
    small, owner = truncate_tree(Z, p)
    np.testing.assert_array_equal(small[:, 2], Z[-(p - 1):, 2])
    shown = hierarchy.dendrogram(Z, truncate_mode="lastp", p=p, no_plot=True)["ivl"]
    sizes = np.bincount(owner, minlength=p)[hierarchy.leaves_list(small)]
    assert [f"({s})" if s > 1 else "" for s in sizes] == [
        s if s.startswith("(") else "" for s in shown]
    # the truncated leaves are the clusters of a cut into p
    flat = hierarchy.fcluster(Z, p, "maxclust")
    assert len({(a, b) for a, b in zip(flat, owner, strict=True)}) == p


def test_dendrogram_of_many_leaves_is_truncated_with_a_note():
    adata = ad.AnnData(blobs(3000), obs=pd.DataFrame(index=[f"c{i}" for i in range(3000)]))
    gx.tl.hclust(adata)  # beyond scipy's size: the O(n d) ward engine
    gx.tl.cut(adata, n_clusters=6)
    ax = gx.pl.dendrogram(adata, show=False)
    assert "truncated: the top 50 of 3,000" in ax.get_title(loc="left")
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 49
    labels = [t.get_text() for t in labels_of(ax, "bottom")]
    assert len(labels) == 50
    assert sum(int(t.strip("()").replace(",", "")) if t.startswith("(") else 1
               for t in labels) == 3000
    ax_all = gx.pl.dendrogram(adata, truncate=0, show=False)
    (lines,) = [c for c in ax_all.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == 2999  # drawn in full, without recursion
    # ... without 3,000 labels in a 500-inch figure (100,000 would take many GB)
    assert not labels_of(ax_all.figure.axes[-1], "bottom")
    assert ax_all.figure.get_size_inches()[0] == 40.0
    assert "all 3,000 leaves drawn; leaf labels left out" in ax_all.get_title(loc="left")


def test_a_truncated_tree_says_which_colour_bars_it_leaves_out(caplog):
    adata = ad.AnnData(blobs(400), obs=pd.DataFrame(index=[f"c{i}" for i in range(400)]))
    adata.obs["batch"] = pd.Categorical(np.repeat(["a", "b"], 200))
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=4)  # its bar is not missed: the branches keep its colours
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pl.dendrogram(adata, color="batch", truncate=0, show=False)
        assert not caplog.records
        gx.pl.dendrogram(adata, color="batch", show=False)  # 400 leaves: truncated to 50 by default
    (record,) = caplog.records
    assert "the colour bars of 'batch' are left out of the truncated tree" in record.message
    caplog.clear()
    adata.obs["type"] = adata.obs["batch"]
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pl.dendrogram(adata, color=None, truncate=20, show=False)  # nothing asked for is lost
        gx.pl.dendrogram(adata)  # the default colouring by 'type': said at INFO level only
    assert not caplog.records


def test_a_truncated_tree_names_only_colour_bars_it_had_to_draw(caplog):
    # before: a scanpy AnnData (no 'type' column: the default color is skipped) cut into
    # clusters warned "the colour bars of 'type' are left out of the truncated tree" on every
    # pl.dendrogram beyond 300 cells; the clusters still colour its branches
    adata = ad.AnnData(blobs(400), obs=pd.DataFrame(index=[f"c{i}" for i in range(400)]))
    adata.obs["batch"] = pd.Categorical(np.repeat(["a", "b"], 200))
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=4)
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pl.dendrogram(adata, show=False)
    assert not caplog.records
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.pl.dendrogram(adata, color=["type", "batch"], show=False)
    (record,) = caplog.records
    assert "the colour bars of 'batch' are left out" in record.message
    assert "'type'" not in record.message


def test_clustermap_of_all_genes_uses_one_image_and_the_gene_tree():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 2500))
    X[:6, :300] += 2.0
    adata = ad.AnnData(X, obs=pd.DataFrame({"type": pd.Categorical(["a"] * 6 + ["b"] * 6)},
                                           index=[f"s{i}" for i in range(12)]))
    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.hclust(adata, axis="var", method="average", metric="correlation", key_added="genes")
    expected = hierarchy.linkage(_z(X.copy()).T, "average", metric="correlation")
    np.testing.assert_allclose(adata.uns["genes"]["linkage"], expected, rtol=1e-9, atol=1e-12)
    for fig in (gx.pl.clustermap(adata, n_genes=None, show=False),
                gx.pl.clustermap(adata, gene_key="genes", show=False)):
        heat = [ax for ax in fig.axes if ax.images and ax.images[0].get_array().shape[1] > 1]
        assert len(heat) == 1  # the heatmap is one image
        assert heat[0].images[0].get_array().shape == (12, 2500)
        assert "12 samples x 2,500 genes" in " ".join(ax.get_title(loc="left") for ax in fig.axes)
        assert not labels_of(heat[0], "bottom")  # too many genes to label


def test_deep_tree_of_9000_leaves_draws_without_recursion():
    from matplotlib.figure import Figure

    from gexclust.pl._tree import draw_dendrogram

    n = 9000  # a caterpillar: 8,999 levels deep, beyond scipy's recursive dendrogram
    Z = np.empty((n - 1, 4))
    Z[0] = (0, 1, 1.0, 2)
    for i in range(1, n - 1):
        Z[i] = (i + 1, n + i - 1, 1.0 + i, i + 2)
    leaves = hierarchy.leaves_list(Z)
    ax = Figure().add_subplot()
    draw_dendrogram(ax, Z, leaves)
    (lines,) = ax.collections
    assert len(lines.get_segments()) == n - 1
    _, truncated_owner = truncate_tree(Z, 50)
    assert np.bincount(truncated_owner).max() == n - 49


def test_wide_heatmaps_average_adjacent_genes_before_drawing():
    from gexclust.pl._clustermap import _binned

    values = np.arange(24, dtype=float).reshape(2, 12)
    values[0, 1] = np.nan  # left out of its bin's mean, not spread over it
    binned = _binned(values, 4)
    np.testing.assert_allclose(binned, [[(0 + 2) / 2, 4, 7, 10], [13, 16, 19, 22]])
    assert _binned(values, 12) is values  # narrow enough: drawn as is
    rng = np.random.default_rng(2)
    adata = ad.AnnData(rng.normal(size=(6, 5000)),
                       obs=pd.DataFrame(index=[f"s{i}" for i in range(6)]))
    gx.tl.hclust(adata)
    fig = gx.pl.clustermap(adata, n_genes=None, show=False)
    (heat,) = [ax for ax in fig.axes if ax.images and ax.images[0].get_array().shape[0] == 6]
    shown = heat.images[0].get_array()
    assert 1000 < shown.shape[1] < 5000  # one column per half pixel, not one per gene
    assert heat.images[0].get_extent()[:2] == [0, 5000]  # still spans every gene


def test_clustermap_of_many_cells_averages_rows_and_stays_small():
    n = 5000
    X = blobs(n, d=8)
    adata = ad.AnnData(X, obs=pd.DataFrame({"type": pd.Categorical(
        np.where(X[:, 0] > 0, "a", "b"))}, index=[f"c{i}" for i in range(n)]))
    gx.tl.hclust(adata)
    fig = gx.pl.clustermap(adata, n_genes=None, show=False)
    assert fig.get_size_inches()[1] <= 2.5 + 15.0  # was 752 inches: 0.15 per sample
    (heat,) = [ax for ax in fig.axes if ax.images and ax.images[0].get_array().shape[1] == 8]
    shown = heat.images[0].get_array()
    assert 1000 < shown.shape[0] < n  # one row per half pixel, not one per cell
    assert heat.images[0].get_extent()[2:] == [n, 0]  # still spans every cell
    rows = adata.uns["hclust"]["leaves"]
    z = _z(X.copy())[rows]
    starts = np.linspace(0, n, shown.shape[0] + 1).round().astype(int)
    first = z[starts[0]:starts[1]].mean(axis=0)  # the first bin's means (columns: gene order)
    np.testing.assert_allclose(np.sort(shown[0]), np.sort(first))
    assert not labels_of(heat, "right")  # no 5,000 sample labels
    title = " ".join(ax.get_title(loc="left") for ax in fig.axes)
    assert "5,000 samples x 8 genes (rows: means of ~" in title


def test_run_figures_name_every_sample_up_to_2000_then_truncate():
    from gexclust._render import figure_specs

    for n, expected in ((400, 400), (2100, 50)):
        adata = ad.AnnData(blobs(n, d=6), obs=pd.DataFrame(index=[f"c{i}" for i in range(n)]))
        adata.layers["expression"] = adata.X.copy()
        gx.tl.hclust(adata)
        gx.tl.cut(adata, n_clusters=3)
        assert len(figure_specs(adata)["dendrogram"].leaves) == expected


def test_saving_an_all_gene_clustermap_colours_the_image_at_its_size_once():
    # before: matplotlib resampled the heat map as RGBA floats at the saved size (34 bytes
    # per pixel of the figure here, 137 MB of a 22,283-gene two-way run); then values were
    # resampled, then coloured (17 bytes per pixel); now in float32 (12 bytes per pixel)
    import io
    import tracemalloc

    rng = np.random.default_rng(0)
    adata = ad.AnnData(rng.normal(size=(40, 3000)))
    gx.tl.hclust(adata, method="ward")
    gx.tl.hclust(adata, axis="var", method="ward", key_added="genes")
    fig = gx.pl.clustermap(adata, gene_key="genes", color=None, clusters=None, show=False)
    width, height = fig.get_size_inches() * fig.dpi
    tracemalloc.start()
    try:
        fig.savefig(io.BytesIO(), format="png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 14 * width * height


def test_an_all_gene_clustermap_of_values_beyond_float32_shows_their_z_scores():
    # before: the copy drawn was made float32 before it was z-scored, so values beyond
    # 3.4e38 (a float64 layer) became infinite, and their genes missing in the picture
    from gexclust.pl._clustermap import clustermap_spec

    adata = ad.AnnData(np.random.default_rng(0).normal(size=(20, 300)))
    gx.tl.hclust(adata)
    gx.tl.hclust(adata, axis="var", key_added="genes")
    adata.layers["huge"] = adata.X * 1e39
    spec = clustermap_spec(adata, gene_key="genes", layer="huge", color=None, clusters=None)
    plain = clustermap_spec(adata, gene_key="genes", color=None, clusters=None)
    assert spec.values.dtype == np.float32  # half the memory the drawing holds
    np.testing.assert_allclose(spec.values, plain.values, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("gene_key", [None, "genes"])
def test_a_clustermap_coloured_beyond_float32_is_drawn_as_asked(gene_key):
    # before: the heat map was drawn from float32 values, which matplotlib resamples and
    # normalises in float32: a vmax beyond 3.4e38 overflowed there ("overflow encountered in
    # subtract"), and every cell took the colour map's top colour, where z-scores within a
    # hair of 0 of such a vmax are all its middle colour (as drawn from float64)
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    adata = ad.AnnData(np.random.default_rng(0).normal(size=(30, 600)))
    gx.tl.hclust(adata)
    gx.tl.hclust(adata, axis="var", key_added="genes")
    fig = gx.pl.clustermap(adata, n_genes=None, gene_key=gene_key, vmax=1e39, color=None,
                           clusters=None, show=False)
    (image,) = [image for ax in fig.axes for image in ax.images]
    rgba = image.make_image(FigureCanvasAgg(fig).get_renderer(), unsampled=False)[0]
    middle = np.round(np.array(matplotlib.colormaps["RdBu_r"](0.5)) * 255)
    assert np.abs(rgba.reshape(-1, 4).astype(int) - middle).max() <= 1


def test_an_all_gene_clustermap_of_float64_values_holds_one_copy_and_its_float32():
    # before: the float64 copy drawn was z-scored by numpy's standard deviation, which held
    # a second float64 copy (17.4 bytes per value at the peak); now 8 for the copy, 4 for
    # its float32 z-scores, as when the copy was made float32 first (which lost values
    # beyond float32's range)
    import tracemalloc

    from gexclust.pl._clustermap import _z, clustermap_spec
    from gexclust.tl._tree_access import get_tree

    adata = ad.AnnData(np.random.default_rng(0).normal(size=(60, 6000)))
    gx.tl.hclust(adata)
    gx.tl.hclust(adata, axis="var", method="ward", key_added="genes")
    tracemalloc.start()
    try:
        spec = clustermap_spec(adata, gene_key="genes", color=None, clusters=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 15 * adata.n_obs * adata.n_vars
    rows, columns = (get_tree(adata, key, axis=axis).leaf_rows
                     for key, axis in (("hclust", "obs"), ("genes", "var")))
    expected = _z(adata.X[np.ix_(rows, columns)]).astype(np.float32)  # numpy's float64 SD
    np.testing.assert_allclose(spec.values, expected, rtol=1e-6, atol=1e-6)
