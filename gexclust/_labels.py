"""What counts as "no label" in a column of sample labels (types, clusters, groups).

One rule for every reader and tool: a missing value (NaN, None, ``pd.NA``), a blank string,
or a text that pandas' ``read_csv`` reads as a missing value by default. The last covers R's
``write.csv`` (``NA``), Excel (``#N/A``), and what ``.astype(str)`` makes of a missing value
(``'nan'``, ``'None'``, ``'<NA>'``), a common accident that would otherwise turn unlabelled
samples into a class of their own.
"""

from __future__ import annotations

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


def has_label(values) -> np.ndarray:
    """True where an entry of ``values`` is a label (see :func:`is_missing_label`)."""
    return np.array([not is_missing_label(v) for v in np.asarray(values, dtype=object)],
                    dtype=bool)
