"""Cluster colours never look like the colours of the annotation drawn beside them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
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
    ax = gx.pl.dendrogram(genes, leaf_labels="title")
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


def test_missing_cluster_colours_avoid_the_annotation_of_that_figure():
    # before: a clusters column without colours got tab10, the very colours of 'batch'
    adata = make_planted()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    del adata.uns["cluster_colors"]
    adata.obs["batch"] = pd.Categorical(["b1", "b2", "b3", "b4"] * 6)
    spec = dendrogram_spec(adata, color="batch")
    assert list(adata.uns["batch_colors"]) == TAB10[:4]
    assert closest(spec.bars[-1].colours, TAB10[:4]) >= MIN_DELTA_E
    assert list(adata.uns["cluster_colors"]) == spec.bars[-1].colours


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
