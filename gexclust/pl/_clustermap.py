"""Two-way clustered heatmap: samples x top genes, with both trees and annotation bars."""

from __future__ import annotations

import os

import numpy as np
from anndata import AnnData
from scipy.cluster import hierarchy

from .._palette import ensure_colors
from .._utils import float_matrix, get_matrix
from ..tl._hclust import pairwise_distances
from ._base import finish, leaf_fontsize, mark_simulated, new_figure
from ._dendrogram import _colour_bar, _legend, _tree
from ._labels import gene_labels
from ._tree import draw_dendrogram


def clustermap(
    adata: AnnData,
    *,
    key: str = "hclust",
    n_genes: int = 50,
    color: str | None = "type",
    clusters: str | None = "cluster",
    layer: str | None = None,
    gene_symbols: str | None = "gene_symbol",
    gene_method: str = "average",
    gene_metric: str = "correlation",
    vmax: float = 3.0,
    cmap: str = "RdBu_r",
    figsize: tuple[float, float] | None = None,
    show: bool | None = None,
    save: str | os.PathLike | None = None,
):
    """Samples x most variable genes, ordered by the sample tree and a tree of those genes.

    The sample tree is the one in ``.uns[key]`` (so the plot shows the clustering you made);
    the gene tree is computed for the shown genes with ``gene_method``/``gene_metric``. Values
    are z-scored per gene for display and clipped at ``±vmax``.

    Parameters
    ----------
    adata
        Annotated data matrix with a sample tree from :func:`~gexclust.tl.hclust`.
    key
        Key of the sample tree in ``.uns``.
    n_genes
        Number of genes: the most variable ones (``.var['variability_rank']`` from
        :func:`~gexclust.pp.select_variable` when present, else variance).
    color
        Categorical ``.obs`` annotation bar (default ``'type'``).
    clusters
        Categorical ``.obs`` cluster column for a second bar; skipped when absent.
    layer
        Values to show; ``.X`` by default.
    gene_symbols
        ``.var`` column with gene symbols for the column labels.
    gene_method
        Linkage method of the gene tree.
    gene_metric
        Distance of the gene tree.
    vmax
        Colour limit of the z-scores.
    cmap
        Matplotlib colour map.
    figsize
        Figure size in inches; by default it grows with the numbers of samples and genes.
    show
        Show the figure (``plt.show()``).
    save
        Write the figure to this path (format from the extension), atomically.

    Returns
    -------
    The Figure.
    """
    tree = _tree(adata, key)
    Z_samples = np.asarray(tree["linkage"])
    sample_order = np.asarray(tree["leaves"])
    X = float_matrix(get_matrix(adata, layer=layer))
    genes = _top_genes(adata, X, n_genes)
    values = _z(X[:, genes])
    Z_genes = hierarchy.linkage(
        pairwise_distances(values.T, metric=gene_metric), method=gene_method
    )
    gene_order = hierarchy.leaves_list(Z_genes)
    bars = [c for c in (color, clusters) if c is not None and c in adata.obs]

    n_obs, n_shown = adata.n_obs, len(genes)
    fig = new_figure(
        figsize or (4.5 + 0.16 * n_shown + 0.3 * len(bars), 2.5 + 0.15 * n_obs), show=show
    )
    grid = fig.add_gridspec(
        2, 2 + len(bars), width_ratios=[2.0] + [0.25] * len(bars) + [0.16 * n_shown],
        height_ratios=[1.5, 0.15 * n_obs], wspace=0.03, hspace=0.02,
    )
    heat = fig.add_subplot(grid[1, 1 + len(bars)])
    left = fig.add_subplot(grid[1, 0])
    top = fig.add_subplot(grid[0, 1 + len(bars)])
    draw_dendrogram(left, Z_samples, sample_order, orientation="left")
    draw_dendrogram(top, Z_genes, gene_order)
    for i, bar in enumerate(bars):
        bar_ax = fig.add_subplot(grid[1, 1 + i])
        _colour_bar(bar_ax, adata, bar, sample_order, vertical=True)
    image = heat.imshow(
        values[np.ix_(sample_order, gene_order)], aspect="auto", cmap=cmap, vmin=-vmax,
        vmax=vmax, interpolation="nearest", extent=(0, n_shown, n_obs, 0),
    )
    _axis_labels(heat, adata, adata.var_names[genes[gene_order]], sample_order, gene_symbols)
    # axes are aligned by their limits, not shared, which keeps tick layout cheap
    for ax in (left, top):
        ax.tick_params(left=False, bottom=False, labelleft=False, labelbottom=False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    corner = fig.add_subplot(grid[0, 0])
    corner.axis("off")
    cax = corner.inset_axes((0.1, 0.6, 0.8, 0.12))
    fig.colorbar(image, cax=cax, orientation="horizontal", label="z-score (per gene)")
    if color is not None and color in adata.obs:
        colours = dict(zip(adata.obs[color].cat.categories, ensure_colors(adata, color),
                           strict=True))
        _legend(top, colours, title=color)
    top.set_title(f"{n_obs} samples x top {n_shown} variable genes", fontsize=10, loc="left")
    mark_simulated(fig, adata)
    finish(fig, show=show, save=save)
    return fig


def _top_genes(adata: AnnData, X: np.ndarray, n_genes: int) -> np.ndarray:
    if "variability_rank" in adata.var:
        rank = adata.var["variability_rank"].to_numpy()
    else:
        rank = np.argsort(np.argsort(-X.var(axis=0), kind="stable"), kind="stable")
    return np.sort(np.argsort(rank, kind="stable")[: min(n_genes, adata.n_vars)])


def _z(values: np.ndarray) -> np.ndarray:
    sd = values.std(axis=0, ddof=1)
    return (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _axis_labels(heat, adata, genes, sample_order, gene_symbols) -> None:
    n_obs, n_genes = len(sample_order), len(genes)
    # label size from the space each row/column really has, whatever figsize was asked for
    width_in, height_in = heat.figure.get_size_inches()
    box = heat.get_position()
    heat.set_yticks(np.arange(n_obs) + 0.5, adata.obs_names[sample_order],
                    fontsize=leaf_fontsize(box.height * height_in / n_obs))
    heat.yaxis.tick_right()
    heat.set_xticks(np.arange(n_genes) + 0.5, gene_labels(adata, genes, gene_symbols=gene_symbols),
                    rotation=90, fontsize=leaf_fontsize(box.width * width_in / n_genes))
    heat.tick_params(length=0)
