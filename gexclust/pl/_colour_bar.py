"""Category colour strips along a tree's leaves, shared by the dendrogram and the clustermap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._base import no_frame, no_ticks, side_labels

if TYPE_CHECKING:
    from anndata import AnnData


@dataclass
class ColourBar:
    """One annotation in leaf order: category codes (-1: missing), colours, optional run names."""

    label: str
    codes: np.ndarray
    colours: list[str]
    run_names: list[str] | None = None


def colour_bar_spec(adata: AnnData, key: str, rows, *, name_runs: bool = False,
                    labels: bool = False) -> ColourBar:
    """The strip of ``.obs[key]`` for ``rows`` (in that order); colours from ``.uns``.

    Colours are read from (or written to) ``.uns[f'{key}_colors']``, scanpy's convention.
    A numeric column (age, RIN) is a gradient instead, as in scanpy and pheatmap: each
    sample its own colour, grey where the value is missing; ``.uns`` is left alone. With
    ``labels`` (a clusters bar, whose codes also colour branches) whole numbers are
    categories: one colour per cluster number. Which palette new colours come from is the
    column's, not the bar's (:func:`~gexclust._palette.ensure_colors`).
    """
    from .._labels import as_numbers, is_measurement, obs_texts
    from .._palette import ensure_colors

    column = adata.obs[key]
    if is_measurement(column) and not labels:
        numbers = as_numbers(column)
        values = numbers[rows]
        codes = np.where(np.isnan(values), -1, np.arange(len(values)))
        return ColourBar(key, codes, gradient_colours(values, numbers))
    # unassigned samples (NaN, e.g. after a dynamic cut) get no name, not 'nan'
    names = obs_texts(column)[rows].tolist() if name_runs else None
    return ColourBar(key, category_codes(adata, key)[rows], ensure_colors(adata, key), names)


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


def drawn_keys(adata: AnnData, color, *, caller: str) -> list[str]:
    """The ``.obs`` columns ``color`` names (one name or a list, as scanpy's ``color=``).

    Each is checked as :func:`drawn_key` checks one: the default ``'type'`` is skipped when
    absent, any other name that is not a column is an error.
    """
    keys = [color] if color is None or isinstance(color, str) else list(color)
    return [key for key in keys
            if drawn_key(adata, key, param="color", default="type", caller=caller)]


def gradient_colours(values: np.ndarray, scale_of: np.ndarray) -> list[str]:
    """Hex colours of ``values`` on viridis, spanning the finite range of ``scale_of``.

    A missing value gets the grey of missing labels (it is masked when drawn, in any case).
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    from .._palette import MISSING_COLOUR

    finite = scale_of[np.isfinite(scale_of)]
    low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 0.0)
    span = high - low
    cmap = colormaps["viridis"]
    return [MISSING_COLOUR if not np.isfinite(v)
            else to_hex(cmap((v - low) / span if span > 0 else 0.5)) for v in values]


def legend_colours(adata: AnnData, key: str) -> dict[str, str]:
    """The legend of ``.obs[key]``: its categories, or five steps of a numeric column's range."""
    from .._labels import as_numbers, is_measurement

    column = adata.obs[key]
    if not is_measurement(column):
        return category_colours(adata, key)
    numbers = as_numbers(column)
    finite = numbers[np.isfinite(numbers)]
    if not len(finite):
        return {}
    steps = np.unique(np.linspace(finite.min(), finite.max(), 5))
    return dict(zip(step_labels(steps), gradient_colours(steps, numbers), strict=True))


def step_labels(steps: np.ndarray) -> list[str]:
    """Short texts of distinct numbers that stay distinct: years 2001-2010 are not '2e+03'.

    Three significant digits, more when the whole part needs them or two steps would read
    the same (their legend entries would merge).
    """
    largest = float(np.abs(steps).max())
    whole_digits = int(np.floor(np.log10(largest))) + 1 if largest > 0 else 0
    labels = []
    for digits in range(min(max(3, whole_digits), 17), 18):
        labels = [f"{v:.{digits}g}" for v in steps]
        if len(set(labels)) == len(labels):
            break
    return labels


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
    no_frame(ax)
    if bar.run_names is not None:
        _name_runs(ax, bar.run_names, vertical=vertical)


def _name_runs(ax, values, *, vertical: bool = False) -> None:
    """Write each category's name in the middle of its run of leaves (upright on a column)."""
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            middle = (start + i) / 2
            ax.text(*((0.5, middle) if vertical else (middle, 0.5)), str(values[start]),
                    ha="center", va="center", rotation=90 if vertical else 0, fontsize=8,
                    color="white", fontweight="bold", parse_math=False)
            start = i


def legend_texts(legends: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Every text :func:`draw_legend` writes for ``legends``: titles and categories."""
    return [text for title, colours in legends for text in (title, *map(str, colours))]


def draw_legend(ax, legends: list[tuple[str, dict[str, str]]], *,
                anchor: tuple[float, float] = (1.0, 1.0)) -> None:
    """One legend of the annotations' colours, its upper left at ``anchor`` (axes fraction).

    ``legends`` holds ``(column, {category: colour})`` pairs; with several columns each
    starts with its name in bold, in one legend (matplotlib places one legend per axes).
    Names and categories are drawn as written, ``$`` included (see :func:`side_labels`).
    """
    from matplotlib.patches import Patch

    if not legends:
        return
    if len(legends) == 1:
        title, colours = legends[0]
        handles = [Patch(color=c, label=str(k)) for k, c in colours.items()]
        legend = ax.legend(handles=handles, title=title, fontsize=8, title_fontsize=8,
                           frameon=False, loc="upper left", bbox_to_anchor=anchor)
        _as_written(legend)
        return
    handles, headers = [], set()
    for title, colours in legends:
        headers.add(len(handles))
        handles.append(Patch(visible=False, label=title))
        handles += [Patch(color=c, label=str(k)) for k, c in colours.items()]
    legend = ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left",
                       bbox_to_anchor=anchor)
    for i, text in enumerate(legend.get_texts()):
        if i in headers:
            text.set_fontweight("bold")
    _as_written(legend)


def _as_written(legend) -> None:
    """Draw the texts of ``legend`` as written: a ``$`` in a label starts no mathtext."""
    for text in [legend.get_title(), *legend.get_texts()]:
        text.set_parse_math(False)
