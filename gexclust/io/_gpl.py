"""Platform annotation: GEO platform SOFT tables and ``.annot`` files as probe-indexed tables."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .._errors import InputError
from .._files import decode_text
from ._geo_text import GEO_NA
from ._soft import SoftRecord, byte_positions, parse_soft

MISSING = frozenset(GEO_NA)

#: Column names GEO uses for the same annotation, per standard name, in order of preference.
#: Names are compared without case, spaces, underscores or dots (``Gene_Sym`` = ``GENE SYM``).
ANNOTATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "gene_symbol": ("Gene Symbol", "GENE_SYMBOL", "Gene_Sym", "Symbol", "IDENTIFIER"),
    "entrez_id": ("ENTREZ_GENE_ID", "Entrez_Gene_ID", "ENTREZ_ID", "Gene ID", "GENE"),
    "gene_title": ("Gene Title", "GENE_NAME", "Gene_Desc", "Gene Description", "Definition",
                   "DESCRIPTION"),
}


def _normal(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())


def annotation_sources(columns) -> dict[str, str | None]:
    """For each standard annotation column, the table column it comes from (or None)."""
    by_normal: dict[str, str] = {}
    for column in columns:
        by_normal.setdefault(_normal(column), column)
    return {
        standard: next((by_normal[_normal(n)] for n in names if _normal(n) in by_normal), None)
        for standard, names in ANNOTATION_COLUMNS.items()
    }


def wanted_columns(header: list[str], id_col: str) -> list[str]:
    """The id column and the columns the standard annotation is taken from, in table order."""
    sources = {c for c in annotation_sources(header).values() if c is not None}
    return [c for c in header if c == id_col or c in sources]


def read_gpl(path: str | os.PathLike, *, platform: str | None = None) -> pd.DataFrame:
    """Read a GEO platform annotation into a DataFrame indexed by probe id.

    Accepts a platform SOFT record (``GPL96.txt.gz``, ``GPL96_family.soft.gz``, or a family
    SOFT holding several platforms, then pick one with ``platform``) or a GEO ``.annot(.gz)``
    file. Besides the original columns, the standard columns ``gene_symbol``, ``entrez_id`` and
    ``gene_title`` are added (empty strings where GEO has no annotation).

    Parameters
    ----------
    path
        The file, plain or gzipped.
    platform
        Accession of the platform to read when the file holds several.

    Returns
    -------
    DataFrame indexed by probe id (the values of the table's ``ID`` column; the index has no
    name), all values strings.
    """
    every = parse_soft(path, reader="gexclust.io.read_gpl reads")
    records = [r for r in every if r.kind in ("PLATFORM", "ANNOTATION")]
    if not records:
        first = next((r for r in every if r.kind != "DATABASE"), every[0])
        msg = f"{path}: holds no platform, only {first.kind} {first.accession}; read samples and series with gexclust.io.read_soft"  # noqa: E501
        raise InputError(msg)
    with_table = [r for r in records if r.header is not None]
    if platform is not None:
        with_table = [r for r in with_table if r.accession == platform or r.kind == "ANNOTATION"]
    if not with_table:
        what = f"platform {platform}" if platform else "a platform"
        held = [r.accession for r in records if r.header is not None]
        hint = (f"; it holds the table of {', '.join(held)}" if held else
                "; expected '!platform_table_begin' after '^PLATFORM = GPL...'")
        msg = f"{path}: no table of {what} found{hint}"
        raise InputError(msg)
    if len(with_table) > 1:
        found = ", ".join(r.accession for r in with_table)
        msg = f"{path}: holds several platforms ({found}); choose one with platform="
        raise InputError(msg)
    return platform_table(with_table[0], path)


def _leading_columns(record: SoftRecord, columns: list[str]) -> pd.DataFrame:
    """Only ``columns`` of a platform table, located with vectorised tab/newline search.

    Platform tables end in long Gene Ontology columns; not tokenising them is what makes
    reading the annotation of a family SOFT cheap.
    """
    body = record.body
    arr = np.frombuffer(body, dtype=np.uint8)
    ends = byte_positions(arr, 10)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    tabs = np.append(byte_positions(arr, 9), len(arr))  # sentinel
    first = np.searchsorted(tabs, starts)
    out = {}
    for column in columns:
        k = record.header.index(column)
        begin = starts if k == 0 else tabs[np.minimum(first + k - 1, len(tabs) - 1)] + 1
        stop = np.minimum(tabs[np.minimum(first + k, len(tabs) - 1)], ends)
        begin = np.minimum(begin, ends)  # rows with fewer fields give empty cells
        cells = [body[i:j] for i, j in zip(begin.tolist(), stop.tolist(), strict=True)]
        text = [decode_text(c.rstrip(b"\r")) for c in cells]
        out[column] = ["" if t in MISSING else t for t in text]
    return pd.DataFrame(out)


def platform_table(record: SoftRecord, path, *, full: bool = True) -> pd.DataFrame:
    """The platform table of ``record`` indexed by probe id, with standard annotation columns.

    With ``full=False`` only the id and the annotation columns are parsed (much faster on
    tables with long Gene Ontology columns).
    """
    header = record.header
    id_col = "ID" if "ID" in header else header[0]
    if full:
        table = record.frame(path).fillna("")
    else:
        table = _leading_columns(record, wanted_columns(header, id_col))
    # as the samples' ID_REFs: a blank after an id made it a probe no sample row names
    table[id_col] = table[id_col].astype(str).str.strip()
    if table[id_col].duplicated().any():
        dup = table.loc[table[id_col].duplicated(), id_col].iloc[0]
        msg = f"{path}: platform {record.accession} lists probe id {dup!r} twice"
        raise InputError(msg)
    table = table.set_index(id_col)
    table.index.name = None
    for standard, source in annotation_sources(table.columns).items():
        table[standard] = table[source].astype(str) if source else ""
    return table
