"""Writing AnnData back to the CuMiDa CSV layout."""

from __future__ import annotations

import csv
import os
from collections import Counter

import numpy as np
from anndata import AnnData

from .._api import named
from .._atomic import atomic_text
from .._checks import check_output_path, check_whole
from .._labels import obs_texts
from .._logging import logger
from .._utils import dense, refuse_no_x
from ._utf8 import encodable, refuse_text


@named("io.write_cumida")
def write_cumida(
    adata: AnnData,
    path: str | os.PathLike,
    *,
    type_key: str = "type",
    sample_key: str | None = "samples",
    decimals: int | None = None,
) -> None:
    r"""Write ``adata`` as a CuMiDa CSV: ``samples``, ``type``, then one column per var.

    Fields are quoted where CSV needs it (a type such as ``AML, M2`` or a name with a quote),
    so :func:`~gexclust.io.read_cumida` reads back the same ids, types and values. Repeated
    sample or probe ids (AnnData allows them; ``read_cumida`` refuses them) are refused
    before anything is written, naming them and the way out
    (``adata.obs_names_make_unique()``, ``adata.var_names_make_unique()``). Ids and types
    with blanks around them (read back without) or a line break inside (refused on reading)
    are written as they are, with a logged warning naming one.

    Parameters
    ----------
    adata
        Samples x probes. A sparse ``.X`` is written row by row, never densified whole.
    path
        Output file; written atomically, gzip-compressed when its name ends in ``.gz``
        (``.csv.gz``, which read_cumida reads as gzip).
    type_key
        ``.obs`` column for the ``type`` column; missing types are written as empty fields.
        A type that CSV readers take for a missing value (``'NA'``, ``'None'``, ``'nan'``,
        ``'N/A'``, ... as pandas' ``read_csv`` and R's ``read.csv`` do, quoted or not) is
        written as it is, with a logged warning naming it: it will read back as missing.
    sample_key
        ``.obs`` column for the ``samples`` column (CuMiDa uses row numbers); ``obs_names`` when
        ``None`` or absent.
    decimals
        ``None`` (default): every value in full precision (the shortest text that reads back to
        the same float, so ``1e-7`` stays ``1e-07``). An integer: that many digits after the
        decimal point, as CuMiDa's own files (6), rounding small values to 0.

    Raises
    ------
    ValueError
        If sample ids or probe ids repeat (compared as ``read_cumida`` reads them, without
        the blanks around them), naming them; if a probe is named ``samples``, ``type`` or
        as pandas names a header-less column (``Unnamed: 0``), which ``read_cumida`` refuses;
        or if a sample id, type or probe id is not
        UTF-8 text (a lone surrogate such as ``'\udcff'``), naming it and its column.
        Nothing is written then.

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd, gexclust as gx
    >>> from pathlib import Path
    >>> adata = ad.AnnData(np.array([[1e-7, 2.5]]), obs=pd.DataFrame(
    ...     {"type": ["AML, M2"]}, index=["s1"]))
    >>> path = Path("out.csv")
    >>> gx.io.write_cumida(adata, path)
    >>> print(path.read_text())
    samples,type,0,1
    s1,"AML, M2",1e-07,2.5
    >>> back = gx.io.read_cumida(path)
    >>> back.obs["type"].tolist(), float(back.X[0, 0])
    (['AML, M2'], 1e-07)
    """
    check_output_path(path, caller="io.write_cumida", example="tumours.csv")
    if decimals is not None:
        check_whole("decimals", decimals, caller="io.write_cumida",
                    what=" (digits after the decimal point), or None for full precision")
    refuse_no_x(adata, caller="io.write_cumida", way="set adata.X = adata.layers[name] first")
    if sample_key is not None and sample_key in adata.obs:
        samples = adata.obs[sample_key].astype(str).to_numpy()
        source = f".obs[{sample_key!r}]"
    else:
        samples = adata.obs_names.to_numpy()
        source = "obs_names"
    _refuse_repeated_ids("sample", samples, source)
    _refuse_repeated_ids("probe", adata.var_names, "var_names")
    _refuse_probes_named_as_the_header(adata.var_names)
    if type_key not in adata.obs:
        msg = (f"io.write_cumida: no column {type_key!r} in .obs; "
               f"available: {list(adata.obs.columns)}")
        raise KeyError(msg)
    # not to_numpy(): it turns whole-number types with a missing one (Int64, categories 1, 2)
    # into floats ('1.0'), and pandas' NA answers 't != t' with no truth value
    types = obs_texts(adata.obs[type_key]).tolist()
    _refuse_unencodable(path, samples=(samples, source), types=(types, f".obs[{type_key!r}]"),
                        probes=adata.var_names)
    _say_types_read_as_missing(types, path)
    _say_fields_read_back_otherwise(samples, adata.var_names, types, path)
    with atomic_text(path) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["samples", "type", *map(str, adata.var_names)])
        for i in range(adata.n_obs):
            row = dense(adata.X[i]).ravel()
            writer.writerow([samples[i], types[i], *_format(row, decimals)])


def _refuse_unencodable(path, *, samples, types, probes) -> None:
    r"""Refuse a field the UTF-8 file cannot hold, naming the file, the field and its column.

    Python holds bytes it could not decode as lone surrogates (``'\udcff'``); written, they
    raised a bare UnicodeEncodeError naming no file, sample or column. Checked before the
    file is opened, so nothing is written. ``samples`` and ``types`` pair the texts with
    where they come from (``'obs_names'``, ``".obs['type']"``).
    """
    (sample_ids, sample_source), (type_texts, type_source) = samples, types
    for i, (sample, kind) in enumerate(zip(map(str, sample_ids), type_texts, strict=True)):
        if not encodable(sample):
            where = f"sample id {sample!r} (row {i + 1}, column 'samples', from {sample_source})"
            refuse_text(path, where, sample_source)
        if not encodable(kind):
            where = f"type {kind!r} of sample {sample!r} (column 'type', from {type_source})"
            refuse_text(path, where, type_source)
    for probe in map(str, probes):
        if not encodable(probe):
            refuse_text(path, f"probe id {probe!r} (a column name, from var_names)", "var_names")


def _say_types_read_as_missing(types: list[str], path) -> None:
    """Warn about types that every CSV reader will read back as missing, naming them.

    A class literally called ``NA`` (or ``None``, ``nan``, ``N/A``, ...) cannot survive a
    CSV: pandas' ``read_csv``, R's ``read.csv`` and :func:`~gexclust.io.read_cumida` read it
    as a missing value, quoted or not. Written as it is (the file stays what the user
    has), with a warning rather than in silence.
    """
    from .._labels import is_missing_label

    counts = Counter(t for t in types if t.strip() and is_missing_label(t))
    if counts:
        named = ", ".join(f"{t!r} ({n} sample{'s' if n > 1 else ''})" for t, n in counts.items())
        logger.warning(
            "io.write_cumida: %s: type %s will be read back as a missing value, not a class "
            "(read_cumida, pandas and R read these texts as NA, quoted or not); rename the "
            "class to keep it", path, named,
        )


def _refuse_repeated_ids(what: str, ids, source: str) -> None:
    """Refuse ids that repeat once read back: read_cumida refuses such a file.

    AnnData allows repeated ``obs_names`` (e.g. cell barcodes of concatenated batches) and
    ``var_names`` (gene symbols). A file written with them could not be read back, so it is
    not written. Ids are compared as read_cumida reads them, without the blanks around them.
    ``source`` says where they come from (``'obs_names'``, ``".obs['samples']"``).
    """
    written: dict[str, list[str]] = {}
    for text in map(str, ids):
        written.setdefault(text.strip(), []).append(text)
    repeated = [forms for forms in written.values() if len(forms) > 1]
    if not repeated:
        return
    shown = ", ".join(_repeat(forms) for forms in repeated[:SHOWN])
    more = f" and {len(repeated) - SHOWN} more" if len(repeated) > SHOWN else ""
    msg = (f"io.write_cumida: {len(repeated)} {what} id(s) repeat ({shown}{more}); read_cumida "
           f"refuses repeated ids, so the file would not read back: {_fix(source, repeated)}")
    raise ValueError(msg)


def _refuse_probes_named_as_the_header(probes) -> None:
    """Refuse a probe id read_cumida cannot take for a probe: the file would not read back.

    A probe named ``samples`` or ``type`` repeats a column of the header (read_cumida refuses
    it as a duplicate column); one named as pandas names a header-less column (``Unnamed: 0``)
    is refused as a row index written back.
    """
    from ._cumida_parse import PANDAS_UNNAMED

    for probe in map(str, probes):
        name = probe.strip()
        if name in ("samples", "type"):
            why = f"a second {name!r} column of the header"
        elif PANDAS_UNNAMED.fullmatch(name):
            why = "a row index pandas wrote"
        else:
            continue
        msg = (f"io.write_cumida: probe id {probe!r} (var_names) would be read back as {why}, "
               "so read_cumida would refuse the file: rename the probe first")
        raise ValueError(msg)


def _fix(source: str, repeated: list[list[str]]) -> str:
    """How to make the ids of ``source`` unique, in words and code."""
    blanks = any(len(set(forms)) > 1 for forms in repeated)
    if source.startswith(".obs"):
        strip = "strip the blanks around them and " if blanks else ""
        return f"{strip}make {source} unique, or pass sample_key=None to write the obs_names"
    strip = f"adata.{source} = adata.{source}.str.strip(); " if blanks else ""
    return f"make them unique first: {strip}adata.{source}_make_unique()"


#: How many repeated ids an error names before it counts the rest.
SHOWN = 5


def _repeat(forms: list[str]) -> str:
    """``'x' (2 times)``, or with the written forms when only blanks tell them apart."""
    distinct = list(dict.fromkeys(forms))
    if len(distinct) == 1:
        return f"{forms[0]!r} ({len(forms)} times)"
    return f"{' and '.join(map(repr, distinct))} ({len(forms)} times without their blanks)"


def _say_fields_read_back_otherwise(samples, probes, types, path) -> None:
    """Warn about ids and types that read_cumida will not read back as written.

    It strips the blanks around a field (``' s1'`` comes back as ``'s1'``) and refuses a
    field holding a line break; the file is written as it is, with a warning naming one.
    """
    fields = (("sample id", samples), ("probe id", probes), ("type", types))
    for problem, test in (("begin or end with blanks, which read_cumida strips",
                           lambda text: text != text.strip()),
                          ("hold a line break, which read_cumida refuses",
                           lambda text: "\n" in text or "\r" in text)):
        parts = []
        for what, values in fields:
            found = [text for text in map(str, values) if test(text)]
            if found:
                parts.append(f"{len(found)} {what}(s) (e.g. {found[0]!r})")
        if parts:
            logger.warning("io.write_cumida: %s: %s %s", path, " and ".join(parts), problem)


def _format(values: np.ndarray, decimals: int | None) -> list[str]:
    if decimals is None:
        return [repr(v) for v in values.tolist()]  # shortest round-trip text of each float
    return np.char.mod(f"%.{decimals}f", values).tolist()
