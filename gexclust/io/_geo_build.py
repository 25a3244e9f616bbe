"""Building AnnData from parsed GEO records: values matched by ID_REF, metadata into .obs/.uns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from anndata import AnnData

from .._errors import InputError
from .._logging import logger
from ._geo_types import KNOWN_SERIES, cumida_type
from ._missing import handle_missing
from ._soft import SoftRecord, read_tsv

VAR_COLUMNS = ("gene_symbol", "entrez_id", "gene_title")


def sample_matrix(samples: list[SoftRecord], probes: pd.Index | None, path):
    """Values of ``samples`` (samples x probes), matched to ``probes`` by ID_REF.

    Samples with the same table header are parsed in one pass. Without a platform table,
    the probes are the union of the samples' ID_REFs in order of appearance.
    """
    ids, values, rows = [], [], []
    for header, group in _by_header(samples).items():
        for column in ("ID_REF", "VALUE"):
            if column not in header:
                msg = f"{path}: sample {group[0].accession} table has no {column} column (columns: {list(header)})"  # noqa: E501
                raise InputError(msg)
        body = b"".join(s.body for s in group)
        try:
            frame = read_tsv(body, list(header), path, group[0], numeric=("VALUE",),
                             usecols=["ID_REF", "VALUE"])
        except InputError:
            _name_bad_value(group, header, path)
            raise
        ids.append(frame["ID_REF"].to_numpy(dtype=object))
        values.append(frame["VALUE"].to_numpy(dtype=np.float64))
        rows.append(np.repeat([samples.index(s) for s in group], [s.n_rows for s in group]))
    ids_all = np.concatenate(ids) if ids else np.array([], dtype=object)
    if probes is None:
        probes = pd.Index(pd.unique(ids_all), dtype=str)
    return _place(probes, np.concatenate(rows), ids_all, np.concatenate(values), samples, path)


def _by_header(samples: list[SoftRecord]) -> dict[tuple[str, ...], list[SoftRecord]]:
    groups: dict[tuple[str, ...], list[SoftRecord]] = {}
    for sample in samples:
        if sample.header is None:
            msg = f"sample {sample.accession} has no data table"
            raise InputError(msg)
        groups.setdefault(tuple(sample.header), []).append(sample)
    return groups


def _place(probes: pd.Index, rows, ids, values, samples, path):
    positions = probes.get_indexer(ids)
    known = positions >= 0
    if not known.all():
        logger.warning("%s: %d sample rows name probes absent from the platform; ignored",
                       path, int((~known).sum()))
    rows, positions, values = rows[known], positions[known], values[known]
    flat = rows * len(probes) + positions
    counts = np.bincount(flat, minlength=len(samples) * len(probes))
    if counts.max(initial=0) > 1:
        sample, probe = divmod(int(np.argmax(counts)), len(probes))
        msg = f"{path}: sample {samples[sample].accession} lists ID_REF {probes[probe]!r} more than once"  # noqa: E501
        raise InputError(msg)
    X = np.full((len(samples), len(probes)), np.nan)
    X[rows, positions] = values
    return X, probes


def _name_bad_value(group, header, path) -> None:
    """Find the sample and cell whose VALUE is not a number, and raise an error naming them."""
    for sample in group:
        frame = read_tsv(sample.body, list(header), path, sample, usecols=["ID_REF", "VALUE"])
        numbers = pd.to_numeric(frame["VALUE"], errors="coerce")
        bad = numbers.isna() & frame["VALUE"].notna()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            msg = (f"{path}: sample {sample.accession}, ID_REF {frame['ID_REF'].iloc[i]!r}: "
                   f"VALUE {frame['VALUE'].iloc[i]!r} is not a number")
            raise InputError(msg)


def sample_obs(samples: list[SoftRecord], *, series: str | None, type_from: str | None) -> pd.DataFrame:  # noqa: E501
    """``.obs`` from sample attributes: title, accession, source, characteristics, type."""
    rows = [_sample_fields(s.meta) for s in samples]
    obs = pd.DataFrame(rows, index=pd.Index([s.accession for s in samples], dtype=str))
    return add_type(obs, series=series, type_from=type_from)


def _sample_fields(meta: dict[str, list[str]]) -> dict[str, str]:
    def get(key: str) -> str:
        return meta.get(f"Sample_{key}", [""])[0]

    fields = {
        "title": get("title"),
        "geo_accession": get("geo_accession"),
        "source_name": get("source_name_ch1"),
        "platform_id": get("platform_id"),
    }
    for key, value in characteristic_pairs(meta.get("Sample_characteristics_ch1", [])):
        fields.setdefault(key, value)
    for key, value in description_pairs(meta.get("Sample_description", [])):
        fields.setdefault(key, value)
    return fields


def characteristic_pairs(values: list[str]):
    """``'key: value'`` characteristics as (key, value) pairs; keyless ones as 'characteristics'."""
    for value in values:
        key, sep, rest = value.partition(":")
        if sep and key.strip():
            yield key.strip(), rest.strip()
        elif value.strip():
            yield "characteristics", value.strip()


def description_pairs(values: list[str]):
    """``'Key = value; Key = value'`` pairs from sample descriptions (repeated keys joined)."""
    found: dict[str, list[str]] = {}
    for value in values:
        for part in value.split(";"):
            key, sep, rest = part.partition("=")
            if sep and key.strip() and rest.strip():
                found.setdefault(key.strip(), []).append(rest.strip())
    for key, items in found.items():
        yield key, ", ".join(items)


def add_type(obs: pd.DataFrame, *, series: str | None, type_from: str | None) -> pd.DataFrame:
    """Add categorical ``obs['type']``: from ``type_from`` or the known-series table.

    ``type_from`` is an ``.obs`` column name, or a regular expression applied to the title
    (its first group, or the whole match, is the label).
    """
    if type_from is None:
        if series in KNOWN_SERIES:
            labels = [cumida_type(series, t) for t in obs["title"]]
            obs["type"] = pd.Categorical(labels)
        return obs
    if type_from in obs.columns:
        obs["type"] = pd.Categorical(obs[type_from].astype(str))
        return obs
    try:
        pattern = re.compile(type_from)
    except re.error as err:
        msg = f"type_from={type_from!r} is neither an .obs column ({', '.join(obs.columns)}) nor a valid regular expression ({err})"  # noqa: E501
        raise ValueError(msg) from None
    labels = []
    for title in obs["title"]:
        match = pattern.search(title)
        labels.append(None if match is None else (match.group(1) if pattern.groups else match.group(0)))  # noqa: E501
    obs["type"] = pd.Categorical(labels)
    return obs


def to_anndata(X, probes, obs, *, annotation, missing, path, uns) -> AnnData:
    """Assemble the AnnData, applying the missing-value policy and the probe annotation."""
    X, kept, info = handle_missing(X, list(probes), list(obs.index), policy=missing, path=path)
    var = pd.DataFrame(index=pd.Index(kept, dtype=str))
    if annotation is not None:
        annot = annotation.reindex(var.index)
        for column in VAR_COLUMNS:
            if column in annot:
                var[column] = annot[column].fillna("").astype(str).to_numpy()
    adata = AnnData(X=X, obs=obs, var=var)
    adata.uns["geo"] = uns
    adata.uns["missing"] = info
    return adata


def flatten_meta(meta: dict[str, list[str]], prefix: str) -> dict[str, str]:
    """GEO attributes as a flat dict for ``.uns`` (repeated values joined by newlines)."""
    out = {}
    for key, values in meta.items():
        short = key[len(prefix) :] if key.startswith(prefix) else key
        out[short] = "\n".join(values)
    return out
