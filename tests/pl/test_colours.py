"""Cluster colours never look like the colours of the annotation drawn beside them."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import gexclust as gx
from gexclust._palette import TAB10, cluster_palette, delta_e
from gexclust.pl._cluster_heatmap import cluster_heatmap_spec
from gexclust.pl._clustermap import clustermap_spec
from gexclust.pl._dendrogram import dendrogram_spec
from tests.conftest import make_planted, shared_file

# CIE76 ΔE below which two colours of a figure read as one: Dark2's orange (the old colour of
# cluster 2) and tab10's orange (the colour of the first type but one) are 14.4 apart
MIN_DELTA_E = 30.0


def closest(clusters, annotation) -> float:
    return min(delta_e(a, b) for a in clusters for b in annotation)


def branch_colours(ax) -> set[str]:
    """Every colour the tree's branches are drawn in, read from the drawn figure."""
    colours = set()
    for collection in ax.collections:
        colours |= {to_hex(c) for c in collection.get_colors()}
    return colours - {"#808080", "#9e9e9e"}  # the grey above the cut


def test_gse781_cluster_colours_are_not_the_tissue_colours():
    # before: tutorial 2's dendrogram (README figure) drew cluster 2, the normal samples, in
    # Dark2's orange (#d95f02), 14.4 from the orange of 'tumour' (#ff7f0e) beside it
    adata = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96")
    is_normal = adata.obs["source_name"].str.contains("normal tissue")
    adata.obs["type"] = pd.Categorical(np.where(is_normal, "normal", "tumour"))
    gx.pp.log2(adata)
    genes = gx.pp.collapse_probes(adata, how="max_mean")
    gx.pp.select_variable(genes, n_top=2000, subset=True)
    gx.pp.scale(genes)
    gx.tl.hclust(genes, method="average", metric="correlation")
    gx.tl.cut(genes, n_clusters=2)
    ax = gx.pl.dendrogram(genes, leaf_labels="title", show=False)
    # the clusters themselves are as before: 9 tumours, then 8 normal samples
    table = pd.crosstab(genes.obs["type"], genes.obs["cluster"])
    assert table.to_numpy().tolist() == [[0, 8], [9, 0]]
    assert list(genes.uns["type_colors"]) == ["#1f77b4", "#ff7f0e"]
    assert list(genes.uns["cluster_colors"]) == ["#1b9e77", "#e7298a"]
    drawn = branch_colours(ax)
    assert drawn == {"#1b9e77", "#e7298a"}
    assert round(closest(drawn, genes.uns["type_colors"]), 1) == 65.0
    assert closest(drawn, genes.uns["type_colors"]) >= MIN_DELTA_E


def test_cut_picks_cluster_colours_away_from_the_types_and_every_figure_agrees():
    # before: 3 clusters beside 3 types got Dark2 green, orange, purple; the orange is 14.4
    # from the second type's orange
    adata = make_planted()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    colours = list(adata.uns["cluster_colors"])
    assert colours == ["#1b9e77", "#e7298a", "#e6ab02"]
    assert closest(colours, TAB10[:3]) >= MIN_DELTA_E
    dendrogram = dendrogram_spec(adata)
    clustermap = clustermap_spec(adata, n_genes=10)
    heatmap = cluster_heatmap_spec(adata, n_genes=2)
    assert list(adata.uns["type_colors"]) == TAB10[:3]
    assert dendrogram.bars[-1].colours == dendrogram.branch_colours == colours
    assert clustermap.bars[-1].colours == colours
    assert heatmap.group_colours == colours
    assert list(adata.uns["cluster_colors"]) == colours


def test_colours_set_by_the_user_are_kept():
    adata = make_planted()
    gx.tl.hclust(adata)
    # types in the colours a cut would otherwise pick first: the cut moves away from them
    adata.uns["type_colors"] = ["#1b9e77", "#e7298a", "red"]
    gx.tl.cut(adata, n_clusters=3)
    chosen = list(adata.uns["cluster_colors"])
    assert closest(chosen, adata.uns["type_colors"]) >= MIN_DELTA_E
    assert list(adata.uns["type_colors"]) == ["#1b9e77", "#e7298a", "red"]
    # cluster colours set by hand, even the types' own, are drawn as given
    adata.uns["cluster_colors"] = ["#1b9e77", "#e7298a", "red"]
    gx.tl.cut(adata, n_clusters=3)
    spec = dendrogram_spec(adata)
    assert spec.bars[-1].colours == ["#1b9e77", "#e7298a", "red"]
    assert list(adata.uns["cluster_colors"]) == ["#1b9e77", "#e7298a", "red"]
    assert list(adata.uns["type_colors"]) == ["#1b9e77", "#e7298a", "red"]


def test_missing_cluster_colours_are_picked_as_the_cut_picks_them_in_every_figure():
    # before: a clusters column without colours got tab10, the very colours of 'batch'; then
    # (pl31) colours away from that figure's color= columns, so they depended on the figure;
    # now they are those of tl.cut (away from the types'), whichever figure draws them
    adata = make_planted()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    cut_colours = list(adata.uns["cluster_colors"])
    del adata.uns["cluster_colors"]
    adata.obs["batch"] = pd.Categorical(["b1", "b2", "b3", "b4"] * 6)
    spec = dendrogram_spec(adata, color="batch")
    assert list(adata.uns["batch_colors"]) == TAB10[:4]
    assert spec.bars[-1].colours == list(adata.uns["cluster_colors"]) == cut_colours
    assert closest(cut_colours, TAB10[:3]) >= MIN_DELTA_E  # the three types


# --- one rule: a column's colours never depend on the figure that drew it first (colours32) --

def draw_as(role, adata, key):
    """Draw ``.obs[key]`` in one role of one figure; return the colours it is drawn in."""
    if role == "markers groups":
        fig = gx.pl.markers(adata, groupby=key, n_genes=2, show=False)
        return markers_group_colours(fig, len(adata.obs[key].cat.categories))
    if role == "heatmap groups":
        return cluster_heatmap_spec(adata, groupby=key, n_genes=2).group_colours
    if role == "dendrogram bar":
        return dendrogram_spec(adata, color=key, clusters=None).bars[0].colours
    if role == "dendrogram branches":
        return dendrogram_spec(adata, color=None, clusters=key).branch_colours
    if role == "clustermap bar":
        return clustermap_spec(adata, color=key, clusters=None, n_genes=10).bars[0].colours
    assert role == "clustermap clusters"
    return clustermap_spec(adata, color="type", clusters=key, n_genes=10).bars[-1].colours


ROLES = ["markers groups", "heatmap groups", "dendrogram bar", "dendrogram branches",
         "clustermap bar", "clustermap clusters"]


def planted_with_columns():
    adata = make_planted()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    del adata.uns["cluster_colors"]  # our clusters, their colours lost (deleted by hand)
    adata.obs["batch"] = pd.Categorical(np.resize(["b1", "b2", "b3", "b4"], adata.n_obs))
    # the user's clusters (or another tool's): no record in .uns['mine']
    adata.obs["mine"] = adata.obs["cluster"].map({"1": "a", "2": "b", "3": "c"}).astype(
        "category")
    return adata


@pytest.mark.parametrize(("key", "expected"), [
    # annotations and clusters gexclust did not write: the category palette, as scanpy
    ("batch", ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]),
    ("mine", ["#1f77b4", "#ff7f0e", "#2ca02c"]),
    # clusters of tl.cut: cluster colours away from the types' (tab10's first three)
    ("cluster", ["#1b9e77", "#e7298a", "#e6ab02"]),
])
@pytest.mark.parametrize("first", ROLES)
def test_a_column_gets_one_set_of_colours_whichever_figure_draws_it_first(first, key, expected):
    # before: pl.markers(groupby='batch') and pl.cluster_heatmap took any column but 'type'
    # for clusters: 'batch' got green, pink, yellow, brown (Dark2 away from the types) and
    # kept them, while pl.dendrogram(color='batch') first gave tab10; 'mine' as a dendrogram's
    # clusters= got colours away from that figure's color= columns
    adata = planted_with_columns()
    for role in [first] + [r for r in ROLES if r != first]:
        drawn = draw_as(role, adata, key)
        assert drawn == expected, role
        assert list(adata.uns[f"{key}_colors"]) == expected, role


def test_cluster_palette_is_dark2_with_nothing_to_avoid_and_spreads_beyond():
    assert cluster_palette(7) == ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e",
                                  "#e6ab02", "#a6761d"]
    assert cluster_palette(2, ["#1f77b4", "#ff7f0e"]) == ["#1b9e77", "#e7298a"]
    many = cluster_palette(12, TAB10[:2])
    assert len(set(many)) == 12
    assert cluster_palette(12, TAB10[:2]) == many  # deterministic
    assert len(cluster_palette(30)) == 30


def test_a_cut_beside_types_imports_no_matplotlib():
    # picking colours away from the types' must not load matplotlib for an analysis that
    # draws nothing (the palettes' '#rrggbb' colours are read without it)
    code = ("import sys, gexclust as gx\n"
            "from tests.conftest import make_planted\n"
            "a = make_planted(); gx.tl.hclust(a); gx.tl.cut(a, n_clusters=3)\n"
            "print(list(a.uns['cluster_colors']), 'matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "['#1b9e77', '#e7298a', '#e6ab02'] False"


# --- one column, the same colours in every figure (pl31) -----------------------------------

def clustered_example():
    adata = gx.datasets.gse9476_example()
    gx.pp.scale(adata)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    # a clusters column gexclust did not write (the user's, or scanpy's leiden): no colours
    adata.obs["mine"] = adata.obs["cluster"].map({"1": "a", "2": "b", "3": "c"}).astype(
        "category")
    return adata


def pixels(fig):
    """The figure as drawn: an RGB array, as its PNG would hold it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


def hex_at(fig, drawn, ax, x, y) -> str:
    """Colour of the pixel at data point (x, y) of ``ax``."""
    px, py = ax.transData.transform((x, y))
    row = drawn.shape[0] - 1 - round(py)  # display y runs up, image rows down
    return to_hex(drawn[row, round(px)] / 255)


def heatmap_group_colours(fig, n_groups) -> list[str]:
    drawn, strip = pixels(fig), fig.axes[0]
    return [hex_at(fig, drawn, strip, g, 0) for g in range(n_groups)]


def markers_group_colours(fig, n_groups) -> list[str]:
    from gexclust.pl._base import labels_of

    texts = labels_of(fig.axes[1], "left")
    assert len(texts) == n_groups
    return [to_hex(t.get_color()) for t in texts]


def dendrogram_group_colours(ax, adata, key) -> list[str]:
    """Colour drawn in the clusters bar under the first leaf of each cluster, by category."""
    fig = ax.figure
    drawn, bar = pixels(fig), fig.axes[-1]
    from gexclust.tl._tree_access import get_tree

    rows = get_tree(adata, "hclust", axis="obs").leaf_rows  # samples left to right
    codes = adata.obs[key].cat.codes.to_numpy()[rows]
    return [hex_at(fig, drawn, bar, int(np.flatnonzero(codes == c)[0]) + 0.5, 0.5)
            if (codes == c).any() else None  # a category no sample has is not drawn
            for c in range(len(adata.obs[key].cat.categories))]


def test_a_clusters_column_without_colours_is_drawn_alike_whichever_figure_comes_first():
    # before (pl31): pl.cluster_heatmap and pl.markers gave a column without colours tab10
    # and stored them, while pl.dendrogram picked Dark2 away from the types. Decided
    # (colours32): a column gexclust did not cut gets the category palette scanpy gives it
    # in every figure, so 'mine' a, b, c is blue, orange, green whichever comes first
    first = clustered_example()
    heat = heatmap_group_colours(
        gx.pl.cluster_heatmap(first, groupby="mine", n_genes=2, show=False), 3)
    ax = gx.pl.dendrogram(first, clusters="mine", show=False)
    tree = dendrogram_group_colours(ax, first, "mine")
    dots = markers_group_colours(gx.pl.markers(first, groupby="mine", n_genes=2, show=False), 3)
    assert heat == tree == dots == ["#1f77b4", "#ff7f0e", "#2ca02c"]
    assert list(first.uns["mine_colors"]) == heat

    second = clustered_example()
    ax = gx.pl.dendrogram(second, clusters="mine", show=False)
    assert dendrogram_group_colours(ax, second, "mine") == tree
    fig = gx.pl.cluster_heatmap(second, groupby="mine", n_genes=2, show=False)
    assert heatmap_group_colours(fig, 3) == heat


def test_the_types_keep_their_own_palette_as_groups():
    adata = clustered_example()
    fig = gx.pl.markers(adata, groupby="type", n_genes=2, show=False)
    n = len(adata.obs["type"].cat.categories)
    assert markers_group_colours(fig, n) == TAB10[:n] == list(adata.uns["type_colors"])


def test_invalid_stored_colours_are_replaced_with_a_warning_naming_them(caplog):
    # before: 'notacolour' stopped every figure as it was drawn, with matplotlib's
    # "Invalid RGBA argument: 'notacolour'", naming no column
    adata = clustered_example()
    adata.uns["cluster_colors"] = ["#ff0000", "notacolour", "blue"]
    with caplog.at_level("WARNING", logger="gexclust"):
        fig = gx.pl.cluster_heatmap(adata, n_genes=2, show=False)
    (record,) = caplog.records
    assert record.getMessage() == (
        ".uns['cluster_colors']: 'notacolour' is not a colour matplotlib can draw (1 such "
        "value(s)): new colours are picked for 'cluster'")
    assert heatmap_group_colours(fig, 3) == ["#1b9e77", "#e7298a", "#e6ab02"]
    assert list(adata.uns["cluster_colors"]) == ["#1b9e77", "#e7298a", "#e6ab02"]
    caplog.clear()
    ax = gx.pl.dendrogram(adata, show=False)  # stored now: no second warning, the same colours
    assert not caplog.records
    assert dendrogram_group_colours(ax, adata, "cluster") == ["#1b9e77", "#e7298a", "#e6ab02"]


def test_named_and_rgb_colours_set_by_hand_are_drawn_as_given():
    adata = clustered_example()
    adata.uns["cluster_colors"] = ["red", (0.0, 0.0, 1.0), "#00ff00"]
    fig = gx.pl.cluster_heatmap(adata, n_genes=2, show=False)
    ax = gx.pl.dendrogram(adata, show=False)
    assert heatmap_group_colours(fig, 3) == ["#ff0000", "#0000ff", "#00ff00"]
    assert dendrogram_group_colours(ax, adata, "cluster") == ["#ff0000", "#0000ff", "#00ff00"]
    assert list(adata.uns["cluster_colors"]) == ["red", (0.0, 0.0, 1.0), "#00ff00"]


def test_a_colour_list_of_another_length_is_replaced_with_a_warning(caplog):
    # before: replaced silently, so colours set by hand for 4 clusters were lost unsaid
    adata = clustered_example()
    adata.uns["cluster_colors"] = ["#000000", "#111111", "#222222", "#333333"]
    with caplog.at_level("WARNING", logger="gexclust"):
        fig = gx.pl.markers(adata, n_genes=2, show=False)
    (record,) = caplog.records
    assert record.getMessage() == (".uns['cluster_colors'] holds 4 colour(s) for the 3 "
                                   "categories of 'cluster': new colours are picked")
    assert markers_group_colours(fig, 3) == ["#1b9e77", "#e7298a", "#e6ab02"]


def test_stored_cluster_colours_stay_when_a_later_figure_draws_a_column_like_them():
    # decided: colours in .uns are never re-picked while usable, whoever picked them, so
    # every figure of a session shows a cluster in one colour; a clash is the user's to fix
    # (set .uns['cluster_colors'], or delete it before the figure)
    adata = clustered_example()
    before = list(adata.uns["cluster_colors"])
    adata.obs["batch"] = pd.Categorical(np.resize(["x", "y", "z"], adata.n_obs))
    adata.uns["batch_colors"] = list(before)  # the very colours of the clusters
    ax = gx.pl.dendrogram(adata, color="batch", show=False)
    assert dendrogram_group_colours(ax, adata, "cluster") == before
    assert list(adata.uns["cluster_colors"]) == before


def test_a_view_is_drawn_without_becoming_a_copy(caplog):
    # before: the figure stored new colours in the view's .uns, which anndata answers with
    # an ImplicitModificationWarning and by making the view a copy of its own
    adata = clustered_example()
    view = adata[adata.obs["mine"] != "c"]
    fig = gx.pl.cluster_heatmap(view, groupby="mine", n_genes=2, show=False)
    assert view.is_view
    assert "mine_colors" not in adata.uns
    # the same colours as the parent gets, and a second figure of the view agrees
    assert heatmap_group_colours(fig, 2) == ["#1f77b4", "#ff7f0e"]
    assert markers_group_colours(gx.pl.markers(view, groupby="mine", n_genes=2, show=False), 2) == [
        "#1f77b4", "#ff7f0e"]
    gx.pl.cluster_heatmap(adata, groupby="mine", n_genes=2, show=False)
    assert list(adata.uns["mine_colors"])[:2] == ["#1f77b4", "#ff7f0e"]


def test_pl_consensus_draws_the_classes_in_the_colours_every_other_figure_gives_them():
    # before: tl.consensus stored .uns['consensus_colors'] away from the types (green, pink,
    # yellow, brown for k = 4), but pl.consensus drew its class bar in plain Dark2 (green,
    # orange, purple, pink): class 2 was pink in the dendrogram, orange in pl.consensus
    adata = gx.datasets.gse9476_example()
    gx.pp.select_variable(adata, n_top=300, subset=True)
    gx.tl.consensus(adata, k_range=range(2, 5), n_resamples=10, progress=False)
    gx.tl.hclust(adata)
    fig = gx.pl.consensus(adata, show=False)
    bar = fig.axes[0]
    codes = np.asarray(bar.get_images()[0].get_array())[0]
    drawn = pixels(fig)
    classes = [hex_at(fig, drawn, bar, int(np.flatnonzero(codes == c)[0]) + 0.5, 0.5)
               for c in range(4)]
    tree = dendrogram_group_colours(gx.pl.dendrogram(adata, clusters="consensus", show=False),
                                    adata, "consensus")
    assert classes == tree == ["#1b9e77", "#e7298a", "#e6ab02", "#a6761d"]
    assert list(adata.uns["consensus_colors"]) == classes
    # another k's classes are no .obs column: a class that is one of the recommended k's
    # takes its colour (class 2 of k = 2 holds all 26 samples of class 4, brown); class 1,
    # half class 2 and half class 3, a colour of its own
    other = gx.pl.consensus(adata, k=2, show=False)
    assert list(other.axes[0].get_images()[0].cmap.colors) == ["#aec7e8", "#a6761d"]


def consensus_bar_colours(fig, k) -> list[str]:
    """Colours drawn in pl.consensus's class bar for the classes 1..k (read from pixels)."""
    bar = fig.axes[0]
    codes = np.asarray(bar.get_images()[0].get_array())[0]  # class - 1
    drawn = pixels(fig)
    return [hex_at(fig, drawn, bar, int(np.flatnonzero(codes == c)[0]) + 0.5, 0.5)
            for c in range(k)]


def test_pl_consensus_colours_follow_the_category_after_reordering_or_renaming():
    # before: once the categories of .obs['consensus'] were reordered (or a category was
    # added) pl.consensus drew its classes in Dark2 by position (#1b9e77 #d95f02 #7570b3
    # #e7298a) while the dendrogram drew each category in its stored colour
    adata = gx.datasets.gse9476_example()
    gx.pp.select_variable(adata, n_top=300, subset=True)
    gx.tl.consensus(adata, k_range=range(2, 5), n_resamples=10, progress=False)
    gx.tl.hclust(adata)
    stored = list(adata.uns["consensus_colors"])  # of categories '1', '2', '3', '4'
    column = adata.obs["consensus"]
    for changed in (column.cat.reorder_categories(["3", "1", "4", "2"]),
                    column.cat.rename_categories(["w", "x", "y", "z"]),
                    column.cat.add_categories(["none"]).cat.reorder_categories(
                        ["none", "4", "3", "2", "1"])):
        adata.obs["consensus"] = changed
        n = len(changed.cat.categories)
        adata.uns["consensus_colors"] = (["#000000"] if n == 5 else []) + stored
        # the colour of each category, as stored: class j's samples are in category of j
        colour_of = dict(zip(changed.cat.categories, adata.uns["consensus_colors"],
                             strict=True))
        expected = [colour_of[changed[column == str(j)].iloc[0]] for j in range(1, 5)]
        assert consensus_bar_colours(gx.pl.consensus(adata, show=False), 4) == expected
        tree = dendrogram_group_colours(
            gx.pl.dendrogram(adata, clusters="consensus", show=False), adata, "consensus")
        assert [tree[list(changed.cat.categories).index(changed[column == str(j)].iloc[0])]
                for j in range(1, 5)] == expected
    # another k's classes are no column: class 2 of k = 2 holds all of class 4 and takes
    # the colour class 4 is drawn in above (its category's, wherever it now is); class 1
    # (half class 2, half class 3) a colour of its own
    k2 = consensus_bar_colours(gx.pl.consensus(adata, k=2, show=False), 2)
    assert k2 == ["#aec7e8", expected[3]]
    assert expected[3] == "#1b9e77"


def test_consensus_colours_picked_again_by_a_figure_are_those_tl_consensus_picks():
    # before: with .uns['consensus_colors'] gone, a figure of .obs['consensus'] picked Dark2
    # away from the types, ['#1b9e77', '#e7298a', '#e6ab02'], where tl.consensus had picked
    # ['#1b9e77', '#e6ab02', '#a6761d']: class 2, half of cluster 2, took cluster 2's pink,
    # the one colour for two groups of samples that tl.consensus's matching is there to avoid
    adata = make_planted()  # three groups of 8
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=2)
    gx.tl.consensus(adata, k_range=range(2, 5), n_resamples=20, random_state=0, progress=False)
    picked = list(adata.uns["consensus_colors"])
    assert picked == ["#1b9e77", "#e6ab02", "#a6761d"]
    assert list(adata.uns["cluster_colors"]) == ["#1b9e77", "#e7298a"]
    del adata.uns["consensus_colors"]
    assert dendrogram_spec(adata, color="consensus").bars[0].colours == picked
    assert list(adata.uns["consensus_colors"]) == picked


def test_pl_consensus_at_another_k_keeps_the_recommended_k_colours_on_lung(tmp_path):
    # before: the classes of another k were matched to .obs['cluster'] only. Lung at k = 4:
    # class 4 is the 6 samples of class 4 at the recommended k = 8 (#ff9896 there), but was
    # drawn #aec7e8, the colour of class 2 at k = 8; class 3 (21 samples: all of class 3 at
    # k = 8, plus classes 5 and 6) took cluster 1's #1b9e77 instead of class 3's #98df8a
    from gexclust.cli import main

    data = shared_file("real/lung_pvclust.csv.gz")
    out = tmp_path / "out"
    assert main(["run", str(data), "-o", str(out), "--missing", "impute", "--consensus", "50",
                 "--no-report", "--formats", "png", "--quiet"]) == 0
    adata = ad.read_h5ad(out / "adata.h5ad")
    assert adata.uns["consensus"]["best_k"] == 8
    recommended = list(adata.uns["consensus_colors"])  # classes 1..8, in order
    assert adata.obs["consensus"].cat.categories.tolist() == [str(c) for c in range(1, 9)]
    ks = list(adata.uns["consensus"]["k"])
    at_4 = adata.obsm["consensus_classes"][:, ks.index(4)]
    at_8 = adata.obs["consensus"].astype(int).to_numpy()
    assert sorted(at_8[at_4 == 4]) == [4] * 6
    assert (at_8 == 4).sum() == 6
    drawn = consensus_bar_colours(gx.pl.consensus(adata, k=4, show=False), 4)
    assert drawn == ["#e7298a", "#e6ab02", "#98df8a", "#ff9896"]
    assert drawn[3] == recommended[3]
    assert drawn[2] == recommended[2]
    assert drawn[0] == recommended[0]  # class 1 at k = 4 is class 1 at k = 8 (16 samples)
    # class 2 (15 samples, no k = 8 class a majority of it) is cluster 3 (all its 8)
    assert drawn[1] == list(adata.uns["cluster_colors"])[2]
    assert "#aec7e8" not in drawn  # class 2's colour at k = 8, none of these groups


# --- more than 20 categories: scanpy's larger palettes (scanpy33) ------------------------

def _many_groups(n: int) -> ad.AnnData:
    obs = pd.DataFrame({"group": pd.Categorical([f"g{i:03d}" for i in range(n)])},
                       index=[f"s{i}" for i in range(n)])
    adata = ad.AnnData(np.zeros((n, 2)), obs=obs)
    adata.obsm["X_umap"] = np.random.default_rng(0).normal(size=(n, 2))
    return adata


def _scanpy_colours(adata: ad.AnnData, key: str) -> list[str]:
    """What sc.pl.umap(color=key) stores for ``key`` (taken out again)."""
    import warnings

    import scanpy as sc

    with warnings.catch_warnings():  # matplotlib 3.11 on scanpy's cmap.set_bad, not ours
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        sc.pl.umap(adata, color=key, show=False)
    return list(adata.uns.pop(f"{key}_colors"))


@pytest.mark.parametrize(("n", "greys"), [(21, {}), (28, {24: "#7f7f7f", 25: "#c7c7c7"}),
                                          (29, {14: "#997d87", 16: "#809693"}),
                                          (102, {14: "#997d87", 16: "#809693", 44: "#c0b9b2",
                                                 64: "#b4a8bd", 70: "#938a81", 92: "#99adc0"})])
def test_more_than_20_categories_get_scanpy_colours_but_its_greys(n, greys):
    # before: evenly spaced hues from 21 categories on ('#e6194b'-like reds first), while
    # sc.pl.umap stores its 28 colours (21-28) or 102 (29-102): a column drawn by scanpy and by
    # gexclust had two sets of colours
    adata = _many_groups(n)
    theirs = _scanpy_colours(adata, "group")
    ours = gx._palette.ensure_colors(adata, "group")
    assert {i for i, (a, b) in enumerate(zip(theirs, ours, strict=True)) if a != b} == set(greys)
    assert {i: theirs[i] for i in greys} == greys
    assert len(set(ours)) == n
    # no category in a colour that reads as the grey of samples without a label
    assert min(delta_e(c, gx._palette.MISSING_COLOUR) for c in ours) >= 16.0


def test_more_categories_than_scanpy_has_colours_for_are_not_all_grey():
    adata = _many_groups(103)
    assert set(_scanpy_colours(adata, "group")) == {"#808080"}  # scanpy: one grey for all
    ours = gx._palette.ensure_colors(adata, "group")
    assert len(set(ours)) == 103
    assert min(delta_e(c, gx._palette.MISSING_COLOUR) for c in ours) >= 16.0


def test_cluster_colours_stay_cluster_colours_beyond_20_and_import_no_scanpy():
    code = ("import sys\n"
            "from gexclust._palette import cluster_palette, palette\n"
            "a, b = palette(20), cluster_palette(40)\n"
            "print(len(set(b)), 'scanpy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).parents[2])
    assert out.stdout.split() == ["40", "False"]
    assert cluster_palette(22)[:7] == cluster_palette(7)  # Dark2 first, then tab20


def test_neighbouring_clusters_of_a_many_cluster_cut_get_unlike_colours():
    # clusters are numbered along the tree; beyond 25 their colours were hues in order, so
    # clusters side by side got neighbouring hues (45 clusters: the bars of two neighbours
    # CIELAB ΔE 6.2 apart, 16-17-18 all green, 44-45 both red)
    rng = np.random.default_rng(1)
    adata = ad.AnnData(rng.normal(size=(150, 40)))
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=45)
    bar = dendrogram_spec(adata, color=None).bars[-1]  # the clusters' bar, in leaf order
    runs = [code for i, code in enumerate(bar.codes) if i == 0 or code != bar.codes[i - 1]]
    assert sorted(runs) == list(range(45))  # each cluster one run of leaves, 1 to 45
    side_by_side = [delta_e(bar.colours[a], bar.colours[b]) for a, b in itertools.pairwise(runs)]
    assert min(side_by_side) > 60
    assert bar.colours == list(adata.uns["cluster_colors"])
    assert len(set(bar.colours)) == 45


# --- plain-string columns keep their colours after subsetting (scanpy33) -------------------

def test_a_plain_string_column_keeps_its_colours_after_subsetting(caplog):
    # before: a string (object) column's colours were stored per sorted value, but anndata
    # trims '<key>_colors' with the categories only for categoricals: without 'b2', 'b3' was
    # drawn orange instead of green, 'b10' green instead of red, with a warning that the
    # 4 stored colours did not fit 3 categories. scanpy's plots make string columns
    # categorical first (sanitize_anndata); so do ours, in anndata's natural order
    adata = make_planted(n_per_group=4)
    adata.obs["batch"] = np.resize(["b1", "b2", "b3", "b10"], adata.n_obs).astype(object)
    gx.tl.hclust(adata)
    dendrogram_spec(adata, color="batch")
    assert list(adata.obs["batch"].cat.categories) == ["b1", "b2", "b3", "b10"]
    before = dict(zip(adata.obs["batch"].cat.categories, adata.uns["batch_colors"],
                      strict=True))
    assert before == {"b1": "#1f77b4", "b2": "#ff7f0e", "b3": "#2ca02c", "b10": "#d62728"}
    subset = adata[adata.obs["batch"] != "b2"].copy()
    gx.tl.hclust(subset)
    with caplog.at_level("WARNING", logger="gexclust"):
        spec = dendrogram_spec(subset, color="batch")
    assert not caplog.records
    bar = next(bar for bar in spec.bars if bar.label == "batch")
    drawn = {subset.obs["batch"].iloc[leaf]: bar.colours[code] for leaf, code in
             zip(subset.uns["hclust"]["leaves"], bar.codes, strict=True)}
    assert drawn == {"b1": "#1f77b4", "b3": "#2ca02c", "b10": "#d62728"}


def test_storing_a_string_column_as_categorical_is_said_at_info_as_anndata_says_it(caplog):
    # before: pl.dendrogram(color='batch') changed the user's object column to a categorical
    # in silence; anndata logs "... storing 'batch' as categorical" at INFO when scanpy's
    # plots do the same. The figures' docstrings said adata changed by missing colours only
    adata = make_planted(n_per_group=4)
    adata.obs["batch"] = np.resize(["b1", "b2", "b10"], adata.n_obs).astype(object)
    gx.tl.hclust(adata)
    with caplog.at_level("INFO", logger="gexclust"):
        dendrogram_spec(adata, color="batch")
    said = [r.getMessage() for r in caplog.records if "categorical" in r.getMessage()]
    assert said == ["pl: .obs['batch'] is stored as categorical now, its colours one per "
                    "category, as scanpy's plots store a string column they colour"]
    assert list(adata.obs["batch"].cat.categories) == ["b1", "b2", "b10"]
    caplog.clear()
    with caplog.at_level("INFO", logger="gexclust"):
        dendrogram_spec(adata, color="batch")  # categorical already: nothing more to say
    assert not [r for r in caplog.records if "categorical" in r.getMessage()]
