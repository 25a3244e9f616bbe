"""Two-way clustered heatmap: samples x top genes, with both trees and annotation bars.

:func:`clustermap_spec` reads the data and computes the gene tree; :func:`draw_clustermap`
draws with numpy and matplotlib alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._api import named
from .._checks import check_positive, check_whole
from .._labels import check_labels
from ._base import (
    DPI,
    check_plot_arguments,
    finish,
    grown_canvas,
    label_inches,
    leaf_fontsize,
    mark_simulated,
    new_figure,
    no_frame,
    no_ticks,
    side_labels,
)
from ._colour_bar import (
    ColourBar,
    colour_bar_spec,
    draw_colour_bar,
    draw_legend,
    drawn_key,
    drawn_keys,
    legend_colours,
    legend_texts,
)
from ._tree import draw_dendrogram

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anndata import AnnData


#: Beyond this many genes the columns are not labelled (labels would be under 3 pt).
MAX_GENE_LABELS = 200

#: Beyond this many samples the rows are not labelled (labels would be under 3 pt).
MAX_SAMPLE_LABELS = 200

#: Widest heatmap drawn by default, in inches.
MAX_HEAT_INCHES = 14.0

#: Tallest heatmap drawn by default, in inches (at 0.15 inch a row: 100 samples).
MAX_HEAT_HEIGHT = 15.0


@dataclass
class ClustermapSpec:
    """What the clustermap shows: both trees, the z-scores in display order, labels and bars."""

    sample_linkage: np.ndarray
    sample_order: np.ndarray
    gene_linkage: np.ndarray
    gene_order: np.ndarray
    values: np.ndarray
    sample_labels: list[str]
    gene_labels: list[str]
    bars: list[ColourBar]
    legends: list[tuple[str, dict[str, str]]]  # (column, {category: colour}) per colour bar
    vmax: float
    cmap: str
    simulated: bool
    genes_title: str = ""


@named("pl.clustermap")
def clustermap(
    adata: AnnData,
    *,
    key: str = "hclust",
    n_genes: int | None = 50,
    gene_key: str | None = None,
    color: str | Sequence[str] | None = "type",
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
        :func:`~gexclust.pp.select_variable` when present, else variance); ``None`` for all
        genes (two-way clustering of the whole matrix; the gene tree then comes from the same
        large-n engines as :func:`~gexclust.tl.hclust`, and gene labels are left out beyond 200
        genes). Genes constant across the samples are skipped; fewer than 2 varying genes is
        an error. Many samples (cells) fit too: beyond 100 the heatmap stops growing, rows
        are averaged over runs of adjacent samples in tree order when there are more than
        pixels (the title says so), and sample labels are left out beyond 200.
    gene_key
        Use the gene tree in ``.uns[gene_key]`` from ``tl.hclust(adata, axis='var')`` (all its
        genes, in its order) instead of computing one; ``n_genes``, ``gene_method`` and
        ``gene_metric`` are then not used.
    color
        Categorical ``.obs`` annotation bar, or a list of columns, one bar each (default
        ``'type'``, skipped when absent; another missing column is an error). A numeric
        column is a viridis gradient, as in
        :func:`dendrogram`.
    clusters
        Categorical ``.obs`` cluster column for a second bar (default ``'cluster'``, skipped
        when absent). Whole numbers get one colour each; numbers with fractions are refused.
    layer
        Values to show; ``.X`` by default.
    gene_symbols
        ``.var`` column with gene symbols for the column labels (the default is skipped when
        absent; another name that is no column is refused).
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
    ``show=False`` the Figure. ``adata`` is not changed except for missing colours
    (``.uns[f'{color}_colors']``, ``.uns[f'{clusters}_colors']``) and plain-string columns
    coloured, stored as the categoricals their colours are of, as in :func:`dendrogram`.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=300, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> fig = gx.pl.clustermap(adata, n_genes=20, show=False)
    >>> len(fig.axes) > 2
    True
    """
    check_plot_arguments(figsize=figsize, save=save, cmap=cmap)
    if n_genes is not None:
        check_whole("n_genes", n_genes, minimum=2, caller="pl.clustermap",
                    what=" (the most variable genes shown; a gene tree needs two), or None "
                    "for all")
    check_positive("vmax", vmax, caller="pl.clustermap",
                   what=" (z-scores are coloured from -vmax to vmax)")
    spec = clustermap_spec(adata, key=key, n_genes=n_genes, gene_key=gene_key, color=color,
                           clusters=clusters,
                           layer=layer, gene_symbols=gene_symbols, gene_method=gene_method,
                           gene_metric=gene_metric, vmax=vmax, cmap=cmap)
    fig = draw_clustermap(spec, figsize=figsize, show=show)
    return finish(fig, fig, show=show, save=save)


def clustermap_spec(
    adata: AnnData,
    *,
    key: str = "hclust",
    n_genes: int | None = 50,
    gene_key: str | None = None,
    color: str | Sequence[str] | None = "type",
    clusters: str | None = "cluster",
    layer: str | None = None,
    gene_symbols: str | None = "gene_symbol",
    gene_method: str = "average",
    gene_metric: str = "correlation",
    vmax: float = 3.0,
    cmap: str = "RdBu_r",
) -> ClustermapSpec:
    """Read and compute what :func:`clustermap` shows (parameters as there)."""
    from scipy.cluster import hierarchy

    from .._labels import check_gene_symbols
    from .._utils import float_matrix, get_matrix
    from ..tl._linkage import build_tree
    from ..tl._methods import check_method_metric
    from ..tl._tree_access import get_tree
    from ._labels import gene_labels

    tree = get_tree(adata, key, axis="obs", caller="pl.clustermap")
    check_gene_symbols(adata.var, gene_symbols, caller="pl.clustermap")
    rows = tree.leaf_rows  # samples in dendrogram order
    X = float_matrix(get_matrix(adata, layer=layer, caller="pl.clustermap"))
    if gene_key is not None:
        gene_tree = get_tree(adata, gene_key, axis="var", caller="pl.clustermap")
        genes = np.arange(adata.n_vars)
        Z_genes, gene_leaves = gene_tree.linkage, gene_tree.leaves
        columns = gene_tree.leaf_rows  # genes in dendrogram order
        # every gene: z-scored from the one copy taken (a second copy was a fifth of the
        # peak), kept in float32, enough for 256 colours and half the memory the drawing holds
        shown = _z_float32(X[np.ix_(rows, columns)])
        title = f"{len(columns):,} genes (tree {gene_key!r})"
    else:
        check_method_metric(gene_method, gene_metric)
        all_genes = n_genes is None or n_genes >= adata.n_vars
        genes = _top_genes(adata, X, adata.n_vars if all_genes else n_genes, layer=layer)
        values = _z(X[:, genes])
        # only drawn: no cophenetic correlation (whose warnings would speak of the samples')
        Z_genes, _ = build_tree(values.T, method=gene_method, metric=gene_metric,
                                labels=adata.var_names[genes].tolist(), what="genes",
                                cophenetic=False, caller="pl.clustermap")
        gene_leaves = hierarchy.leaves_list(Z_genes)
        columns = gene_leaves
        title = f"{len(genes):,} genes" if all_genes else f"top {len(genes)} variable genes"
        shown = values[np.ix_(rows, columns)]
    colors = drawn_keys(adata, color, caller="pl.clustermap")
    has_clusters = drawn_key(adata, clusters, param="clusters", default="cluster",
                             caller="pl.clustermap")
    if has_clusters:
        check_labels(adata.obs[clusters], key=clusters, caller="pl.clustermap")
    bars = [colour_bar_spec(adata, c, rows) for c in colors]
    if has_clusters:
        # named on the bar, as in the dendrogram: the clusters have no legend, and their
        # colours can be those of a category in the legend (a scanpy column's tab10)
        bars.append(colour_bar_spec(adata, clusters, rows, name_runs=True, labels=True))
    return ClustermapSpec(
        sample_linkage=tree.linkage, sample_order=tree.leaves,
        gene_linkage=Z_genes, gene_order=gene_leaves,
        values=shown,
        sample_labels=adata.obs_names[rows].tolist() if len(rows) <= MAX_SAMPLE_LABELS else [],
        gene_labels=gene_labels(adata, genes[columns],
                                gene_symbols=gene_symbols) if len(columns) <= MAX_GENE_LABELS
        else [],
        bars=bars, legends=[(c, legend_colours(adata, c)) for c in colors], vmax=vmax, cmap=cmap,
        simulated=adata.uns.get("simulated") is not None, genes_title=title,
    )


def draw_clustermap(spec: ClustermapSpec, *, figsize=None, show=None):
    """Draw ``spec`` into a new figure and return it."""
    n_obs, n_shown = spec.values.shape
    bars = spec.bars
    heat_width = min(0.16 * n_shown, MAX_HEAT_INCHES)
    heat_height = min(0.15 * n_obs, MAX_HEAT_HEIGHT)
    # the legend gets a column of its own, right of the sample labels, so it never covers them
    labels_in = 0.07 * max(map(len, spec.sample_labels), default=0) + 0.2
    legend_in = _legend_width(spec.legends)
    extra = [labels_in, legend_in] if legend_in else []
    size, margins = figsize or (4.5 + heat_width + 0.3 * len(bars) + sum(extra),
                                2.5 + heat_height), {}
    if figsize is None and n_shown:  # the gene names below on the canvas (see grown_canvas)
        names_in = label_inches(spec.gene_labels, leaf_fontsize(heat_width / n_shown)) + 0.1
        size, margins = grown_canvas(size, bottom=names_in)
    fig = new_figure(size, show=show)
    grid = fig.add_gridspec(
        2, 2 + len(bars) + len(extra),
        width_ratios=[2.0] + [0.25] * len(bars) + [heat_width] + extra,
        height_ratios=[1.5, heat_height], wspace=0.03, hspace=0.02, **margins,
    )
    heat = fig.add_subplot(grid[1, 1 + len(bars)])
    left = fig.add_subplot(grid[1, 0])
    top = fig.add_subplot(grid[0, 1 + len(bars)])
    draw_dendrogram(left, spec.sample_linkage, spec.sample_order, orientation="left")
    draw_dendrogram(top, spec.gene_linkage, spec.gene_order)
    for i, bar in enumerate(bars):
        draw_colour_bar(fig.add_subplot(grid[1, 1 + i]), bar, vertical=True)
    # one image whatever the size; many genes (or samples) per pixel are averaged, not sampled
    width_px, height_px = fig.get_size_inches() * DPI * heat.get_position().size
    shown = _binned(_binned(spec.values, 2 * int(width_px)).T, 2 * int(height_px)).T
    # float32: matplotlib resamples at the saved size in the image's precision, and its five
    # buffers of that size were, in float64, the peak of a two-way run. It normalises in that
    # precision too: colour limits beyond float32's range (vmax > 3.4e38) overflowed there
    # and turned every cell the top colour, so those are drawn from float64 values
    fits = spec.vmax <= float(np.finfo(np.float32).max)
    shown = shown.astype(np.float32 if fits else np.float64, copy=False)
    image = heat.imshow(
        shown, aspect="auto", cmap=spec.cmap, vmin=-spec.vmax, vmax=spec.vmax,
        interpolation="nearest" if n_shown <= 500 and len(shown) == n_obs else "antialiased",
        # resampled as values, then coloured: as RGBA floats at the saved size, matplotlib's
        # default for this image, it took 137 MB to save, the peak of a two-way run
        interpolation_stage="data",
        extent=(0, n_shown, n_obs, 0),
    )
    # axes are aligned by their limits, not shared, which keeps layout cheap
    no_ticks(heat, left, top)
    _axis_labels(heat, spec.sample_labels, spec.gene_labels)
    no_frame(left, top)
    corner = fig.add_subplot(grid[0, 0])
    corner.axis("off")
    cax = corner.inset_axes((0.1, 0.6, 0.8, 0.12))
    fig.colorbar(image, cax=cax, orientation="horizontal", label="z-score (per gene)")
    if legend_in:
        legend_ax = fig.add_subplot(grid[:, -1])
        legend_ax.axis("off")
        draw_legend(legend_ax, spec.legends, anchor=(0.0, 1.0))
    genes = spec.genes_title or f"top {n_shown} variable genes"
    rows = "" if shown.shape[0] == n_obs else (
        f" (rows: means of ~{n_obs / shown.shape[0]:.0f} adjacent samples)")
    top.set_title(f"{n_obs:,} samples x {genes}{rows}", fontsize=10, loc="left",
                  parse_math=False)  # may name a gene tree's key
    mark_simulated(fig, spec.simulated)
    return fig


def _binned(values: np.ndarray, max_columns: int) -> np.ndarray:
    """``values`` with runs of adjacent columns averaged down to at most ``max_columns``.

    At 22,283 genes across ~1,700 pixels matplotlib would resample the full image (hundreds of
    MB of RGBA floats); averaging columns first shows the same mean colours for a fraction.
    """
    n = values.shape[1]
    if n <= max_columns:
        return values
    starts = np.linspace(0, n, max_columns + 1).round().astype(np.int64)[:-1]
    finite = np.isfinite(values)  # a missing value leaves only its own gene out of the mean
    sums = np.add.reduceat(np.where(finite, values, 0.0), starts, axis=1)
    counts = np.add.reduceat(finite, starts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def _top_genes(adata: AnnData, X: np.ndarray, n_genes: int, *,
               layer: str | None = None) -> np.ndarray:
    """Columns of the ``n_genes`` most variable genes that vary at all, in ``adata`` order.

    The ranking of :func:`~gexclust.pp.select_variable` when present; else the variance, of
    the values before :func:`~gexclust.pp.scale` when it scaled ``.X`` (clipped or not).
    """
    from .._logging import logger
    from .._utils import all_unit_sd, column_var, is_clipped, undo_of

    varies = np.ptp(X, axis=0) > 0  # a constant gene has no z-score and no place in a gene tree
    if "variability_rank" in adata.var:
        rank = adata.var["variability_rank"].to_numpy()
    else:
        variance = column_var(X, ddof=1)  # as pp.select_variable ranks genes
        undo = undo_of(adata, layer)
        if undo is not None:  # scaled by pp.scale: rank by the spread before it
            # z-scores clipped by max_value vary less where an outlier was clipped: the
            # spread before it is then the recorded std alone
            variance = undo[0] ** 2 if is_clipped(adata, layer) else variance * undo[0] ** 2
        # still all 1: scaled elsewhere (sc.pp.scale, also over pp.scale's .var['std'])
        if n_genes < adata.n_vars and all_unit_sd(variance, adata.n_obs):
            logger.warning(
                "pl.clustermap: every gene has standard deviation 1 (scaled values, e.g. by "
                "sc.pp.scale), so the %d genes shown are the first in order, not the most "
                "variable; rank genes before scaling (pp.select_variable) or pass layer=",
                n_genes)
        rank = np.argsort(np.argsort(-variance, kind="stable"), kind="stable")
    candidates = np.flatnonzero(varies)
    chosen = candidates[np.argsort(rank[candidates], kind="stable")[:n_genes]]
    if len(chosen) < 2:
        why = (f"adata has {adata.n_vars} gene(s)" if adata.n_vars < 2
               else f"only {len(candidates)} of its {adata.n_vars} genes vary across the samples")
        msg = (f"pl.clustermap: needs at least 2 genes that vary across the samples to draw a "
               f"gene tree, but {why}")
        raise ValueError(msg)
    return np.sort(chosen)


def _z(values: np.ndarray) -> np.ndarray:
    """Z-scores per gene, with float32 statistics summed in float64 as in pp.scale.

    Overwrites ``values``, a copy the caller made (fancy indexing), and returns it.
    """
    from .._utils import column_mean_sd

    mean, sd = column_mean_sd(values, ddof=1)
    values -= mean.astype(values.dtype)
    values /= np.where(sd > 0, sd, 1.0).astype(values.dtype)
    return values


def _z_float32(values: np.ndarray) -> np.ndarray:
    """Z-scores per gene of ``values`` as float32, computed in ``values``' precision.

    Overwrites ``values``, a copy the caller made, as :func:`_z`. float64 values are
    z-scored in float64, which keeps values beyond float32's range (3.4e38) finite, and in
    place: numpy's standard deviation held a second float64 copy (of the deviations), more
    than the copy and its float32 result together.
    """
    if values.dtype != np.float64:
        return _z(values).astype(np.float32, copy=False)
    values -= values.mean(axis=0)
    # the squared deviations summed where they are (einsum makes no temporary copy)
    sd = np.sqrt(np.einsum("ij,ij->j", values, values) / max(len(values) - 1, 1))
    values /= np.where(sd > 0, sd, 1.0)
    return values.astype(np.float32)


def _legend_width(legends: list[tuple[str, dict[str, str]]]) -> float:
    """Inches the legend of ``legends`` needs: a colour patch, then its longest text."""
    texts = legend_texts(legends)
    return 0.07 * max(map(len, texts)) + 0.5 if texts else 0.0


def _axis_labels(heat, sample_labels: list[str], gene_labels: list[str]) -> None:
    n_obs, n_genes = len(sample_labels), len(gene_labels)
    # label size from the space each row/column really has, whatever figsize was asked for
    width_in, height_in = heat.figure.get_size_inches()
    box = heat.get_position()
    if n_obs:
        side_labels(heat, sample_labels, side="right",
                    fontsize=leaf_fontsize(box.height * height_in / n_obs))
    if n_genes:
        side_labels(heat, gene_labels, side="bottom", rotation=90,
                    fontsize=leaf_fontsize(box.width * width_in / n_genes))
