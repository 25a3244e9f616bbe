"""Tables compared with the number of rows their GEO header declares.

GEO states a table's length in the header before it: ``!Sample_data_row_count``,
``!Platform_data_row_count``, a GDS's ``!dataset_feature_count``, and in a series matrix one
``!Sample_data_row_count`` per sample. In every whole file at hand the table has exactly that
many rows (GSE781's 36 tables, GPL96, GDS5373, GSE26471's matrix); only tables trimmed by hand
have fewer (GEOparse's test files: GSM32878 keeps 2 of its 9,182 rows). A file cut at a line
end inside a marked table is refused for its missing end marker; a table trimmed between its
markers, or a series matrix whose rows were cut away, read as fewer probes without a word.

The API reads such a table with one warning a file (a trimmed test file is a valid use);
``gexclust run`` refuses it (:func:`refuse_short_tables`): a matrix of fewer probes changes
the clustering, and a command's output is read later, without its log.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

from .._context import set_within
from .._errors import InputError
from .._logging import logger

_REFUSE = contextvars.ContextVar("gexclust_refuse_short_tables", default=False)


def refuse_short_tables() -> contextlib.AbstractContextManager[bool]:
    """Readers called in the block refuse a table shorter than its header declares."""
    return set_within(_REFUSE, True)


def warn_short_tables() -> contextlib.AbstractContextManager[bool]:
    """Readers called in the block read a short table with a warning, even under ``run``."""
    return set_within(_REFUSE, False)


@dataclass(frozen=True)
class Count:
    """A table's rows as read against the rows its header declares."""

    record: str  # 'SAMPLE GSM32878', 'series matrix'
    key: str  # the attribute that declares the count
    declared: int
    read: int


def declared_rows(values: list[str] | None) -> int | None:
    """The count a header attribute states, or None when absent or not a whole number."""
    text = (values or [""])[0].strip().strip('"')
    return int(text) if text.isdigit() else None


def check_counts(path, counts: list[Count], *, reader: str) -> None:
    """One warning a file for the tables shorter than declared (or refusal, under ``run``).

    A table longer than declared is told apart: nothing was lost, but rows were added after
    GEO wrote the file (tables pasted together) or the count was not updated. ``reader`` is
    what the refusal says reads the file with a warning instead: the public reader of this
    file (``'gexclust.io.read_gpl reads'``), not one of another kind of file.
    """
    short = [c for c in counts if c.read < c.declared]
    long = [c for c in counts if c.read > c.declared]
    if short:
        first = short[0]
        others = (f"; {len(short) - 1} more of the {len(counts)} tables are short too"
                  if len(short) > 1 else "")
        text = (f"{path}: {first.record} has {first.read} data rows where its header declares "
                f"{first.declared} (!{first.key}){others}: the table was trimmed, or the file "
                "cut short")
        if _REFUSE.get():
            msg = (f"{text}; refused, as a matrix of fewer probes changes the clustering: "
                   f"download the file again ({reader} it with a warning)")
            raise InputError(msg)
        logger.warning("%s; read as it is", text)
    if long:
        first = long[0]
        others = f"; {len(long) - 1} more such table(s)" if len(long) > 1 else ""
        logger.warning("%s: %s has %d data rows where its header declares %d (!%s)%s: rows "
                       "were added after GEO wrote it (tables pasted together?) or the count "
                       "is stale; read as it is", path, first.record, first.read,
                       first.declared, first.key, others)
