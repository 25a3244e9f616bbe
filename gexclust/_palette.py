"""Categorical colours, without importing matplotlib.pyplot."""

from __future__ import annotations

import colorsys

import numpy as np
import pandas as pd
from anndata import AnnData

# matplotlib's tab10 and tab20, written out so colouring needs no matplotlib import, without
# their greys (#7f7f7f, #c7c7c7): grey is the colour of samples without a label and of the
# tree above the cut, so a grey category or cluster would look like none (as scanpy's
# default palettes, these leave grey out)
TAB10 = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#bcbd22", "#17becf",
]
TAB20 = [
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2",
    "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
]
#: Colour of samples without a label (NaN, or a blank category such as an empty CSV field).
MISSING_COLOUR = "#9e9e9e"
# ColorBrewer Dark2 (as in matplotlib) without its grey (#666666), for clusters, so they never
# look like the sample types
DARK2 = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


def palette(n: int, *, kind: str = "category") -> list[str]:
    """``n`` distinguishable hex colours, none grey: tab10, then tab20, then evenly spaced hues.

    ``kind='cluster'`` starts from Dark2 instead, so cluster colours differ from annotation ones.
    """
    if kind == "cluster" and n <= len(DARK2):
        return DARK2[:n]
    if n <= len(TAB10):
        return TAB10[:n]
    if n <= len(TAB20):
        return TAB20[:n]
    colours = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb(i / n, 0.65 if i % 2 else 0.9, 0.85 if i % 3 else 0.65)
        colours.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return colours


def set_cluster_colors(adata: AnnData, key: str, n: int) -> None:
    """Write ``.uns[f'{key}_colors']`` for ``n`` clusters, keeping the user's if they fit.

    Rerunning a cut must not undo colours chosen by hand; as in scanpy, a list with one
    colour per cluster is kept, any other is replaced by the cluster palette.
    """
    colours = adata.uns.get(f"{key}_colors")
    if colours is None or isinstance(colours, str) or len(colours) != n:
        adata.uns[f"{key}_colors"] = palette(n, kind="cluster")


def ensure_colors(adata: AnnData, key: str, *, axis: str = "obs") -> list[str]:
    """Return ``.uns[f'{key}_colors']``, creating it (scanpy's convention) if absent or stale.

    One colour per category, as scanpy expects. A blank category (``''``, an empty field) is
    no label: it gets the grey of missing values, and the others get the palette they would
    have if those samples were NaN.
    """
    frame = adata.obs if axis == "obs" else adata.var
    categories = as_categorical(frame[key]).categories
    colours = adata.uns.get(f"{key}_colors")
    if colours is None or len(colours) != len(categories):
        blank = blank_categories(categories)
        named = iter(palette(int((~blank).sum())))
        colours = [MISSING_COLOUR if b else next(named) for b in blank]
        adata.uns[f"{key}_colors"] = colours
    return list(colours)


def label_codes(column) -> np.ndarray:
    """Category codes of ``column`` (see :func:`as_categorical`), -1 for NaN and blank labels."""
    categorical = as_categorical(column)
    codes = np.asarray(categorical.codes).copy()
    codes[np.isin(codes, np.flatnonzero(blank_categories(categorical.categories)))] = -1
    return codes


def blank_categories(categories) -> np.ndarray:
    """True for each category that is no label: blank, or a missing-value text such as ``'nan'``.

    See :func:`gexclust._labels.is_missing_label` (pandas' ``read_csv`` missing-value texts).
    """
    from ._labels import is_missing_label

    return np.array([is_missing_label(c) for c in categories], dtype=bool)


def as_categorical(column) -> pd.Categorical:
    """``column`` as a Categorical: its own if categorical, else sorted categories, as scanpy.

    Plain string (object) columns are not converted in place; scanpy would convert them with
    the same sorted categories, so colours written to ``.uns`` match either way.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array
    return pd.Categorical(column)
