"""Sample dendrogram with type-coloured leaves, cluster-coloured branches and the cut line."""

from __future__ import annotations

import os

import numpy as np
from anndata import AnnData

from .._palette import ensure_colors
from ._base import finish, leaf_fontsize, mark_simulated, new_figure
from ._tree import draw_dendrogram

MISSING_COLOUR = "#9e9e9e"


def dendrogram(
    adata: AnnData,
    *,
    key: str = "hclust",
    color: str | None = "type",
    clusters: str | None = "cluster",
    show_cut: bool = True,
    leaf_labels: str | None = None,
    figsize: tuple[float, float] | None = None,
    ax=None,
    show: bool | None = None,
    save: str | os.PathLike | None = None,
):
    """Plot the tree of :func:`gexclust.tl.hclust` for samples.

    Branches take the colour of their cluster (from :func:`gexclust.tl.cut`), leaves are
    labelled and coloured by ``color`` with a colour bar for each annotation under the tree, and
    the cut height is drawn as a dashed line.

    Parameters
    ----------
    adata
        Annotated data matrix with ``.uns[key]`` from :func:`~gexclust.tl.hclust` (``axis='obs'``).
    key
        Key of the tree in ``.uns``.
    color
        Categorical ``.obs`` column that colours the leaf labels and the first bar; its colours
        are read from (or written to) ``.uns[f'{color}_colors']``. ``None`` for no colouring.
    clusters
        Categorical ``.obs`` column of :func:`~gexclust.tl.cut`, for branch colours, a second
        bar and the cut line. Ignored when absent.
    show_cut
        Draw the cut height stored in ``.uns[clusters]['threshold']``.
    leaf_labels
        ``.obs`` column for the leaf labels; ``obs_names`` by default.
    figsize
        Figure size in inches; by default it grows with the number of samples so labels never
        overlap.
    ax
        Draw the tree only (with coloured labels, no bars) into this Axes.
    show
        Show the figure (``plt.show()``). By default figures are only returned.
    save
        Write the figure to this path (format from the extension), atomically.

    Returns
    -------
    The dendrogram's Axes.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> gx.tl.cut(adata, n_clusters=4)
    >>> ax = gx.pl.dendrogram(adata)
    """
    tree = _tree(adata, key)
    Z, leaves = np.asarray(tree["linkage"]), np.asarray(tree["leaves"])
    n = Z.shape[0] + 1
    has_clusters = clusters is not None and clusters in adata.obs
    bars = [c for c in (color, clusters if has_clusters else None) if c is not None]
    if ax is None:
        width = max(8.0, 0.17 * n + 2.5)
        fig = new_figure(figsize or (width, 5.5), show=show)
        ratios = [6.0] + [0.35] * len(bars)
        grid = fig.add_gridspec(1 + len(bars), 1, height_ratios=ratios, hspace=0.05)
        ax = fig.add_subplot(grid[0])
        bar_axes = [fig.add_subplot(grid[i + 1]) for i in range(len(bars))]
    else:
        fig, bar_axes, bars = ax.figure, [], []

    group_codes, group_colours = None, None
    if has_clusters:
        group_codes = adata.obs[clusters].cat.codes.to_numpy()
        group_colours = ensure_colors(adata, clusters)
    draw_dendrogram(ax, Z, leaves, leaf_groups=group_codes, colours=group_colours)
    ax.set_ylabel(f"height ({tree['params']['method']}, {tree['params']['metric']})")
    if show_cut and has_clusters and clusters in adata.uns:
        _draw_cut(ax, adata.uns[clusters])

    label_ax = bar_axes[-1] if bar_axes else ax
    for bar_ax, annotation in zip(bar_axes, bars, strict=True):
        _colour_bar(bar_ax, adata, annotation, leaves)
        if annotation == clusters:
            _name_runs(bar_ax, adata.obs[clusters].to_numpy()[leaves])
    labels = adata.obs[leaf_labels] if leaf_labels else adata.obs_names
    _leaf_labels(label_ax, np.asarray(labels, dtype=str)[leaves], fig, n)
    if color is not None:
        colours = dict(
            zip(adata.obs[color].cat.categories, ensure_colors(adata, color), strict=True)
        )
        for text, value in zip(
            label_ax.get_xticklabels(), adata.obs[color].to_numpy()[leaves], strict=True
        ):
            text.set_color(colours.get(value, MISSING_COLOUR))  # unlabelled samples: grey
        _legend(ax, colours, title=color)
    ax.tick_params(axis="x", bottom=False, labelbottom=label_ax is ax)
    mark_simulated(fig, adata)
    finish(fig, show=show, save=save)
    return ax


def _tree(adata: AnnData, key: str):
    if key not in adata.uns or "linkage" not in adata.uns[key]:
        msg = f"no tree in .uns[{key!r}]; run gexclust.tl.hclust(adata, key_added={key!r}) first"
        raise KeyError(msg)
    tree = adata.uns[key]
    if tree["params"]["axis"] != "obs":
        msg = f".uns[{key!r}] is a gene tree; pl.dendrogram draws sample trees (axis='obs')"
        raise ValueError(msg)
    return tree


def _draw_cut(ax, info) -> None:
    threshold = float(info["threshold"])
    ax.axhline(threshold, color="#333333", linestyle="--", linewidth=0.9)
    ax.annotate(
        f"cut: {info['n_clusters_found']} clusters",
        xy=(1.0, threshold),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
    )


def _colour_bar(ax, adata: AnnData, key: str, leaves, *, vertical: bool = False) -> None:
    """A strip of category colours along the leaves, labelled with ``key``."""
    from matplotlib.colors import ListedColormap

    codes = adata.obs[key].cat.codes.to_numpy()[leaves]
    codes = np.ma.masked_less(codes, 0)  # missing labels (code -1) stay blank
    colours = ensure_colors(adata, key)
    n = len(leaves)
    ax.imshow(
        codes[:, None] if vertical else codes[None, :],
        aspect="auto",
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=len(colours) - 0.5,
        extent=(0, 1, n, 0) if vertical else (0, n, 0, 1),
        interpolation="nearest",
    )
    if vertical:
        ax.set_yticks([])
        ax.set_xticks([0.5], [key], rotation=90, fontsize=8)
        ax.tick_params(axis="x", bottom=False, labelbottom=True, length=0)
    else:
        ax.set_yticks([0.5], [key], fontsize=8)
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", bottom=False, labelbottom=False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _name_runs(ax, values) -> None:
    """Write each cluster's name in the middle of its run of leaves."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            ax.text((start + i) / 2, 0.5, str(values[start]), ha="center", va="center",
                    fontsize=8, color="white", fontweight="bold")
            start = i


def _leaf_labels(ax, labels, fig, n: int) -> None:
    width_in = fig.get_size_inches()[0] * 0.8
    ax.set_xticks(np.arange(n) + 0.5, labels, rotation=90, fontsize=leaf_fontsize(width_in / n))
    ax.tick_params(axis="x", bottom=False, labelbottom=True, pad=2)


def _legend(ax, colours: dict, *, title: str) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=str(k)) for k, c in colours.items()]
    ax.legend(
        handles=handles, title=title, fontsize=8, title_fontsize=8, frameon=False,
        loc="upper left", bbox_to_anchor=(1.0, 1.0),
    )
