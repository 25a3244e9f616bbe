"""Category colour strips along a tree's leaves, shared by the dendrogram and the clustermap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._base import no_ticks, side_labels

if TYPE_CHECKING:
    from anndata import AnnData


@dataclass
class ColourBar:
    """One annotation in leaf order: category codes (-1: missing), colours, optional run names."""

    label: str
    codes: np.ndarray
    colours: list[str]
    run_names: list[str] | None = None


def colour_bar_spec(adata: AnnData, key: str, rows, *, name_runs: bool = False) -> ColourBar:
    """The strip of ``.obs[key]`` for ``rows`` (in that order); colours from ``.uns``.

    Colours are read from (or written to) ``.uns[f'{key}_colors']``, scanpy's convention.
    """
    import pandas as pd

    from .._palette import ensure_colors

    column = adata.obs[key]
    # unassigned samples (NaN, e.g. after a dynamic cut) get no name, not 'nan'
    names = ([str(v) if not pd.isna(v) else "" for v in column.to_numpy()[rows]]
             if name_runs else None)
    return ColourBar(key, category_codes(adata, key)[rows], list(ensure_colors(adata, key)),
                     names)


def drawn_key(adata: AnnData, key: str | None, *, param: str, default: str,
              caller: str) -> bool:
    """Whether ``.obs[key]`` is drawn: ``None`` is not, nor the ``default`` when absent.

    The defaults (``'type'``, ``'cluster'``) are skipped quietly when absent, as on scanpy's
    data, which have neither; any other name that is not an ``.obs`` column is a typo,
    refused as scanpy refuses ``color=`` it cannot find.
    """
    if key is None:
        return False
    if key in adata.obs:
        return True
    if key == default:
        return False
    msg = (f"{caller}: {param}={key!r} is not an .obs column; available: "
           f"{list(adata.obs.columns)}")
    raise KeyError(msg)


def category_codes(adata: AnnData, key: str) -> np.ndarray:
    """Category codes of ``.obs[key]`` (-1 for missing or blank); plain string columns too."""
    from .._palette import label_codes

    return label_codes(adata.obs[key])


def category_colours(adata: AnnData, key: str) -> dict[str, str]:
    """``{category: colour}`` of a categorical (or plain string) ``.obs`` column.

    Blank categories (an empty field: no label) are left out, as NaN is: no legend entry;
    so are categories no sample has (as scanpy's plots drop them), which keep their colour.
    """
    from .._palette import as_categorical, blank_categories, ensure_colors

    column = as_categorical(adata.obs[key])
    categories = column.categories
    used = np.isin(np.arange(len(categories)), column.codes)
    pairs = zip(categories, ensure_colors(adata, key), blank_categories(categories) | ~used,
                strict=True)
    return {str(c): colour for c, colour, left_out in pairs if not left_out}


def draw_colour_bar(ax, bar: ColourBar, *, vertical: bool = False) -> None:
    """Draw ``bar`` as a strip on ``ax``, labelled with its name, run names written in white."""
    from matplotlib.colors import ListedColormap

    codes = np.ma.masked_less(bar.codes, 0)  # missing labels (code -1) stay blank
    n = len(codes)
    ax.imshow(
        codes[:, None] if vertical else codes[None, :],
        aspect="auto",
        cmap=ListedColormap(bar.colours),
        vmin=-0.5,
        vmax=len(bar.colours) - 0.5,
        extent=(0, 1, n, 0) if vertical else (0, n, 0, 1),
        interpolation="nearest",
    )
    no_ticks(ax)
    if vertical:
        side_labels(ax, [bar.label], side="bottom", rotation=90, fontsize=8, positions=[0.5])
    else:
        side_labels(ax, [bar.label], side="left", fontsize=8, positions=[0.5])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if bar.run_names is not None:
        _name_runs(ax, bar.run_names)


def _name_runs(ax, values) -> None:
    """Write each category's name in the middle of its run of leaves."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            ax.text((start + i) / 2, 0.5, str(values[start]), ha="center", va="center",
                    fontsize=8, color="white", fontweight="bold")
            start = i


def draw_legend(ax, colours: dict[str, str], *, title: str) -> None:
    """A legend of category colours, to the right of ``ax``."""
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=str(k)) for k, c in colours.items()]
    ax.legend(
        handles=handles, title=title, fontsize=8, title_fontsize=8, frameon=False,
        loc="upper left", bbox_to_anchor=(1.0, 1.0),
    )
