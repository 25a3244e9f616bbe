"""Reader for CuMiDa-style CSV files: ``samples``, ``type``, then one numeric column per probe."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from .._errors import InputError
from .._files import decode_text, read_bytes
from .._logging import logger
from ._missing import handle_missing
from ._platform import annotate_known_platform

#: Cell contents read as a missing value (besides ``nan``, which float parsing accepts).
NA_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "."})


def read_cumida(
    path: str | os.PathLike,
    *,
    sample_col: str = "samples",
    type_col: str = "type",
    missing: Literal["error", "drop", "impute"] = "error",
    dtype: Literal["float64", "float32"] = "float64",
    annotate: bool = True,
) -> AnnData:
    """Read a CuMiDa CSV (``.csv`` or ``.csv.gz``) into an AnnData of samples x probes.

    Parameters
    ----------
    path
        The CSV file. Gzip is recognised from its content.
    sample_col
        Column holding the sample ids; they become ``obs_names`` (as strings).
    type_col
        Column holding the sample class; it becomes categorical ``.obs['type']``.
    missing
        Policy for empty or ``NA``-like cells. ``'error'`` (default) refuses the file and names
        the first missing cell. ``'drop'`` removes every probe that has a missing value.
        ``'impute'`` replaces a missing value with the mean of its probe over the other samples
        (probes missing everywhere are dropped). The decision is recorded in ``.uns['missing']``.
    dtype
        Floating type of ``.X``. The default ``float64`` keeps distances bit-comparable with
        scipy/scikit-learn pipelines that read the same file with pandas.
    annotate
        If the probe ids are those of a bundled platform (GPL96, HG-U133A), add ``gene_symbol``
        and ``entrez_id`` to ``.var`` and record ``.uns['platform']``.

    Returns
    -------
    AnnData with

    - ``.X``: dense ``dtype`` matrix, samples x probes, values as in the file;
    - ``.obs_names``: the sample ids; ``.obs['type']``: categorical class;
    - ``.var_names``: the probe ids, in file order;
    - ``.uns['source']``: path, format and sha256 of the file as stored;
    - ``.uns['missing']``: the missing-value policy applied and how many cells/probes it touched.

    Raises
    ------
    gexclust.InputError
        (a ``ValueError``) naming the file, line, column or value, for: an empty file, a missing
        ``samples``/``type`` column, a duplicate sample or probe id, a ragged row, a non-numeric
        cell, or missing values under ``missing='error'``.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.io.read_cumida("Leukemia_GSE9476.csv")  # doctest: +SKIP
    >>> adata.obs["type"].value_counts()  # doctest: +SKIP
    """
    raw, digest = read_bytes(path)
    text = decode_text(raw)
    del raw
    lines = text.splitlines()
    del text
    header, meta_idx, probe_idx = _parse_header(lines, path, sample_col, type_col)
    first_data = 1
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) <= first_data:
        msg = f"{path}: header found but no data rows; expected one row per sample"
        raise InputError(msg)
    body = lines[first_data:]
    samples, types, values, line_numbers = _parse_body(body, header, meta_idx, probe_idx, path)
    probes = [header[j] for j in probe_idx]
    _check_unique(samples, "sample id", sample_col, line_numbers, path)
    values, probes, missing_info = handle_missing(
        values, probes, samples, policy=missing, path=path, line_numbers=line_numbers
    )
    adata = AnnData(
        X=values.astype(dtype, copy=False),
        obs=pd.DataFrame(
            {"type": pd.Categorical(types)}, index=pd.Index(samples, dtype=str, name=None)
        ),
        var=pd.DataFrame(index=pd.Index(probes, dtype=str)),
    )
    adata.uns["source"] = {"path": str(path), "format": "cumida_csv", "sha256": digest}
    adata.uns["missing"] = missing_info
    if annotate:
        annotate_known_platform(adata)
    logger.info("read %s: %d samples x %d probes", path, adata.n_obs, adata.n_vars)
    return adata


def _parse_header(
    lines: list[str], path, sample_col: str, type_col: str
) -> tuple[list[str], tuple[int, int], list[int]]:
    if not lines or not lines[0].strip():
        msg = f"{path}: file is empty; expected a header line '{sample_col},{type_col},<probe ids>'"
        raise InputError(msg)
    header = [h.strip() for h in next(csv.reader([lines[0]]))]
    for col in (sample_col, type_col):
        if col not in header:
            shown = ", ".join(header[:4]) + (", ..." if len(header) > 4 else "")
            msg = f"{path}, line 1: no column {col!r}; expected '{sample_col}', '{type_col}', then one column per probe (found: {shown})"  # noqa: E501
            raise InputError(msg)
    meta_idx = (header.index(sample_col), header.index(type_col))
    probe_idx = [j for j in range(len(header)) if j not in meta_idx]
    if not probe_idx:
        msg = f"{path}, line 1: no probe columns after {sample_col!r} and {type_col!r}"
        raise InputError(msg)
    seen: dict[str, int] = {}
    for j in range(len(header)):
        name = header[j]
        if name in seen:
            msg = f"{path}, line 1: duplicate column {name!r} (columns {seen[name] + 1} and {j + 1}); probe ids must be unique"  # noqa: E501
            raise InputError(msg)
        if name == "":
            msg = f"{path}, line 1: column {j + 1} has an empty name; expected a probe id"
            raise InputError(msg)
        seen[name] = j
    return header, meta_idx, probe_idx


def _parse_body(body: list[str], header, meta_idx, probe_idx, path):
    line_numbers = [i + 2 for i, line in enumerate(body) if line.strip()]
    rows = [line for line in body if line.strip()]
    simple = meta_idx == (0, 1) and not any('"' in line for line in rows)
    if simple:
        try:
            return _parse_fast(rows, len(header), line_numbers)
        except ValueError:
            # fall through: the careful parser finds and names the offending cell
            pass
    return _parse_careful(rows, header, meta_idx, probe_idx, path, line_numbers)


def _parse_fast(rows: list[str], n_cols: int, line_numbers: list[int]):
    """Clean files: split off the two leading columns, let numpy parse the numbers in C."""
    heads = [row.split(",", 2) for row in rows]
    if any(len(h) < 3 for h in heads):
        raise ValueError
    values = np.loadtxt(
        [h[2] for h in heads], delimiter=",", dtype=np.float64, ndmin=2, comments=None
    )
    if values.shape[1] != n_cols - 2:
        raise ValueError
    samples = [h[0].strip() for h in heads]
    types = [h[1].strip() for h in heads]
    return samples, types, values, line_numbers


def _parse_careful(rows, header, meta_idx, probe_idx, path, line_numbers):
    n_cols = len(header)
    values = np.empty((len(rows), len(probe_idx)), dtype=np.float64)
    samples: list[str] = []
    types: list[str] = []
    for i, fields in enumerate(csv.reader(rows)):
        lineno = line_numbers[i]
        if len(fields) != n_cols:
            msg = f"{path}, line {lineno}: {len(fields)} fields, expected {n_cols} as in the header (ragged row)"  # noqa: E501
            raise InputError(msg)
        samples.append(fields[meta_idx[0]].strip())
        types.append(fields[meta_idx[1]].strip())
        values[i] = [_to_float(fields[j], path, lineno, header[j]) for j in probe_idx]
    return samples, types, values, line_numbers


def _to_float(cell: str, path, lineno: int, column: str) -> float:
    try:
        return float(cell)
    except ValueError:
        if cell.strip() in NA_TOKENS:
            return np.nan
        msg = f"{path}, line {lineno}, column {column!r}: value {cell!r} is not a number"
        raise InputError(msg) from None


def _check_unique(ids: Sequence[str], what: str, col: str, line_numbers, path) -> None:
    first: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value == "":
            msg = f"{path}, line {line_numbers[i]}: empty {what} in column {col!r}"
            raise InputError(msg)
        if value in first:
            msg = f"{path}: duplicate {what} {value!r} in column {col!r} (lines {line_numbers[first[value]]} and {line_numbers[i]})"  # noqa: E501
            raise InputError(msg)
        first[value] = i
