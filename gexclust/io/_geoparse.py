"""Interoperability with GEOparse: its GSE and GSM objects as AnnData."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from .._checks import check_flag
from .._errors import InputError
from .._logging import logger
from ._geo_build import _sample_fields as sample_fields
from ._geo_build import add_type, flatten_meta, measurements_as_numbers, to_anndata
from ._geo_read import bundled_annotation, choose_platforms
from ._geo_text import GEO_NA
from ._gpl import annotation_sources
from ._missing import check_policy
from ._row_counts import Count, check_counts, declared_rows


def from_geoparse(
    obj,
    *,
    platform: str | None = None,
    type_from: str | None = None,
    annotate: bool = True,
    missing: Literal["error", "drop", "impute"] = "error",
) -> AnnData | dict[str, AnnData]:
    """Convert a GEOparse ``GSE`` or ``GSM`` object into AnnData (samples x probes).

    Values are matched by ``ID_REF`` and equal ``gse.pivot_samples('VALUE')`` (transposed,
    in the platform's probe order). Metadata land where :func:`gexclust.io.read_soft` puts
    them. As there, a sample or platform table with fewer rows than its header declares
    (``metadata['data_row_count']``) is read as it is, with one warning for the object.

    Parameters
    ----------
    obj
        ``GEOparse.GEOTypes.GSE`` or ``GSM``, e.g. from ``GEOparse.get_GEO(filepath=...)``.
    platform
        For series on several platforms: one of them, or ``'all'`` for a dict.
    type_from
        Source of ``.obs['type']``, as in :func:`gexclust.io.read_soft`.
    annotate
        Add platform annotation to ``.var``.
    missing
        Policy for missing values, as in :func:`gexclust.io.read_cumida`.

    Returns
    -------
    AnnData, or a dict of them by platform with ``platform='all'``.
    """
    check_policy(missing, caller="io.from_geoparse")
    check_flag("annotate", annotate, caller="io.from_geoparse")
    kind = type(obj).__name__
    if kind == "GSM":
        gsms, gpls, series_meta, accession = [obj], {}, {}, obj.name
    elif kind == "GSE":
        gsms, gpls, series_meta, accession = list(obj.gsms.values()), obj.gpls, obj.metadata, obj.name  # noqa: E501
    else:
        msg = f"from_geoparse expects a GEOparse GSE or GSM object, got {kind}"
        raise TypeError(msg)
    name = f"GEOparse {kind} {accession}"
    gsms = _with_tables(gsms, name, listed=series_meta.get("sample_id", []))
    check_counts(name, _table_counts(gsms, gpls.values()),
                 reader="gexclust.io.from_geoparse reads")
    by_platform: dict[str, list] = {}
    for gsm in gsms:
        by_platform.setdefault(gsm.metadata.get("platform_id", ["unknown"])[0], []).append(gsm)
    chosen = choose_platforms(list(by_platform), platform, name)
    result = {
        gpl: _convert(by_platform[gpl], gpls.get(gpl), accession, series_meta,
                      type_from=type_from, annotate=annotate, missing=missing)
        for gpl in chosen
    }
    return result if platform == "all" else result[chosen[0]]


def _with_tables(gsms: list, name: str, *, listed: list[str]) -> list:
    """The samples with a data table; the others are logged, as :func:`read_soft` does."""
    kept = [g for g in gsms if not g.table.empty]
    skipped = [g.name for g in gsms if g.table.empty]
    if not kept:
        if skipped:
            rows = gsms[0].metadata.get("data_row_count", [""])[0]
            why = ": GEO lists 0 data rows; its data are in supplementary files" if rows == "0" else ""  # noqa: E501
            msg = f"{name}: sample {skipped[0]} has no data table{why}"
        else:
            ids = f" (the series lists {len(listed)}: {', '.join(listed[:3])}{', ...' if len(listed) > 3 else ''})" if listed else ""  # noqa: E501
            msg = f"{name} holds no samples{ids}; nothing to convert"
        raise InputError(msg)
    if skipped:
        logger.warning("%s: %d sample(s) without a data table left out: %s", name,
                       len(skipped), ", ".join(skipped))
    return kept


def _table_counts(gsms: list, gpls) -> list[Count]:
    """Each table's rows against the count its header declares, as read_soft compares them.

    GEOparse keeps ``!Sample_data_row_count`` and ``!Platform_data_row_count`` in
    ``metadata['data_row_count']``; a sample or platform without a table is not compared.
    """
    counts = []
    for kind, key, records in (("SAMPLE", "Sample_data_row_count", gsms),
                               ("PLATFORM", "Platform_data_row_count", gpls)):
        for record in records:
            declared = declared_rows(record.metadata.get("data_row_count"))
            if declared is not None and not record.table.empty:
                counts.append(Count(f"{kind} {record.name}", key, declared, len(record.table)))
    return counts


def _convert(gsms, gpl, accession, series_meta, *, type_from, annotate, missing) -> AnnData:
    columns = {}
    for gsm in gsms:
        table = gsm.table
        if "ID_REF" not in table or "VALUE" not in table:
            msg = f"GEOparse sample {gsm.name} has no ID_REF/VALUE table"
            raise InputError(msg)
        columns[gsm.name] = pd.Series(_numbers(gsm), index=table["ID_REF"].astype(str))
    frame = pd.concat(columns, axis=1)
    annotation = _annotation(gpl) if gpl is not None and not gpl.table.empty else None
    if annotation is not None:
        # platform order; platform probes that no sample lists were not measured: left out
        order = annotation.index.union(frame.index, sort=False)
        frame = frame.reindex(order[order.isin(frame.index)])
    meta = [{f"Sample_{k}": v for k, v in gsm.metadata.items()} for gsm in gsms]
    obs = pd.DataFrame([sample_fields(m) for m in meta],
                       index=pd.Index([g.name for g in gsms], dtype=str))
    obs = measurements_as_numbers(add_type(obs, series=accession, type_from=type_from))
    platform = obs["platform_id"].iloc[0]
    if annotate and annotation is None:
        annotation = bundled_annotation(platform)
    uns = {"accession": accession, "platform": platform, "source": "GEOparse",
           "series": flatten_meta(series_meta, "")}
    return to_anndata(frame.to_numpy().T, frame.index, obs, annotation=annotation if annotate else None,  # noqa: E501
                      missing=missing, path=f"GEOparse {accession}", uns=uns)


def _numbers(gsm) -> np.ndarray:
    """The VALUE column of ``gsm`` as float; text that is not a number is refused.

    As :func:`gexclust.io.read_soft` does: coerced to NaN, it would count as a missing value.
    """
    column = gsm.table["VALUE"]
    values = pd.to_numeric(column, errors="coerce")
    bad = (values.isna() & column.notna() & ~column.astype(str).str.strip().isin(GEO_NA)).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = f"GEOparse sample {gsm.name}, ID_REF {str(gsm.table['ID_REF'].iloc[i])!r}: VALUE {column.iloc[i]!r} is not a number"  # noqa: E501
        raise InputError(msg)
    return values.to_numpy(dtype=np.float64)


def _annotation(gpl) -> pd.DataFrame:
    table = gpl.table.copy()
    table.index = table["ID"].astype(str) if "ID" in table else table.iloc[:, 0].astype(str)
    for standard, source in annotation_sources(table.columns).items():
        table[standard] = table[source].fillna("").astype(str) if source else ""
    return table
