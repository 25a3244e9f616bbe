"""Curves of the scores :func:`gexclust.tl.choose_k` gives each number of clusters."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._api import named
from ._base import check_plot_arguments, finish, new_figure

if TYPE_CHECKING:
    import pandas as pd
    from anndata import AnnData

PANELS = (
    ("silhouette", "silhouette", "mean silhouette width"),
    ("calinski_harabasz", "Calinski-Harabasz", "between / within dispersion"),
    ("gap", "gap statistic", "mean log W* - log W (± s_k)"),
)


@named("pl.choose_k")
def choose_k(
    adata: AnnData,
    *,
    key: str = "choose_k",
    figsize: tuple[float, float] = (10.0, 3.4),
    show: bool | None = None,
    save: str | os.PathLike | None = None,
):
    """Plot silhouette, Calinski-Harabasz and gap against k, marking the recommended k.

    The silhouette panel also shows the mean silhouette of the rotated copies of the data (one
    cloud with the data's gene covariance, no groups: what groups of pure chance reach); the
    gap panel shows ``s_k`` as error bars. The title repeats the result's message, which says
    whether the groups are strong or weak.

    A result of another tree (``tl.hclust`` ran again since ``tl.choose_k``, with other
    parameters, genes or samples) is refused with a ``ValueError`` saying what to rerun.

    Parameters
    ----------
    adata
        Annotated data matrix with ``.uns[key]`` from :func:`~gexclust.tl.choose_k`.
    key
        Key of the choose_k result in ``.uns``.
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
    ``show=False`` the Figure (three Axes).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=1000, subset=True)
    >>> gx.tl.hclust(adata)
    >>> gx.tl.choose_k(adata)
    >>> gx.pl.choose_k(adata)
    """
    check_plot_arguments(figsize=figsize, save=save)
    fig = draw_choose_k(choose_k_spec(adata, key=key), figsize=figsize, show=show)
    return finish(fig, fig, show=show, save=save)


@dataclass
class ChooseKSpec:
    """What the figure shows: the scores table, the chosen k and the message."""

    scores: pd.DataFrame
    k: int
    message: str


def choose_k_spec(adata: AnnData, *, key: str = "choose_k") -> ChooseKSpec:
    """Read what :func:`choose_k` shows from ``adata`` (refused for another tree's result)."""
    from ..tl._tree_access import result_of_tree

    if key not in adata.uns or "scores" not in adata.uns[key]:
        msg = f"pl.choose_k: no result in .uns[{key!r}]; run gexclust.tl.choose_k(adata) first"
        raise KeyError(msg)
    result = result_of_tree(adata, key, producer="choose_k", caller="pl.choose_k")
    return ChooseKSpec(scores=result["scores"], k=int(result["k"]), message=str(result["message"]))


def draw_choose_k(spec: ChooseKSpec, *, figsize=(10.0, 3.4), show: bool | None = None):
    """Draw the three curves of ``spec`` into a new Figure."""
    scores = spec.scores
    fig = new_figure(figsize, show=show)
    axes = fig.subplots(1, len(PANELS))
    ks = np.asarray(scores.index, dtype=int)
    for ax, (column, title, ylabel) in zip(axes, PANELS, strict=True):
        values = scores[column].to_numpy(dtype=float)
        shown = np.isfinite(values)
        if column == "gap":
            ax.errorbar(ks, values, yerr=scores["gap_sd"].to_numpy(dtype=float), marker="o",
                        ms=4, color="#1f77b4", capsize=2, label="data")
        else:
            ax.plot(ks[shown], values[shown], marker="o", ms=4, color="#1f77b4", label="data")
        if column == "silhouette":
            null = scores["silhouette_null"].to_numpy(dtype=float)
            ax.plot(ks[shown], null[shown], ls="--", color="0.5",
                    label="one cloud (rotated copies)")
            ax.legend(fontsize=7, frameon=False)
        ax.axvline(spec.k, color="#d62728", lw=1, ls=":")
        # y=1 pins the title where matplotlib puts it here anyway; unpinned, every draw lays
        # out all y tick labels to see whether it must rise above ticks on top (there are
        # none) or the y axis' offset text ('1e6', at the top left; the title is centred)
        ax.set_title(title, fontsize=9, y=1.0)
        ax.set_xlabel("k (clusters)", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.set_xticks(ks)
        ax.tick_params(labelsize=7)
    fig.suptitle("\n".join(textwrap.wrap(spec.message, 140)), fontsize=8)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.78, wspace=0.35)
    return fig
