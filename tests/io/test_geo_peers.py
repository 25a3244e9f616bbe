"""Every real GEO file that other parsers test on (../shared/data/peers) reads, or fails clearly.

Where GEOparse reads a file, gexclust's result must equal it: values, sample order, probe order
and metadata. GEOparse's ``get_GEO`` picks its parser from the first three letters of the file
name, so files named ``soft_ex_*`` go through the parser GEOparse's own tests use for them.
"""

from __future__ import annotations

import inspect
import io
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust._errors import InputError
from tests.conftest import SHARED_DATA, shared_file


@dataclass
class Reads:
    """The file reads with ``reader``; ``geoparse`` names GEOparse's parser for it (or None)."""

    reader: str  # 'soft', 'gpl' or 'matrix'
    geoparse: str | None  # 'GSE', 'GSM', 'GPL', 'GDS'
    kwargs: dict = field(default_factory=dict)
    shape: tuple[int, int] | None = None
    #: For a table the other project trimmed: the record, its rows and the rows its header
    #: declares, as the one warning about them says.
    short: str | None = None


@dataclass
class Fails:
    """The file cannot give expression values: ``reader`` fails with one line matching ``match``."""

    reader: str
    match: str


CASES = {
    "biopython/GSE16.txt": Reads("soft", "GSE", {"missing": "drop"}, (1, 17)),
    "biopython/GSM645.txt": Reads("soft", "GSM", {}, (1, 20)),
    "biopython/GSM691.txt": Fails("soft", r"GSM691\.txt: sample GSM691 \(line 38\): the table has no ID_REF column \(columns: TAG, COUNT, TPM\)"),  # noqa: E501
    "biopython/GSM700.txt": Fails("soft", r"GSM700\.txt: sample GSM700 \(line 39\): the table has no ID_REF column"),  # noqa: E501
    "biopython/GSM804.txt": Reads("soft", "GSM", {"missing": "drop"}, (1, 17)),
    "biopython/soft_ex_affy.txt": Reads("soft", "GSE", {}, (3, 21)),
    "biopython/soft_ex_affy_chp.txt": Fails("soft", r"soft_ex_affy_chp\.txt: sample Drosophila_T0-1 \(line 1\) has no data table; its values are in the external file Drosophila_T0-1\.CHP"),  # noqa: E501
    "biopython/soft_ex_dual.txt": Reads("soft", "GSE", {}, (3, 20)),
    "biopython/soft_ex_family.txt": Reads("soft", "GSE", {}, (3, 20)),
    "biopython/soft_ex_platform.txt": Reads("gpl", "GPL", {}, (20, 8)),
    "biopython/soft_ex_series.txt": Fails("soft", r"soft_ex_series\.txt: series Bone_marrow_stromal_cells \(line 1\) has no \^SAMPLE records in this file \(it lists 4: GSM10001"),  # noqa: E501
    "dash-bio/GDS5373.soft.gz": Reads("soft", "GDS", {}, (4, 54675)),
    "epimedtools/GSE26471_series_matrix.txt.gz": Reads("matrix", None, {}, (1, 54675)),
    # GEOparse's tests keep a few rows of these tables (GPL20814's three are two platform rows
    # and the last row of a sample table, cut from its end marker on)
    "geoparse/GPL20814_family.soft": Reads("gpl", "GPL", {}, (3, 6), "PLATFORM GPL20814 has 3 data rows where its header declares 2088 (!Platform_data_row_count)"),  # noqa: E501
    "geoparse/GPL4133.txt": Reads("gpl", "GPL", {}, (13, 24), "PLATFORM GPL4133 has 13 data rows where its header declares 45220 (!Platform_data_row_count)"),  # noqa: E501
    "geoparse/GPL4134.txt": Reads("gpl", "GPL", {}, (13, 24), "PLATFORM GPL4133 has 13 data rows where its header declares 45220 (!Platform_data_row_count)"),  # noqa: E501
    "geoparse/GSE105845_family.soft": Fails("soft", r"GSE105845_family\.soft: series GSE105845 \(line 6\) has no \^SAMPLE records in this file \(it lists 2: GSM2828511, GSM2828512\); sequencing series keep their data in supplementary files"),  # noqa: E501
    "geoparse/GSM2795971.txt": Fails("soft", r"GSM2795971\.txt: sample GSM2795971 \(line 1\) has no data table: GEO lists 0 data rows \(Sample_type SRA\)"),  # noqa: E501
    "geoparse/GSM32878.txt": Reads("soft", "GSM", {}, (1, 2), "SAMPLE GSM32878 has 2 data rows where its header declares 9182 (!Sample_data_row_count)"),  # noqa: E501
    "geoparse/soft_ex_family.txt": Reads("soft", "GSE", {}, (3, 20)),
}

READERS = {"soft": "read_soft", "gpl": "read_gpl", "matrix": "read_series_matrix"}
STANDARD = ["gene_symbol", "entrez_id", "gene_title"]


def test_every_peer_file_has_a_case():
    folder = SHARED_DATA / "peers"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    found = {str(p.relative_to(folder)) for p in folder.glob("*/*") if p.is_file()}
    assert found == set(CASES)


def geoparse_object(kind: str, path):
    from GEOparse import GEOparse as parsers

    logging.getLogger("GEOparse").setLevel(logging.ERROR)
    parse = getattr(parsers, f"parse_{kind}")
    if kind in ("GSE", "GDS") and "open_kwargs" in inspect.signature(parse).parameters:
        return parse(str(path), open_kwargs={})  # GEOparse >= 2.0.2 fails without it
    return parse(str(path))


@pytest.mark.parametrize("name", sorted(CASES))
def test_peer_file(name, caplog):
    path = shared_file(f"peers/{name}")
    case = CASES[name]
    reader = getattr(gx.io, READERS[case.reader])
    if isinstance(case, Fails):
        with pytest.raises(InputError, match=case.match) as info:
            reader(path)
        assert "\n" not in str(info.value)
        assert str(info.value).startswith(str(path))
        return
    with caplog.at_level("WARNING", logger="gexclust"):
        result = reader(path, **case.kwargs)
    assert result.shape == case.shape
    # a trimmed table is read, with one warning naming it; a whole one gives none
    told = [r.getMessage() for r in caplog.records if "where its header declares" in r.getMessage()]
    assert told == ([f"{path}: {case.short}: the table was trimmed, or the file cut short; read as it is"]  # noqa: E501
                    if case.short else [])
    if case.geoparse is None:
        check_against_text(result, path)
        return
    expected = geoparse_object(case.geoparse, path)
    if case.reader == "gpl":
        check_platform(result, expected.table)
    elif case.geoparse == "GDS":
        check_gds(result, expected)
    else:
        gsms = list(expected.gsms.values()) if case.geoparse == "GSE" else [expected]
        gpls = getattr(expected, "gpls", {})
        check_samples(result, gsms, gpls, dropped_nan="missing" in case.kwargs)
        if case.geoparse == "GSE":
            check_series_meta(result.uns["geo"]["series"], expected.metadata)
            check_same_as_pivot(result, expected)


def check_samples(adata, gsms, gpls, *, dropped_nan: bool):
    """Values by ID_REF, sample and probe order, and sample metadata equal GEOparse's."""
    assert adata.obs_names.tolist() == [g.name for g in gsms]
    tables = [g.table.set_index(g.table["ID_REF"].astype(str))["VALUE"] for g in gsms]
    platform = gsms[0].metadata.get("platform_id", [None])[0]
    if platform in gpls and not gpls[platform].table.empty:
        order = gpls[platform].table["ID"].astype(str).tolist()
    else:
        order = list(pd.unique(np.concatenate([t.index.to_numpy() for t in tables])))
    if dropped_nan:
        order = [p for p in order if all(pd.notna(t.get(p, np.nan)) for t in tables)]
    assert adata.var_names.tolist() == order
    for row, table in enumerate(tables):
        values = table.reindex(adata.var_names).to_numpy(dtype=float)
        np.testing.assert_array_equal(adata.X[row], values)
    for row, gsm in enumerate(gsms):
        obs, meta = adata.obs.iloc[row], gsm.metadata
        assert obs["title"] == meta.get("title", [""])[0]
        assert obs["source_name"] == meta.get("source_name_ch1", [""])[0]
        for channel, suffix in (("ch1", ""), ("ch2", "_ch2")):
            expected: dict[str, list[str]] = {}
            for item in meta.get(f"characteristics_{channel}", []):
                key, sep, value = item.partition(":")
                column = (key.strip() if sep else "characteristics") + suffix
                expected.setdefault(column, []).append((value if sep else item).strip())
            for column, values in expected.items():
                assert obs[column] == "; ".join(values)


def check_same_as_pivot(adata, gse):
    pivot = gse.pivot_samples("VALUE")
    pivot.index = pivot.index.astype(str)  # GEOparse reads numeric ids as numbers
    expected = pivot.loc[adata.var_names, adata.obs_names].to_numpy(dtype=float).T
    np.testing.assert_array_equal(adata.X, expected)
    converted = gx.io.from_geoparse(gse, missing="drop")
    np.testing.assert_array_equal(converted.X, adata.X)
    assert converted.obs.drop(columns="type", errors="ignore").equals(
        adata.obs.drop(columns="type", errors="ignore"))


def check_series_meta(ours: dict, theirs: dict):
    expected = {key.replace("/", "_"): "\n".join(values) for key, values in theirs.items()}
    assert ours == expected


def check_platform(table: pd.DataFrame, expected: pd.DataFrame):
    """Columns (repeats renamed as GEOparse does), probe order and every cell equal GEOparse's."""
    ours = table.drop(columns=STANDARD).reset_index(names=expected.columns[0])
    assert ours.columns.tolist() == expected.columns.tolist()
    for column in expected.columns:
        theirs = expected[column]
        if pd.api.types.is_numeric_dtype(theirs):
            mine = pd.to_numeric(ours[column].mask(ours[column] == ""))
            np.testing.assert_array_equal(mine.to_numpy(dtype=float), theirs.to_numpy(dtype=float))
        else:
            assert ours[column].tolist() == theirs.fillna("").astype(str).tolist()


def check_gds(adata, gds):
    table = gds.table
    assert adata.var_names.tolist() == table["ID_REF"].astype(str).tolist()
    gsms = [c for c in table.columns if c.startswith("GSM")]
    assert adata.obs_names.tolist() == gsms
    np.testing.assert_array_equal(adata.X, table[gsms].to_numpy(dtype=float).T)
    assert adata.var["gene_symbol"].tolist() == table["IDENTIFIER"].fillna("").tolist()
    columns = gds.columns.loc[gsms]
    assert adata.obs["description"].tolist() == columns["description"].tolist()
    for subset_type in columns.columns.drop("description"):
        assert adata.obs[subset_type].astype(str).tolist() == columns[subset_type].tolist()
    assert adata.obs["title"].tolist() == ["Nr1_pre221", "Nr2_pre221", "Nr3_ctrl", "Nr4_ctrl"]
    assert set(adata.obs["source_name"]) == {"PC-3 cell  pre mir-221", "PC-3 cell  control mir"}


def check_against_text(adata, path):
    """GEOparse does not read series matrices: compare with the table cut out of the text."""
    import gzip

    text = gzip.decompress(path.read_bytes()).decode()
    begin = text.index("!series_matrix_table_begin\n") + len("!series_matrix_table_begin\n")
    table = pd.read_csv(io.StringIO(text[begin : text.index("!series_matrix_table_end")]),
                        sep="\t", index_col=0)
    assert adata.var_names.tolist() == table.index.astype(str).tolist()
    assert adata.obs_names.tolist() == table.columns.tolist()
    np.testing.assert_array_equal(adata.X, table.to_numpy(dtype=float).T)
    assert adata.obs["title"].tolist() == ["HeLa cells"] or adata.obs["title"].iloc[0]


@pytest.mark.parametrize(("name", "match"), [
    ("geoparse/GSE105845_family.soft", r"^GEOparse GSE GSE105845 holds no samples \(the series lists 2: GSM2828511, GSM2828512\); nothing to convert$"),  # noqa: E501
    ("geoparse/GSM2795971.txt", r"^GEOparse GSM GSM2795971: sample GSM2795971 has no data table: GEO lists 0 data rows"),  # noqa: E501
])
def test_from_geoparse_without_sample_tables(name, match):
    import GEOparse

    gse = GEOparse.get_GEO(filepath=str(shared_file(f"peers/{name}")), silent=True)
    for platform in (None, "all"):
        with pytest.raises(InputError, match=match):
            gx.io.from_geoparse(gse, platform=platform)


def test_a_missing_value_in_a_geo_table_is_named_by_sample_and_probe():
    # before: "first at row (sample 'GSM804'), column '1'": a row without a number
    path = shared_file("peers/biopython/GSE16.txt")
    with pytest.raises(InputError, match=r"GSE16\.txt: 3 missing value\(s\) in 3 probe\(s\); "
                       r"first in sample 'GSM804', probe '\d+'\. Pass missing='drop'"):
        gx.io.read_soft(path)
