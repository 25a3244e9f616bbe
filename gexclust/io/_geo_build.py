"""Building AnnData from parsed GEO records: values matched by ID_REF, metadata into .obs/.uns."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from anndata import AnnData

from .._errors import InputError
from .._files import decode_text
from .._logging import logger
from ._geo_text import GEO_NA, geo_numbers
from ._geo_types import KNOWN_SERIES, cumida_type
from ._missing import handle_missing
from ._soft import SoftRecord, long_row, read_tsv

VAR_COLUMNS = ("gene_symbol", "entrez_id", "gene_title")

#: Suffix of ``.obs`` columns from second-channel characteristics (``tissue_ch2``).
CH2 = "_ch2"


#: Column names an error lists before 'and N more': a mangled header can hold millions.
COLUMNS_SHOWN = 10


def columns_shown(header) -> str:
    """``header``'s first names, comma-separated, with how many more there are."""
    names = list(header)
    shown = ", ".join(names[:COLUMNS_SHOWN])
    return shown + (f" and {len(names) - COLUMNS_SHOWN} more" if len(names) > COLUMNS_SHOWN else "")


def sample_matrix(samples: list[SoftRecord], probes: pd.Index | None, path):
    """Values of ``samples`` (samples x probes), matched to ``probes`` by ID_REF.

    The VALUE columns of all samples that share a table header are parsed in one pass. The
    ID_REF column is compared per sample, as raw bytes, with the orders already seen; only a
    new order is decoded and looked up, so the common case (every sample in the same order)
    creates no per-row Python strings. Without a platform table, the probes are the union of
    the samples' ID_REFs in order of appearance.
    """
    orders: dict[tuple[bytes, bytes], list[str]] = {}
    row_of = {id(sample): row for row, sample in enumerate(samples)}
    placed = []  # (row in samples, id-order key, values), grouped by header, not in row order
    first_with = {}  # id-order key -> the first sample with that order (named in errors)
    for header, group in _by_header(samples, path).items():
        for column in ("ID_REF", "VALUE"):
            if column not in header:
                msg = f"{path}: sample {group[0].accession} (line {group[0].table_line}): the table has no {column} column (columns: {columns_shown(header)}); gexclust reads expression values from ID_REF and VALUE"  # noqa: E501
                raise InputError(msg)
            if f"{column}.1" in header:  # how the parser names a repeated column
                msg = f"{path}: sample {group[0].accession} (line {group[0].table_line}): column {column!r} appears twice in the table header; which holds the sample's {'probe ids' if column == 'ID_REF' else 'values'} is unknowable"  # noqa: E501
                raise InputError(msg)
        # pandas parses the values while numpy checks the id orders: both release the GIL
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_group_values, group, list(header), path)
            # equal keys share one object: 64 copies of a 22,283-id key would cost ~30 MB
            distinct: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}
            keys = [distinct.setdefault(k, k) for k in
                    (id_order_key(sample, header) for sample in group)]
            values = pending.result()
        offset = 0
        for sample, key in zip(group, keys, strict=True):
            if key not in orders:
                orders[key] = decode_ids(sample, header)
                first_with[key] = sample
            n = len(orders[key])
            placed.append((row_of[id(sample)], key, values[offset : offset + n]))
            offset += n
    if probes is None:
        probes = pd.Index(pd.unique(np.concatenate([np.asarray(o, dtype=object) for o in orders.values()])), dtype=str)  # noqa: E501
    positions = {key: _positions(probes, ids, path, first_with[key])
                 for key, ids in orders.items()}
    X = np.full((len(samples), len(probes)), np.nan)
    unknown = placed_values = 0
    for row, key, values in placed:
        pos = positions[key]
        known = pos >= 0
        unknown += int((~known).sum())
        placed_values += int(known.sum())
        X[row, pos[known]] = values[known]
    if unknown and not placed_values:
        # every row ignored would leave samples without a single probe: no data, no warning
        msg = (f"{path}: none of the {unknown} sample rows names a probe of the platform table "
               f"({len(probes)} probe(s)); is the platform table empty or cut short?")
        raise InputError(msg)
    if unknown:
        logger.warning("%s: %d sample rows name probes absent from the platform; ignored",
                       path, unknown)
    return _measured_only(X, probes, positions.values(), path)


def _measured_only(X: np.ndarray, probes: pd.Index, positions, path):
    """``X`` and ``probes`` without the platform probes that no sample table lists.

    Those were not measured in this series (GEOparse's pivot has no row for them); calling
    them missing values would make the missing-value policy drop or impute them.
    """
    measured = np.zeros(len(probes), dtype=bool)
    for pos in positions:
        measured[pos[pos >= 0]] = True
    if measured.all():
        return X, probes
    logger.warning("%s: %d platform probe(s) that no sample table lists left out (first: %s)",
                   path, int((~measured).sum()), probes[np.flatnonzero(~measured)[0]])
    return X[:, measured], probes[measured]


def _group_values(group: list[SoftRecord], header: list[str], path) -> np.ndarray:
    """The VALUE column of every sample of ``group``, end to end.

    One pandas call per sample: the parser's buffers then stay at one table's size (one call
    over all tables at once is ~20% faster but holds ~1.2x the whole text besides).
    """
    values = np.empty(sum(s.n_rows for s in group))
    offset = 0
    for sample in group:
        problem = long_row(sample.body, header, sample.n_rows)
        if problem:
            msg = f"{path}: sample {sample.accession} (line {sample.table_line}): {problem}"
            raise InputError(msg)
        try:
            frame = read_tsv(sample.body, header, path, sample, numeric=("VALUE",),
                             usecols=["VALUE"])
        except InputError:
            _name_bad_value([sample], header, path)
            raise
        if len(frame) != sample.n_rows:
            msg = f"{path}: sample {sample.accession} (line {sample.table_line}): its table holds {sample.n_rows} rows but {len(frame)} values were read (malformed rows?)"  # noqa: E501
            raise InputError(msg)
        values[offset : offset + sample.n_rows] = frame["VALUE"].to_numpy(dtype=np.float64)
        offset += sample.n_rows
    return values


def id_order_key(sample: SoftRecord, header) -> tuple[bytes, bytes]:
    """The sample's ID_REF column as raw bytes plus lengths: equal keys mean equal ID orders."""
    if header[0] != "ID_REF":
        # not the first column: no byte shortcut, the decoded ids are the key
        return "\t".join(decode_ids(sample, header)).encode(), b""
    arr = np.frombuffer(sample.body, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    tabs = np.append(np.flatnonzero(arr == 9), len(arr))  # sentinel: rows without a tab
    lengths = np.minimum(tabs[np.searchsorted(tabs, starts)], ends) - starts
    # gather the id bytes of all rows: ranges [start, start + length) laid end to end
    offsets = np.cumsum(lengths) - lengths
    gather = np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths)
    return arr[gather].tobytes(), lengths.tobytes()


def decode_ids(sample: SoftRecord, header) -> list[str]:
    """The ID_REF column of one sample as strings, without blanks around them.

    A blank after an id ('1007_s_at <TAB>4.5', a table edited by hand) made it another probe:
    every row of the sample 'absent from the platform', and the sample left out.
    """
    column = list(header).index("ID_REF")
    rows = decode_text(sample.body).split("\n")[:-1]
    ids = []
    for row in rows:
        parts = row.rstrip("\r").split("\t", column + 1)
        ids.append(parts[column].strip() if len(parts) > column else "")
    return ids


def _by_header(samples: list[SoftRecord], path) -> dict[tuple[str, ...], list[SoftRecord]]:
    groups: dict[tuple[str, ...], list[SoftRecord]] = {}
    for sample in samples:
        if sample.header is None:
            msg = f"{path}: sample {sample.accession} (line {sample.line}) has no data table"
            raise InputError(msg)
        groups.setdefault(tuple(sample.header), []).append(sample)
    return groups


def _positions(probes: pd.Index, ids: list[str], path, sample: SoftRecord) -> np.ndarray:
    positions = probes.get_indexer(ids)
    known = positions[positions >= 0]
    if len(np.unique(known)) != len(known):
        values, counts = np.unique(known, return_counts=True)
        probe = probes[values[counts > 1][0]]
        msg = (f"{path}: sample {sample.accession} (table at line {sample.table_line}) lists "
               f"ID_REF {probe!r} more than once")
        raise InputError(msg)
    return positions


def _name_bad_value(group, header, path) -> None:
    """Find the sample and cell whose VALUE is not a number, and raise an error naming them."""
    for sample in group:
        frame = read_tsv(sample.body, list(header), path, sample, usecols=["ID_REF", "VALUE"])
        _, bad = geo_numbers(frame["VALUE"])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            msg = (f"{path}: sample {sample.accession}, ID_REF {frame['ID_REF'].iloc[i]!r}: "
                   f"VALUE {frame['VALUE'].iloc[i]!r} is not a number")
            raise InputError(msg)


def sample_obs(samples: list[SoftRecord], *, series: str | None, type_from: str | None) -> pd.DataFrame:  # noqa: E501
    """``.obs`` from sample attributes: title, accession, source, characteristics, type."""
    rows = [_sample_fields(s.meta) for s in samples]
    obs = pd.DataFrame(rows, index=pd.Index([s.accession for s in samples], dtype=str))
    return measurements_as_numbers(add_type(obs, series=series, type_from=type_from))


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
        fields.setdefault(safe_key(key), value)
    if "Sample_source_name_ch2" in meta:  # two-channel arrays: the second sample's labels
        fields["source_name_ch2"] = get("source_name_ch2")
    for key, value in characteristic_pairs(meta.get("Sample_characteristics_ch2", [])):
        fields.setdefault(safe_key(key) + CH2, value)
    for key, value in description_pairs(meta.get("Sample_description", [])):
        fields.setdefault(safe_key(key), value)
    return fields


def characteristic_pairs(values: list[str]):
    """``'key: value'`` characteristics as (key, value) pairs; keyless ones as 'characteristics'.

    A key given more than once keeps every value, joined by ``'; '`` in file order.
    """
    found: dict[str, list[str]] = {}
    for value in values:
        key, sep, rest = value.partition(":")
        if sep and key.strip():
            found.setdefault(key.strip(), []).append(rest.strip())
        elif value.strip():
            found.setdefault("characteristics", []).append(value.strip())
    for key, items in found.items():
        yield key, "; ".join(items)


def description_pairs(values: list[str]):
    """``'Key = value; Key = value'`` pairs from sample descriptions (repeated keys joined).

    A description is prose: the full stop that ends it is no part of its last number
    (GSE781's ``'...; Background = 55.24.'``, read as the text ``'55.24.'``, left a QC
    measurement out of the report's checks).
    """
    found: dict[str, list[str]] = {}
    for value in values:
        for part in value.split(";"):
            key, sep, rest = part.partition("=")
            if sep and key.strip() and rest.strip():
                found.setdefault(key.strip(), []).append(_without_full_stop(rest.strip()))
    for key, items in found.items():
        yield key, ", ".join(items)


#: A number closed by a sentence's full stop: ``'55.24.'``, ``'500.'``.
_NUMBER_AND_STOP = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\.")


def _without_full_stop(value: str) -> str:
    """``value`` without a full stop after a number (``'55.24.'`` -> ``'55.24'``)."""
    if _NUMBER_AND_STOP.fullmatch(value) and value[:-1][-1:].isdigit():
        return value[:-1]
    return value


#: ``.obs`` columns that name or place the samples: text, whatever they look like.
NAME_COLUMNS = ("title", "geo_accession", "source_name", "source_name_ch2", "platform_id",
                "type")


def measurements_as_numbers(obs: pd.DataFrame) -> pd.DataFrame:
    """Characteristics that are measurements (an age, an array's QC value) as float64 columns.

    The rule sample sheets follow (:func:`gexclust._labels.is_quantity`): every value written
    as a number, some with a fraction or more distinct values than half the samples with one;
    NaN where a sample has none. So ``adata.obs['age'].mean()`` works and scanpy colours the
    column as a gradient. Others stay text as GEO wrote them: grades ``1``-``3`` (groups),
    ``'45 years'``, codes written ``007``.
    """
    from .._labels import is_quantity, numeric_values

    for column in obs.columns:
        if column in NAME_COLUMNS:
            continue
        numbers = numeric_values(obs[column])
        if numbers is not None and is_quantity(numbers):
            obs[column] = numbers
    return obs


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
        labels = _labels_or_none(obs[type_from])
        if len(obs) and all(label is None for label in labels):
            msg = (f"type_from={type_from!r}: that .obs column has no value in any sample; "
                   f"columns: {', '.join(obs.columns)}")
            raise ValueError(msg)
        obs["type"] = pd.Categorical(labels)
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
    if len(obs) and all(label is None for label in labels):  # a typo, not a type: say so
        msg = (f"type_from={type_from!r} is neither an .obs column ({', '.join(obs.columns)}) "
               f"nor a regular expression that matches any sample title (the first is "
               f"{obs['title'].iloc[0]!r})")
        raise ValueError(msg)
    obs["type"] = pd.Categorical(_labels_or_none(pd.Series(labels, dtype=object)))
    return obs


def _labels_or_none(column: pd.Series) -> list[str | None]:
    """``column`` as strings; samples without a value get None, not a type called 'nan'.

    No value: NaN, None, a blank field, one of GEO's missing-value tokens (``NA``,
    ``null``, ``--``, ...), as in the data tables, or any text that pandas reads as missing
    (``n/a``, ``None``, ``#N/A``, ...: :mod:`gexclust._labels`, the rule every tool applies).
    """
    from .._labels import is_missing_label

    labels = []
    for value in column.astype(object):
        text = "" if value is None or pd.isna(value) else str(value).strip()
        labels.append(None if text in GEO_NA or is_missing_label(text) else text)
    return labels


def to_anndata(X, probes, obs, *, annotation, missing, path, uns) -> AnnData:
    """Assemble the AnnData, applying the missing-value policy and the probe annotation."""
    n_samples = len(obs)
    X, obs = without_empty_samples(X, obs, path)
    X, kept, info = handle_missing(X, list(probes), list(obs.index), policy=missing, path=path)
    info["n_empty_samples_dropped"] = n_samples - len(obs)
    if not kept and len(probes):
        msg = f"{path}: no probe has a value in every sample, so missing={missing!r} left none; try missing='impute'"  # noqa: E501
        raise InputError(msg)
    var = pd.DataFrame(index=pd.Index(kept, dtype=str))
    if annotation is not None:
        _warn_unlisted_probes(var.index, annotation, uns.get("platform", ""), path)
        annot = annotation.reindex(var.index)
        for column in VAR_COLUMNS:
            if column in annot:
                var[column] = annot[column].fillna("").astype(str).to_numpy()
    adata = AnnData(X=X, obs=obs, var=var)
    adata.uns["geo"] = uns
    adata.uns["missing"] = info
    return adata


def _warn_unlisted_probes(probes: pd.Index, annotation: pd.DataFrame, platform: str,
                          path) -> None:
    """Warn when many probes are not in ``annotation`` (the table of another platform?).

    A platform's table lists every probe of it, so a few absent ones are a custom table's
    gaps; many absent means the annotation is another platform's (GPL96's, given for a
    GPL570 series, leaves 32,398 of its 54,675 probes without symbols).
    """
    absent = probes[~probes.isin(annotation.index)]
    if len(absent) * 10 <= len(probes):  # up to a tenth: gaps, not another platform
        return
    shown = ", ".join(map(repr, absent[:3])) + (", ..." if len(absent) > 3 else "")
    other = f" than {platform}" if platform else ""
    logger.warning("%s: %d of %d probes (%.0f%%) are not in the probe annotation given (%s); "
                   "is it the annotation of another platform%s?", path, len(absent),
                   len(probes), 100 * len(absent) / len(probes), shown, other)


def without_empty_samples(X: np.ndarray, obs: pd.DataFrame, path):
    """``X`` and ``obs`` without samples whose every value is missing, with a warning.

    Such a sample (a failed array; values kept only in supplementary files) has nothing to
    cluster, like a sample without a table; kept, it would make missing='drop' drop every
    probe and missing='impute' give it the probe means. Unless every sample is empty: the
    missing-value policy then says so.
    """
    empty = np.isnan(X).all(axis=1) if X.shape[1] else np.zeros(len(X), dtype=bool)
    if not empty.any() or empty.all():
        return X, obs
    names = obs.index[empty]
    logger.warning("%s: %d sample(s) without a single value left out: %s", path, len(names),
                   ", ".join(names))
    obs = obs.loc[~empty].copy()
    for column in obs.columns:
        if isinstance(obs[column].dtype, pd.CategoricalDtype):
            obs[column] = obs[column].cat.remove_unused_categories()
    return X[~empty], obs


def flatten_meta(meta: dict[str, list[str]], prefix: str) -> dict[str, str]:
    """GEO attributes as a flat dict for ``.uns`` (repeated values joined by newlines)."""
    out = {}
    for key, values in meta.items():
        short = key[len(prefix) :] if key.startswith(prefix) else key
        out[safe_key(short)] = "\n".join(values)
    return out


def safe_key(key: str) -> str:
    """``key`` usable as an HDF5/zarr name (GEO has keys like ``contact_zip/postal_code``)."""
    return key.replace("/", "_").strip() or "unnamed"
