"""Sample sheets: per-sample annotations (a batch, a scan date) read into ``.obs``.

A sheet is a CSV or TSV (optionally gzipped) with one row per sample: one column holds the
sample ids, the others become ``.obs`` columns. The report then compares the clusters with
them (a batch the clusters follow is a warning in "What this run cannot tell").
"""

from __future__ import annotations

import csv
import os
import re

import numpy as np
import pandas as pd
from anndata import AnnData

from .._api import named
from .._errors import InputError
from .._files import read_bytes
from .._labels import MISSING_LABELS, is_quantity, parse_number
from .._limits import Limits
from .._logging import logger
from .._utils import view_to_actual
from ._cumida_parse import (
    _lines,
    _short,
    check_column_names,
    csv_error_hint,
    first_spreadsheet_error,
    named_separator,
    spreadsheet_error,
    spreadsheet_text,
)
from ._invisible import clean_label, warn_hidden

#: ``.obs`` columns gexclust writes itself: a sheet column of that name would be replaced.
RESULT_COLUMNS = ("cluster", "consensus", "consensus_stability")
#: How many ids an error or warning names.
N_SHOWN = 5


def read_annotations(
    path: str | os.PathLike,
    obs_names=None,
    *,
    key: str | None = None,
    titles=None,
    limits: Limits | None = None,
) -> pd.DataFrame:
    r"""Read a sample sheet (CSV or TSV, optionally gzipped) into a DataFrame indexed by sample.

    Characters that cannot be seen are handled as in every gexclust reader (pandas and GEOparse
    keep them all): at either end of a cell a zero-width space (U+200B), zero-width
    (non-)joiner, word joiner (U+2060) or byte-order mark (U+FEFF, also one starting a line of
    files joined with ``cat``) is stripped, as blanks are; inside one it is kept (two distinct
    samples never become one) and a warning names the file, line and cell, as it does a no-break
    space or a line separator (U+2028/U+2029) there.

    Parameters
    ----------
    path
        The sheet: a header line, then one row per sample. Tab-separated if the header holds a
        tab, semicolon-separated if it holds a semicolon and no comma (spreadsheets' CSV where
        the comma is the decimal mark), else comma-separated; a first line such as ``sep=;``
        (a spreadsheet's hint) names the separator. Gzip is recognised from the content.
        The text is read as
        the package's readers read it: UTF-8 (a leading BOM dropped), bytes that are not UTF-8
        as Windows-1252. A gzip file cut short is refused (its trailer is checked); a plain
        sheet cut at a line end cannot be told from a whole one (it has no end marker nor
        row count) and reads as a sheet of fewer rows.
    obs_names
        The sample ids of the data (``adata.obs_names``). Without ``key``, the id column is the
        one holding most of them (the first such column on a tie).
    key
        The column holding the sample ids. Without it and without ``obs_names``, the first
        column.
    titles
        The samples' titles (``adata.obs['title']``, as GEO's series matrix and SOFT give
        them), in the order of ``obs_names``. When no column holds any of ``obs_names`` (nor
        ``key``'s column), the column holding most titles is taken, if every sample has a
        title of its own; its rows are indexed by the ids of the samples they title.
    limits
        Bounds on reading (see :func:`gexclust.io.read_cumida`).

    Returns
    -------
    DataFrame indexed by the sample ids (index name: the id column), one column per other
    column of the sheet, in sheet order. A measurement (every value written as a number, some
    with a fraction or more distinct values than half the samples with one: an age, a RIN, a
    scan order) is a float64 column, as scanpy and the report take numbers; any other column
    is categorical text as written (batch ``1``-``5`` stays the categories ``'1'``-``'5'``,
    ``007`` stays ``'007'``). Empty cells and pandas' missing-value texts (``NA``, ``n/a``,
    ...) are NaN (in the id column such a text is an id when a sample is so named).
    ``df.attrs`` holds ``path``, ``sha256`` (of the file as stored), ``key``,
    ``matched`` (``'obs_names'``, or ``'title'`` when the rows were matched by title) and
    ``encoding``. ``adata.obs.join(df)`` adds it to an AnnData; :func:`annotate_obs` does so
    with checks.

    Raises
    ------
    gexclust.InputError
        Naming the file, line or column: an empty sheet or one without rows, an empty or
        duplicated column name, a ragged row, an empty or duplicated sample id or title
        (naming its lines), no column holding any of ``obs_names`` or ``titles``, two columns
        holding them, or an unknown ``key``.

    Examples
    --------
    >>> import gexclust as gx
    >>> from pathlib import Path
    >>> _ = Path("sheet.tsv").write_text("sample\tbatch\ns1\t1\ns2\t2\n")
    >>> df = gx.io.read_annotations("sheet.tsv", ["s1", "s2"])
    >>> df.attrs["key"], df["batch"].tolist()
    ('sample', ['1', '2'])
    """
    raw, digest = read_bytes(path, limits=limits)
    text, encoding = spreadsheet_text(raw, path, expected="a CSV or TSV sample sheet")
    header_line, header, rows, line_numbers, delimiter = _parse(text, path)
    warn_hidden(path, [*((header_line, "column", name) for name in header),
                       *((n, f"{header[i]!r} value", cell)
                         for n, row in zip(line_numbers, rows, strict=True)
                         for i, cell in enumerate(row))])
    titles = _usable_titles(obs_names, titles)
    j, by_title = _id_column(header, rows, path, obs_names, key, titles, header_line)
    ids = [row[j] for row in rows]
    known = titles if by_title else obs_names
    known = set() if known is None else set(map(str, known))
    _check_ids(ids, line_numbers, header[j], path, known)  # repeated titles refused as ids are
    if by_title:
        sample_of = dict(zip(titles, map(str, obs_names), strict=True))
        ids = [sample_of.get(title, title) for title in ids]
    counted = _data_rows(ids, obs_names)
    # a semicolon-separated sheet comes from a locale whose decimal mark is the comma
    decimal = "," if delimiter == ";" else "."
    for i, name in enumerate(header):
        if i != j and name != "type":
            _refuse_grouped_numbers(name, [row[i] for row in rows], line_numbers, decimal, path)
    df = pd.DataFrame({name: _column(name, [_value(row[i]) for row in rows], counted, decimal,
                                     path)
                       for i, name in enumerate(header) if i != j},
                      index=pd.Index(ids, dtype=str, name=header[j]))
    df.attrs.update(path=str(path), sha256=digest, key=header[j],
                    matched="title" if by_title else "obs_names", encoding=encoding)
    return df


@named("io.annotate_obs")
def annotate_obs(
    adata: AnnData,
    path: str | os.PathLike,
    *,
    key: str | None = None,
    copy: bool = False,
    limits: Limits | None = None,
) -> AnnData | None:
    """Add the columns of a sample sheet to ``adata.obs``, refusing what would lose or mislead.

    Over ``adata.obs = adata.obs.join(gx.io.read_annotations(path, adata.obs_names))`` it
    checks that every sample has a row, and that no column replaces one already in ``.obs``.

    Parameters
    ----------
    adata
        The data; its ``obs_names`` find the sheet's id column (unless ``key``), else,
        when no column holds any of them, its unique ``.obs['title']`` values do.
    path
        The sheet (see :func:`read_annotations`).
    key
        The sheet column holding the sample ids (or the titles).
    copy
        Return an annotated copy instead of annotating ``adata``.
    limits
        Bounds on reading (see :func:`gexclust.io.read_cumida`).

    Returns
    -------
    The annotated copy with ``copy=True``, else ``None``. Sets

    - ``.obs[column]`` for each sheet column added (float64 for a measurement, else
      categorical text);
    - ``.uns['annotations']``: the sheet's ``path`` and ``sha256``, its id column ``key``,
      whether its rows ``matched`` the ``'obs_names'`` or the ``'title'``, and the
      ``columns`` added.

    Raises
    ------
    gexclust.InputError
        Those of :func:`read_annotations`; samples of ``adata`` without a row in the sheet
        (how many, and the first few); a sheet column named like an ``.obs`` column, unless
        its values are the same (then it is skipped); a ``type`` column when ``adata`` has
        types of its own (it is used only when ``adata`` has no type at all); a column named
        like one gexclust writes (``cluster``, ``consensus``, ``consensus_stability``).

    Notes
    -----
    Ids in the sheet that are not samples of ``adata`` (a sheet of the whole series, data of
    one platform) are left out with a warning giving how many and the first few.
    """
    # copy='no' (which returned a copy) is refused by named(), as every bool keyword is
    adata = adata.copy() if copy else adata
    view_to_actual(adata)  # a view becomes an AnnData of its own, as in scanpy (no warning)
    titles = adata.obs.get("title")
    df = read_annotations(path, adata.obs_names, key=key, titles=titles, limits=limits)
    sheet = df.attrs["path"]
    _check_coverage(df, adata.obs_names, sheet)
    columns = [c for c in df.columns if _new_column(adata, df, c, sheet)]
    for column in columns:
        values = df[column].reindex(adata.obs_names).array  # a Categorical: no str->object
        adata.obs[column] = (values.remove_unused_categories()
                             if isinstance(values, pd.Categorical) else values.to_numpy())
    adata.uns["annotations"] = {"path": sheet, "sha256": df.attrs["sha256"],
                                "key": df.attrs["key"], "matched": df.attrs["matched"],
                                "columns": list(columns)}
    logger.info("%s: %s in column %r; added to .obs: %s", sheet, ids_word(df.attrs["matched"]),
                df.attrs["key"], ", ".join(columns) or "nothing")
    return adata if copy else None


def ids_word(matched: str) -> str:
    """How a sheet's rows were matched to the samples, in words."""
    return ("sample titles (no sample ids; matched to .obs['title'])" if matched == "title"
            else "sample ids")


def _usable_titles(obs_names, titles) -> list[str] | None:
    """``titles`` as texts if they can stand for the samples: one each, none missing, unique."""
    if titles is None or obs_names is None:
        return None
    from .._labels import is_missing_label

    titles = [str(t).strip() if not is_missing_label(t) else None for t in titles]
    if len(titles) != len(obs_names) or None in titles or len(set(titles)) < len(titles):
        return None
    return titles


def _parse(text: str, path) -> tuple[int, list[str], list[list[str]], list[int], str]:
    """The header's line, the header, rows (cells stripped), their lines and the separator.

    Empty rows are skipped.

    A quoted cell may span lines (a spreadsheet cell holding a line break); a quote left open
    at the end of the file is refused, not allowed to swallow the rows after it.
    """
    # a BOM starting a line (files joined with cat) made the quotes of a first cell part of it
    lines = [line.removeprefix("\ufeff") for line in _lines(text)]
    if not lines or not lines[0].strip():
        msg = f"{path}: file is empty; expected a header line naming the columns"
        raise InputError(msg)
    skipped = 0
    if (named := named_separator(lines[0])) in SHEET_SEPARATORS:  # Excel's 'sep=;' line
        delimiter, skipped = named, 1
    else:
        delimiter = _delimiter(lines[0])
    reader = csv.reader((line + "\n" for line in lines[skipped:]), delimiter=delimiter,
                        strict=True)
    records, start = [], 1 + skipped
    try:
        for record in reader:
            records.append((start, [clean_label(c) for c in record]))
            start = reader.line_num + 1 + skipped
    except csv.Error as error:
        hint, opened = csv_error_hint(error, lines[start - 1], delimiter)
        line = start if opened else reader.line_num + skipped
        said = str(error).replace("\t", "\\t")  # "'\t' expected after '\"'": no raw tab
        msg = f"{path}, line {line}: {said} ({hint})"
        raise InputError(msg) from None
    _drop_empty_last_columns(records)
    header_line, header = records[0]  # line 2 after a 'sep=;' line
    _check_header(header, path, header_line)
    rows, numbers = [], []
    for number, cells in records[1:]:
        if not any(cells):  # a blank line, or one of empty cells (',,' from a spreadsheet)
            continue
        if len(cells) != len(header):
            msg = (f"{path}, line {number}: {len(cells)} fields, the header has "
                   f"{len(header)}; each row must have one field per column")
            raise InputError(msg)
        _refuse_spreadsheet_error(cells, header, path, number)
        rows.append(cells)
        numbers.append(number)
    if not rows:
        msg = f"{path}: header found but no rows; expected one row per sample"
        raise InputError(msg)
    return header_line, header, rows, numbers, delimiter


def _refuse_spreadsheet_error(cells: list[str], header: list[str], path, number: int) -> None:
    """Refuse a cell holding a spreadsheet's error value ('#DIV/0!'), naming line and column.

    It was read as a label: a column of ages with one '#DIV/0!' became a column of
    categories ('50', '61', '#DIV/0!'), its numbers no longer numbers, without a word.
    """
    j = first_spreadsheet_error(cells)
    if j is not None:
        raise spreadsheet_error(cells[j], path=path, line=number, column=header[j])


#: The separators a sheet's ``sep=`` first line may name (another: the line is no such hint).
SHEET_SEPARATORS = (",", ";", "\t", "|")


def _delimiter(header: str) -> str:
    """The separator of a sheet whose first line is ``header``.

    A tab if the header holds one; a semicolon where it holds one and no comma (spreadsheet
    programs save 'CSV' so in locales whose decimal mark is the comma); else a comma.
    """
    if "\t" in header:
        return "\t"
    return ";" if ";" in header and "," not in header else ","


def _drop_empty_last_columns(records: list[tuple[int, list[str]]]) -> None:
    """Drop last columns without a name or any value (a spreadsheet's formatted, empty ones)."""
    header = records[0][1]
    while len(header) > 1 and header[-1] == "" and all(
            len(cells) == len(header) and cells[-1] == "" for _, cells in records[1:] if cells):
        for _, cells in records:
            if cells:
                cells.pop()


def _check_header(header: list[str], path, line: int) -> None:
    if len(header) < 2:
        msg = (f"{path}, line {line}: one column; a sample sheet needs the sample ids and at least "
               "one annotation (tab-, comma- or semicolon-separated)")
        raise InputError(msg)
    check_column_names(header, path, line)


def _id_column(header, rows, path, obs_names, key, titles, line: int) -> tuple[int, bool]:
    """The id column and whether its rows are matched by title.

    The column is ``key``, else the one holding most ``obs_names``, else (none holding any)
    the one holding most ``titles``: GEO series name samples by GSM id, users' sheets often
    by the titles the submitters gave them. Without ``obs_names``, the first column.
    """
    if key is not None:
        if key not in header:
            msg = f"{path}, line {line}: no column {key!r} (columns: {_listed(header)})"
            raise InputError(msg)
        j = header.index(key)
        return j, _holds(rows, j, titles) and not _holds(rows, j, obs_names)
    if obs_names is None:
        return 0, False
    wanted = set(map(str, obs_names))
    best, n_hits = _most_holding(header, rows, path, wanted, what="sample ids")
    if n_hits > 0:
        return best, False
    if titles is not None:
        best, n_hits = _most_holding(header, rows, path, set(titles), what="sample titles")
        if n_hits > 0:
            return best, True
    shown = _listed(sorted(wanted)[:N_SHOWN], more=len(wanted) > N_SHOWN)
    nor = " nor sample title (.obs['title'])" if titles is not None else ""
    msg = (f"{path}: no column holds any sample id{nor} of the data (such as {shown}); "
           f"columns: {_listed(header)}{_near_miss(header, rows, wanted)}")
    raise InputError(msg)


def _most_holding(header, rows, path, names: set, *, what: str) -> tuple[int, int]:
    """The column holding most of ``names`` (the first on a tie) and how many it holds.

    A rival column holding as many up to case, quotes or number format is refused.
    """
    hits = [len(names.intersection(row[j] for row in rows)) for j in range(len(header))]
    best = max(range(len(header)), key=lambda j: (hits[j], -j))
    _check_no_rival(header, rows, path, names, best, hits[best], what=what)
    return best, hits[best]


def _holds(rows, j, names) -> bool:
    """Whether column ``j`` holds any of ``names``."""
    return names is not None and bool(set(map(str, names)).intersection(r[j] for r in rows))


def _near_miss(header, rows, wanted) -> str:
    """Where the ids are, written otherwise (``S1`` for ``s1``, ``7`` for ``007``), if anywhere."""
    loose = {_loose(s): s for s in sorted(wanted)}
    for j, name in enumerate(header):
        for row in rows:
            if (sample := loose.get(_loose(row[j]))) is not None:
                return (f"; column {name!r} holds them written otherwise ({row[j]!r} for "
                        f"{sample!r}: case, quotes or number format): write them as the data "
                        "does")
    return ""


def _check_no_rival(header, rows, path, wanted, best, n_hits, *,
                    what: str = "sample ids") -> None:
    """Refuse a guess another column contests: ids written as a spreadsheet rewrites them.

    A spreadsheet turns ``1`` into ``1.0`` and ``007`` into ``7``, or ids are typed in
    another case: the real id column then matches nothing, and a column of other values that
    happen to equal the ids (a patient number) would silently be taken for it.
    """
    if n_hits == 0:
        return
    loose = {_loose(s) for s in wanted}
    for j in range(len(header)):
        if j != best and len(loose.intersection(_loose(row[j]) for row in rows)) >= n_hits:
            msg = (f"{path}: columns {header[best]!r} and {header[j]!r} both hold the data's "
                   f"{what} ({header[j]!r} up to case, quotes or number format); name the "
                   "id column (--annotations-key / key=)")
            raise InputError(msg)


def _loose(value: str) -> str:
    """An id as compared loosely: case, quotes and number format (``7.0``, ``007``) ignored."""
    value = value.strip().strip("'\"").strip().casefold()
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else str(number)


def _check_ids(ids: list[str], line_numbers: list[int], column: str, path,
               known: set[str]) -> None:
    """Refuse a row without an id, or an id on several rows; ``known``: the data's ids.

    A text such as ``NA`` or ``null`` is no id, unless a sample of the data is named so.
    """
    lines: dict[str, list[int]] = {}
    for sample, number in zip(ids, line_numbers, strict=True):
        if sample in MISSING_LABELS and sample not in known:
            msg = f"{path}, line {number}: no sample id in column {column!r}"
            raise InputError(msg)
        lines.setdefault(sample, []).append(number)
    repeated = {sample: at for sample, at in lines.items() if len(at) > 1}
    if repeated:
        sample, at = next(iter(repeated.items()))
        more = f" ({len(repeated)} ids are repeated)" if len(repeated) > 1 else ""
        msg = (f"{path}, lines {', '.join(map(str, at))}: sample {sample!r} appears "
               f"{len(at)} times in column {column!r}; one row per sample{more}")
        raise InputError(msg)


def _check_coverage(df: pd.DataFrame, obs_names, sheet: str) -> None:
    """Every sample needs a row; rows of other samples are left out with a warning."""
    in_sheet = set(df.index)
    absent = [s for s in obs_names if s not in in_sheet]
    if absent:
        by = " (matched by .obs['title'])" if df.attrs.get("matched") == "title" else ""
        msg = (f"{sheet}: {len(absent)} of the {len(obs_names)} samples have no row in column "
               f"{df.attrs['key']!r}{by}: "
               f"{_listed(absent[:N_SHOWN], more=len(absent) > N_SHOWN)}"
               "; add their rows (empty cells leave them unannotated)")
        raise InputError(msg)
    samples = set(obs_names)
    extra = [s for s in df.index if s not in samples]
    if extra:
        logger.warning("%s: %d of its %d rows are not samples of the data, left out: %s",
                       sheet, len(extra), len(df), _listed(extra[:N_SHOWN],
                                                           more=len(extra) > N_SHOWN))


def _new_column(adata: AnnData, df: pd.DataFrame, column: str, sheet: str) -> bool:
    """Whether ``column`` is added; refuses a column that would replace or shadow one."""
    if column in RESULT_COLUMNS:
        msg = (f"{sheet}: column {column!r} is a name gexclust writes its results under; "
               "rename it in the sheet")
        raise InputError(msg)
    if column == "_index" or "/" in column:  # .h5ad cannot store them: a run would fail at its end
        msg = (f"{sheet}: column {column!r} cannot be stored in .h5ad ('_index' is reserved, "
               "'/' separates groups); rename it in the sheet")
        raise InputError(msg)
    if column not in adata.obs:
        return True
    ours = df[column].reindex(adata.obs_names).astype(object)
    theirs = adata.obs[column].astype(object)
    if column == "type" and not theirs.map(_is_label).any():
        # the input has no type at all: the sheet's replaces it (once every column is checked)
        return True
    same = [_same(a, b) for a, b in zip(ours, theirs, strict=True)]
    if all(same):
        logger.info("%s: column %r equals .obs[%r]; kept as it was", sheet, column, column)
        return False
    what = ("the input's sample types (a sheet's type is used only for input without one)"
            if column == "type" else "a column the input already has")
    msg = (f"{sheet}: column {column!r} differs from {what}, for {same.count(False)} of "
           f"{len(same)} samples; rename it in the sheet")
    raise InputError(msg)


def _value(cell: str) -> str | None:
    return None if cell in MISSING_LABELS else cell


def _data_rows(ids: list[str], obs_names) -> np.ndarray:
    """Rows of the data's samples (all rows without ``obs_names``, or if none is one)."""
    if obs_names is None:
        return np.ones(len(ids), dtype=bool)
    wanted = set(map(str, obs_names))
    rows = np.array([sample in wanted for sample in ids], dtype=bool)
    return rows if rows.any() else np.ones(len(ids), dtype=bool)


#: A number whose dots group thousands: 1.234, -12.500.000 (or decimals to 3 places).
THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+")


def _column(name: str, cells: list[str | None], counted: np.ndarray, decimal: str = ".",
            path=None):
    """A sheet column: float64 if a measurement, else categorical text as written.

    A measurement has every value written as a number (``007`` is a code) and some value
    with a fraction, or more distinct values than half the data's samples with a value (ages
    given for the patients only): the report's rule (:func:`gexclust._labels.is_quantity`),
    so that it tests as numbers what ``.obs`` holds as numbers. Batch codes ``1``-``5`` stay
    categories: scanpy would colour a number column as a gradient. ``type`` is a label.
    With ``decimal=","`` (a semicolon-separated sheet) ``7,5`` is 7.5, in a column without
    a ``.``; a column whose dots could group thousands (``1.234``) stays text.
    """
    dotted = [c for c in cells if c is not None and "." in c]
    if decimal == "," and dotted and all(THOUSANDS.fullmatch(c) for c in dotted):
        # where the comma is the decimal mark the dot groups thousands: '1.234' is 1234 there
        # and 1.234 elsewhere, so neither is read (before: 1.234, beside a '987' of the same
        # column: counts off by 1000 without a word)
        logger.info("%s: column %r holds numbers such as %r, 1234 where the comma is the "
                    "decimal mark (as in this semicolon-separated sheet) and 1.234 where it is "
                    "not; kept as text", path, name, dotted[0])
        return pd.Categorical(cells)
    if decimal == "," and not dotted:
        written = [None if c is None else c.replace(",", ".", 1) for c in cells]
    else:
        written = cells
    numbers = np.array([np.nan if c is None else parse_number(c) for c in written], dtype=float)
    texts = pd.Categorical(cells)
    if name == "type" or any(c is not None and np.isnan(x)
                             for c, x in zip(cells, numbers, strict=True)):
        return texts
    return numbers if is_quantity(numbers[counted]) else texts


#: A number written with digits grouped by thousands, per decimal mark: 1,234 or 1,234.5
#: where the dot is the decimal mark, 1.234,5 where the comma is.
GROUPED = {".": re.compile(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"),
           ",": re.compile(r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+,\d+")}


def _refuse_grouped_numbers(name: str, cells: list[str], line_numbers: list[int],
                            decimal: str, path) -> None:
    """Refuse a column of numbers some of which are written with thousands separators.

    A spreadsheet's number format writes 1050 as '1,050' (quoted in a CSV): the column
    (1,050, 61, 72) was read as categories, no longer numbers, without a word. It cannot be
    read as numbers either: where the comma is the decimal mark (a CSV saved so, values
    quoted) '1,050' is 1.05. Only a column whose other values are all numbers is refused.
    """
    grouped = GROUPED[decimal]
    first = None
    for k, cell in enumerate(cells):
        if cell in MISSING_LABELS:
            continue
        if grouped.fullmatch(cell):
            first = k if first is None else first
        elif parse_number(cell.replace(",", ".", 1) if decimal == "," else cell) is None:
            return  # a column of text: '1,050' is a label there
    if first is not None:
        msg = (f"{path}, line {line_numbers[first]}, column {name!r}: {cells[first]!r} is "
               "written with a thousands separator, in a column of numbers; write the "
               "numbers without one (format the cells as plain numbers and save again)")
        raise InputError(msg)


def _same(ours, theirs) -> bool:
    """Whether a sheet's value equals the input's: as text, or as numbers (31.0 and '31')."""
    if _label(ours) == _label(theirs):
        return True
    a, b = (parse_number(str(v)) if _is_label(v) else None for v in (ours, theirs))
    return a is not None and a == b


def _is_label(value) -> bool:
    return _label(value) is not None


def _label(value) -> str | None:
    """A value as the text a sheet would hold (None if missing), for comparing columns."""
    from .._labels import is_missing_label

    return None if is_missing_label(value) else str(value).strip()


def _listed(items, *, more: bool = False) -> str:
    return ", ".join(repr(_short(str(i))) for i in items) + (", ..." if more else "")
