"""Heatmap of mean expression per cluster for the genes that tell the clusters apart.

:func:`cluster_heatmap_spec` ranks the markers and averages; :func:`draw_cluster_heatmap`
draws with numpy and matplotlib alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._api import named
from ._base import (
    check_plot_arguments,
    colour_strip,
    finish,
    grown_canvas,
    label_inches,
    mark_simulated,
    new_figure,
    no_ticks,
    side_labels,
    strip_layout,
)

if TYPE_CHECKING:
    from anndata import AnnData


@dataclass
class ClusterHeatmapSpec:
    """What the heatmap shows: genes x groups means, the colours' values, labels and title."""

    means: np.ndarray
    shown: np.ndarray
    scale_rows: bool
    colour_label: str
    row_labels: list[str]
    column_labels: list[str]
    group_colours: list[str]
    title: str
    annotate: bool
    cmap: str
    simulated: bool


@named("pl.cluster_heatmap")
def cluster_heatmap(
    adata: AnnData,
    *,
    groupby: str = "cluster",
    n_genes: int = 8,
    layer: str | None = None,
    use_raw: bool | None = None,
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
        ``.obs`` column of the clusters (categorical or plain strings); empty groups and
        samples without a group are left out. With a single group there are no markers, and
        the most variable genes are shown instead. Colours as in :func:`markers`.
    n_genes
        Marker genes per cluster.
    layer
        Expression to average (e.g. ``'expression'``, the values before scaling). By default
        ``.X``, with :func:`~gexclust.pp.scale` undone when it z-scored ``.X`` (as a layer
        it z-scored with ``layer=``), so the means are expression, not z-scores.
    use_raw
        Rank and average ``.raw``, as :func:`~gexclust.tl.markers` (and scanpy): by default
        when ``adata`` has a ``.raw`` and no ``layer`` is given.
    gene_symbols
        ``.var`` column with gene symbols for the row labels (the default is skipped when
        absent; another name that is no column is refused).
    scale_rows
        Colour by the row z-score of the cluster means (as pheatmap's ``scale='row'``: the
        standard deviation with n - 1, as R's ``sd``) so genes
        of different brightness compare; the annotated numbers stay the raw means. With two
        groups a row z-score is always -1 and +1, which hides how far apart they are: rows
        are then only centred (each mean minus the row's mean, in expression units).
    annotate
        Write each cluster mean into its cell.
    cmap
        Matplotlib colour map.
    figsize
        Figure size in inches; by default it grows with the number of rows.
    show
        Show the figure and return None, as scanpy's ``sc.pl.*``: by default where pyplot
        manages figures (a notebook, an interactive session), with ``True`` by ``plt.show()``
        in any case. ``False`` returns the Figure instead, for more drawing.
    save
        Write the figure to this path (format from the extension), atomically; a name
        without an extension gets that of matplotlib's ``rcParams['savefig.format']``
        (``'tree'`` is written as ``tree.png``), as ``savefig`` adds it.

    Returns
    -------
    None once shown (by default; ``save`` changes nothing here), as scanpy's ``sc.pl.*``; with
    ``show=False`` the Figure. Nothing is written to ``adata`` except missing colours
    (``.uns[f'{groupby}_colors']``) and a plain-string ``groupby`` column, stored as the
    categorical its colours are of (as scanpy's plots do; logged at INFO);
    ``.uns['markers']`` of :func:`~gexclust.tl.markers` is neither read nor replaced.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=300, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> gx.tl.cut(adata, n_clusters=3)
    >>> fig = gx.pl.cluster_heatmap(adata, n_genes=4, show=False)
    >>> fig.axes[1].get_images()[0].get_array().shape  # 3 clusters x 4 markers, as rows
    (12, 3)
    >>> "markers" in adata.uns
    False
    """
    check_plot_arguments(figsize=figsize, save=save, cmap=cmap)
    spec = cluster_heatmap_spec(adata, groupby=groupby, n_genes=n_genes, layer=layer,
                                use_raw=use_raw, gene_symbols=gene_symbols, scale_rows=scale_rows,
                                annotate=annotate, cmap=cmap)
    fig = draw_cluster_heatmap(spec, figsize=figsize, show=show)
    return finish(fig, fig, show=show, save=save)


def cluster_heatmap_spec(
    adata: AnnData,
    *,
    groupby: str = "cluster",
    n_genes: int = 8,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = "gene_symbol",
    scale_rows: bool = True,
    annotate: bool = False,
    cmap: str = "RdBu_r",
    ranked=None,
) -> ClusterHeatmapSpec:
    """Rank markers and average them, for :func:`cluster_heatmap` (stores nothing).

    ``ranked``: :func:`~gexclust.tl._markers.ranked_markers`'s of ``groupby``, ``layer`` and
    ``use_raw``, when ranked already (``gexclust run`` ranks the clusters once).
    """
    from .._labels import check_gene_symbols
    from .._palette import ensure_colors
    from .._utils import column_mean_sd
    from ..tl._markers import check_n_genes, no_groupby_column, ranked_markers
    from ._labels import gene_labels, var_positions

    if groupby not in adata.obs:
        raise KeyError(no_groupby_column(adata, groupby, caller="pl.cluster_heatmap"))
    check_n_genes(n_genes, caller="pl.cluster_heatmap")
    if ranked is None:
        # markers ranked as tl.markers ranks them, from the values the heatmap averages
        ranked = ranked_markers(adata, groupby=groupby, layer=layer, use_raw=use_raw,
                                caller="pl.cluster_heatmap", gene_symbols=gene_symbols)
    values, column, codes = ranked.values, ranked.groups, ranked.codes
    X = values.X
    genes_of = adata.raw if values.source == ".raw" else adata  # whose genes X has
    check_gene_symbols(genes_of.var, gene_symbols, caller="pl.cluster_heatmap",
                       where=".raw.var" if values.source == ".raw" else ".var")
    present = [g for g in range(len(column.categories)) if (codes == g).any()]
    if not present:  # a dynamic cut that found no cluster: numpy's "need at least one array"
        msg = (f"pl.cluster_heatmap: no sample has a label in .obs[{groupby!r}] (every value is "
               "missing), so there is no group to average; cut the tree again (tl.cut) or "
               "pass another groupby")
        raise ValueError(msg)
    # z-scores nothing can undo (marker_values has warned): say what the colours are
    what = "z-score" if values.scale[0] == "z-scores" else "expression"
    if len(present) >= 2:
        table = ranked.table(n_genes=n_genes, direction="up", gene_symbols=None,
                             caller="pl.cluster_heatmap")
        genes = var_positions(genes_of, table["gene"], caller="pl.cluster_heatmap")
        title = f"Mean {what} per {groupby}: top {n_genes} markers each"
    else:
        # one group has no markers (there is no rest); show what varies most instead
        # float32 summed in float64 (column_mean_sd), as pp.select_variable ranks genes
        genes = np.argsort(-column_mean_sd(X, ddof=0)[1], kind="stable")[:n_genes]
        title = f"One {groupby} only: mean of the {len(genes)} most variable genes"
    means = np.stack([X[codes == g][:, genes].mean(axis=0) for g in present], axis=1)
    colours = ensure_colors(adata, groupby)
    shown, colour_label = _row_scaled(means, what) if scale_rows else (means, f"mean {what}")
    return ClusterHeatmapSpec(
        means=means, shown=shown, scale_rows=scale_rows, colour_label=colour_label,
        row_labels=gene_labels(genes_of, genes, gene_symbols=gene_symbols),
        column_labels=[f"{groupby} {column.categories[g]}" for g in present],
        group_colours=[colours[g] for g in present],
        title=title, annotate=annotate, cmap=cmap,
        simulated=adata.uns.get("simulated") is not None,
    )


#: Room right of a colour bar for its numbers and label (10 pt), in inches.
COLOUR_BAR_INCHES = 0.9


def draw_cluster_heatmap(spec: ClusterHeatmapSpec, *, figsize=None, show=None):
    """Draw ``spec`` into a new figure and return it."""
    n_rows, n_groups = spec.shown.shape
    size, margins = figsize or (2.6 + 0.75 * n_groups, 1.6 + 0.22 * n_rows), {}
    if figsize is None:  # the gene names left of the rows, the colour bar's numbers right
        size, margins = grown_canvas(
            size, left=label_inches(spec.row_labels, 7) + 0.1, right=COLOUR_BAR_INCHES)
    fig = new_figure(size, show=show)
    top, ax, cax = strip_layout(fig, strip=0.25, main=n_rows * 0.22, hspace=0.02, **margins)
    # colours centred on 0 when rows are (z-scores, or centred means)
    limit = np.abs(spec.shown).max() if spec.scale_rows and spec.shown.shape[1] > 1 else None
    image = ax.imshow(spec.shown, aspect="auto", cmap=spec.cmap, interpolation="nearest",
                      vmin=-limit if limit is not None else None, vmax=limit)
    if spec.annotate:
        _annotate(ax, image, spec.means, spec.shown)
    no_ticks(ax)
    side_labels(ax, spec.row_labels, side="left", fontsize=7, positions=np.arange(n_rows))
    side_labels(ax, spec.column_labels, side="bottom", fontsize=8, positions=np.arange(n_groups),
                rotation=_column_label_rotation(ax, spec.column_labels, fontsize=8))
    colour_strip(top, spec.group_colours, frame=False)
    fig.colorbar(image, cax=cax, label=spec.colour_label)
    top.set_title(spec.title, fontsize=10, parse_math=False)  # names a column
    mark_simulated(fig, spec.simulated)
    return fig


def _column_label_rotation(ax, labels: list[str], *, fontsize: float) -> float:
    """90 (upright) when the longest label is wider than a column, else 0 (level).

    Cell types as groups ('bulk_labels CD4+/CD45RA+/CD25- Naive T') written level ran into
    each other; 'cluster 1' fits. A character is ~0.6 em wide.
    """
    column_in = ax.get_position().width * ax.figure.get_size_inches()[0] / len(labels)
    longest_in = max(map(len, labels)) * 0.6 * fontsize / 72
    return 90.0 if longest_in > column_in else 0.0


def _row_scaled(means: np.ndarray, what: str) -> tuple[np.ndarray, str]:
    """Row z-scores of the means and their colour bar's label; only centred for two groups."""
    if means.shape[1] == 1:  # nothing to compare within a row: the means themselves
        return means, f"mean {what}"
    centred = means - means.mean(axis=1, keepdims=True)
    if means.shape[1] == 2:  # the z-scores of two values are -1 and +1, whatever they are
        return centred, "mean minus row mean"
    # R's sd (n - 1), as pheatmap's scale='row' divides by: numpy's default (n) gave colour
    # bar numbers sqrt(k / (k - 1)) times pheatmap's (1.22 for three clusters)
    sd = means.std(axis=1, ddof=1, keepdims=True)
    return centred / np.where(sd > 0, sd, 1.0), "row z-score of mean"


def _annotate(ax, image, means: np.ndarray, shown: np.ndarray) -> None:
    """Each mean in its cell, white on dark cells and black on light ones.

    Dark is judged on the colour drawn (its luminance), not on the value: uncentred means
    (``scale_rows=False``) run from one end of the colour map to the other, so the largest
    values are not the darkest cells.
    """
    rgba = image.cmap(image.norm(shown))
    luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    for (i, j), value in np.ndenumerate(means):
        ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=6,
                color="white" if luminance[i, j] < 0.5 else "black")
