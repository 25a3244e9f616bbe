"""Heatmap of mean expression per cluster for the genes that tell the clusters apart."""

from __future__ import annotations

import os

import numpy as np
from anndata import AnnData

from .._palette import ensure_colors
from .._utils import float_matrix, get_matrix
from ..tl._markers import markers as rank_markers
from ._base import finish, mark_simulated, new_figure
from ._labels import gene_labels


def cluster_heatmap(
    adata: AnnData,
    *,
    groupby: str = "cluster",
    n_genes: int = 8,
    layer: str | None = None,
    gene_symbols: str | None = "gene_symbol",
    scale_rows: bool = True,
    annotate: bool = False,
    cmap: str = "RdBu_r",
    figsize: tuple[float, float] | None = None,
    show: bool | None = None,
    save: str | os.PathLike | None = None,
):
    """Mean expression per cluster of each cluster's top marker genes.

    For every group, the ``n_genes`` genes with the highest one-vs-rest Welch t statistic (see
    :func:`gexclust.tl.markers`) are shown, grouped by the cluster they mark, so the rows
    explain what makes each cluster distinct. Rows are labelled with gene symbols where
    ``.var[gene_symbols]`` has them.

    Parameters
    ----------
    adata
        Annotated data matrix with the groups in ``.obs[groupby]``.
    groupby
        Categorical ``.obs`` column of the clusters.
    n_genes
        Marker genes per cluster.
    layer
        Expression to average (e.g. ``'log2'``, the values before scaling); ``.X`` by default.
    gene_symbols
        ``.var`` column with gene symbols for the row labels.
    scale_rows
        Colour by the row z-score of the cluster means (as pheatmap's ``scale='row'``) so genes
        of different brightness compare; the annotated numbers stay the raw means.
    annotate
        Write each cluster mean into its cell.
    cmap
        Matplotlib colour map.
    figsize
        Figure size in inches; by default it grows with the number of rows.
    show
        Show the figure (``plt.show()``).
    save
        Write the figure to this path (format from the extension), atomically.

    Returns
    -------
    The Figure. Also stores the marker table in ``.uns['markers']``.
    """
    table = rank_markers(adata, groupby=groupby, n_genes=n_genes, layer=layer)
    genes = list(dict.fromkeys(table["gene"]))
    groups = list(adata.obs[groupby].cat.categories)
    X = float_matrix(get_matrix(adata, layer=layer))
    codes = adata.obs[groupby].cat.codes.to_numpy()
    columns = adata.var_names.get_indexer(genes)
    means = np.stack([X[codes == g][:, columns].mean(axis=0) for g in range(len(groups))], axis=1)
    shown = _row_z(means) if scale_rows else means

    n_rows = len(genes)
    fig = new_figure(figsize or (2.6 + 0.75 * len(groups), 1.6 + 0.22 * n_rows), show=show)
    grid = fig.add_gridspec(2, 2, height_ratios=[0.25, n_rows * 0.22], width_ratios=[20, 1],
                            hspace=0.02, wspace=0.05)
    top = fig.add_subplot(grid[0, 0])
    ax = fig.add_subplot(grid[1, 0])
    cax = fig.add_subplot(grid[1, 1])
    image = ax.imshow(shown, aspect="auto", cmap=cmap, interpolation="nearest",
                      vmin=-np.abs(shown).max() if scale_rows else None,
                      vmax=np.abs(shown).max() if scale_rows else None)
    if annotate:
        _annotate(ax, means, shown)
    ax.set_yticks(np.arange(n_rows), gene_labels(adata, genes, gene_symbols=gene_symbols),
                  fontsize=7)
    ax.set_xticks(np.arange(len(groups)), [f"{groupby} {g}" for g in groups], fontsize=8)
    _group_strip(top, adata, groupby, len(groups))
    fig.colorbar(image, cax=cax, label="row z-score of mean" if scale_rows else "mean")
    top.set_title(f"Mean expression per {groupby}: top {n_genes} markers each", fontsize=10)
    mark_simulated(fig, adata)
    finish(fig, show=show, save=save)
    return fig


def _row_z(means: np.ndarray) -> np.ndarray:
    centred = means - means.mean(axis=1, keepdims=True)
    sd = means.std(axis=1, keepdims=True)
    return centred / np.where(sd > 0, sd, 1.0)


def _annotate(ax, means: np.ndarray, shown: np.ndarray) -> None:
    limit = np.abs(shown).max() or 1.0
    for (i, j), value in np.ndenumerate(means):
        dark = abs(shown[i, j]) > 0.6 * limit
        ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=6,
                color="white" if dark else "black")


def _group_strip(ax, adata: AnnData, groupby: str, n_groups: int) -> None:
    from matplotlib.colors import ListedColormap

    colours = ensure_colors(adata, groupby)
    ax.imshow(np.arange(n_groups)[None, :], aspect="auto", cmap=ListedColormap(colours),
              vmin=-0.5, vmax=n_groups - 0.5)
    ax.set_yticks([])
    ax.tick_params(axis="x", bottom=False, labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(False)
