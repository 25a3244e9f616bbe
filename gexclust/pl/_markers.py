"""Dot plot of the top marker genes of each cluster: fold change and significance at a glance."""

from __future__ import annotations

import numbers
import os

import numpy as np
from anndata import AnnData

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

#: -log10 adjusted p-values above this are drawn at full size.
MAX_SIGNIFICANCE = 10.0


@named("pl.markers")
def markers(
    adata: AnnData,
    *,
    groupby: str = "cluster",
    n_genes: int = 4,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = "gene_symbol",
    cmap: str = "RdBu_r",
    vmax: float | None = None,
    figsize: tuple[float, float] | None = None,
    show: bool | None = None,
    save: str | os.PathLike | None = None,
):
    """Dot plot of each group's top ``n_genes`` marker genes against every group.

    Columns are the genes, grouped by the group they mark (the colour strip above them); rows are
    the groups. A dot's colour is that group's log2 fold change against all other samples (red up,
    blue down; on values taken for log2 by their look alone, with no record of
    :func:`~gexclust.pp.log2` or ``sc.pp.log1p``, the colour bar says it is the difference of the
    means, a log2 fold change only if the input is log2), its size the significance, -log10 of the
    Benjamini-Hochberg adjusted p-value (capped at 10; a key beside the colour bar gives the
    sizes of p = 0.05, 1e-5 and 1e-10 or less). The statistics are those of
    :func:`gexclust.tl.markers`, which is called without storing anything. On z-scores that nothing
    records how to undo (e.g. of ``sc.pp.scale``) there are no fold changes: the colour is the
    difference of the means in standard deviations, and the colour bar says so.

    Parameters
    ----------
    adata
        Annotated data matrix, ideally log2 expression (see :func:`~gexclust.tl.markers`).
    groupby
        ``.obs`` column with the groups; colours from ``.uns[f'{groupby}_colors']``, or
        picked and stored there, so every figure shows a group in one colour: the
        category palette scanpy gives, or for the clusters of :func:`~gexclust.tl.cut`
        (static or ``method='dynamic'``) and :func:`~gexclust.tl.consensus` cluster colours
        away from ``'type'``'s, as the cut picks them.
    n_genes
        Top up-regulated genes per group.
    layer
        Expression layer (default ``.X``; either with :func:`~gexclust.pp.scale` undone).
    use_raw
        Use ``.raw``, as :func:`~gexclust.tl.markers` (and scanpy): by default when
        ``adata`` has a ``.raw`` and no ``layer`` is given.
    gene_symbols
        ``.var`` column with gene symbols for the labels (the default is skipped when absent;
        another name that is no column is refused).
    cmap
        Diverging colormap for the fold changes.
    vmax
        Fold change at the ends of the colour scale (symmetric, ``-vmax`` to ``vmax``); dots
        beyond it take the end colours and the colour bar ends in arrows. By default the
        largest shown, leaving out log2 fold changes beyond 20 (a million-fold): those come
        from a mean of zero (a gene absent from every other group of a counts layer gets
        about 35, from scanpy's offset of 1e-9), and would leave every other dot near white.
    figsize
        Figure size in inches; by default it grows with the number of genes and groups.
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
    (``.uns[f'{groupby}_colors']``) and a plain-string ``groupby`` column, stored as the
    categorical its colours are of (as scanpy's plots do; logged at INFO).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=300, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> gx.tl.cut(adata, n_clusters=3)
    >>> fig = gx.pl.markers(adata, n_genes=2, show=False)
    >>> len(fig.axes[1].collections[0].get_offsets())  # 3 groups x (3 x 2) genes
    18
    """
    from ..tl._markers import check_n_genes, ranked_markers

    check_plot_arguments(figsize=figsize, save=save, cmap=cmap)
    check_n_genes(n_genes, caller="pl.markers")
    if vmax is not None:  # before the groups' colours are written
        colour_limit(np.zeros(0), vmax)
    ranked = ranked_markers(adata, groupby=groupby, layer=layer, use_raw=use_raw,
                            caller="pl.markers", gene_symbols=gene_symbols)
    fig = markers_figure(adata, ranked, groupby=groupby, n_genes=n_genes, layer=layer,
                         gene_symbols=gene_symbols, cmap=cmap, vmax=vmax, figsize=figsize,
                         show=show)
    return finish(fig, fig, show=show, save=save)


def markers_figure(adata: AnnData, ranked, *, groupby: str = "cluster", n_genes: int = 4,
                   layer: str | None = None, gene_symbols: str | None = "gene_symbol",
                   cmap: str = "RdBu_r", vmax: float | None = None,
                   figsize: tuple[float, float] | None = None, show: bool | None = None):
    """The figure of :func:`markers` (its defaults) from markers ranked already.

    ``ranked`` is :func:`~gexclust.tl._markers.ranked_markers`'s of ``groupby`` and ``layer``:
    ``gexclust run`` ranks the clusters once for this figure, the heatmap and the report.
    """
    from .._palette import ensure_colors
    from ._labels import gene_labels, var_positions

    values = ranked.values
    if ranked.n_ranked < 2:
        msg = f"pl.markers: {groupby!r} needs at least 2 groups with samples to rank markers"
        raise ValueError(msg)
    table = ranked.table(n_genes=n_genes, direction="up", gene_symbols=gene_symbols,
                         caller="pl.markers")
    genes_of = adata.raw if values.source == ".raw" else adata  # whose genes the table names
    genes = var_positions(genes_of, table["gene"], caller="pl.markers")
    marks = table.drop_duplicates("gene")["group"].tolist()
    names = ranked.groups.categories.astype(str)
    colours = dict(zip(names, ensure_colors(adata, groupby), strict=True))
    # z-scores nothing can undo have no fold changes (tl.markers warns): colour by the
    # difference of means in standard deviations instead, and say so
    in_sd = values.scale[0] == "z-scores"
    groups, fold, significance = [], [], []
    # statistics over every gene, as tl.markers: Benjamini-Hochberg over the plotted genes
    # alone would make the adjusted p-values smaller than the table's
    for group, stats in zip(names, ranked.stats, strict=True):
        if stats is None:
            continue
        groups.append(group)
        fold.append(stats["diff" if in_sd else "logfoldchange"][genes])
        significance.append(-np.log10(np.maximum(stats["pval_adj"][genes], 1e-300)))
    fold, significance = np.array(fold), np.minimum(np.array(significance), MAX_SIGNIFICANCE)
    labels = gene_labels(genes_of, genes, gene_symbols=gene_symbols)
    fig = _draw(fold, significance, groups, labels, [colours[g] for g in marks],
                [colours[g] for g in groups], groupby=groupby, cmap=cmap, figsize=figsize,
                show=show, effect=_effect(adata, values, layer, in_sd=in_sd), vmax=vmax)
    mark_simulated(fig, adata.uns.get("simulated") is not None)
    return fig


def _effect(adata, values, layer, *, in_sd: bool) -> str:
    """What the dots' colour is: a log2 fold change only where something records a log2."""
    from ..tl._markers import scale_is_judged

    if in_sd:
        return "difference in SD"
    if scale_is_judged(adata, values, layer):  # e.g. log10 arrays: +1 is 10-fold, not 2-fold
        return "difference of means (log2 FC if the input is log2)"
    return "log2 fold change"


#: Fold changes (log2) beyond this, a million-fold, come from a mean of zero and its offset.
BEYOND_MEASURE = 20.0


def colour_limit(fold: np.ndarray, vmax: float | None, *, ratios: bool = True) -> float:
    """End of the symmetric colour scale: ``vmax``, or the largest measured value.

    Log2 ratios (``ratios``) beyond :data:`BEYOND_MEASURE` (a gene absent from the rest: 35
    with scanpy's 1e-9 offset) are left out, so the other dots keep their colours.
    Differences (of means, in SD) have no offset: a one-sample group among hundreds can
    lie 24 SD away, and is measured.
    """
    if vmax is not None:
        # a bool is an int to Python, and numpy's own error for a str names no setting
        number = isinstance(vmax, numbers.Real) and not isinstance(vmax, bool)
        if not (number and np.isfinite(vmax) and vmax > 0):
            msg = f"pl.markers: vmax must be a positive number, got {vmax!r}"
            raise ValueError(msg)
        return float(vmax)
    size = np.abs(fold[np.isfinite(fold)])
    measured = size[size < BEYOND_MEASURE] if ratios else size
    if measured.size and measured.max() > 0:
        return float(measured.max())
    return float(size.max()) if size.size and size.max() > 0 else 1.0


def _draw(fold, significance, groups, labels, strip_colours, group_colours, *, groupby, cmap,
          figsize, show, effect, vmax=None):
    n_groups, n_genes = fold.shape
    size, margins = figsize or (2.8 + 0.28 * n_genes, 2.2 + 0.35 * n_groups), {}
    if figsize is None:  # the gene names below, the colour bar and size key right
        size, margins = grown_canvas(size, bottom=label_inches(labels, 7) + 0.1,
                                     right=KEY_INCHES)
    fig = new_figure(size, show=show)
    strip, ax, cax = strip_layout(fig, strip=0.15, main=0.35 * n_groups, hspace=0.03,
                                  **margins)
    colour_strip(strip, strip_colours)
    # what colour and size mean is said by the colour bar and the size key: in the title, a
    # long colour meaning made it wider than the plot and the bar's label ran into it
    strip.set_title(f"Top markers per {groupby}", fontsize=9, parse_math=False)
    x, y = np.meshgrid(np.arange(n_genes), np.arange(n_groups))
    limit = colour_limit(fold, vmax, ratios=effect == "log2 fold change")
    clipped = bool((np.abs(fold) > limit).any())
    dots = ax.scatter(x.ravel(), y.ravel(), s=dot_area(significance.ravel()), c=fold.ravel(),
                      cmap=cmap, vmin=-limit, vmax=limit, edgecolors="#555555", linewidths=0.3)
    ax.set_xlim(-0.5, n_genes - 0.5)
    ax.set_ylim(n_groups - 0.5, -0.5)
    no_ticks(ax)
    side_labels(ax, labels, side="bottom", fontsize=7, rotation=90,
                positions=np.arange(n_genes))
    side_labels(ax, [f"{groupby} {g}" for g in groups], side="left", fontsize=8,
                colours=group_colours, positions=np.arange(n_groups))
    bar = fig.colorbar(dots, cax=cax, extend="both" if clipped else "neither")
    bar.set_label(_fit_to_bar(effect, cax), fontsize=LABEL_PT)
    _size_key(fig, cax)
    return fig


#: Room right of the dots for the colour bar's numbers and label and the size key, in inches.
KEY_INCHES = 2.4
#: Font size of the colour bar's label and of the size key.
LABEL_PT = 8.0
#: Adjusted p-values the size key shows (the last is the cap, :data:`MAX_SIGNIFICANCE`).
KEY_P_VALUES = (0.05, 1e-5, 10.0 ** -MAX_SIGNIFICANCE)


def dot_area(significance: np.ndarray | float) -> np.ndarray | float:
    """A dot's area (points squared) for a -log10 adjusted p-value, capped beforehand."""
    return 8 + 22 * significance


def _fit_to_bar(text: str, cax) -> str:
    """``text`` wrapped into lines no longer than the colour bar is high.

    A label longer than its bar runs past the bar's ends, over the title ('difference of means
    (log2 FC if the input is log2)' beside a two-cluster plot's 1.8-inch bar).
    """
    import textwrap

    high_in = cax.get_position().height * cax.figure.get_size_inches()[1]
    chars = max(12, int(high_in * 72 / (LABEL_PT * 0.55)))  # a character is ~0.55 em wide
    return "\n".join(textwrap.wrap(text, chars))


def _size_key(fig, cax) -> None:
    """A legend of dot sizes, right of the colour bar and its label, level with its top."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                      markeredgecolor="#555555", markeredgewidth=0.3,
                      markersize=float(np.sqrt(dot_area(-np.log10(p))))) for p in KEY_P_VALUES]
    labels = [f"{p:g}" for p in KEY_P_VALUES[:-1]] + [f"≤ {KEY_P_VALUES[-1]:g}"]
    # measured, not guessed: the bar's tick labels and wrapped label vary in width
    right = cax.get_tightbbox().transformed(fig.transFigure.inverted()).x1
    fig.legend(handles, labels, title="adj. p (dot size)", loc="upper left",
               bbox_to_anchor=(right + 0.01, cax.get_position().y1), frameon=False,
               fontsize=LABEL_PT - 1, title_fontsize=LABEL_PT - 1, labelspacing=1.0,
               borderaxespad=0.0, borderpad=0.0)
