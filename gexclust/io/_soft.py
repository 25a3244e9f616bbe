"""A streaming parser of GEO SOFT text: family files, single records, GDS and ``.annot`` files.

Attribute lines are read one by one; table bodies are cut out of the stream in bulk and parsed
by pandas' C reader, so a family SOFT of 64 samples x 22,283 probes parses in well under a
second and memory stays proportional to the tables kept.
"""

from __future__ import annotations

import codecs
import io
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from .._files import LEGACY, LEGACY_ERRORS, decode_text, log_encoding
from .._logging import logger, warn_first
from ._cumida_parse import _short, reads_as_float
from ._geo_text import (
    GEO_NA,
    LineScanner,
    _inflate_lib,
    geo_numbers,
    header_text,
    line_start,
    open_binary,
    text_start,
    warn_left_out,
)
from ._invisible import clean_label, warn_hidden
from ._row_counts import Count, check_counts, declared_rows

ENTITY_KINDS = ("DATABASE", "SERIES", "PLATFORM", "SAMPLE", "DATASET", "SUBSET", "ANNOTATION")
#: Attributes that become sample labels in ``.obs``: checked for characters that cannot be seen.
LABEL_KEYS = frozenset({"Sample_title", "Sample_source_name_ch1", "Sample_source_name_ch2",
                        "Sample_characteristics_ch1", "Sample_characteristics_ch2"})


@dataclass
class SoftRecord:
    """One ``^KIND = accession`` record: attributes, column descriptions and its raw table."""

    kind: str
    accession: str
    line: int
    meta: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    header: list[str] | None = None
    body: bytes = b""  # table rows after the header, each ending in a newline
    n_rows: int = 0
    table_line: int = 0  # line of the table's header
    digest: tuple[int, int] | None = None  # (size, CRC-32) of the table rows, as read
    #: For a second ``^KIND = accession`` line: the record it repeats (see :func:`resolve_repeat`).
    repeat_of: SoftRecord | None = None
    #: For a second copy of a whole record (files joined with ``cat``): the first copy, the
    #: one read, which this copy is compared with once it has ended.
    copy_of: SoftRecord | None = None

    def first(self, key: str, default: str = "") -> str:
        """The first value of attribute ``key`` (e.g. ``'Sample_title'``)."""
        values = self.meta.get(key)
        return values[0] if values else default

    def frame(self, path, *, numeric: tuple[str, ...] = (), usecols=None) -> pd.DataFrame:
        """The table as a DataFrame: ``numeric`` columns as float, all others as strings."""
        if self.header is None:
            return pd.DataFrame()
        return read_tsv(self.body, self.header, path, self, numeric=numeric, usecols=usecols)


def read_tsv(body, header, path, record, *, numeric=(), usecols=None) -> pd.DataFrame:
    """Parse tab-separated ``body`` rows (no header line) with GEO's missing-value tokens.

    Blank rows are kept (as missing values) so row counts stay aligned with the ID_REF column.
    Bytes that are not UTF-8 are read as Windows-1252 (Latin-1 for older GEO records is
    the same outside 0x80-0x9f).
    """
    dtype = {c: (float if c in numeric else str) for c in header}
    try:
        try:
            return _pandas_tsv(body, header, dtype, usecols, "strict")
        except UnicodeDecodeError:
            log_encoding(f"{path}: table of {record.kind} {record.accession}", LEGACY)
            return _pandas_tsv(body, header, dtype, usecols, LEGACY_ERRORS)
    except ValueError as err:
        if usecols is not None:
            # pandas refuses usecols when every row is shorter than the header (trailing empty
            # cells left out by the submitter); all columns then read, short rows padded
            return read_tsv(body, header, path, record, numeric=numeric)[list(usecols)]
        problem = table_problem(body, header, numeric)
        if problem is None and numeric:
            # pandas' float parser refuses padded missing-value tokens (' null '), which
            # table_problem accepts: read the numeric columns as text and convert them here
            return _numbers_from_text(read_tsv(body, header, path, record), numeric, path,
                                      record)
        problem = problem or str(err)
        msg = f"{path}: table of {record.kind} {record.accession} (line {_line(record)}): {problem}"
        raise InputError(msg) from None


def _line(record: SoftRecord) -> int:
    """The line of ``record``'s table header (of the record itself for an unmarked table)."""
    return record.table_line or record.line


def _numbers_from_text(frame: pd.DataFrame, numeric, path, record) -> pd.DataFrame:
    """``frame`` (all text) with its ``numeric`` columns as float; refuses a cell that is not."""
    for name in numeric:
        if name not in frame:
            continue
        numbers, bad = geo_numbers(frame[name])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            msg = (f"{path}: table of {record.kind} {record.accession} (line {_line(record)}): "
                   f"row {frame.iloc[i, 0]!r}, column {name}: value {frame[name].iloc[i]!r} "
                   "is not a number")
            raise InputError(msg)
        frame[name] = numbers
    return frame


def table_problem(body: bytes, header: list[str], numeric=()) -> str | None:
    """The first row pandas refused, in words: too many cells, or a number that is not one.

    Called only once parsing has failed, so a plain loop over the rows is fine.
    """
    checked = [k for k, name in enumerate(header) if name in numeric]
    for row in decode_text(body).split("\n"):
        cells = row.split("\t")
        if any(cell.strip() for cell in cells[len(header) :]):
            return _long_row(cells, header)
        for k in checked:
            cell = cells[k].strip() if k < len(cells) else ""
            if cell not in GEO_NA and not reads_as_float(cell):
                return f"row {cells[0]!r}, column {header[k]}: value {cell!r} is not a number"
    return None


def long_row(body: bytes, header: list[str], n_rows: int) -> str | None:
    """The first row with a value beyond the header's columns, in words, or None.

    pandas drops such cells without a word when it reads chosen columns, so a row shifted by
    a cell would give a wrong value. Counting tabs (numpy: 7x faster than ``bytes.count``)
    finds tables that may hold one; only those are checked row by row (trailing tabs alone
    are fine).
    """
    tabs = np.count_nonzero(np.frombuffer(body, dtype=np.uint8) == TAB)
    if tabs <= n_rows * (len(header) - 1):
        return None
    for row in decode_text(body).split("\n"):
        cells = row.split("\t")
        if any(cell.strip() for cell in cells[len(header) :]):
            return _long_row(cells, header)
    return None


def _long_row(cells: list[str], header: list[str]) -> str:
    return f"row {cells[0]!r} has {len(cells)} cells for the {len(header)} columns of the header ({', '.join(header)})"  # noqa: E501


def _pandas_tsv(body: bytes, header, dtype, usecols, errors: str) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(body), sep="\t", header=None, names=header, usecols=usecols, dtype=dtype,
        na_values=GEO_NA, keep_default_na=False, quoting=3, index_col=False,
        skip_blank_lines=False, encoding="utf-8", encoding_errors=errors,
    )


def parse_soft(path: str | os.PathLike, *, reader: str, on_table=None) -> list[SoftRecord]:
    """Parse every record of a SOFT file into :class:`SoftRecord` objects (tables left raw).

    ``on_table(record)``, if given, is called as soon as a record's table has been read, so a
    caller can reduce a large table (e.g. a platform's Gene Ontology columns) before the next
    tables arrive: peak memory is then the largest table, not the sum of them all.
    ``reader`` is the public reader parsing the file (``'gexclust.io.read_gpl reads'``), which a
    refusal of a short table names (:func:`~gexclust.io._row_counts.check_counts`).

    Real downloads are accepted as they come: CRLF line ends, a byte-order mark, whitespace
    around markers and values, blank lines, a ``^KIND = accession`` line written twice (GEO
    repeats ``^DATASET`` just before a GDS table: both parts are one record; a record written
    twice over is read once, or refused if the two differ: :func:`compare_copy`), repeated
    column names (renamed ``NAME.1``, ``NAME.2`` as pandas and GEOparse do) and 2002-era
    records whose table follows the ``#`` column lines without begin/end markers.
    """
    records: list[SoftRecord] = []
    seen: dict[tuple[str, str], SoftRecord] = {}
    current: SoftRecord | None = None
    encodings: set[str] = set()  # of the lines outside tables, logged once
    labels: list[tuple[int, str, str]] = []  # (line, key, text) of the samples' labels
    strays: list[tuple[int, str]] = []  # (line, text) of lines that are not SOFT, left out
    repeats: list[str] = []  # records written twice the same (files joined with cat)
    copies: list[SoftRecord] = []  # second copies of records, compared with the first at the end
    with open_binary(path) as stream:
        scanner = LineScanner(stream)
        pending: bytes | None = None
        while True:
            raw, pending = (pending, None) if pending is not None else (scanner.readline(), None)
            if raw is None:
                break
            line = header_text(raw, encodings)
            if line.startswith("^"):
                resolve_repeat(current, path, seen, copies)
                current = _record_of(line, scanner.lineno, path, seen, records)
                labels.append((scanner.lineno, current.kind, current.accession))
            elif not line:
                continue
            elif current is None:
                _not_soft(line, scanner.lineno, path)
            elif line.startswith("!") and line.endswith("_table_begin"):
                owner = _table_owner(line, current, seen)
                _read_table(scanner, owner, path)
                if on_table is not None and owner.header is not None:
                    on_table(owner)
            elif line.startswith("!") and line.endswith("_table_end"):
                continue  # a stray or repeated end marker carries nothing
            elif line.startswith("!"):
                key, _, value = line[1:].partition("=")
                key, value = clean_label(key), clean_label(value)
                current.meta.setdefault(key, []).append(value)
                if key in LABEL_KEYS:
                    labels.append((scanner.lineno, key, value))
            elif line.startswith("#"):
                key, _, value = line[1:].partition("=")
                _columns_owner(current, seen).columns[clean_label(key)] = clean_label(value)
            elif not _starts_unmarked_table(line, _columns_owner(current, seen)):
                strays.append((scanner.lineno, line))
            else:
                pending = _read_unmarked_table(scanner, current, raw, path)
                if on_table is not None:
                    on_table(current)
    if current is not None:
        refuse_cut_header(current, _dataset(seen), path, scanner.lineno)
    resolve_repeat(current, path, seen, copies)
    for copy in copies:
        compare_copy(copy, path, repeats)
    if not records:
        msg = f"{path}: no SOFT records found; expected lines starting with '^'"
        raise InputError(msg)
    for encoding in sorted(encodings - {"utf-8"}):
        log_encoding(f"{path}: some lines", encoding)
    warn_hidden(path, labels)
    # one warning a file, as for the lines below: a family SOFT joined to itself repeats
    # every record (37 warnings for GSE781's)
    warn_first(repeats, lambda where: f"{path}: {where}, the same both times; read once",
               "record(s) written twice the same, read once")
    # they hold no data (tables are checked on their own), and GEO has shipped header values
    # wrapped onto a second line: refusing them would stop a read of real data over free text
    warn_left_out(path, strays, "not a SOFT line (a value wrapped onto a new line, or a "
                  "damaged copy?)")
    check_counts(path, table_counts(records), reader=reader)
    return records


def table_counts(records: list[SoftRecord]) -> list[Count]:
    """Each table's rows as read against its header's ``!..._data_row_count``, where stated.

    Rows are counted as read: blank rows and repeats of the header line are not rows (GEO's
    count leaves them out too: GSM32878's blank line is not among its rows).
    """
    counts = []
    for record in records:
        key = ROW_COUNTS.get(record.kind)
        declared = declared_rows(record.meta.get(key)) if key else None
        if declared is not None and record.header is not None:
            counts.append(Count(f"{record.kind} {record.accession}", key, declared,
                                record.n_rows))
    return counts


#: Where the header of a record GEO follows with a data table states its number of rows.
ROW_COUNTS = {"SAMPLE": "Sample_data_row_count", "PLATFORM": "Platform_data_row_count",
              "DATASET": "dataset_feature_count"}


def refuse_cut_header(last: SoftRecord, dataset: SoftRecord | None, path, lineno: int) -> None:
    """Refuse a file that ends in the header of a record GEO follows with its data table.

    GEO writes a sample's, platform's or dataset's table right after its header lines (a
    GDS's after its ``^SUBSET`` records), and ends every download with a record: a file
    that ends before that table, or in the ``^DATABASE`` record heading a download, was cut
    at a line end. Nothing else showed it: a family SOFT read as a series of one sample
    fewer, with a warning of a sample 'without a data table'. A header that says there is
    no table (``!Sample_data_row_count = 0``, a sequencing platform's; ``!Sample_table``
    naming an external file) ends a file as it is. ``lineno`` is the file's last line.
    """
    if last.kind == "DATABASE":
        msg = f"{path}, line {lineno}: the file ends in the ^DATABASE record that heads a GEO download (line {last.line}), before any series, platform, sample or dataset: it is cut short; download it again"  # noqa: E501
        raise InputError(msg)
    record = dataset if last.kind == "SUBSET" and dataset is not None else last
    if record.kind not in ROW_COUNTS or record.header is not None:
        return
    earlier = record.repeat_of or record.copy_of
    if earlier is not None and earlier.header is not None:
        return  # a second copy of a record read whole: told by the comparison of the two
    meta = {**(earlier.meta if earlier else {}), **record.meta}
    rows = (meta.get(ROW_COUNTS[record.kind]) or [""])[0]
    if rows == "0" or meta.get("Sample_table"):
        return
    stated = f" of {rows} rows (!{ROW_COUNTS[record.kind]})" if rows else ""
    msg = f"{path}, line {lineno}: the file ends in the header of {record.kind} {record.accession} (line {record.line}), before its data table{stated}: it is cut short; download it again"  # noqa: E501
    raise InputError(msg)


def refuse_absent_samples(records: list[SoftRecord], path) -> None:
    """Refuse a family SOFT whose series lists samples that have no record in the file.

    GEO's family SOFT holds every sample its series lists (``!Series_sample_id``): a file
    cut short right after a record's end reads without any other sign, as a series of
    fewer samples (GSE781's cut after its 5th sample table: 3 GPL96 samples of 17). A
    platform's family SOFT (GPL96_family.soft) holds only that platform's samples, yet its
    series records list their samples on other platforms too: the check is made only when
    the file holds every platform the series lists (``!Series_platform_id``), as the
    series' own family does before its first sample.
    """
    held = {r.accession for r in records if r.kind == "PLATFORM"}
    present = {r.accession for r in records if r.kind == "SAMPLE"}
    for series in (r for r in records if r.kind == "SERIES"):
        _refuse_absent_series_samples(series, held, present, path)


def _refuse_absent_series_samples(series: SoftRecord, held: set, present: set, path) -> None:
    # every series of the file: two family SOFTs joined with cat hold two, either one cut
    if any(gpl.strip() not in held for gpl in series.meta.get("Series_platform_id", [])):
        return
    listed = (a.strip() for a in series.meta.get("Series_sample_id", []))
    absent = [a for a in listed if a and a not in present]
    if absent:
        shown = ", ".join(absent[:3]) + (", ..." if len(absent) > 3 else "")
        msg = (f"{path}: series {series.accession} (line {series.line}) lists {len(absent)} "
               f"sample(s) with no record in this file ({shown}), where GEO's family SOFT "
               "holds them all: the file is cut short; download it again (or, if the "
               "samples were taken out on purpose, take out their !Series_sample_id lines)")
        raise InputError(msg)


def _record_of(line: str, lineno: int, path, seen: dict, records: list) -> SoftRecord:
    """The record a ``^KIND = accession`` line opens, or continues when it was seen before."""
    kind, _, accession = line[1:].partition("=")
    kind, accession = clean_label(kind).upper(), clean_label(accession)
    if kind not in ENTITY_KINDS:
        msg = f"{path}, line {lineno}: unknown SOFT record type {kind!r}; expected one of {', '.join(ENTITY_KINDS)}"  # noqa: E501
        raise InputError(msg)
    record = seen.get((kind, accession))  # the latest copy of the record
    if record is None:
        record = SoftRecord(kind=kind, accession=accession, line=lineno)
        seen[kind, accession] = record
        records.append(record)
        return record
    # read on its own, then merged or taken for a second copy when it ends (resolve_repeat)
    return SoftRecord(kind=kind, accession=accession, line=lineno, repeat_of=record)


def resolve_repeat(part: SoftRecord | None, path, seen: dict, copies: list[SoftRecord]) -> None:
    """Settle a record whose ``^KIND = accession`` line was written before, once it has ended.

    GEO writes a GDS's ``^DATASET`` line twice: the attributes, its ``^SUBSET`` records, then
    the line again before the column descriptions and the table. Such a second part, which
    restates nothing of the record so far, is merged into it. Any other is a second copy of
    the record (files joined with ``cat``: a GDS so joined holds its two parts twice, and
    the copy's second part is merged into the copy): it is noted in ``copies`` and in
    ``seen``, and compared with the first copy once the file has been read
    (:func:`compare_copy`). ``^DATABASE`` heads every GEO download and holds nothing read
    here: a second one is left out.
    """
    record = part.repeat_of if part is not None else None
    if record is None or part.kind == "DATABASE":
        return
    if _adds_only(record, part):
        record.meta.update(part.meta)
        record.columns.update(part.columns)
        if part.header is not None:
            record.header, record.body, record.n_rows = part.header, part.body, part.n_rows
            record.table_line, record.digest = part.table_line, part.digest
        if record.copy_of is not None:
            record.body = b""  # a copy is compared by its digest; its values are not read
        return
    part.copy_of, part.repeat_of, part.body = record.copy_of or record, None, b""
    seen[part.kind, part.accession] = part
    copies.append(part)


def compare_copy(copy: SoftRecord, path, repeats: list[str]) -> None:
    """Read a record written twice once, noting it in ``repeats``, or refuse the two if they differ.

    A merge would join the two copies' values (``tissue: breast; liver``), and GEOparse's
    and GEOquery's choice, the last copy alone, drops the first's without a word.
    """
    first = copy.copy_of
    where = f"{copy.kind} {copy.accession} is written twice, at lines {first.line} and {copy.line}"
    if _same_record(first, copy):
        repeats.append(where)
        return
    msg = f"{path}: {where}, with different content ({_difference(first, copy)}); which to read is unknowable: keep one of the two"  # noqa: E501
    raise InputError(msg)


def _same_record(first: SoftRecord, part: SoftRecord) -> bool:
    return (first.meta == part.meta and first.columns == part.columns
            and first.header == part.header and first.digest == part.digest)


def _adds_only(first: SoftRecord, part: SoftRecord) -> bool:
    """Whether ``part`` only adds to ``first``: no attribute, column or table written in both.

    An attribute in both is not merged even with the same values: they would be doubled.
    """
    return (not first.meta.keys() & part.meta.keys()
            and all(first.columns.get(name, text) == text for name, text in part.columns.items())
            and (first.header is None or part.header is None))


def _difference(first: SoftRecord, part: SoftRecord) -> str:
    """The first thing that differs between two parts of a record, in words."""
    for key in [*first.meta, *(k for k in part.meta if k not in first.meta)]:
        was, now = first.meta.get(key), part.meta.get(key)
        if was != now:
            return _differs(f"!{key}", was, now, first, part)
    for name in [*first.columns, *(k for k in part.columns if k not in first.columns)]:
        was, now = first.columns.get(name), part.columns.get(name)
        if was != now:
            # a description may be empty ('#VALUE = '): only None is a column not written
            return _differs(f"#{name}", None if was is None else [was],
                            None if now is None else [now], first, part)
    if first.header is None or part.header is None:
        return f"only the one at line {(part if first.header is None else first).line} has a data table"  # noqa: E501
    return f"their data tables, at lines {first.table_line} and {part.table_line}, differ"


def _differs(what: str, was, now, first: SoftRecord, part: SoftRecord) -> str:
    if was is None or now is None:
        return f"{what} only in the one at line {(first if now is None else part).line}"
    # the first value that differs: a key such as !Sample_characteristics_ch1 has many
    pair = next(((a, b) for a, b in zip(was, now, strict=False) if a != b), None)
    if pair is None:
        return f"{what} written {len(was)} against {len(now)} time(s)"
    return f"{what}: {_short(pair[0])!r} against {_short(pair[1])!r}"


def _not_soft(line: str, lineno: int, path) -> None:
    if line.startswith("!Series_"):
        msg = f"{path}, line {lineno}: this is a GEO series matrix, not a SOFT file; read it with gexclust.io.read_series_matrix"  # noqa: E501
    else:
        msg = f"{path}, line {lineno}: expected a SOFT record ('^SERIES = ...', '^SAMPLE = ...'), found {line[:40]!r}"  # noqa: E501
    raise InputError(msg)


def _starts_unmarked_table(line: str, record: SoftRecord) -> bool:
    """Whether ``line`` is the header of a 2002-era table without begin/end markers.

    GEO's SOFT has four kinds of line: ``^RECORD = accession``, ``!name = value``,
    ``#column = description`` and the rows of a table. 2002-era records write their table
    without markers right after the ``#`` lines, so its header starts with a column those
    lines describe (``ID_REF``, ``TAG``). Any other line was read as such a table: ignored
    without a word under ``^SERIES``, a "second data table" under ``^SAMPLE``.
    """
    return line.split("\t", 1)[0].strip() in record.columns


def _dataset(seen: dict) -> SoftRecord | None:
    return next((r for (kind, _), r in seen.items() if kind == "DATASET"), None)


def _table_owner(marker: str, current: SoftRecord, seen: dict) -> SoftRecord:
    # a GDS with one ^DATASET line writes its table after its ^SUBSET records
    if marker.lower() == "!dataset_table_begin" and current.kind != "DATASET":
        return _dataset(seen) or current
    return current


def _columns_owner(current: SoftRecord, seen: dict) -> SoftRecord:
    # subsets have no tables: '#' lines after them describe the dataset's columns
    if current.kind == "SUBSET":
        return _dataset(seen) or current
    return current


def dedup_names(names: list[str]) -> list[str]:
    """Repeated column names made unique as pandas' C reader does: ``A, A, A`` -> ``A, A.1, A.2``.

    Suffixes count per original name and skip names the header already has (``A, A.1, A``
    gives ``A, A.1, A.2``), so GEOparse's column names are reproduced exactly.
    """
    present = set(names)
    used: dict[str, int] = {}
    out = []
    for name in names:
        unique, count = name, used.get(name, 0)
        while count > 0:
            used[name] = count + 1
            unique = f"{name}.{count}"
            count = count + 1 if unique in present else used.get(unique, 0)
        used[unique] = 1
        out.append(unique)
    return out


def _set_table(record: SoftRecord, header: bytes, body: bytes, start: int, path) -> None:
    if record.header is not None:
        msg = f"{path}, line {start}: {record.kind} {record.accession} has a second data table (the first is at line {record.table_line})"  # noqa: E501
        raise InputError(msg)
    names = decode_text(header.rstrip()).split("\t")
    record.header = dedup_names([clean_label(n) for n in names])
    record.body = without_header_rows(clean_rows(body), header, f"{path}: {record.kind} {record.accession}")  # noqa: E501
    record.n_rows = record.body.count(b"\n")
    record.table_line = start
    # a record written twice is compared by this, after on_table may have emptied its body
    record.digest = (len(record.body), _inflate_lib.crc32(record.body))  # ISA-L: 5x zlib's


def clean_rows(body: bytes) -> bytes:
    """Table rows without carriage returns, trailing spaces or blank lines, as GEOparse reads them.

    A byte-order mark starting a row is dropped too, as at the start of any other line.

    The checks are vectorised over the row boundaries (searching for two-byte patterns such as
    newline-newline runs far below memory speed); only tables that have such rows pay for a
    rewrite.
    """
    if b"\r" in body:
        body = body.replace(b"\r", b"")
    if codecs.BOM_UTF8 in body:  # starting a row of files joined with cat: not part of its id
        body = body.removeprefix(codecs.BOM_UTF8).replace(b"\n" + codecs.BOM_UTF8, b"\n")
    if not body:
        return body
    arr = np.frombuffer(body, dtype=np.uint8)
    ends = byte_positions(arr, NEWLINE)
    firsts = arr[np.minimum(np.r_[0, ends[:-1] + 1], len(arr) - 1)]
    lasts = arr[np.maximum(ends - 1, 0)]
    # blank rows start with a newline; a row starting with a blank may be blank; a space
    # before the newline is trailing whitespace that GEOparse's rstrip() removes
    if np.isin(firsts, BLANK_START).any() or (lasts == SPACE).any():
        body = b"".join(row.rstrip() + b"\n" for row in body.split(b"\n") if row.strip())
    return body


def without_header_rows(body: bytes, header: bytes, where: str) -> bytes:
    """``body`` without rows that repeat the table's ``header`` line (tables pasted together).

    They are logged, not read as values ("VALUE is not a number"). Only tables that hold the
    header text pay for the row split.
    """
    header = header.rstrip()
    if not body.startswith(header) and b"\n" + header not in body:
        return body
    rows = body.split(b"\n")
    kept = [row for row in rows if row.rstrip() != header]
    if len(kept) == len(rows):
        return body
    logger.warning("%s: the table header is repeated %d time(s) inside the table; left out",
                   where, len(rows) - len(kept))
    return b"\n".join(kept)


def byte_positions(arr: np.ndarray, value: int, chunk: int = 1 << 22) -> np.ndarray:
    """``np.flatnonzero(arr == value)``, in slices: the boolean mask never spans a large table."""
    if len(arr) <= chunk:
        return np.flatnonzero(arr == value)
    return np.concatenate([np.flatnonzero(arr[i : i + chunk] == value) + i
                           for i in range(0, len(arr), chunk)])


NEWLINE, SPACE, TAB = ord("\n"), ord(" "), ord("\t")
BLANK_START = np.array([ord("\n"), ord("\t"), ord(" ")], dtype=np.uint8)


def _read_table(scanner: LineScanner, record: SoftRecord, path) -> None:
    start = scanner.lineno
    header = scanner.readline()
    while header is not None and not header.strip():  # blank lines before the header
        header = scanner.readline()
    marker = header is not None and text_start(header).startswith(b"!")
    body = None if header is None or marker else scanner.read_block(b"!")
    if marker:
        return  # an empty table: that was its end marker
    if body is None:
        msg = (
            f"{path}: the table of {record.kind} {record.accession} that starts at line {start} "
            "never ends (no '!..._table_end' line); the file is truncated"
        )
        raise InputError(msg)
    if text_start(header).startswith(b"^") or line_start(body, b"^", 0) >= 0:
        msg = f"{path}: the table of {record.kind} {record.accession} that starts at line {start} runs into the next record (no '!..._table_end' line before it)"  # noqa: E501
        raise InputError(msg)
    _refuse_other_end(scanner, record, start, path)
    # the header line and the rows are separate objects: no copy of a large table is made
    _set_table(record, header, body, start + 1, path)


def _refuse_other_end(scanner: LineScanner, record: SoftRecord, start: int, path) -> None:
    """Refuse a table ended by a '!' line that is no ``!..._table_end`` marker.

    Any '!' line ends a table's rows; the rows after such a line (a header line pasted into
    the table, a damaged copy) were each left out as 'not a SOFT line', with one warning
    for the file, and the sample read as if it had no value for their probes.
    """
    line = text_start(scanner.stop_line).split(b"\t")[0].strip().lower()
    if line.startswith(b"!") and line.endswith(b"_table_end"):
        return  # GEOparse's trimmed GPL20814 ends its platform table with !sample_table_end
    text = _short(decode_text(scanner.stop_line).strip(), 50)
    msg = (f"{path}, line {scanner.lineno}: {text!r} inside the table of {record.kind} "
           f"{record.accession} that starts at line {start}, where its end marker "
           f"('!{record.kind.lower()}_table_end') was expected")
    raise InputError(msg)


def _read_unmarked_table(scanner: LineScanner, record: SoftRecord, header: bytes, path):
    """A table without begin/end markers (2002-era SOFT): rows run to the next record or EOF.

    Returns the line that ended the table (for the caller to handle) or None at the end.
    """
    start = scanner.lineno
    rows = []
    while (raw := scanner.readline()) is not None:
        if text_start(raw).startswith((b"^", b"!", b"#")):
            break
        rows.append(raw + b"\n")
    if raw is None and scanner.unterminated and rows and rows[-1].strip():
        # nothing else tells a table cut short from a whole one: a row cut inside a value
        # ('1234.5' to '12') would read as another value, without a word
        msg = f"{path}, line {scanner.lineno}: the file ends inside a line of the table of {record.kind} {record.accession}, which has no end marker (2002-era SOFT): the file looks cut short; if it is whole, end it with a line break"  # noqa: E501
        raise InputError(msg)
    _set_table(record, header, b"".join(rows), start, path)
    return raw
