"""Categorical colours, without importing matplotlib.pyplot (21+ categories: scanpy's palettes)."""

from __future__ import annotations

import colorsys
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from anndata import AnnData

# matplotlib's tab10 and tab20, written out so colouring needs no matplotlib import, without
# their greys (#7f7f7f, #c7c7c7): grey is the colour of samples without a label and of the
# tree above the cut, so a grey category or cluster would look like none. TAB20 is the pool
# cluster colours are picked from after Dark2.
TAB10 = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#bcbd22", "#17becf",
]
TAB20 = [
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2",
    "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
]
# What scanpy stores for a categorical column without colours (sc.pl.umap(color=...)):
# matplotlib's colour cycle, tab10, up to 10 categories, scanpy's own 20 colours (none grey)
# up to 20. A column gets the same colours whether scanpy or gexclust draws it first; only
# tab10's grey is replaced, in place (by tab20's light orange, 41 CIELAB ΔE from every other
# tab10 colour), so that every other category keeps scanpy's colour.
CATEGORY_10 = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#ffbb78", "#bcbd22", "#17becf",
]
SCANPY_20 = [
    "#1f77b4", "#ff7f0e", "#279e68", "#d62728", "#aa40fc", "#8c564b", "#e377c2", "#b5bd61",
    "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
    "#dbdb8d", "#9edae5", "#ad494a", "#8c6d31",
]
#: Colour of samples without a label (NaN, or a blank category such as an empty CSV field).
MISSING_COLOUR = "#9e9e9e"
# ColorBrewer Dark2 (as in matplotlib) without its grey (#666666), for clusters, so they never
# look like the sample types
DARK2 = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]


def palette(n: int, *, kind: str = "category") -> list[str]:
    """``n`` distinguishable hex colours, none grey: what scanpy stores for a column without any.

    Up to 10 tab10 (its grey replaced, :data:`CATEGORY_10`), up to 20 scanpy's 20 colours
    (:data:`SCANPY_20`), up to 102 scanpy's 28 or 102 colours, their greys replaced
    (:func:`scanpy_large_palette`), beyond evenly spaced hues.

    ``kind='cluster'`` gives :func:`cluster_palette` (Dark2 first) with nothing to avoid.
    """
    if kind == "cluster":
        return cluster_palette(n)
    if n <= len(CATEGORY_10):
        return CATEGORY_10[:n]
    if n <= len(SCANPY_20):
        return SCANPY_20[:n]
    if n <= SCANPY_LARGEST:
        return scanpy_large_palette(n)
    # scanpy gives every category of a column this large one grey ('#808080'), which reads
    # as "no label" here, so each gets a hue of its own instead
    return _hues(n)


def _hues(n: int) -> list[str]:
    """``n`` evenly spaced hues, saturation and value alternating so neighbours differ.

    Given in an order that goes round the hue circle by about 0.38 of a turn (the golden
    angle) from one colour to the next: clusters are numbered along the tree, and in hue
    order neighbouring clusters were neighbouring hues (45 clusters: CIELAB ΔE down to 6).
    """
    colours = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb(i / n, 0.65 if i % 2 else 0.9, 0.85 if i % 3 else 0.65)
        colours.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    step = max(1, round(n * (3 - 5**0.5) / 2))
    while math.gcd(step, n) != 1:  # a step sharing a factor with n would repeat colours
        step += 1
    return [colours[i * step % n] for i in range(n)]


#: The most categories scanpy has distinct colours for (its ``default_102``).
SCANPY_LARGEST = 102
#: CIELAB distance (CIE76 ΔE) to :data:`MISSING_COLOUR` within which a colour reads as "no
#: label": matplotlib's two greys are within it (``#7f7f7f`` 11.9, ``#c7c7c7`` 15.1), each of
#: scanpy's 20 colours beyond (the nearest, ``#c49c94``, 17.0).
GREY_DELTA_E = 16.0


def scanpy_large_palette(n: int) -> list[str]:
    """The colours scanpy gives 21-102 categories, those that read as grey replaced in place.

    scanpy stores its 28 colours (``palettes.default_28``) for 21-28 categories and its 102
    (``default_102``) for 29-102, as ``sc.pl.umap`` does. Both hold colours as close to the
    grey of samples without a label as tab10's grey (which :data:`CATEGORY_10` replaces for
    the same reason): 28 has matplotlib's two greys, 102 greyish colours such as
    ``#938a81``. Each is replaced where it stands, so every other category keeps scanpy's
    colour, by the colour of scanpy's palettes farthest from all colours in use and from
    the grey. Imports scanpy (seconds, and matplotlib.pyplot), so only for 21+ categories.
    """
    from matplotlib.colors import to_hex
    from scanpy.plotting import palettes

    source = palettes.default_28 if n <= len(palettes.default_28) else palettes.default_102
    colours = [to_hex(c) for c in source[:n]]
    greys = [i for i, c in enumerate(colours) if delta_e(c, MISSING_COLOUR) < GREY_DELTA_E]
    if not greys:
        return colours
    every = dict.fromkeys(to_hex(c) for c in
                          [*palettes.default_102, *palettes.default_28, *palettes.default_20])
    spare = [c for c in every if c not in colours and delta_e(c, MISSING_COLOUR) >= GREY_DELTA_E]
    spare_lab = np.array([_lab(c) for c in spare])
    taken = [_lab(c) for i, c in enumerate(colours) if i not in greys] + [_lab(MISSING_COLOUR)]
    picked = np.zeros(len(spare), dtype=bool)
    for i in greys:
        nearest = np.linalg.norm(spare_lab[:, None] - np.array(taken)[None], axis=2).min(1)
        nearest[picked] = -1.0
        best = int(np.argmax(nearest))  # the first of equals: deterministic
        colours[i], picked[best] = spare[best], True
        taken.append(spare_lab[best])
    return colours


#: CIELAB distance (CIE76 ΔE) from which two colours count as clearly different: Dark2's own
#: closest pair (yellow, brown) is 31.6 apart; Dark2's orange and tab10's orange only 14.4.
CLEAR_DELTA_E = 30.0


def cluster_palette(n: int, avoid: Sequence[str] = ()) -> list[str]:
    """``n`` cluster colours, each as far (CIELAB ΔE) from ``avoid`` and from the others as can be.

    Clusters are drawn beside annotation colours (tab10: blue, orange, ...), and a reader
    takes a branch's colour for the type of that colour. So colours are picked one at a time
    from Dark2, then tab20, the next being the one farthest from the avoided and the already
    picked colours; distances beyond :data:`CLEAR_DELTA_E` count as equal, and ties go to
    the earlier colour, so with nothing to avoid this is Dark2 as before, and it is
    deterministic. More clusters than those 25 colours: evenly spaced hues.
    """
    pool = DARK2 + TAB20
    if n > len(pool):
        return _hues(n)  # not scanpy's category palettes: clusters keep looking like clusters
    pool_lab = np.array([_lab(c) for c in pool])
    taken = [lab for lab in map(_lab_or_none, avoid) if lab is not None]
    chosen: list[int] = []
    for _ in range(n):
        if taken:
            nearest = np.linalg.norm(pool_lab[:, None] - np.array(taken)[None], axis=2).min(1)
        else:
            nearest = np.full(len(pool), np.inf)
        score = np.minimum(nearest, CLEAR_DELTA_E)
        score[chosen] = -1.0
        best = int(np.argmax(score))  # the first of equals
        chosen.append(best)
        taken.append(pool_lab[best])
    return [pool[i] for i in chosen]


def _lab(colour: str) -> np.ndarray:
    """CIELAB (D65) of ``'#rrggbb'``: distances there follow how different colours look."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = _SRGB_TO_XYZ @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                         [0.0193, 0.1192, 0.9505]])


def _lab_or_none(colour) -> np.ndarray | None:
    """:func:`_lab` of any matplotlib colour (a user's ``'red'``); None if it is none."""
    if isinstance(colour, str) and len(colour) == 7 and colour.startswith("#"):
        try:
            return _lab(colour)  # ours: no matplotlib import for a cut
        except ValueError:
            return None
    from matplotlib.colors import to_hex

    try:
        return _lab(to_hex(colour))
    except (TypeError, ValueError):  # the figure that draws it says what is wrong
        return None


def delta_e(a: str, b: str) -> float:
    """CIE76 ΔE between two colours (any form matplotlib reads)."""
    return float(np.linalg.norm(_lab_or_none(a) - _lab_or_none(b)))


#: The ``.obs`` columns clusters are drawn beside by default (the sample types): new cluster
#: colours keep away from theirs, whether :func:`tl.cut <gexclust.tl.cut>` or a figure picks them.
TYPE_COLUMNS = ("type",)


#: The ``.obs`` column of the run's clusters, whose colours other groupings of the samples
#: (consensus classes) reuse only for a group that is one of those clusters.
CLUSTER_COLUMN = "cluster"


def set_cluster_colors(adata: AnnData, key: str, n: int, *,
                       matching: str | None = None) -> None:
    """Write ``.uns[f'{key}_colors']`` for ``n`` clusters, keeping the user's if they fit.

    Rerunning a cut must not undo colours chosen by hand; as in scanpy, a list with one
    colour per cluster is kept, any other is replaced by :func:`new_cluster_colours`, so
    every later figure shows the clusters in these colours. With ``matching`` (another
    clustering's column), :func:`matched_palette` picks them instead.
    """
    colours = adata.uns.get(f"{key}_colors")
    if colours is None or isinstance(colours, str) or len(colours) != n:
        adata.uns[f"{key}_colors"] = _new_colours(adata, key, n, matching=matching)


def _new_colours(adata: AnnData, key: str, n: int, *, matching: str | None) -> list[str]:
    """New colours of the ``n`` clusters in ``.obs[key]``, matched to ``matching``'s if given."""
    if matching is None or matching == key or matching not in adata.obs:
        return new_cluster_colours(adata, key, n)
    avoid = annotation_colours(adata, [k for k in TYPE_COLUMNS if k != key])
    return matched_palette(adata, label_codes(adata.obs[key]), n, matching=matching,
                           avoid=avoid)


def matched_palette(adata: AnnData, codes: np.ndarray, n: int, *,
                    matching: str | Sequence[str], avoid: Sequence[str] = ()) -> list[str]:
    """Colours of ``n`` groups (``codes`` 0..n-1, -1 for none) of the samples beside ``matching``.

    A colour should mean one group of samples in every figure of a run: consensus classes
    drawn in the clusters' palette made consensus class 1 (lung: the SCC samples) the teal
    of cluster 1 (there the Adeno cluster). So a group that is one of the ``.obs[matching]``
    clusters (it holds most of that cluster's samples, and they are most of its own) takes
    that cluster's colour; the others get :func:`cluster_palette` colours away from
    ``avoid`` and from every colour of ``matching``. Several columns are matched in turn,
    the first first: a group left unmatched by one may match the next, in a colour no
    group has taken yet.
    """
    columns = [matching] if isinstance(matching, str) else list(matching)
    colours: list[str | None] = [None] * n
    theirs_all: list[str] = []
    for column in columns:
        theirs = _match_groups(adata, codes, n, column, colours)
        theirs_all += theirs
    new = iter(cluster_palette(colours.count(None), [*avoid, *theirs_all]))
    return [colour if colour is not None else next(new) for colour in colours]


def _match_groups(adata: AnnData, codes: np.ndarray, n: int, matching: str,
                  colours: list[str | None]) -> list[str]:
    """Give each group of ``colours`` still None that is one ``.obs[matching]`` cluster its colour.

    Returns the colours of ``matching`` (none for an absent or numeric column). A colour
    another group holds already is not given again.
    """
    from ._labels import is_measurement

    if matching not in adata.obs or is_measurement(adata.obs[matching]):
        return []
    theirs = annotation_colours(adata, [matching])
    their_codes = label_codes(adata.obs[matching])
    counts = np.zeros((n, len(theirs)), dtype=int)
    both = (codes >= 0) & (their_codes >= 0)
    np.add.at(counts, (codes[both], their_codes[both]), 1)
    for group, row in enumerate(counts):
        j = int(row.argmax())
        # strict majorities both ways: at most one group can be a given cluster
        if (colours[group] is None and theirs[j] not in colours
                and 2 * row[j] > row.sum() and 2 * row[j] > counts[:, j].sum()):
            colours[group] = theirs[j]
    return theirs


def new_cluster_colours(adata: AnnData, key: str, n: int) -> list[str]:
    """:func:`cluster_palette` for ``n`` clusters, away from the types' (:data:`TYPE_COLUMNS`).

    The clusters are drawn beside the types by default, in every figure.
    """
    return cluster_palette(n, annotation_colours(adata, [k for k in TYPE_COLUMNS if k != key]))


def is_our_clustering(adata: AnnData, key: str) -> bool:
    """Whether ``key`` holds clusters of ``tl.cut`` (static or dynamic) or ``tl.consensus``.

    These record their result in ``.uns[key]`` (``n_clusters_found``; ``best_k``), which
    survives an h5ad file and subsetting. Only their columns get cluster colours (Dark2 first,
    away from the types'; a consensus's classes matched to ``.obs['cluster']``, see
    :func:`matched_palette`); every other column, the user's or scanpy's (``leiden``, whose
    record has neither), gets the category palette scanpy gives it, whichever figure draws
    it and in what role (groups, colour bar, branches).
    """
    record = adata.uns.get(key)
    return hasattr(record, "keys") and ("n_clusters_found" in record or "best_k" in record)


def annotation_colours(adata: AnnData, keys: Sequence[str]) -> list[str]:
    """The colours the categorical ``.obs`` columns ``keys`` are drawn in (nothing stored).

    Those in ``.uns`` if usable (one valid colour per category), else those
    :func:`ensure_colors` would give; columns that are absent or numeric (drawn as a
    gradient) have none.
    """
    from ._labels import is_measurement

    colours = []
    for key in keys:
        if key in adata.obs and not is_measurement(adata.obs[key]):
            colours += _category_colours(adata, key, adata.obs)
    return colours


def ensure_colors(adata: AnnData, key: str, *, axis: str = "obs") -> list[str]:
    """Return ``.uns[f'{key}_colors']``, creating it (scanpy's convention) if absent or unusable.

    Every figure reads a column's colours here, so all figures of a session agree: the
    stored list when it has one valid colour per category, else new colours, stored once
    (not on a view, which would make it a copy of its own: there they are picked again,
    the same, by each figure). A stored list is never re-picked while it is usable, even
    if gexclust picked it and a later figure draws another column of similar colours
    beside it: the clusters keep their colours from figure to figure. A list of another
    length, or with a value matplotlib cannot draw (scanpy warns and replaces it too), is
    replaced with a warning naming it. A blank category (``''``, an empty field) is no
    label: it gets the grey of missing values, and the others get the palette they would
    have if those samples were NaN. New colours are the category palette scanpy gives,
    or cluster colours for the clusters of our cuts (:func:`is_our_clustering`): one rule,
    so a column's colours never depend on which figure drew it first.
    """
    frame = adata.obs if axis == "obs" else adata.var
    stored = adata.uns.get(f"{key}_colors")
    colours = _category_colours(adata, key, frame)
    if not adata.is_view:
        _make_categorical(frame, key, axis=axis)
        if not _same(stored, colours):
            adata.uns[f"{key}_colors"] = colours
    return colours


def _make_categorical(frame: pd.DataFrame, key: str, *, axis: str) -> None:
    """Store a plain-string column as the categorical its colours are of, as scanpy's plots do.

    ``.uns[f'{key}_colors']`` holds one colour per category. anndata trims it with the
    categories when the samples are subset, but only for a categorical column: a string
    column lost a category and every colour after it moved (the list no longer fitted and
    was picked again). scanpy's ``sc.pl.*`` make string columns categorical before drawing
    (``sanitize_anndata``); the categories are those :func:`as_categorical` gives, so the
    colours stay where they are.
    """
    column = frame[key]
    if not isinstance(column.dtype, pd.CategoricalDtype) and _is_text(column):
        from ._logging import logger

        frame[key] = pd.Series(as_categorical(column), index=frame.index)
        # said at INFO, as anndata says it when scanpy's plots convert a column ("... storing
        # 'batch' as categorical"): the user's column changes dtype without being asked to
        logger.info("pl: .%s[%r] is stored as categorical now, its colours one per category, "
                    "as scanpy's plots store a string column they colour", axis, key)


def _same(stored, colours: list[str]) -> bool:
    return (stored is not None and not isinstance(stored, str) and len(stored) == len(colours)
            and all(str(a) == str(b) for a, b in zip(stored, colours, strict=True)))


def _category_colours(adata: AnnData, key: str, frame: pd.DataFrame) -> list[str]:
    """``.uns[f'{key}_colors']`` if usable, else new ones (see :func:`ensure_colors`)."""
    categories = as_categorical(frame[key]).categories
    stored = usable_colours(adata, key, len(categories))
    if stored is not None:
        return stored
    blank = blank_categories(categories)
    n_named = int((~blank).sum())
    if not is_our_clustering(adata, key):
        named = iter(palette(n_named))
    elif "best_k" in adata.uns[key] and not blank.any() and frame.index.equals(adata.obs_names):
        # a consensus's classes, as tl.consensus picks them: a colour is one group of samples
        named = iter(_new_colours(adata, key, n_named, matching=CLUSTER_COLUMN))
    else:
        named = iter(new_cluster_colours(adata, key, n_named))
    return [MISSING_COLOUR if b else next(named) for b in blank]


def usable_colours(adata: AnnData, key: str, n: int) -> list | None:
    """``.uns[f'{key}_colors']`` as a list if it holds ``n`` valid colours, else None.

    A list of another length, a single string or a value that is no colour (a typo,
    ``'notacolour'``, which matplotlib refused only when the figure was drawn, naming no
    column) is warned about, naming the key, and not used.
    """
    from ._logging import logger

    stored = adata.uns.get(f"{key}_colors")
    if stored is None:
        return None
    where = f".uns[{key + '_colors'!r}]"
    if isinstance(stored, str) or len(stored) != n:
        size = "a single string" if isinstance(stored, str) else f"{len(stored)} colour(s)"
        logger.warning("%s holds %s for the %d categories of %r: new colours are picked",
                       where, size, n, key)
        return None
    colours = list(stored)
    bad = [c for c in colours if not _is_colour(c)]
    if bad:
        logger.warning("%s: %r is not a colour matplotlib can draw (%d such value(s)): new "
                       "colours are picked for %r", where, bad[0], len(bad), key)
        return None
    return colours


_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def _is_colour(colour) -> bool:
    """Whether matplotlib can draw ``colour``; ``'#rrggbb'`` is read without importing it."""
    if isinstance(colour, str) and _HEX.fullmatch(colour):
        return True
    from matplotlib.colors import is_color_like

    return bool(is_color_like(colour))


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
    """``column`` as a Categorical: its own if categorical, else sorted categories, as anndata.

    Texts are in natural order ('b2' before 'b10'), as anndata's ``strings_to_categoricals``
    (scanpy's ``sanitize_anndata``, and every h5ad write) orders them, so the colours written
    to ``.uns`` belong to the same categories after either.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array
    categorical = pd.Categorical(column)
    if _is_text(column):
        from natsort import natsorted  # anndata's own dependency, for anndata's order

        categorical = categorical.reorder_categories(natsorted(categorical.categories))
    return categorical


def _is_text(column) -> bool:
    """Whether ``column`` holds strings (and missing values), as anndata tells string columns."""
    return pd.api.types.infer_dtype(column, skipna=True) == "string"
