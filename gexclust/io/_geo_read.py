"""Public readers of local GEO files: family/sample/GDS SOFT and series matrix."""

from __future__ import annotations

import io
import os
import re
import warnings
from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from .._checks import check_flag
from .._errors import InputError
from .._files import LEGACY, LEGACY_ERRORS, decode_text, log_encoding
from .._logging import logger
from ._cumida_parse import _short, line_cells
from ._geo_build import (
    CH2,
    add_type,
    characteristic_pairs,
    columns_shown,
    flatten_meta,
    measurements_as_numbers,
    safe_key,
    sample_matrix,
    sample_obs,
    to_anndata,
)
from ._geo_fetch import check_platform_choice, check_type_from
from ._geo_text import (
    GEO_NA,
    LineScanner,
    geo_numbers,
    header_text,
    open_binary,
    text_start,
    warn_left_out,
)
from ._gpl import platform_table, read_gpl
from ._invisible import clean_label, warn_hidden
from ._missing import check_policy
from ._platform import bundled_gpl96
from ._row_counts import Count, check_counts, declared_rows
from ._soft import (
    LABEL_KEYS,
    SoftRecord,
    clean_rows,
    parse_soft,
    refuse_absent_samples,
    without_header_rows,
)

Missing = Literal["error", "drop", "impute"]


def read_soft(
    path: str | os.PathLike,
    *,
    platform: str | None = None,
    type_from: str | None = None,
    annotate: bool = True,
    missing: Missing = "error",
) -> AnnData | dict[str, AnnData]:
    """Read a GEO SOFT file: a family SOFT (GSE), a single-sample SOFT (GSM) or a GDS SOFT.

    Sample values are matched to platform probes by ``ID_REF``, never by position.

    Characters that cannot be seen (a zero-width space, a byte-order mark starting a line of
    files joined with ``cat``) are stripped at either end of a line or of a sample's
    accession, title, source or characteristic, as blanks are. Inside one they are kept, so
    two distinct samples never become one, and a warning names the file, the line and the
    label. The rule is the same in every gexclust reader (``gexclust.io._invisible``).

    A table with fewer rows than its header declares (``!Sample_data_row_count``,
    ``!Platform_data_row_count``, ``!dataset_feature_count``) is read as it is, with one
    warning for the file naming the first such record and both counts (``gexclust run``
    refuses it).

    Parameters
    ----------
    path
        The file, plain or gzipped.
    platform
        For series on several platforms: the platform to read (e.g. ``'GPL96'``), or ``'all'``
        for a dict of one AnnData per platform. With several platforms and no choice, the
        error lists them.
    type_from
        Source of ``.obs['type']``: an ``.obs`` column (e.g. a characteristic such as
        ``'disease state'``) or a regular expression on the sample title (first group, else
        the whole match). By default, known series (see ``gexclust.io.KNOWN_SERIES``, e.g.
        GSE9476's CuMiDa classes) get their labels and others get no ``type``.
    annotate
        Add ``gene_symbol``, ``entrez_id`` and ``gene_title`` from the platform table to
        ``.var`` (from the bundled GPL96 table when the file has no platform table).
    missing
        Policy for missing values, as in :func:`gexclust.io.read_cumida`.

    Returns
    -------
    AnnData (samples x probes), or a dict of them with ``platform='all'``, with

    - ``.obs``: ``title``, ``geo_accession``, ``source_name``, ``platform_id``, one column per
      ``key: value`` characteristic (and per ``Key = value`` description item), ``type``
      (categorical, for known series or with ``type_from``; absent otherwise); for a GDS, one
      column per ``^SUBSET`` type;
    - ``.var``: ``gene_symbol``, ``entrez_id``, ``gene_title`` (with ``annotate``);
    - ``.uns['geo']``: series (or dataset) metadata, platform, source file;
    - ``.uns['missing']``: the missing-value policy applied and how many values, probes and
      samples it touched, as in :func:`~gexclust.io.read_cumida`.
    """
    check_policy(missing, caller="io.read_soft")
    check_flag("annotate", annotate, caller="io.read_soft")
    check_platform_choice(platform, caller="io.read_soft")
    check_type_from(type_from, caller="io.read_soft")
    annotations: dict[str, pd.DataFrame | InputError] = {}

    def reduce_platform(record: SoftRecord) -> None:
        # keep only the annotation columns, at once: the raw table is mostly Gene Ontology text
        if record.kind == "PLATFORM":
            try:
                annotations[record.accession] = platform_table(record, path, full=False)
            except InputError as err:  # raised only if this platform's samples are read
                annotations[record.accession] = err
            record.body = b""

    records = parse_soft(path, reader="gexclust.io.read_soft reads", on_table=reduce_platform)
    kinds = {r.kind for r in records}
    if "DATASET" in kinds:  # a dataset (GDS) is of one platform: a choice must match it
        adata = _gds(records, path, type_from=type_from, missing=missing)
        gpl = adata.uns["geo"]["platform"]
        if platform not in (None, "all", gpl):
            msg = (f"{path}: no samples on platform {platform!r}; dataset "
                   f"{adata.uns['geo']['accession']} is on {gpl}")
            raise InputError(msg)
        return {gpl: adata} if platform == "all" else adata
    samples = with_tables([r for r in records if r.kind == "SAMPLE"], path, records)
    refuse_absent_samples(records, path)
    by_platform: dict[str, list[SoftRecord]] = {}
    for sample in samples:
        by_platform.setdefault(sample.first("Sample_platform_id", "unknown"), []).append(sample)
    if platform not in (None, "all", *by_platform):
        _refuse_tableless_platform(records, platform, path)
    chosen = choose_platforms(list(by_platform), platform, path)
    series = [r for r in records if r.kind == "SERIES"]
    platforms = {r.accession: r for r in records if r.kind == "PLATFORM"}
    result = {
        gpl: _series_platform(by_platform[gpl], platforms.get(gpl), annotations.get(gpl),
                              series_of(by_platform[gpl], series, path), path,
                              type_from=type_from, annotate=annotate, missing=missing)
        for gpl in chosen
    }
    return result if platform == "all" else result[chosen[0]]


def with_tables(samples: list[SoftRecord], path, records: list[SoftRecord]) -> list[SoftRecord]:
    """The samples that carry a data table; the others are logged (GEOparse drops them too).

    With no sample table at all, the error says why the file holds no expression values.
    """
    kept = [s for s in samples if s.header is not None]
    if kept:
        skipped = [s.accession for s in samples if s.header is None]
        if skipped:
            logger.warning("%s: %d sample(s) without a data table left out: %s", path,
                           len(skipped), ", ".join(skipped))
        return kept
    if samples:
        sample = samples[0]
        msg = f"{path}: sample {sample.accession} (line {sample.line}) has no data table{_why_no_table(sample)}"  # noqa: E501
        raise InputError(msg)
    series = next((r for r in records if r.kind == "SERIES"), None)
    if series is not None:
        listed = series.meta.get("Series_sample_id", [])
        ids = f" (it lists {len(listed)}: {', '.join(listed[:3])}{', ...' if len(listed) > 3 else ''})" if listed else ""  # noqa: E501
        technology = next((r.first("Platform_technology") for r in records if r.kind == "PLATFORM"), "")  # noqa: E501
        hint = ("; sequencing series keep their data in supplementary files"
                if "sequencing" in technology else "")
        msg = f"{path}: series {series.accession} (line {series.line}) has no ^SAMPLE records in this file{ids}{hint}"  # noqa: E501
        raise InputError(msg)
    platform = next((r for r in records if r.kind in ("PLATFORM", "ANNOTATION")), None)
    if platform is not None:
        msg = f"{path}: holds platform {platform.accession} but no samples; read a platform table with gexclust.io.read_gpl"  # noqa: E501
        raise InputError(msg)
    msg = f"{path}: no ^SAMPLE records"
    raise InputError(msg)


def series_of(samples: list[SoftRecord], series: list[SoftRecord], path) -> SoftRecord | None:
    """The series record the samples read belong to: the first that lists them all.

    A platform's family SOFT holds the records of every series using it, and two family
    SOFTs joined with ``cat`` hold two (a family and a sample's own file, one): the samples
    of several series were read as the first's (its accession, title and known types in
    ``.uns['geo']`` and ``.obs['type']``). A sample belongs to a series that lists it
    (``!Series_sample_id``) or that it names (``!Sample_series_id``). When no series holds
    them all, none is named, with a warning; a file's only series that lists no sample at
    all (a file made by hand) is named, as before.
    """
    members = {r.accession: {a.strip() for a in r.meta.get("Series_sample_id", [])}
               for r in series}
    for sample in samples:
        for accession in sample.meta.get("Sample_series_id", []):
            members.get(accession.strip(), set()).add(sample.accession)
    if len(series) == 1 and not members[series[0].accession]:
        return series[0]
    ids = {s.accession for s in samples}
    whole = next((r for r in series if ids <= members[r.accession]), None)
    if whole is None and series:
        counts = [f"{r.accession}: {len(ids & members[r.accession])}" for r in series
                  if ids & members[r.accession]]
        shown = ", ".join(counts[:3]) + (", ..." if len(counts) > 3 else "")
        logger.warning("%s: no series record of the file lists all %d samples read (%s): "
                       ".uns['geo'] names none of them, and no known series' types are given "
                       "(pass type_from=)", path, len(ids), shown or "none lists any")
    return whole


def _refuse_tableless_platform(records: list[SoftRecord], platform: str, path) -> None:
    """Say so when the samples of the chosen platform are there but have no data tables."""
    on_it = [r for r in records
             if r.kind == "SAMPLE" and r.first("Sample_platform_id") == platform]
    if on_it:
        sample = on_it[0]
        msg = f"{path}: sample {sample.accession} (line {sample.line}) has no data table{_why_no_table(sample)}; nor has any of the {len(on_it)} sample(s) on platform {platform}"  # noqa: E501
        raise InputError(msg)


def _why_no_table(sample: SoftRecord) -> str:
    external = sample.first("Sample_table")
    if external:
        return f"; its values are in the external file {external} (!Sample_table), not in the SOFT text"  # noqa: E501
    if sample.first("Sample_data_row_count") == "0":
        kind = sample.first("Sample_type")
        what = f" (Sample_type {kind})" if kind else ""
        return f": GEO lists 0 data rows{what}; its data are in supplementary files"
    return " ('!sample_table_begin' ... '!sample_table_end')"


def choose_platforms(available: list[str], platform: str | None, path) -> list[str]:
    """The platforms to read; a clear error for an unknown or ambiguous choice."""
    if platform == "all":
        return available
    if platform is None:
        if len(available) > 1:
            msg = f"{path}: the series spans {len(available)} platforms ({', '.join(available)}); pass platform={available[0]!r} or another of them, or platform='all' for a dict of every platform (gexclust run: --platform {available[0]}, one platform per run)"  # noqa: E501
            raise InputError(msg)
        return available
    if platform not in available:
        msg = f"{path}: no samples on platform {platform!r}; platforms present: {', '.join(available)}"  # noqa: E501
        raise InputError(msg)
    return [platform]


def _series_platform(samples, gpl_record, annotation, series, path, *, type_from, annotate,
                     missing):
    if isinstance(annotation, InputError):
        raise annotation
    X, probes = sample_matrix(samples, None if annotation is None else annotation.index, path)
    for sample in samples:
        sample.body = b""
    gpl = samples[0].first("Sample_platform_id")
    if annotate and annotation is None:
        annotation = bundled_annotation(gpl)
    # without its series, a sample file's own accession; samples of several files, none
    accession = series.accession if series is not None else (
        samples[0].accession if len(samples) == 1 else "")
    obs = sample_obs(samples, series=accession, type_from=type_from)
    uns = {
        "accession": accession,
        "platform": gpl,
        "source": str(path),
        "series": flatten_meta(series.meta, "Series_") if series is not None else {},
    }
    if gpl_record is not None:
        uns["platform_meta"] = flatten_meta(gpl_record.meta, "Platform_")
        uns["platform_meta"].pop("sample_id", None)  # tens of thousands of ids, not metadata
    return to_anndata(X, probes, obs, annotation=annotation if annotate else None,
                      missing=missing, path=path, uns=uns)


def bundled_annotation(platform: str) -> pd.DataFrame | None:
    """Annotation shipped with gexclust for ``platform`` (GPL96 only), else None."""
    if platform != "GPL96":
        return None
    table = bundled_gpl96()
    return table.assign(gene_title="")


def _gds(records, path, *, type_from, missing) -> AnnData:
    dataset = next(r for r in records if r.kind == "DATASET")
    if dataset.header is None:
        msg = f"{path}: dataset {dataset.accession} (line {dataset.line}) has no data table ('!dataset_table_begin' ... '!dataset_table_end')"  # noqa: E501
        raise InputError(msg)
    if "ID_REF" not in dataset.header:
        msg = (f"{path}, line {dataset.table_line}: the table of dataset {dataset.accession} has "
               f"no ID_REF column (columns: {columns_shown(dataset.header)})")
        raise InputError(msg)
    gsms = [c for c in dataset.header if c.startswith("GSM")]
    _refuse_repeated_samples(dataset, gsms, path)
    table = dataset.frame(path, numeric=tuple(gsms))
    probes = pd.Index(table["ID_REF"].astype(str), dtype=str)
    if probes.has_duplicates:
        # as for a sample table: which of the two rows holds the values is unknowable
        msg = (f"{path}: dataset {dataset.accession} (table at line {dataset.table_line}) lists "
               f"ID_REF {probes[probes.duplicated()][0]!r} more than once")
        raise InputError(msg)
    obs = gds_obs(dataset, gsms)
    for subset in (r for r in records if r.kind == "SUBSET"):
        column = safe_key(subset.first("subset_type", "subset"))
        members = [m.strip() for v in subset.meta.get("subset_sample_id", []) for m in v.split(",")]
        if column not in obs:
            obs[column] = pd.Series(pd.NA, index=obs.index, dtype=object)
        obs.loc[obs.index.intersection(members), column] = subset.first("subset_description")
    for column in obs.columns[5:]:
        obs[column] = pd.Categorical(obs[column])
    obs = measurements_as_numbers(add_type(obs, series=dataset.accession, type_from=type_from))
    annotation = None
    if "IDENTIFIER" in table:
        annotation = pd.DataFrame({"gene_symbol": table["IDENTIFIER"].fillna("").to_numpy()},
                                  index=probes)
    uns = {"accession": dataset.accession, "platform": dataset.first("dataset_platform"),
           "source": str(path), "series": flatten_meta(dataset.meta, "dataset_")}
    X = table[gsms].to_numpy(dtype=np.float64).T
    return to_anndata(X, probes, obs, annotation=annotation, missing=missing, path=path, uns=uns)


def _refuse_repeated_samples(dataset: SoftRecord, gsms: list[str], path) -> None:
    """Refuse a GDS table that names a sample twice.

    The SOFT parser makes repeated names unique (``GSM1, GSM1.1``), as it must for platform
    columns such as a repeated ``SPOT_ID``; a sample column so renamed would become a second,
    made-up sample. GSM ids have no dot, so ``GSM1.1`` next to ``GSM1`` is a repeat.
    """
    named = set(gsms)
    for column in gsms:
        base, dot, suffix = column.rpartition(".")
        if dot and suffix.isdigit() and base in named:
            msg = (f"{path}, line {dataset.table_line}: column {base!r} appears twice in the "
                   f"table header of dataset {dataset.accession}")
            raise InputError(msg)


#: GEO's GDS column description: ``Value for GSM1110879: Nr1_pre221; src: PC-3 cell``.
GDS_SAMPLE = re.compile(r"^Value for \S+?: (?P<title>.*?)(?:; src: (?P<source>.*))?$")


def gds_obs(dataset: SoftRecord, gsms: list[str]) -> pd.DataFrame:
    """Per-sample ``.obs`` of a GDS from its ``#GSMnnn = Value for GSMnnn: title; src: ...``."""
    rows = []
    for gsm in gsms:
        description = dataset.columns.get(gsm, "")
        match = GDS_SAMPLE.match(description)
        rows.append({
            "title": match["title"] if match else gsm,
            "geo_accession": gsm,
            "source_name": (match["source"] or "") if match else "",
            "platform_id": dataset.first("dataset_platform"),
            "description": description,
        })
    return pd.DataFrame(rows, index=pd.Index(gsms, dtype=str))


def read_series_matrix(
    path: str | os.PathLike,
    *,
    gpl: str | os.PathLike | pd.DataFrame | None = None,
    type_from: str | None = None,
    annotate: bool = True,
    missing: Missing = "error",
) -> AnnData:
    """Read a GEO series matrix (``GSExxx_series_matrix.txt(.gz)``) into AnnData.

    Characters that cannot be seen (a zero-width space, a byte-order mark starting a line of
    files joined with ``cat``) are stripped at either end of a line or of a sample's
    accession, title, source or characteristic, as blanks are. Inside one they are kept, so
    two distinct samples never become one, and a warning names the file, the line and the
    label. The rule is the same in every gexclust reader (``gexclust.io._invisible``).

    A table with fewer rows than the largest ``!Sample_data_row_count`` is read as it is,
    with a warning naming the file and both counts (``gexclust run`` refuses it).

    Parameters
    ----------
    path
        The series matrix file, plain or gzipped.
    gpl
        Probe annotation: a platform SOFT/``.annot`` file or a table from
        :func:`gexclust.io.read_gpl`. Without it, GPL96 series are annotated from the bundled
        table.
    type_from
        Source of ``.obs['type']``, as in :func:`read_soft`.
    annotate
        Add probe annotation to ``.var``.
    missing
        Policy for missing values, as in :func:`gexclust.io.read_cumida`.

    Returns
    -------
    AnnData (samples x probes) with the same ``.obs``, ``.var`` (with ``gpl``), ``.uns['geo']``
    and ``.uns['missing']`` fields as :func:`read_soft`.
    """
    check_policy(missing, caller="io.read_series_matrix")
    check_flag("annotate", annotate, caller="io.read_series_matrix")
    check_type_from(type_from, caller="io.read_series_matrix")
    _check_gpl(gpl)
    with open_binary(path) as stream:
        scanner = LineScanner(stream)
        meta, sample_meta = _matrix_header(scanner, path)
        first_line = scanner.lineno + 1  # of the table, right after the begin marker
        block = scanner.read_block(b"!")
        if block is None:
            msg = f"{path}: the data table that starts at line {first_line - 1} never ends (no '!series_matrix_table_end'); the file is truncated"  # noqa: E501
            raise InputError(msg)
        _refuse_text_after_table(scanner, path, first_line - 1)
    frame = _matrix_table(block, path, first_line)
    check_counts(path, _matrix_counts(sample_meta, len(frame)),
                 reader="gexclust.io.read_series_matrix reads")
    n_samples = frame.shape[1]
    obs = _matrix_obs(sample_meta, list(frame.columns), path)
    accession = meta.get("Series_geo_accession", [""])[0]
    obs = measurements_as_numbers(add_type(obs, series=accession, type_from=type_from))
    platform = obs["platform_id"].iloc[0] if n_samples else ""
    annotation = None
    if annotate:
        if isinstance(gpl, pd.DataFrame):
            annotation = gpl
        elif gpl is not None:
            annotation = read_gpl(gpl, platform=platform or None)
        else:
            annotation = bundled_annotation(platform)
    uns = {"accession": accession, "platform": platform, "source": str(path),
           "series": flatten_meta(meta, "Series_")}
    return to_anndata(frame.to_numpy(dtype=np.float64).T, frame.index, obs,
                      annotation=annotation, missing=missing, path=path, uns=uns)


def _check_gpl(gpl) -> None:
    """Refuse a ``gpl=`` that is no table and no readable file, before the matrix is read.

    ``gpl='GPL96'`` (the accession, not its file) was "GPL96: no such file" only after the
    whole matrix had been parsed; ``gpl=96`` was os.fspath's "expected str, bytes or
    os.PathLike object, not int".
    """
    from .._files import check_readable

    if gpl is None or isinstance(gpl, pd.DataFrame):
        return
    if not isinstance(gpl, str | os.PathLike):
        msg = (f"io.read_series_matrix: gpl={gpl!r} is not valid; give a platform SOFT or "
               ".annot file, a table from gexclust.io.read_gpl, or None")
        raise TypeError(msg)
    check_readable(gpl)


def _refuse_text_after_table(scanner: LineScanner, path, begin: int) -> None:
    """Refuse a table ended by another line than its end marker, or followed by more text.

    GEO's series matrix holds one table and ends with it. The matrices of a series on two
    platforms joined with ``cat`` (GSE781-GPL96 and -GPL97) read as the first one's samples
    alone, without a word; so did a table with a '!' line inside, which ended it there.
    The file is read to its end either way: gzip's check of its length and CRC comes there.
    """
    end = scanner.lineno
    if not text_start(scanner.stop_line).startswith(b"!series_matrix_table_end"):
        msg = (f"{path}, line {end}: {_short(decode_text(scanner.stop_line).strip(), 50)!r} "
               f"inside the series matrix table that starts at line {begin}, where "
               "'!series_matrix_table_end' was expected (two files joined, or a damaged one?)")
        raise InputError(msg)
    while (raw := scanner.readline()) is not None:
        if text_start(raw).strip():
            msg = (f"{path}, line {scanner.lineno}: {_short(decode_text(raw).strip(), 50)!r} "
                   f"after the end of the series matrix table (line {end}); a series matrix "
                   "holds one table (two files joined? read each on its own)")
            raise InputError(msg)


def _matrix_counts(sample_meta, n_rows: int) -> list[Count]:
    """The matrix's rows against the largest ``!Sample_data_row_count``, when fewer.

    The matrix holds every row of every sample's table, so it has at least the largest
    sample's rows (GSE26471: 54,675 and 54,675). More is no sign of damage: samples whose
    tables hold different probes fill a union of them.
    """
    stated = [declared_rows([v]) for key, values, _ in sample_meta
              if key == "Sample_data_row_count" for v in values]
    declared = max((n for n in stated if n is not None), default=None)
    if declared is None or n_rows >= declared:
        return []
    return [Count("the series matrix table", "Sample_data_row_count", declared, n_rows)]


def _matrix_header(scanner: LineScanner, path):
    meta: dict[str, list[str]] = {}
    sample_meta: list[tuple[str, list[str], int]] = []
    labels: list[tuple[int, str, str]] = []  # (line, key, text) of the samples' labels
    ignored: list[tuple[int, str]] = []  # '!' lines that are neither '!Series_' nor '!Sample_'
    encodings: set[str] = set()
    while (raw := scanner.readline()) is not None:
        line = header_text(raw, encodings)
        if line.startswith("!series_matrix_table_begin"):
            for encoding in sorted(encodings - {"utf-8"}):
                log_encoding(f"{path}: some header lines", encoding)
            warn_hidden(path, labels)
            # GEO writes only '!Series_' and '!Sample_' lines there; GEOquery leaves out any
            # other without a word. Not refused: the data do not need them
            warn_left_out(path, ignored, "neither a '!Series_' nor a '!Sample_' header line")
            return meta, sample_meta
        if line.startswith("^"):
            msg = f"{path}, line {scanner.lineno}: this is a SOFT file, not a series matrix; read it with gexclust.io.read_soft"  # noqa: E501
            raise InputError(msg)
        if line.startswith("!Sample_"):
            key, _, rest = line[1:].partition("\t")
            values = [clean_label(v) for v in line_cells(rest, path, scanner.lineno, "\t")]
            sample_meta.append((key, values, scanner.lineno))
            if key in LABEL_KEYS or key == "Sample_geo_accession":
                labels.extend((scanner.lineno, key, value) for value in values)
        elif line.startswith("!Series_"):
            key, _, rest = line[1:].partition("\t")
            meta.setdefault(key, []).append(rest.strip().strip('"'))
        elif line.startswith("!"):
            ignored.append((scanner.lineno, line))
        elif line:
            msg = f"{path}, line {scanner.lineno}: expected a '!Series_' or '!Sample_' header line, found {line[:40]!r}"  # noqa: E501
            raise InputError(msg)
    if meta or sample_meta:  # a series matrix's header, which GEO always follows with its table
        msg = f"{path}, line {scanner.lineno}: the file ends in the series matrix header, before '!series_matrix_table_begin' and the data table: it is cut short; download it again"  # noqa: E501
        raise InputError(msg)
    msg = f"{path}: no '!series_matrix_table_begin' line; not a GEO series matrix (or truncated)"
    raise InputError(msg)


def _matrix_table(block: bytes, path, first_line: int) -> pd.DataFrame:
    """The probes x samples table between the series-matrix markers, values as float.

    ``first_line`` is the line number in the file of the block's first line, for messages.
    """
    rows = clean_rows(block)
    if not rows.strip():
        msg = f"{path}: the series matrix table is empty"
        raise InputError(msg)
    header, _, body = rows.partition(b"\n")
    names = _matrix_names(header, path, first_line)
    _refuse_short_rows(block, len(names), path, first_line)
    body = without_header_rows(body, header, f"{path}: series matrix")
    if not body.strip():
        msg = f"{path}: the series matrix table names {len(names) - 1} sample(s) but has no rows; sequencing series keep their data in supplementary files"  # noqa: E501
        raise InputError(msg)
    if b"\t\n" in body:  # trailing tabs: empty cells past the last sample, as pandas sees them
        body = TRAILING_TABS.sub(b"\n", body)
    try:
        try:
            frame = _pandas_matrix(body, names, "strict")
        except UnicodeDecodeError:
            log_encoding(f"{path}: series matrix table", LEGACY)
            frame = _pandas_matrix(body, names, LEGACY_ERRORS)
    except (ValueError, pd.errors.ParserWarning) as err:
        _refuse_open_quotes(block, path, first_line)
        _refuse_long_rows(body, names, path)
        msg = f"{path}: cannot read the series matrix table: {str(err).strip()}"
        raise InputError(msg) from None
    frame = frame.set_index(names[0])
    _check_numbers(frame, path)
    frame.index = frame.index.fillna("").astype(str)
    frame.index.name = None
    _refuse_ids_across_lines(frame.index, block, path, first_line)
    # blanks around an id ('1007_s_at <TAB>', a table edited by hand) made it another probe
    frame.index = frame.index.str.strip()
    if frame.index.duplicated().any():
        msg = f"{path}: ID_REF {frame.index[frame.index.duplicated()][0]!r} appears twice"
        raise InputError(msg)
    return frame


TRAILING_TABS = re.compile(rb"[\t ]+\n")


def _refuse_open_quotes(block: bytes, path, first_line: int) -> None:
    """Name the first line of ``block`` with an odd number of quotes.

    pandas' own error counts the lines of the rows it joined, not the file's: a value
    '"2.18036' at line 189 was reported as 'Expected 2 fields in line 121, saw 3'.
    """
    for k, line in enumerate(io.BytesIO(block)):
        if line.count(b'"') % 2:
            msg = f"{path}, line {first_line + k}: a quote is not closed on its line"
            raise InputError(msg)


def _refuse_ids_across_lines(ids: pd.Index, block: bytes, path, first_line: int) -> None:
    """Refuse an ID_REF that took in a line break: a quote left open joins two rows.

    ``"1053_at""<TAB>1535.78`` read as one ID_REF spanning into the next row, whose value it
    took: 1053_at's value was lost, and nothing said so.
    """
    joined = ids[ids.str.contains("\n", regex=False)]
    if joined.empty:
        return
    start = joined[0].partition("\n")[0]
    # the row as written: pandas has undone the doubled quote, so look for the id's start
    probe = re.split(r'["\t]', start)[0].encode("utf-8", "replace")
    found = re.search(rb'(?:^|\n)"?' + re.escape(probe), block)
    line = first_line + block.count(b"\n", 0, found.end() if found else 0)
    msg = (f"{path}, line {line}: a quote in ID_REF {probe.decode('utf-8', 'replace')!r} is "
           "not closed on its line; the row would take in the next one")
    raise InputError(msg)


def _pandas_matrix(body: bytes, names: list[str], errors: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        # a first row longer than the header only warns; later ones raise
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(io.BytesIO(body), sep="\t", header=None, names=names,
                           index_col=False, na_values=GEO_NA, keep_default_na=False,
                           dtype={names[0]: str}, encoding="utf-8", encoding_errors=errors)


def _matrix_names(header: bytes, path, lineno: int) -> list[str]:
    """Column names of the table header: quotes and whitespace removed, trailing tabs ignored."""
    text = decode_text(header)
    names = [clean_label(n) for n in line_cells(text, path, lineno, "\t")]
    while names and not names[-1]:
        names.pop()
    if len(names) < 2:
        msg = f"{path}, line {lineno}: the series matrix table header {text[:60]!r} names no samples; expected ID_REF and one column per sample"  # noqa: E501
        raise InputError(msg)
    seen = set()
    for name in names:
        if name in seen:
            msg = (f"{path}, line {lineno}: column {name!r} appears twice in the series "
                   "matrix table header")
            raise InputError(msg)
        seen.add(name)
    return names


def _refuse_short_rows(block: bytes, n_cells: int, path, first_line: int) -> None:
    """Raise an error naming the first row with fewer cells than the header, if there is one.

    GEO writes every cell of a series matrix, an empty one as an empty field between tabs;
    pandas would pad a row cut short (a damaged file, a paste that lost its end) with
    missing values, silently. ``block`` is the raw table, header included, so the line
    numbers are the file's (its first line is ``first_line``); blank lines are not rows.
    """
    for k, line in enumerate(io.BytesIO(block)):
        if line.count(b"\t") >= n_cells - 1 or not line.strip():
            continue  # the header (and a repeat of it) has a tab per sample at least
        cells = line.rstrip(b"\r\n").split(b"\t")
        probe = decode_text(cells[0]).strip().strip('"')
        msg = f"{path}, line {first_line + k}: ID_REF {probe!r} has {len(cells) - 1} value(s); expected {n_cells - 1}, one per sample of the table header (a row cut short?)"  # noqa: E501
        raise InputError(msg)


def _refuse_long_rows(body: bytes, names: list[str], path) -> None:
    """Raise an error naming the first row with more cells than the header, if there is one."""
    for row in body.split(b"\n"):
        cells = row.split(b"\t")
        if len(cells) > len(names):
            probe = decode_text(cells[0]).strip('"')
            msg = f"{path}: ID_REF {probe!r} has {len(cells) - 1} values for the {len(names) - 1} sample(s) of the table header"  # noqa: E501
            raise InputError(msg)


def _check_numbers(frame: pd.DataFrame, path) -> None:
    """Refuse a cell that is neither a number nor one of GEO's missing-value tokens."""
    for sample in frame.columns:
        column = frame[sample]
        if pd.api.types.is_numeric_dtype(column):
            continue
        numbers, bad = geo_numbers(column)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            msg = f"{path}: sample {sample}, ID_REF {frame.index[i]!r}: value {column.iloc[i]!r} is not a number"  # noqa: E501
            raise InputError(msg)
        frame[sample] = numbers.astype(np.float64)


def _matrix_obs(sample_meta, columns: list[str], path) -> pd.DataFrame:
    n = len(columns)
    fields: dict[str, list[str]] = {}
    characteristics: dict[str, list[list[str]]] = {"": [], CH2: []}
    for key, values, lineno in sample_meta:
        while len(values) > n and not values[-1].strip():
            values = values[:-1]  # trailing tabs
        if len(values) != n:
            msg = f"{path}, line {lineno}: !{key} has {len(values)} values for {n} samples"
            raise InputError(msg)
        if key == "Sample_characteristics_ch1":
            characteristics[""].append(values)
        elif key == "Sample_characteristics_ch2":
            characteristics[CH2].append(values)
        else:
            fields.setdefault(key, values)
    accessions = fields.get("Sample_geo_accession", columns)
    if list(accessions) != columns:
        # the first that differs: the first column was named whether it differed or not
        i = next(i for i, (a, b) in enumerate(zip(columns, accessions, strict=True)) if a != b)
        msg = f"{path}: table columns do not match !Sample_geo_accession (sample {i + 1}: {columns[i]!r} in the table header, {accessions[i]!r} in !Sample_geo_accession)"  # noqa: E501
        raise InputError(msg)
    obs = pd.DataFrame(
        {
            "title": fields.get("Sample_title", [""] * n),
            "geo_accession": accessions,
            "source_name": fields.get("Sample_source_name_ch1", [""] * n),
            "platform_id": fields.get("Sample_platform_id", [""] * n),
        },
        index=pd.Index(columns, dtype=str),
    )
    if "Sample_source_name_ch2" in fields:
        obs["source_name_ch2"] = fields["Sample_source_name_ch2"]
    for suffix, rows in characteristics.items():
        for i in range(n):
            for key, value in characteristic_pairs([c[i] for c in rows]):
                key = safe_key(key) + suffix
                if key not in obs:
                    obs[key] = ""
                obs.iloc[i, obs.columns.get_loc(key)] = value
    return obs
