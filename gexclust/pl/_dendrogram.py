"""Sample dendrogram with type-coloured leaves, cluster-coloured branches and the cut line.

:func:`dendrogram_spec` reads everything the figure shows from the AnnData;
:func:`draw_dendrogram_figure` draws it with numpy and matplotlib alone (the helper process of
``gexclust run`` imports only that half).
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .._api import named
from .._checks import check_positive, check_whole
from .._labels import check_labels, obs_texts
from .._logging import logger
from .._palette import MISSING_COLOUR
from ._base import (
    check_plot_arguments,
    finish,
    grown_canvas,
    label_inches,
    leaf_fontsize,
    mark_simulated,
    new_figure,
    side_labels,
)
from ._colour_bar import (
    ColourBar,
    category_codes,
    colour_bar_spec,
    draw_colour_bar,
    draw_legend,
    drawn_key,
    drawn_keys,
    legend_colours,
    legend_texts,
)
from ._tree import draw_dendrogram, truncate_tree

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anndata import AnnData


@dataclass
class DendrogramSpec:
    """What the dendrogram figure shows, taken from the AnnData (leaf order throughout)."""

    linkage: np.ndarray
    leaves: np.ndarray
    ylabel: str
    leaf_labels: list[str]
    leaf_colours: list[str] | None
    branch_groups: np.ndarray | None
    branch_colours: list[str] | None
    cut: tuple[float, str] | None
    bars: list[ColourBar]
    legends: list[tuple[str, dict[str, str]]]  # (column, {category: colour}) per colour bar
    simulated: bool
    note: str | None = None
    support: SupportMarks | None = None


@dataclass
class SupportMarks:
    """Bootstrap support drawn on the tree: values per merge and pvrect-like boxes."""

    au: np.ndarray  # per linkage row, in [0, 1]
    bp: np.ndarray
    boxes: list[tuple[float, float, float]]  # (first leaf position, last, height), leaf order
    label: str  # e.g. 'AU >= 95%'


#: Trees with more leaves than this are drawn truncated, unless ``truncate`` says otherwise.
MAX_DRAWN_LEAVES = 300

#: Clusters shown of a truncated tree by default.
TRUNCATED_LEAVES = 50

#: Beyond this many leaves drawn (``truncate=0``), leaves are not labelled and the figure
#: stops growing: 100,000 labels would make a 17,000-inch figure of many GB.
MAX_LABELLED_LEAVES = 2000

#: Default width (inches) of a tree drawn with more leaves than are labelled.
UNLABELLED_WIDTH = 40.0


@named("pl.dendrogram")
def dendrogram(
    adata: AnnData,
    *,
    key: str = "hclust",
    color: str | Sequence[str] | None = "type",
    clusters: str | None = "cluster",
    show_cut: bool = True,
    leaf_labels: str | None = None,
    truncate: int | None = None,
    support: str | None = None,
    alpha: float = 0.95,
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
        Categorical ``.obs`` column that colours the leaf labels and the first bar, or a list
        of columns (as scanpy's ``color=``), one bar each, the leaf labels coloured by the
        first; colours are read from (or written to) ``.uns[f'{color}_colors']``, and a
        plain-string column is stored as the categorical they are of (natural order, as
        anndata writes it to h5ad), as scanpy's plots do (logged at INFO). A numeric
        column (age, RIN) is drawn as a viridis gradient, as scanpy and pheatmap draw it, with
        five steps of its range in the legend. The default ``'type'`` is skipped when absent,
        another missing column is an error; ``None`` for no colouring.
    clusters
        Categorical ``.obs`` column of :func:`~gexclust.tl.cut`, for branch colours, a second
        bar and the cut line. The default ``'cluster'`` is skipped when absent. Whole numbers
        (cluster numbers of another tool) get one colour each; numbers with fractions are
        refused: they are measurements, not clusters. Colours as in every figure: those of
        ``.uns``, else cluster colours for a column of ``tl.cut`` and the category palette
        scanpy gives for any other (``leiden``, the user's).
    show_cut
        Draw the cut height stored in ``.uns[clusters]['threshold']``.
    leaf_labels
        ``.obs`` column for the leaf labels; ``obs_names`` by default.
    truncate
        Draw only the top ``truncate`` clusters of the tree (scipy's ``truncate_mode='lastp'``),
        each labelled with its number of samples, with a note saying so; annotation bars and
        support values are left out (a logged warning names them; for the default ``'type'``
        an info message) and branches keep their cluster colours. By default trees with more
        than 300 leaves are truncated to 50 clusters; ``0`` draws every leaf (beyond 2,000
        leaves without leaf labels, in a figure 40 inches wide by default).
    support
        After :func:`~gexclust.tl.bootstrap`: ``'au'`` or ``'bp'`` prints AU (red, left) and
        BP (green, right) in % at every merge, as pvclust's ``plot``, and boxes the largest
        branches whose ``support`` is >= ``alpha`` (below the root), as ``pvrect``.
    alpha
        Support level of the boxes.
    figsize
        Figure size in inches; by default it grows with the number of samples so labels never
        overlap.
    ax
        Draw the tree only (with coloured labels, no bars) into this Axes; with
        ``show=False`` when more is drawn into its figure afterwards, as with scanpy's ``ax=``.
    show
        Show the figure and return None, as scanpy's ``sc.pl.*``: by default where pyplot
        manages figures (a notebook, an interactive session), with ``True`` by ``plt.show()``
        in any case. ``False`` returns the Axes instead, for more drawing.
    save
        Write the figure to this path (format from the extension), atomically; a name
        without an extension gets that of matplotlib's ``rcParams['savefig.format']``
        (``'tree'`` is written as ``tree.png``), as ``savefig`` adds it.

    Returns
    -------
    None once shown (by default; ``save`` changes nothing here), as scanpy's ``sc.pl.*``; with
    ``show=False`` the dendrogram's Axes. ``adata`` is not changed except for missing colours
    (``.uns[f'{color}_colors']``, ``.uns[f'{clusters}_colors']``) and plain-string columns
    coloured, stored as the categoricals their colours are of (as scanpy's plots do).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> gx.tl.cut(adata, n_clusters=4)
    >>> gx.pl.dendrogram(adata)  # shown, returns None
    """
    check_plot_arguments(figsize=figsize, save=save)  # before colours are written
    if truncate is not None:
        check_whole("truncate", truncate, caller="pl.dendrogram",
                    what=" (clusters drawn; 0 draws every leaf), or None")
    check_positive("alpha", alpha, at_most=1, caller="pl.dendrogram",
                   what=" (the support level of the boxes, e.g. 0.95)")
    spec = dendrogram_spec(adata, key=key, color=color, clusters=clusters, show_cut=show_cut,
                           leaf_labels=leaf_labels, support=support, alpha=alpha)
    shown = shown_spec(spec, truncate)
    if shown is not spec:
        _say_what_truncation_leaves_out(spec, color)
    ax = draw_dendrogram_figure(shown, figsize=figsize, ax=ax, show=show)
    return finish(ax.figure, ax, show=show, save=save)


def _say_what_truncation_leaves_out(spec: DendrogramSpec, color) -> None:
    """Warn that asked-for colour bars and support values are not on a truncated tree.

    The clusters' bar is not missed: the branches keep the clusters' colours.
    """
    lost = []
    names = [name for name, _ in spec.legends]  # the columns of color= that are drawn
    if names:
        lost.append(f"the colour bars of {', '.join(map(repr, names))}")
    if spec.support is not None:
        lost.append("the support values")
    if lost:
        # a warning for what was asked for; the default colouring by 'type' only informs
        say = logger.info if color == "type" and spec.support is None else logger.warning
        say("pl.dendrogram: %s are left out of the truncated tree (each of its leaves holds "
            "many samples); truncate=0 draws every leaf with them", " and ".join(lost))


def shown_spec(spec: DendrogramSpec, truncate: int | None = None) -> DendrogramSpec:
    """``spec`` truncated as :func:`dendrogram`'s ``truncate`` says (default: beyond 300)."""
    n_leaves = len(spec.leaves)
    if truncate is None:
        truncate = TRUNCATED_LEAVES if n_leaves > MAX_DRAWN_LEAVES else 0
    if 0 < truncate < n_leaves:
        return truncated_spec(spec, truncate)
    return spec


def dendrogram_spec(
    adata: AnnData,
    *,
    key: str = "hclust",
    color: str | Sequence[str] | None = "type",
    clusters: str | None = "cluster",
    show_cut: bool = True,
    leaf_labels: str | None = None,
    support: str | None = None,
    alpha: float = 0.95,
) -> DendrogramSpec:
    """Read what :func:`dendrogram` shows from ``adata`` (parameters as there)."""
    from ..tl._tree_access import get_tree

    tree = get_tree(adata, key, axis="obs", caller="pl.dendrogram")
    rows = tree.leaf_rows  # samples in dendrogram order

    colors = drawn_keys(adata, color, caller="pl.dendrogram")
    has_clusters = drawn_key(adata, clusters, param="clusters", default="cluster",
                             caller="pl.dendrogram")
    if leaf_labels is not None and leaf_labels not in adata.obs:
        msg = (f"pl.dendrogram: leaf_labels={leaf_labels!r} is not an .obs column; "
               f"available: {list(adata.obs.columns)}")
        raise KeyError(msg)
    bars = [colour_bar_spec(adata, c, rows) for c in colors]
    groups, group_colours, cut = None, None, None
    if has_clusters:
        check_labels(adata.obs[clusters], key=clusters, caller="pl.dendrogram")
        bars.append(colour_bar_spec(adata, clusters, rows, name_runs=True, labels=True))
        groups = tree.per_leaf(category_codes(adata, clusters))
        group_colours = bars[-1].colours
        info = adata.uns.get(clusters)
        # clusters with samples: a category no sample has (added by hand, or left by a
        # subset) is no cluster of the cut, and hid the cut line when counted
        n_found = len(np.unique(groups[groups >= 0]))
        if (show_cut and _cut_of_this_tree(info, key, n_found, adata.uns[key], clusters)
                and _height_gives(tree.linkage, float(info["threshold"]), groups)):
            n_cut = info["n_clusters_found"]
            cut = (float(info["threshold"]), f"cut: {n_cut} cluster{'' if n_cut == 1 else 's'}")
    labels = obs_texts(adata.obs[leaf_labels]) if leaf_labels else adata.obs_names
    leaf_colours = None
    if colors:
        # each leaf in its colour in the first strip; unlabelled samples (code -1): grey
        leaf_colours = [bars[0].colours[c] if c >= 0 else MISSING_COLOUR for c in bars[0].codes]
    return DendrogramSpec(
        linkage=tree.linkage, leaves=tree.leaves,
        ylabel=_height_label(tree.params),
        leaf_labels=np.asarray(labels, dtype=str)[rows].tolist(), leaf_colours=leaf_colours,
        branch_groups=groups, branch_colours=group_colours, cut=cut, bars=bars,
        legends=[(c, legend_colours(adata, c)) for c in colors],
        simulated=adata.uns.get("simulated") is not None,
        support=None if support is None else support_marks(adata.uns[key], tree.linkage,
                                                            tree.leaves, support, alpha),
    )


def support_marks(stored_tree, Z, leaves, support: str, alpha: float) -> SupportMarks:
    """AU/BP per merge and the pvrect boxes: largest branches with ``support`` >= ``alpha``."""
    from ..tl._supported import branch_rows, pick_supported, support_values

    values = support_values(stored_tree, support=support, caller="pl.dendrogram",
                            option=f"support={support!r}")
    position = np.empty(len(leaves), dtype=float)
    position[leaves] = np.arange(len(leaves))
    picked = pick_supported(Z, values, alpha)
    row_of = branch_rows(Z)
    boxes = []
    for label in range(1, picked.max() + 1):
        inside = np.flatnonzero(picked == label)
        row = row_of[frozenset(inside.tolist())]
        boxes.append((float(position[inside].min()), float(position[inside].max()),
                      float(Z[row, 2])))
    result = stored_tree["support"]
    return SupportMarks(au=np.asarray(result["au"], dtype=float),
                        bp=np.asarray(result["bp"], dtype=float), boxes=boxes,
                        label=f"{support.upper()} >= {100 * alpha:g}%")


def truncated_spec(spec: DendrogramSpec, n_shown: int) -> DendrogramSpec:
    """``spec`` with only the top ``n_shown`` clusters as leaves, labelled by their sizes."""
    from scipy.cluster.hierarchy import leaves_list

    n = len(spec.leaves)
    small, owner = truncate_tree(spec.linkage, n_shown)
    p = small.shape[0] + 1
    sizes = np.bincount(owner, minlength=p)
    groups = None
    if spec.branch_groups is not None:
        # a truncated leaf keeps a cluster colour when all its samples share that cluster
        groups = np.full(p, -1)
        for leaf in range(p):
            codes = np.unique(spec.branch_groups[owner == leaf])
            if len(codes) == 1:
                groups[leaf] = codes[0]
    name_of = np.empty(n, dtype=object)
    name_of[spec.leaves] = spec.leaf_labels
    labels = [f"({size:,})" for size in sizes]
    for leaf in np.flatnonzero(sizes == 1):  # single samples keep their names
        labels[leaf] = str(name_of[np.flatnonzero(owner == leaf)[0]])
    leaves = leaves_list(small)
    return replace(
        spec, linkage=small, leaves=leaves, leaf_labels=[labels[i] for i in leaves],
        leaf_colours=None, branch_groups=groups, bars=[], legends=[], support=None,
        note=(f"truncated: the top {p} of {n:,} leaves' clusters (as scipy's "
              "truncate_mode='lastp'); labels give the number of samples under each"),
    )


def _height_label(params) -> str:
    """``'height (ward, euclidean)'``; ``'height'`` for a tree that records neither (by hand)."""
    method, metric = params.get("method"), params.get("metric")
    return "height" if method is None or metric is None else f"height ({method}, {metric})"


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and np.isfinite(value)


def draw_dendrogram_figure(spec: DendrogramSpec, *, figsize=None, ax=None, show=None):
    """Draw ``spec``: the tree, its bars and labels in a new figure, or the tree alone in ``ax``.

    Returns the tree's Axes.
    """
    n = len(spec.leaves)
    bars = spec.bars if ax is None else []
    labelled = n <= MAX_LABELLED_LEAVES
    given = ax is not None
    if ax is None:
        width = max(8.0, 0.17 * n + 2.5) if labelled else UNLABELLED_WIDTH
        size, margins = figsize or (width, 5.5), {}
        if figsize is None:  # the legend right and the leaf labels below on the canvas
            below = (label_inches(spec.leaf_labels, leaf_fontsize(0.8 * width / n)) + 0.1
                     if labelled and n else 0.0)
            size, margins = grown_canvas(size, right=_legend_inches(spec.legends), bottom=below)
        fig = new_figure(size, show=show)
        grid = fig.add_gridspec(1 + len(bars), 1, height_ratios=[6.0] + [0.35] * len(bars),
                                hspace=0.05, **margins)
        ax = fig.add_subplot(grid[0])
        bar_axes = [fig.add_subplot(grid[i + 1]) for i in range(len(bars))]
    else:
        fig, bar_axes = ax.figure, []
        given_width = ax.get_position().width * fig.get_size_inches()[0]  # one panel of many
    draw_dendrogram(ax, spec.linkage, spec.leaves, leaf_groups=spec.branch_groups,
                    colours=spec.branch_colours)
    ax.set_ylabel(spec.ylabel)
    if spec.cut is not None:
        _draw_cut(ax, *spec.cut)
    if spec.support is not None:
        _draw_support(ax, spec.linkage, spec.leaves, spec.support)
    for bar_ax, bar in zip(bar_axes, bars, strict=True):
        draw_colour_bar(bar_ax, bar)
    ax.set_xticks([])
    label_ax = bar_axes[-1] if bar_axes else ax
    width_in = fig.get_size_inches()[0] * 0.8 if not given else given_width
    note = spec.note
    if labelled:
        side_labels(label_ax, spec.leaf_labels, side="bottom", rotation=90,
                    fontsize=leaf_fontsize(width_in / n), colours=spec.leaf_colours, pad=2.0)
    else:
        note = note or (f"all {n:,} leaves drawn; leaf labels left out beyond "
                        f"{MAX_LABELLED_LEAVES:,}")
    draw_legend(ax, spec.legends)
    if note is not None:
        if given:  # wrapped to the panel, so it never runs over the panels beside it
            note = textwrap.fill(note, width=max(20, int(width_in * 72 / (8 * 0.55))))
        ax.set_title(note, fontsize=8, loc="left", color="#555555")
    mark_simulated(fig, spec.simulated)
    return ax


def _legend_inches(legends) -> float:
    """Width of :func:`~gexclust.pl._colour_bar.draw_legend`'s legend (8 pt), estimated."""
    texts = legend_texts(legends)
    return label_inches(texts, 8) + 0.6 if texts else 0.0


def _draw_support(ax, Z, leaves, marks: SupportMarks) -> None:
    """AU (red) and BP (green) in % beside each merge; boxes around supported branches."""
    from matplotlib.patches import Rectangle

    n = len(leaves)
    x = np.empty(2 * n - 1)
    x[leaves] = np.arange(n) + 0.5
    for i, (left, right) in enumerate(Z[:, :2].astype(int)):
        x[n + i] = (x[left] + x[right]) / 2
    size = float(np.clip(0.45 * ax.figure.get_size_inches()[0] * 72 / max(n, 1), 3.0, 7.0))
    for i, height in enumerate(Z[:, 2]):
        for value, colour, ha in ((marks.au[i], "#d62728", "right"),
                                  (marks.bp[i], "#2ca02c", "left")):
            ax.annotate(f"{round(100 * value)}", (x[n + i], height),
                        xytext=(-1.5 if ha == "right" else 1.5, 1.5),
                        textcoords="offset points", ha=ha, va="bottom", fontsize=size,
                        color=colour, gid="gexclust-support")
    top = ax.get_ylim()[1]
    for first, last, height in marks.boxes:
        ax.add_patch(Rectangle((first + 0.1, 0.0), last - first + 0.8, height + 0.01 * top,
                               fill=False, edgecolor="#d62728", linewidth=1.2,
                               gid="gexclust-support-box", clip_on=False))
    ax.annotate(f"AU (red), BP (green) in %; boxes: {marks.label}", (0.0, 1.0),
                xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                fontsize=7, color="#444444", va="bottom")


def _cut_of_this_tree(info, key: str, n_clusters: int, stored_tree, clusters: str) -> bool:
    """Whether the cut record ``info`` (``.uns[clusters]``) is a height cut of tree ``key``.

    A cut of another tree (a gene tree cut with the same ``key_added``, or an earlier tree
    under ``key``, see :func:`~gexclust.tl._tree_access.tree_id`) writes its own record there;
    its height means nothing on this tree.
    """
    from ..tl._tree_access import tree_id

    if not hasattr(info, "get"):
        return False
    params = info.get("params", {})
    recorded = params.get("tree_id") if hasattr(params, "get") else None
    if (recorded is not None and params.get("key", key) == key
            and str(recorded) != tree_id(stored_tree)):
        logger.warning(
            "pl.dendrogram: .obs[%r] is a cut of an earlier tree than the one in .uns[%r] "
            "(tl.hclust ran again since): branches are coloured by those clusters, and no cut "
            "line is drawn; rerun gexclust.tl.cut to cut this tree", clusters, key,
        )
        return False
    if not _is_number(info.get("threshold")):
        return False
    return params.get("key", key) == key and info.get("n_clusters_found") == n_clusters


def _height_gives(Z: np.ndarray, height: float, groups: np.ndarray) -> bool:
    """Whether cutting ``Z`` at ``height`` gives the clusters ``groups`` (per leaf; -1: none).

    A cut of an earlier tree under the same key (``tl.hclust`` rerun with another method, say)
    leaves its record behind; its height would be drawn on a tree it never cut.
    """
    from scipy.cluster.hierarchy import fcluster

    assigned = groups >= 0
    ours, theirs = fcluster(Z, height, criterion="distance")[assigned], groups[assigned]
    pairs = set(zip(ours.tolist(), theirs.tolist(), strict=True))
    return len(pairs) == len(set(ours.tolist())) == len(set(theirs.tolist()))


def _draw_cut(ax, threshold: float, text: str) -> None:
    ax.axhline(threshold, color="#333333", linestyle="--", linewidth=0.9)
    ax.annotate(
        text,
        xy=(1.0, threshold),
        xycoords=("axes fraction", "data"),
        xytext=(-4, 3),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=8,
    )
