"""What counts as "no label" in a column of sample labels (types, clusters, groups).

One rule for every reader and tool: a missing value (NaN, None, ``pd.NA``), a blank string,
or a text that pandas' ``read_csv`` reads as a missing value by default. The last covers R's
``write.csv`` (``NA``), Excel (``#N/A``), and what ``.astype(str)`` makes of a missing value
(``'nan'``, ``'None'``, ``'<NA>'``), a common accident that would otherwise turn unlabelled
samples into a class of their own.
"""

from __future__ import annotations

import re

import numpy as np

#: Texts that mean "no label": pandas' default ``na_values`` of ``read_csv``
#: (``pandas._libs.parsers.STR_NA_VALUES``, written out; a test keeps them in step).
MISSING_LABELS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})


def is_missing_label(value) -> bool:
    """Whether ``value`` is no label: NaN/None/``pd.NA``, blank, or a missing-value text."""
    if value is None:
        return True
    if isinstance(value, str):  # numpy's str_ included
        return value.strip() in MISSING_LABELS
    try:
        return bool(value != value)  # NaN and NaT are the values unequal to themselves
    except TypeError:  # pd.NA: its comparisons are NA themselves
        return True
    except ValueError:  # an array: a (strange) label, not a missing value
        return False


def label_texts(values) -> np.ndarray:
    """``values`` as stripped texts (objects): '' where missing (NaN, None, ``pd.NA``).

    Whole floats lose their '.0': pandas makes a float column of integer ids with a missing
    one, and Entrez id 7157 would otherwise name a gene '7157.0'.
    """
    def text(value) -> str:
        if not isinstance(value, str) and is_missing_label(value):  # NaN, None, pd.NA
            return ""
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value).strip()

    return np.array([text(v) for v in np.asarray(values, dtype=object)], dtype=object)


#: What Affymetrix's annotation files (NetAffx CSVs, some GEO platform tables) write for "no
#: gene"; with :data:`MISSING_LABELS` (``'nan'`` of ``.astype(str)``, R's ``'NA'``) no gene.
NO_GENE = "---"


def is_no_gene(text: str) -> bool:
    """Whether the stripped ``text`` of a symbol column names no gene (``''``, ``'---'``)."""
    return text in MISSING_LABELS or text == NO_GENE


def gene_texts(values) -> np.ndarray:
    """Gene symbols (or ids) of ``values`` as :func:`label_texts` gives them, '' for no gene.

    A missing-value text (``'nan'``, ``'NA'``) or Affymetrix's ``'---'`` is no gene: read as a
    symbol, it made a gene '---' of every unannotated probe (and labels such as
    ``'--- (1552256_a_at)'``). Each symbol of ``'A /// B'`` is checked by the callers.
    """
    texts = label_texts(values)
    texts[np.array([is_no_gene(t) for t in texts], dtype=bool)] = ""
    return texts


def obs_texts(column) -> np.ndarray:
    """The values of an ``.obs`` column as written, as texts; a missing one is ''.

    Unlike :func:`label_texts`, a float stays as pandas writes it (7.0) and blanks are kept:
    leaf labels, cluster names and CSV types show the values themselves. Read as objects:
    numpy makes floats of whole numbers with a missing one (nullable ``Int64`` patient
    numbers read '7.0', 'nan'), and pandas' NA reads '<NA>'.
    """
    import pandas as pd

    return np.array(["" if pd.isna(v) else str(v) for v in column.astype(object)], dtype=str)


def has_label(values) -> np.ndarray:
    """True where an entry of ``values`` is a label (see :func:`is_missing_label`)."""
    return np.array([not is_missing_label(v) for v in np.asarray(values, dtype=object)],
                    dtype=bool)


def is_measurement(column) -> bool:
    """Whether ``column`` holds numbers measured on each sample (age, RIN) rather than labels.

    scanpy's and pheatmap's rule: a numeric column that is neither categorical nor boolean.
    Plots draw it as a colour gradient, not as one colour per distinct value.
    """
    import pandas as pd

    dtype = column.dtype
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and not isinstance(dtype, pd.CategoricalDtype))


def as_numbers(column) -> np.ndarray:
    """A numeric column as float64, NaN where missing (nullable dtypes too)."""
    return np.asarray(column.astype("float64"), dtype=float)


#: A number as a sheet writes one: ``31``, ``-0.5``, ``7.25``, ``1e-3``. Codes written with
#: leading zeros (``007``) are labels, not numbers; nor are ``inf`` or ``0x1F``.
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
LEADING_ZERO = re.compile(r"[-+]?0\d")


def parse_number(text: str) -> float | None:
    """``text`` as a number, or ``None`` if it is not written as one (``007`` is a code)."""
    text = text.strip()
    if not NUMBER.fullmatch(text) or LEADING_ZERO.match(text):
        return None
    number = float(text)
    if not np.isfinite(number):
        return None  # '1e999' overflows: not a measurement
    if text.lstrip("+-").isdigit() and int(text) != number:
        return None  # an 18-digit barcode would lose its last digits as float64: a code
    return number


def numeric_values(column) -> np.ndarray | None:
    """A column's values as float64 (NaN where missing), or ``None`` if one is no number.

    A numeric column (:func:`is_measurement`) as it is; a column of texts or categories
    (a sample sheet read before its numbers were kept as numbers, GEO characteristics) when
    every value that is not missing is written as a number (:func:`parse_number`).
    """
    if is_measurement(column):
        return as_numbers(column)
    values = np.asarray(column, dtype=object)
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        if is_missing_label(value):
            continue
        if isinstance(value, bool | np.bool_):
            return None
        number = parse_number(str(value))
        if number is None:
            return None
        out[i] = number
    return out


def is_quantity(numbers: np.ndarray) -> bool:
    """Whether ``numbers`` were measured on each sample (an age, a RIN), not codes of groups.

    Some value with a fraction (a RIN of 7.5), or whole numbers with more distinct values than
    half of the samples that have one (ages in years): :func:`check_labels`' rule. Whole
    numbers with fewer (batch 1-5) are codes, and a single value is neither (nothing varies).
    NaN (missing) is left out: ages given for the 20 patients of 64 samples (the donors'
    missing) are 20 distinct values over 20, a measurement, not a grouping of 20 levels.
    """
    known = numbers[np.isfinite(numbers)]
    distinct = np.unique(known)
    if len(distinct) < 2:
        return False
    return bool(np.any(distinct != np.round(distinct))) or len(distinct) > max(2, len(known) // 2)


def check_labels(column, *, key: str, caller: str) -> None:
    """Refuse numbers in ``.obs[key]`` as groups when they are a measurement, not labels.

    Whole numbers with a few values each shared by several samples (batch 1, 2, 3; cluster
    numbers from another tool) are labels. Numbers with fractions, or whole numbers with more
    distinct values than half the samples that have one (ages in years), would make groups
    of mostly one sample, which no comparison or marker test can use.
    """
    if not is_measurement(column):
        return
    values = as_numbers(column)
    values = values[np.isfinite(values)]
    fractions = values[values != np.round(values)]
    n_values = len(np.unique(values))
    if fractions.size:
        why = f"{n_values} distinct value(s), e.g. {fractions[0]:g}"
    elif n_values > max(len(values) / 2, 2):
        why = f"{n_values} distinct values in {len(values)} samples"
    else:
        return
    msg = (f"{caller}: .obs[{key!r}] holds numbers, not labels ({why}); to group by it, bin "
           f"it first, e.g. adata.obs['{key}_group'] = pd.cut(adata.obs['{key}'], 4), or make "
           f"it categorical if the numbers are labels: .astype('category')")
    raise ValueError(msg)


def no_classes(labels, *, key: str) -> str | None:
    """Why ``labels`` name no classes to compare with, or ``None`` when they do.

    ``labels`` are the labelled samples' labels (missing ones left out first). A column
    that gives every sample a label of its own (a sample number, a GSM id) groups nothing:
    scored against clusters it gives an ARI of 0 and an NMI that only reflects the number of
    clusters, which read as "the clusters do not match the classes" when there are none. One
    label shared by every sample is one class: any clusters score ARI 0 and NMI 0 against
    it, which says nothing either.
    """
    values = np.asarray(labels, dtype=object).astype(str)
    n_distinct = len(np.unique(values))
    if n_distinct == 1 and len(values) > 1:  # ARI 0 and NMI 0 for any clusters: no evidence
        return (f"every labelled sample has the same label in the {key!r} column "
                f"('{values[0]}'), so there is one class and no agreement with the clusters "
                "is computed")
    if n_distinct < len(values):
        return None
    if len(values) == 1:
        return (f"only one sample has a label in the {key!r} column ('{values[0]}'), so there "
                "are no classes and no agreement with the clusters is computed")
    examples = ", ".join(f"'{v}'" for v in values[:2])
    return (f"the {key!r} column has no repeated label: each of the {len(values)} labelled "
            f"samples has its own (e.g. {examples}), so it names no classes and no agreement "
            "with the clusters is computed")


#: The default ``gene_symbols`` (what gexclust's readers write): optional, as scanpy's data
#: have no such column.
DEFAULT_SYMBOLS = "gene_symbol"


def check_gene_symbols(var, gene_symbols: str | None, *, caller: str, where: str = ".var",
                       param: str = "gene_symbols") -> None:
    """Refuse a ``gene_symbols`` column that ``var`` lacks, unless it is the default.

    The default is skipped when absent (as ``color='type'``); another name is the user's, and
    a typo gave empty symbols (var names in the plots) without a word.
    """
    if gene_symbols is None or gene_symbols == DEFAULT_SYMBOLS or gene_symbols in var:
        return
    msg = (f"{caller}: {param}={gene_symbols!r} is not a column of {where}; available: "
           f"{list(var.columns)}, or None for no symbols")
    raise KeyError(msg)
