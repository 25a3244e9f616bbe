"""Parsing of CuMiDa-style CSV text into arrays: numpy, fastnumbers and the standard library.

Kept apart from :mod:`gexclust.io._cumida`, which builds the AnnData from what this returns.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import AnyStr

import numpy as np

from .._errors import InputError
from .._files import decode, gzipped_twice, log_encoding, read_bytes, refuse_other_compression
from .._labels import MISSING_LABELS
from .._limits import Limits
from .._logging import logger
from ._invisible import clean_label, warn_hidden

#: Cell contents read as a missing value: pandas' default ``na_values`` (as for labels), and
#: ``'.'`` (SAS, some exports); ``nan`` and ``-nan`` float parsing accepts anyway.
NA_TOKENS = MISSING_LABELS | {"."}

#: What a spreadsheet program writes in a cell whose formula failed (Excel's error values,
#: which LibreOffice and Google Sheets share): no value, and no label either. ``#N/A`` is
#: not among them: pandas and R read it as a missing value, as gexclust does.
SPREADSHEET_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!",
                                "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!",
                                "#BUSY!", "#UNKNOWN!", "#GETTING_DATA"})
#: The end of a message on such a cell.
SPREADSHEET_ERROR_HINT = ("a spreadsheet's error value, left by a formula that failed: correct "
                          "the formula or empty the cell")

#: The blanks beyond ASCII, which ``float`` reads as spaces (its ASCII ones are " \t\n\r\v\f";
#: ``str.strip`` also strips \x1c-\x1f, which ``float`` refuses): NEL, the no-break space,
#: the Ogham space mark, the spaces U+2000-U+200A, line and paragraph separators, the narrow
#: no-break, medium mathematical and ideographic spaces.
UNICODE_BLANKS = ("\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
                  + "\u2028\u2029\u202f\u205f\u3000")


@dataclass
class CumidaTable:
    """The parsed content of a CuMiDa CSV: ids, classes, probe ids and the float64 values."""

    path: str
    sha256: str
    samples: list[str]
    types: list[str]
    probes: list[str]
    values: np.ndarray
    line_numbers: list[int]


def parse_cumida(
    path: str | os.PathLike, *, sample_col: str = "samples", type_col: str = "type",
    limits: Limits | None = None,
) -> CumidaTable:
    """Parse a CuMiDa CSV (``.csv`` or ``.csv.gz``); errors name the file, line and column."""
    raw, digest = read_bytes(path, limits=limits)
    if raw.startswith(b"\x89HDF\r\n\x1a\n"):  # an .h5ad (or other HDF5) file, not a NUL in text
        msg = (f"{path}: an HDF5 file (an .h5ad?), not a CuMiDa CSV; read an AnnData with "
               "anndata.read_h5ad and cluster it with gexclust.tl")
        raise InputError(msg)
    lines, _ = spreadsheet_lines(raw, path, expected="comma-separated text")
    del raw
    skipped = _separator_line(lines, path)  # the header is on line 1 + skipped
    header, meta_idx, probe_idx = _parse_header(lines, path, sample_col, type_col, skipped)
    while lines and blank(lines[-1]):
        lines.pop()
    if len(lines) <= 1:
        msg = f"{path}: header found but no data rows; expected one row per sample"
        raise InputError(msg)
    samples, types, values, line_numbers = _parse_body(lines[1:], header, meta_idx, probe_idx,
                                                       path, skipped)
    _refuse_spreadsheet_errors(samples, sample_col, line_numbers, path)
    _refuse_spreadsheet_errors(types, type_col, line_numbers, path)
    _check_unique(samples, "sample id", sample_col, line_numbers, path)
    probes = [header[j] for j in probe_idx]
    # one label at a time: a list of a tuple per column (22,283) set the collector going
    warn_hidden(path, itertools.chain(
        ((1 + skipped, "column", name) for name in header),
        ((n, "sample id", s) for n, s in zip(line_numbers, samples, strict=True)),
        ((n, "type", t) for n, t in zip(line_numbers, types, strict=True))))
    return CumidaTable(str(path), digest, samples, types, probes, values, line_numbers)


def spreadsheet_text(raw: bytes, path, *, expected: str) -> tuple[str, str]:
    """The text of a table a spreadsheet program may have saved, and how it was decoded.

    Refuses, naming ``path``, what is no such text: a zip archive (an .xlsx), UTF-16 ('Unicode
    text') and NUL bytes (a binary or damaged file); ``expected`` says in the messages what
    the file should have been. A leading UTF-8 BOM (Excel's 'CSV UTF-8') is
    dropped; the encoding is logged (:func:`~gexclust._files.log_encoding`).
    """
    _refuse_no_text(raw, path)
    text, encoding = decode(raw.removeprefix(codecs.BOM_UTF8))
    log_encoding(path, encoding)
    if (nul := text.find("\x00")) >= 0:  # no CSV holds one; HDF5 names cannot either
        raise _nul_error(path, text[:nul], expected)
    return text, encoding


def spreadsheet_lines(raw: bytes, path, *, expected: str) -> tuple[list[str], str]:
    r"""``_lines(spreadsheet_text(raw, ...)[0])``, without ever holding the whole text.

    The bytes are split into lines first and each line decoded on its own: the text and its
    lines, side by side, took twice the file's size (624 MB for a 2,000 x 22,283 CSV of
    312 MB), the largest part of reading it. Splitting first gives the same lines: UTF-8
    never uses the bytes of ``\n`` and ``\r`` inside a character, and bytes that are not
    UTF-8 are read one by one (:func:`~gexclust._files.decode`). Refuses what
    :func:`spreadsheet_text` refuses, with the same messages.
    """
    _refuse_no_text(raw, path)
    if (nul := raw.find(b"\x00")) >= 0:  # a NUL character is the NUL byte in UTF-8 too
        raise _nul_error(path, decode(raw[:nul])[0], expected)
    lines = _lines(raw)
    encoding = "utf-8"
    for i, line in enumerate(lines):  # in place: each line's bytes go as its text comes
        # a BOM starts the file, or a line of files joined with cat: before a quoted first
        # cell it made the quotes part of the cell ('"golub_03"')
        lines[i], how = decode(line.removeprefix(codecs.BOM_UTF8))
        if how != "utf-8":
            encoding = how
    log_encoding(path, encoding)
    return lines, encoding


def _refuse_no_text(raw: bytes, path) -> None:
    """Refuse gzip data, a zip archive (an .xlsx) or other compressed data, and UTF-16 text."""
    if (twice := gzipped_twice(path, raw)) is not None:
        raise twice
    refuse_other_compression(path, raw[:6])
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # every other character is a NUL: say what it is rather than 'binary or damaged'
        msg = (f"{path}: the text is UTF-16 (as spreadsheet programs save 'Unicode text'), not "
               "UTF-8; save it as 'CSV UTF-8' or plain CSV")
        raise InputError(msg)


def _nul_error(path, before: str, expected: str) -> InputError:
    """The error for a NUL byte after the text ``before``: its line, and what was expected."""
    msg = (f"{path}, line {len(_lines(before))}: NUL byte; expected {expected} (a binary or "
           "damaged file?)")
    return InputError(msg)


def _lines(text: AnyStr) -> list[AnyStr]:
    r"""The lines of ``text``, split at ``\n``, ``\r\n`` or ``\r`` only, as csv and pandas do.

    ``str.splitlines`` also splits at form feeds, ``\x1c``-``\x1e``, U+2028/9 and NEL
    (``\x85``, in text read as Latin-1), which cut such a row in two:
    "ragged row", and every later line number one too high. ``text`` may be bytes too.
    """
    newline, cr = ("\n", "\r") if isinstance(text, str) else (b"\n", b"\r")
    lines = text.split(newline)
    if cr in text:  # Windows line ends; old Mac ones (a lone \r) too
        for i, line in enumerate(lines):  # in place: no second list of a large file's lines
            lines[i] = line.removesuffix(cr)
        if any(cr in line for line in lines):
            lines = [part for line in lines for part in line.split(cr)]
    return lines


#: A first line naming the separator, as spreadsheet programs write and read it ('sep=,').
SEPARATOR_LINE = re.compile(r'"?sep=(.)"?')


def named_separator(first_line: str) -> str | None:
    """The separator a first line such as ``sep=;`` (Excel's hint) names, else None.

    Shared by the CuMiDa and sample-sheet readers. Not ``strip()``, which took the tab of
    ``sep=<tab>``.
    """
    hint = SEPARATOR_LINE.fullmatch(first_line.strip(" \r\n"))
    return None if hint is None else hint.group(1)


def _separator_line(lines: list[str], path) -> int:
    """Take out a first line such as ``sep=,`` (Excel's hint); 1 if there was one, else 0.

    It was read as the header: "no column 'samples' (found: sep=, )". A CuMiDa CSV is
    comma-separated: another separator named there is refused, naming it.
    """
    separator = named_separator(lines[0]) if lines else None
    if separator is None:
        return 0
    if separator != ",":
        first = lines[0].strip(" \r\n")
        name = {";": "semicolons", "\t": "tabs"}.get(separator, repr(separator))
        msg = (f"{path}, line 1: {first!r}: the file is separated by {name}, not "
               "commas as a CuMiDa CSV is; save it as CSV with commas")
        raise InputError(msg)
    del lines[0]
    return 1


def _parse_header(
    lines: list[str], path, sample_col: str, type_col: str, skipped: int = 0
) -> tuple[list[str], tuple[int, int], list[int]]:
    """The header's names, the sample and type columns' places, and the probe columns'.

    ``lines[0]`` is the header, line ``1 + skipped`` of the file (after a ``sep=,`` line).
    """
    line = 1 + skipped
    if not lines or not lines[0].strip():
        msg = f"{path}: file is empty; expected a header line '{sample_col},{type_col},<probe ids>'"
        raise InputError(msg)
    _refuse_geo_text(lines[0], path, sample_col)
    header = [clean_label(h) for h in line_cells(lines[0], path, line)]
    _drop_empty_last_columns(header, lines)
    for col in (sample_col, type_col):
        if col not in header:
            shown = ", ".join(map(_short, header[:4])) + (", ..." if len(header) > 4 else "")
            msg = f"{path}, line {line}: no column {col!r}; expected '{sample_col}', '{type_col}', then one column per probe (found: {shown}){_separator_hint(header)}"  # noqa: E501
            raise InputError(msg)
    meta_idx = (header.index(sample_col), header.index(type_col))
    probe_idx = [j for j in range(len(header)) if j not in meta_idx]
    if not probe_idx:
        msg = f"{path}, line {line}: no probe columns after {sample_col!r} and {type_col!r}"
        raise InputError(msg)
    dates = [header[j] for j in probe_idx if SPREADSHEET_DATE.fullmatch(header[j])]
    # the hint only where the name refused is a date: 'TP53' written twice is no spreadsheet's
    # (looked for only when a name is date-like: check_column_names scans the header anyway)
    found = first_empty_or_repeated(header) if dates else None
    repeated = header[found[1]] if found is not None and found[1] is not None else ""
    check_column_names(header, path, line, why_empty="; expected a probe id",
                       why_repeated="; probe ids must be unique"
                       + _dates_hint([repeated] if repeated in dates else []))
    _refuse_written_index(header, probe_idx, path, line)
    if dates:
        shown = ", ".join(map(repr, dates[:3])) + (", ..." if len(dates) > 3 else "")
        logger.warning("%s, line %d: %d probe name(s) look like dates (%s)%s; read as written",
                       path, line, len(dates), shown, _dates_hint(dates))
    return header, meta_idx, probe_idx


#: How a spreadsheet shows a gene symbol it took for a date: SEPT2 as '2-Sep', MARCH1 and
#: MARC1 both as '1-Mar', DEC1 as '1-Dec'. No probe or gene is named so.
SPREADSHEET_DATE = re.compile(r"\d{1,2}-(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
                              re.IGNORECASE)


def _dates_hint(dates: list[str]) -> str:
    if not dates:
        return ""
    return (": gene symbols a spreadsheet took for dates (SEPT2 shows as '2-Sep', MARCH1 and "
            "MARC1 both as '1-Mar')? Open the original file with the header imported as text")


#: pandas' name for a column read without a header: ``Unnamed: 0`` (``_level_1`` for a MultiIndex).
PANDAS_UNNAMED = re.compile(r"Unnamed: \d+(?:_level_\d+)?")


def _refuse_written_index(header: list[str], probe_idx: list[int], path, line: int) -> None:
    """Refuse a probe column named as pandas names a column that had no header.

    A CSV read with pandas and written back with ``to_csv`` (index kept) twice has a first
    column ``Unnamed: 0`` of row numbers 0, 1, 2, ...: it read as a probe, whose spread
    (0 to n - 1) outweighs every gene's, so the tree followed the row order (Golub's, sorted
    by type: ARI 1.00 where the genes give 0.79).
    """
    for j in probe_idx:
        if PANDAS_UNNAMED.fullmatch(header[j]):
            msg = (f"{path}, line {line}: column {j + 1} is named {header[j]!r}, as pandas names "
                   "a column without a header: a row index written with to_csv (pass "
                   "index=False), not a probe; remove the column")
            raise InputError(msg)


def _drop_empty_last_columns(header: list[str], lines: list[str]) -> None:
    """Drop last columns without a name or any value (a spreadsheet's formatted, empty ones).

    Excel writes a comma for each such column on every line ('p2,,' and '8.25,,'): they
    were refused as 'column 5 has an empty name'. As the sample-sheet reader does, they are
    dropped when every row leaves them empty (or stops before them); a value in one is
    still refused, its column having no name, and so are they in a file with quoted cells,
    which may hold commas.
    """
    k = len(header) - len(_without_empty_tail(header))
    if k == 0 or len(header) == k:
        return
    tail, n_commas = "," * k, len(header) - k - 1
    rows = [i for i in range(1, len(lines)) if not blank(lines[i])]
    if any('"' in lines[i] for i in rows) or not all(
            lines[i].endswith(tail) or lines[i].count(",") == n_commas for i in rows):
        return
    del header[-k:]
    for i in rows:
        if lines[i].endswith(tail):
            lines[i] = lines[i][:-k]


def blank(line: str) -> bool:
    """Whether a CSV line holds no value: blanks, or empty cells only (',,,' from a spreadsheet)."""
    return not line.strip(" \t,")


def _without_empty_tail(names: list[str]) -> list[str]:
    end = len(names)
    while end and names[end - 1] == "":
        end -= 1
    return names[:end]


def check_column_names(header: list[str], path, line: int, *, why_empty: str = "",
                       why_repeated: str = "") -> None:
    """Refuse the first empty or repeated name of ``header`` (line ``line``), naming columns.

    ``why_empty`` and ``why_repeated`` end the messages (what a CuMiDa header's columns are).
    """
    found = first_empty_or_repeated(header)
    if found is None:
        return
    first, j = found
    if j is None:
        msg = f"{path}, line {line}: column {first + 1} has an empty name{why_empty}"
    else:
        msg = f"{path}, line {line}: duplicate column {header[j]!r} (columns {first + 1} and {j + 1}){why_repeated}"  # noqa: E501
    raise InputError(msg)


def first_empty_or_repeated(values: Sequence[str]) -> tuple[int, int | None] | None:
    """Where ``values`` first holds an empty value, ``(i, None)``, or a repeated one, ``(i, j)``.

    ``i`` and ``j`` are the indices of the value's first and second places; None when every
    value is non-empty and unique.
    """
    first: dict[str, int] = {}
    for j, value in enumerate(values):
        if value == "":
            return j, None
        if value in first:
            return first[value], j
        first[value] = j
    return None


def _refuse_geo_text(first: str, path, sample_col: str) -> None:
    """Say so when the text is GEO's: ``gexclust run`` reads a pipe (``<(zcat ...)``) as CSV.

    A pipe cannot be looked into and then read again, so GEO text from one reaches this
    reader; its header line would otherwise be called "separated by tabs, not commas".
    """
    start = first.lstrip()
    if start.startswith(sample_col) or not start.startswith(("!Series_", "^")):
        return
    reader = "read_series_matrix" if start.startswith("!") else "read_soft"
    msg = (f"{path}, line 1: GEO text, not a CuMiDa CSV; gexclust run knows GEO files by "
           "their name or first line, which it cannot read ahead in a pipe: give the file "
           f"itself (gexclust.io.{reader})")
    raise InputError(msg)


def _short(text: str, width: int = 40) -> str:
    """``text`` cut to ``width`` characters: an error line quotes fields, not whole files."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _separator_hint(header: list[str]) -> str:
    """Why a header is one field: another separator (European Excel's ';', a TSV's tab)."""
    if len(header) != 1:
        return ""
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if sep in header[0]:
            return f"; the header is one field: the file is separated by {name}, not commas"
    return ""


def _parse_body(body: list[str], header, meta_idx, probe_idx, path, skipped: int = 0):
    line_numbers = [i + 2 + skipped for i, line in enumerate(body) if not blank(line)]
    rows = [line for line in body if not blank(line)]
    simple = meta_idx == (0, 1) and not any('"' in line for line in rows)
    if simple:
        try:
            return _parse_fast(rows, len(header), line_numbers)
        except ValueError:
            # fall through: the careful parser finds and names the offending cell
            pass
    return _parse_careful(rows, header, meta_idx, probe_idx, path, line_numbers)


def _parse_fast(rows: list[str], n_cols: int, line_numbers: list[int]):
    """Clean files: split off the two leading columns, parse the numbers in C.

    fastnumbers parses with the Eisel-Lemire algorithm (fast_float): correctly rounded, so
    bit for bit the value Python's ``float`` (and ``np.loadtxt``) gives, ~7x faster than
    ``np.loadtxt`` on full-precision values (0.07 s instead of 0.49 s for the 1.4 million of
    a 64 x 22,283 file). A cell it cannot parse raises ``ValueError``: the careful parser
    then names it (or reads it as missing). Its NaNs are checked by ``float`` (C's
    ``'nan(123)'``, which fastnumbers reads, is no number to Python or to the careful parser).
    Rows with a character beyond ASCII in their values, other than blanks around them, go to
    the careful parser too: fastnumbers reads digits of any script, and ``'\u00bd'`` or
    ``'\u216b'`` (Roman twelve), which ``float`` refuses.
    """
    from fastnumbers import RAISE, try_array

    values = np.empty((len(rows), n_cols - 2), dtype=np.float64)
    samples, types = [], []
    for out, row in zip(values, rows, strict=True):
        # one row's cells at a time: splitting off the two leading columns first
        # (row.split(",", 2)) for every row held a second copy of the whole text
        cells = row.split(",")
        if len(cells) != n_cols:
            raise ValueError
        samples.append(clean_label(cells[0]))
        types.append(clean_label(cells[1]))
        del cells[:2]
        if not row.isascii():  # O(1): Python strings know it
            # blanks beyond ASCII (a no-break space) around a number are spaces to float;
            # any other character beyond ASCII is the careful parser's
            cells = [cell.strip(UNICODE_BLANKS) for cell in cells]
            if not all(cell.isascii() for cell in cells):
                raise ValueError
        try_array(cells, out, on_fail=RAISE, on_type_error=RAISE, nan=float)
    return samples, types, values, line_numbers


def _parse_careful(rows, header, meta_idx, probe_idx, path, line_numbers):
    n_cols = len(header)
    values = np.empty((len(rows), len(probe_idx)), dtype=np.float64)
    samples: list[str] = []
    types: list[str] = []
    reader = csv.reader(rows)
    for i, fields in enumerate(_csv_records(reader, rows, path, line_numbers)):
        lineno = line_numbers[i]
        if reader.line_num != i + 1:  # the record took the next line(s) in: one per line here
            msg = (f"{path}, line {lineno}: a quoted field does not end on its line (an "
                   "unclosed quote, or a line break inside quotes)")
            raise InputError(msg)
        if len(fields) != n_cols:
            msg = f"{path}, line {lineno}: {len(fields)} fields, expected {n_cols} as in the header (ragged row)"  # noqa: E501
            raise InputError(msg)
        samples.append(clean_label(fields[meta_idx[0]]))
        types.append(clean_label(fields[meta_idx[1]]))
        values[i] = [_to_float(fields[j], path, lineno, header[j]) for j in probe_idx]
    return samples, types, values, line_numbers


def line_cells(line: str, path, lineno: int, delimiter: str = ",") -> list[str]:
    """The cells of one line (quotes removed); the csv module's refusal as an error naming it.

    For the header of a CuMiDa CSV and the tab-separated lines of a GEO series matrix.
    """
    reader = csv.reader([line], delimiter=delimiter)
    return next(_csv_records(reader, [line], path, [lineno], delimiter), [])


def _csv_records(reader, rows: list[str], path, line_numbers, delimiter: str = ","):
    """``reader``'s records (of ``rows``), a ``csv.Error`` raised as an error naming the line.

    The csv module refuses a cell over 131,072 characters; its bare 'Error: ...' named
    neither. The line is the one the error arose on, or, for a quote left open, the one the
    quote opened on (each earlier record is one line: the careful parser refuses others).
    A CSV's line is called no CSV row; a GEO text's (tab-separated) quotes the csv module.
    """
    n_read = 0
    try:
        for record in reader:
            yield record
            n_read += 1
    except csv.Error as error:
        lineno = line_numbers[min(reader.line_num, len(line_numbers)) - 1]
        first = min(n_read, len(rows) - 1)
        hint, opened = csv_error_hint(error, rows[first], delimiter)
        said = f"not a CSV row ({error}; {hint})" if delimiter == "," else f"{error} ({hint})"
        msg = f"{path}, line {line_numbers[first] if opened else lineno}: {said}"
        raise InputError(msg) from None


def csv_error_hint(error: csv.Error, line: str, delimiter: str) -> tuple[str, bool]:
    """What a ``csv.Error`` on a record starting with ``line`` means, and if a quote is open.

    The csv module says "field larger than field limit" both for a cell that is that long
    and for a quote left open, whose cell runs on into the lines after it: the two need
    different fixes, so ``line`` (the record's first line) is looked at to tell them apart.
    """
    text, limit = str(error), csv.field_size_limit()
    if "field limit" in text:
        if open_quote(line, delimiter):
            return (f"a quote opened on this line is not closed: its cell ran on past the csv "
                    f"module's limit of {limit:,} characters"), True
        if "\t" in line and delimiter != "\t":
            return "is the file tab-separated?", False
        return (f"a cell longer than the csv module's limit of {limit:,} characters, with no "
                "quote open"), False
    if "end of data" in text:
        return "a quote opened on this line is not closed before the end of the file", True
    if "expected after" in text:
        return ("a quoted cell goes on after its closing quote; a quote inside a quoted cell "
                'is written twice ("")'), False
    return "a quote opened in a cell and not closed?", False


def open_quote(line: str, delimiter: str) -> bool:
    """Whether a quoted cell of ``line`` is still open at its end (as the csv module reads it).

    A cell is quoted when its first character is a quote; inside it a doubled quote is a
    quote, a single one closes it. A quote further into an unquoted cell is text.
    """
    quoted, at_start, i = False, True, 0
    while i < len(line):
        char = line[i]
        if quoted and char == '"' and line[i + 1 : i + 2] == '"':
            i += 2
            continue
        if quoted:
            quoted = char != '"'
        elif char == '"' and at_start:
            quoted = True
        at_start = not quoted and char == delimiter
        i += 1
    return quoted


#: A number written with a comma: a decimal one (7,5) or thousands separators (1,234.5).
COMMA_NUMBER = re.compile(r"[-+]?\d[\d.]*,[\d,.]*\d")


def _refuse_spreadsheet_errors(labels: list[str], column: str, line_numbers, path) -> None:
    """Refuse a sample id or type that is a spreadsheet's error value ('#VALUE!').

    It read as a class of its own (type '#VALUE!'), without a word.
    """
    i = first_spreadsheet_error(labels)
    if i is not None:
        raise spreadsheet_error(labels[i], path=path, line=line_numbers[i], column=column)


def first_spreadsheet_error(cells: Sequence[str]) -> int | None:
    """Position of the first cell holding a spreadsheet's error value ('#DIV/0!'), or None."""
    if SPREADSHEET_ERRORS.isdisjoint(cells):  # the common case, at set speed
        return None
    return next(i for i, cell in enumerate(cells) if cell in SPREADSHEET_ERRORS)


def spreadsheet_error(cell: str, *, path, line: int, column: str) -> InputError:
    """The refusal of ``cell``, a spreadsheet's error value, naming its file, line and column."""
    msg = f"{path}, line {line}, column {column!r}: {cell!r} is {SPREADSHEET_ERROR_HINT}"
    return InputError(msg)


def _to_float(cell: str, path, lineno: int, column: str) -> float:
    # Python's float reads '1_000' as 1000 (PEP 515) and digits of any script ('\u0661\u0662',
    # full-width '\uff11\uff12'): a CSV means neither, and GEO readers (pandas) refuse them.
    # Blanks around a number may be any (a no-break space), as for the GEO readers.
    ascii_digits = cell.isascii() or cell.strip().isascii()
    if "_" not in cell and ascii_digits:
        try:
            return float(cell)
        except ValueError:
            pass
    if cell.strip() in NA_TOKENS:
        return np.nan
    if cell.strip() in SPREADSHEET_ERRORS:
        hint = f" ({SPREADSHEET_ERROR_HINT})"
    elif COMMA_NUMBER.fullmatch(cell.strip()):
        hint = (" (a decimal comma or a thousands separator, as a spreadsheet's number "
                "format writes them? a CuMiDa CSV writes plain numbers, 1234.5)")
    else:
        hint = "" if ascii_digits or not reads_as_float(cell) else " (digits must be ASCII 0-9)"
    msg = f"{path}, line {lineno}, column {column!r}: value {cell!r} is not a number{hint}"
    raise InputError(msg)


def reads_as_float(text: str) -> bool:
    """Whether Python's ``float`` reads ``text`` (blanks around it, 'nan', 'inf' included)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_unique(ids: Sequence[str], what: str, col: str, line_numbers, path) -> None:
    found = first_empty_or_repeated(ids)
    if found is None:
        return
    first, i = found
    if i is None:
        msg = f"{path}, line {line_numbers[first]}: empty {what} in column {col!r}"
    else:
        msg = f"{path}: duplicate {what} {ids[i]!r} in column {col!r} (lines {line_numbers[first]} and {line_numbers[i]})"  # noqa: E501
    raise InputError(msg)
