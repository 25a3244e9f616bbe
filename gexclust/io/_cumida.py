"""Reader for CuMiDa-style CSV files: ``samples``, ``type``, then one numeric column per probe."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from .._checks import check_flag
from .._labels import MISSING_LABELS
from .._limits import Limits, check_limits
from .._logging import logger
from ._cumida_parse import CumidaTable, parse_cumida
from ._missing import check_policy, handle_missing
from ._platform import annotate_known_platform

#: ``type`` fields that mean "no type": those that pandas' ``read_csv`` reads as NaN too
#: (numeric cells also accept ``'.'``, which is no missing-value marker for a label).
TYPE_NA = MISSING_LABELS


def read_cumida(
    path: str | os.PathLike,
    *,
    sample_col: str = "samples",
    type_col: str = "type",
    missing: Literal["error", "drop", "impute"] = "error",
    dtype: Literal["float64", "float32"] = "float64",
    annotate: bool = True,
    limits: Limits | None = None,
) -> AnnData:
    r"""Read a CuMiDa CSV (``.csv`` or ``.csv.gz``) into an AnnData of samples x probes.

    Characters that cannot be seen are handled as in every gexclust reader (pandas and GEOparse
    keep them all): at either end of a sample id, type or column name a zero-width space
    (U+200B), zero-width (non-)joiner, word joiner (U+2060) or byte-order mark (U+FEFF, also one
    starting a line of files joined with ``cat``) is stripped, as blanks are; inside one it is
    kept (two distinct samples or classes never become one) and a warning names the file, line
    and sample id, type or column name, as it does a no-break space or a line separator
    (U+2028/U+2029) there.

    Parameters
    ----------
    path
        The CSV file. Gzip is recognised from its content. A gzip file cut short anywhere is
        refused (gzip's trailer, length and CRC, is checked). A plain CSV has no end marker
        and no stated number of rows: one cut at a line end (a download stopped between two
        rows) reads as a file of fewer samples, and nothing in it can tell; compare
        ``adata.n_obs`` with the number of samples the source lists.
    sample_col
        Column holding the sample ids; they become ``obs_names`` (as strings).
    type_col
        Column holding the sample class; it becomes categorical ``.obs['type']``. An empty
        (or blank) field, or a missing-value token as pandas' ``read_csv`` reads one by
        default (``NA``, ``N/A``, ``n/a``, ``NaN``, ``nan``, ``null``, ``None``, ``<NA>``,
        ``#N/A``, ...; R's ``write.csv`` writes ``NA``), is a missing value (NaN), not a
        category, whether quoted or not (as pandas and R read it).
    missing
        Policy for empty or ``NA``-like cells. ``'error'`` (default) refuses the file and names
        the first missing cell. ``'drop'`` removes every probe that has a missing value.
        ``'impute'`` replaces a missing value with the mean of its probe over the other samples
        (probes missing everywhere are dropped). The decision is recorded in ``.uns['missing']``.
    dtype
        Floating type of ``.X``: ``'float64'`` or ``'float32'`` (half the memory). The default
        ``float64`` keeps distances bit-comparable with scipy/scikit-learn pipelines that read
        the same file with pandas.
    annotate
        If the probe ids are those of a bundled platform (GPL96, HG-U133A), add ``gene_symbol``
        and ``entrez_id`` to ``.var`` and record ``.uns['platform']``; columns among them that
        are none of its probes (``age`` from a sample sheet) are named in a warning, as they
        are read as genes. ``False`` reads the columns as they are, without either.
    limits
        Bounds on reading: gzip inflate ratio, total size and line length (default
        :class:`gexclust.io.Limits` from the ``GEXCLUST_*`` environment variables). A file
        beyond them is refused with an error naming it.

    Returns
    -------
    AnnData with

    - ``.X``: dense ``dtype`` matrix, samples x probes, values as in the file;
    - ``.obs_names``: the sample ids; ``.obs['type']``: categorical class, NaN where the
      file gives none;
    - ``.var_names``: the probe ids, in file order;
    - ``.uns['source']``: path, format and sha256 of the file as stored;
    - ``.uns['missing']``: the missing-value policy applied and how many cells/probes it touched;
    - with ``annotate`` and the probe ids of a bundled platform (GPL96):
      ``.var['gene_symbol']`` and ``.var['entrez_id']``, and ``.uns['platform']`` (``'GPL96'``).

    Raises
    ------
    gexclust.InputError
        (a ``ValueError``) naming the file, line, column or value, for: an empty file, a missing
        ``samples``/``type`` column, a duplicate sample or probe id, a column named
        ``Unnamed: 0`` (a row index pandas wrote back), a ragged row, a non-numeric cell, or
        missing values under ``missing='error'``.

    Examples
    --------
    >>> import gexclust as gx
    >>> from pathlib import Path
    >>> path = Path("tiny.csv")
    >>> _ = path.write_text("samples,type,p1,p2\n1,AML,5.5,7.25\n2,PB,6.0,8.0\n")
    >>> adata = gx.io.read_cumida(path)
    >>> adata.obs["type"].tolist(), adata.X.tolist()
    (['AML', 'PB'], [[5.5, 7.25], [6.0, 8.0]])
    """
    dtype = checked_dtype(dtype)
    check_policy(missing, caller="io.read_cumida")
    check_flag("annotate", annotate, caller="io.read_cumida")
    check_limits(limits, caller="io.read_cumida")
    for name, column in (("sample_col", sample_col), ("type_col", type_col)):
        # a position (sample_col=0, as pandas' index_col) failed inside the parse with
        # "startswith first arg must be str or a tuple of str, not int"
        if not isinstance(column, str):
            msg = f"io.read_cumida: {name} must be a column name (a str), got {column!r}"
            raise TypeError(msg)
    table = parse_cumida(path, sample_col=sample_col, type_col=type_col, limits=limits)
    return cumida_to_anndata(table, missing=missing, dtype=dtype, annotate=annotate)


#: The types ``.X`` may have: an integer or float16 ``.X`` would change the values silently.
DTYPES = ("float64", "float32")


def checked_dtype(dtype) -> str:
    """``dtype``'s name when it is one of :data:`DTYPES` (``np.float32`` too), else refuse it.

    Before, ``int64`` truncated 5.5 to 5 and ``float16`` made a signal above 65,504 ``inf``.
    ``None`` is refused too: numpy reads it as float64, so ``dtype=None`` (meant as "the
    default", or a variable left unset) was float64 without a word.
    """
    try:
        name = None if dtype is None else np.dtype(dtype).name
    except TypeError:  # not a type at all ('foo')
        name = None
    if name not in DTYPES:
        msg = (f"io.read_cumida: dtype={dtype!r} is not valid; choose one of "
               f"{', '.join(map(repr, DTYPES))}")
        raise ValueError(msg)
    return name


def cumida_to_anndata(
    table: CumidaTable,
    *,
    missing: Literal["error", "drop", "impute"] = "error",
    dtype: Literal["float64", "float32"] = "float64",
    annotate: bool = True,
) -> AnnData:
    """The AnnData of a parsed CuMiDa table (see :func:`read_cumida` for the parameters)."""
    table = _without_empty_samples(table)
    values, probes, missing_info = handle_missing(
        table.values, table.probes, table.samples, policy=missing, path=table.path,
        line_numbers=table.line_numbers,
    )
    adata = AnnData(
        X=values.astype(dtype, copy=False),
        obs=pd.DataFrame(
            {"type": pd.Categorical([None if t in TYPE_NA else t for t in table.types])},
            index=pd.Index(table.samples, dtype=str, name=None),
        ),
        var=pd.DataFrame(index=pd.Index(probes, dtype=str)),
    )
    adata.uns["source"] = {"path": table.path, "format": "cumida_csv", "sha256": table.sha256}
    adata.uns["missing"] = missing_info
    if annotate:
        annotate_known_platform(adata)
    logger.info("read %s: %d samples x %d probes", table.path, adata.n_obs, adata.n_vars)
    return adata


def _without_empty_samples(table: CumidaTable) -> CumidaTable:
    """``table`` without the rows whose every value is missing, with a warning naming them.

    Such a row (an array that failed, values never pasted in) has nothing to cluster: kept,
    it made missing='drop' drop every probe (and then fail in tl.hclust, "no genes") and
    missing='impute' give it every probe's mean, a made-up sample clustered with the others
    (Golub with golub_05's values emptied: ARI 0.306, against 0.413 without that row). GEO
    readers leave such samples out the same way; unless every row is empty: the
    missing-value policy then says so.
    """
    values = table.values
    empty = np.isnan(values).all(axis=1) if values.shape[1] else np.zeros(len(values), bool)
    if not empty.any() or empty.all():
        return table
    gone = np.flatnonzero(empty)
    shown = ", ".join(f"{table.samples[i]} (line {table.line_numbers[i]})" for i in gone[:5])
    more = f" and {len(gone) - 5} more" if len(gone) > 5 else ""
    logger.warning("%s: %d sample(s) without a single value left out: %s%s", table.path,
                   len(gone), shown, more)
    kept = np.flatnonzero(~empty)
    return replace(table, values=values[kept],
                   samples=[table.samples[i] for i in kept],
                   types=[table.types[i] for i in kept],
                   line_numbers=[table.line_numbers[i] for i in kept])
