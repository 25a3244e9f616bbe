"""Consensus heatmap ordered by its own tree, with the CDF curves and PAC per k."""

from __future__ import annotations

import os
from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np

from .._api import named
from ._base import (
    check_plot_arguments,
    finish,
    leaf_fontsize,
    mark_simulated,
    new_figure,
    side_labels,
)

if TYPE_CHECKING:
    from anndata import AnnData


#: Beyond this many samples their names are left out and the figure stops growing.
MAX_LABELLED_SAMPLES = 200


@named("pl.consensus")
def consensus(
    adata: AnnData,
    *,
    k: int | None = None,
    key: str = "consensus",
    figsize: tuple[float, float] | None = None,
    show: bool | None = None,
    save: str | os.PathLike | None = None,
):
    """Plot :func:`gexclust.tl.consensus`: the consensus matrix, the CDFs and PAC.

    Left: the consensus matrix at ``k`` (white 0 to dark blue 1), samples ordered by the tree
    of 1 - consensus, with the consensus classes as a colour bar (at the recommended k in the
    colours of ``.obs[key]``, as every figure draws that column, whatever the order or names
    of its categories; at another k, a class that is one of ``.obs['cluster']``'s clusters in
    that cluster's colour and the others in colours of their own).
    Right: the CDF of the consensus values for every k (a clean split is a step at 0 and 1)
    and PAC per k, with the recommended k marked. The figure grows with the samples, which
    are named, up to 200; beyond, it stays at that size without names. A result computed on
    other samples or values (a subset, or ``pp.scale`` since) is refused with a
    ``ValueError`` saying to rerun it.

    Parameters
    ----------
    adata
        Annotated data matrix after :func:`~gexclust.tl.consensus`.
    k
        Number of clusters of the heatmap; the recommended k by default.
    key
        ``key_added`` of :func:`~gexclust.tl.consensus`.
    figsize
        Figure size in inches.
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
    (``.uns[f'{key}_colors']``, when ``.obs[key]`` has none).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> gx.tl.consensus(adata, k_range=range(2, 7), n_resamples=20, progress=False)
    >>> gx.pl.consensus(adata)
    """
    from matplotlib.colors import ListedColormap
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    from .._palette import palette
    from ..tl._consensus import checked_consensus

    check_plot_arguments(figsize=figsize, save=save)  # before colours are written
    if key not in adata.uns or "pac" not in adata.uns[key]:
        msg = f"pl.consensus: no result in .uns[{key!r}]; run gexclust.tl.consensus(adata)"
        raise KeyError(msg)
    result = checked_consensus(adata, key, caller="pl.consensus")
    ks = [int(v) for v in result["k"]]
    # int() took k=2.5 for 2 (drawn without a word), '3' for 3 and True for 1
    if k is not None and (isinstance(k, bool) or not isinstance(k, Integral)):
        msg = f"pl.consensus: k must be a whole number, one of {ks} (computed), got {k!r}"
        raise ValueError(msg)
    k = int(result["best_k"]) if k is None else int(k)
    if k not in ks:
        msg = f"pl.consensus: k={k} was not computed; choose one of {ks}"
        raise ValueError(msg)
    matrix = np.asarray(adata.obsp[f"{key}_k{k}"])
    Z = linkage(squareform(1.0 - matrix, checks=False),
                method=result["params"].get("final_method", "average"))
    order = leaves_list(Z)
    classes = np.asarray(adata.obsm[f"{key}_classes"])[:, ks.index(k)]

    n = adata.n_obs
    labelled = n <= MAX_LABELLED_SAMPLES  # beyond, the figure stops growing (5,000: 500 in)
    grow = min(n, MAX_LABELLED_SAMPLES)
    fig = new_figure(figsize or (max(9.0, 0.1 * grow + 6.5), max(5.5, 0.1 * grow + 2.5)),
                     show=show)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.4, 1.0], height_ratios=[1.0, 1.0],
                            wspace=0.35, hspace=0.45)
    heat = grid[:, 0].subgridspec(2, 1, height_ratios=[0.05, 1.0], hspace=0.02)
    bar_ax, heat_ax = fig.add_subplot(heat[0]), fig.add_subplot(heat[1])
    shades = np.linspace(0, 1, 64)
    blues = ListedColormap([(1 - t * 0.9, 1 - t * 0.75, 1 - t * 0.35) for t in shades])
    image = heat_ax.imshow(matrix[np.ix_(order, order)], cmap=blues, vmin=0, vmax=1,
                           aspect="auto", interpolation="nearest" if labelled else "antialiased",
                           extent=(0, n, n, 0))
    heat_ax.set_xticks([])
    heat_ax.set_yticks([])
    fig.colorbar(image, ax=heat_ax, fraction=0.04, pad=0.02, label="consensus")
    bar_ax.imshow((classes[order] - 1)[None, :], aspect="auto", interpolation="nearest",
                  cmap=ListedColormap(_class_colours(adata, key, classes, k)), vmin=-0.5,
                  vmax=k - 0.5,
                  extent=(0, n, 0, 1))
    bar_ax.set_axis_off()
    bar_ax.set_title(f"consensus matrix, k = {k}", fontsize=10)
    if labelled:
        side_labels(heat_ax, [str(v) for v in np.asarray(adata.obs_names)[order]], side="left",
                    fontsize=leaf_fontsize(fig.get_size_inches()[1] * 0.8 / n))

    cdf_ax, pac_ax = fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
    colours = palette(len(ks), kind="cluster")
    for j, kk in enumerate(ks):
        cdf_ax.step(result["cdf_x"], result["cdf"][j], where="post", color=colours[j],
                    linewidth=2.0 if kk == k else 1.0, label=f"k={kk}")
    cdf_ax.set_xlabel("consensus")
    cdf_ax.set_ylabel("CDF")
    cdf_ax.legend(fontsize=7, ncol=2, frameon=False)
    pac = np.asarray(result["pac"])
    pac_ax.plot(ks, pac, marker="o", color="#333333")
    best = int(result["best_k"])
    pac_ax.plot([best], [pac[ks.index(best)]], marker="o", markersize=10, color="#d62728",
                linestyle="none", label=f"recommended k = {best}")
    pac_ax.set_xlabel("k")
    pac_ax.set_ylabel("PAC (share of pairs in (0.1, 0.9])")
    pac_ax.set_ylim(0, max(0.05, float(pac.max()) * 1.1))
    pac_ax.set_xticks(ks)
    pac_ax.legend(fontsize=8, frameon=False)
    mark_simulated(fig, adata.uns.get("simulated") is not None)
    return finish(fig, fig, show=show, save=save)


def _class_colours(adata: AnnData, key: str, classes: np.ndarray, k: int) -> list[str]:
    """Colours of the consensus classes 1..k: those of ``.obs[key]`` when it holds them.

    :func:`~gexclust.tl.consensus` writes the classes of the recommended k to ``.obs[key]``
    with colours (away from the types', as :func:`~gexclust.tl.cut`), and every other figure
    draws that column in them. Each class takes the colour of the category its samples
    have, found by the samples, not by the category's position or name, so classes keep
    the colours the other figures give them after ``reorder_categories``,
    ``rename_categories`` or added categories. The classes of another k are no column: a
    class that is one of the recommended k's takes its colour, else one that is one of the
    run's clusters (``.obs['cluster']``) takes that, the others colours of their own
    (:func:`~gexclust._palette.matched_palette`), so a colour is one group of samples in
    every consensus figure.
    """
    from .._palette import ensure_colors, label_codes

    column = adata.obs.get(key)
    if column is None:
        return _other_k_colours(adata, key, classes, k)
    pairs = set(zip(classes.tolist(), label_codes(column).tolist(), strict=True))
    category_of = dict(pairs)
    # each class in one category and each category of one class, none unlabelled (-1)
    one_to_one = (len(pairs) == k and sorted(category_of) == list(range(1, k + 1))
                  and len(set(category_of.values())) == k and min(category_of.values()) >= 0)
    if not one_to_one:  # .obs[key] holds other classes (another k, or changed by hand)
        return _other_k_colours(adata, key, classes, k)
    colours = ensure_colors(adata, key)
    return [colours[category_of[c]] for c in range(1, k + 1)]


def _other_k_colours(adata: AnnData, key: str, classes: np.ndarray, k: int) -> list[str]:
    """Colours of classes that are no column: the recommended k's, then the clusters'.

    ``.obs[key]`` holds the recommended k's classes, in the colours every other figure
    draws them; a class that is none of those but one of the run's clusters takes its
    colour. Dark2 in order made class 1 the colour of cluster 1 whoever is in either.
    """
    from .._palette import (
        CLUSTER_COLUMN,
        TYPE_COLUMNS,
        annotation_colours,
        matched_palette,
        palette,
    )

    # the recommended k's classes first: their colours are those of the other consensus
    # figures (lung, k = 4: a class of the 6 samples of class 4 at k = 8 was drawn in the
    # colour of class 2 there, being matched to the clusters only)
    matching = [c for c in dict.fromkeys((key, CLUSTER_COLUMN)) if c in adata.obs]
    if not matching:
        return palette(k, kind="cluster")
    return matched_palette(adata, np.asarray(classes) - 1, k, matching=matching,
                           avoid=annotation_colours(adata, TYPE_COLUMNS))
