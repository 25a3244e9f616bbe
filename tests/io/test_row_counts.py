"""A table shorter than its GEO header declares (``!Sample_data_row_count`` ...) is told.

Before, a table trimmed between its markers read as fewer probes without a word (GSM11805
kept to 1,000 of its 22,283 rows read as 1 x 1,000). The API now reads it with one warning a
file naming the record and both counts; ``gexclust run`` refuses it. Whole files say nothing.
"""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pytest

import gexclust as gx
from gexclust._errors import InputError
from gexclust.io._row_counts import refuse_short_tables
from tests.conftest import shared_file
from tests.io.conftest import ANNOT

SAID = "where its header declares"


def text_of(name: str) -> bytes:
    return gzip.decompress(shared_file(name).read_bytes())


def trimmed(data: bytes, accession: bytes, keep: int) -> bytes:
    """``data`` with the table of ``accession`` kept to its first ``keep`` rows, markers kept.

    As a file cut at a line end inside the table and closed again by hand or by a tool (the
    test files of other projects are made so).
    """
    record = data.index(b"^SAMPLE = " + accession)
    begin = data.index(b"\n", data.index(b"!sample_table_begin", record)) + 1
    end = data.index(b"!sample_table_end", begin)
    rows = data[begin:end].splitlines(keepends=True)
    return data[:begin] + b"".join(rows[: keep + 1]) + data[end:]  # + 1: the header line


def row_count_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if SAID in r.getMessage()]


def test_whole_real_files_do_not_warn(tmp_path, caplog):
    # every table of these real files has the rows its header declares
    with caplog.at_level("WARNING", logger="gexclust"):
        assert gx.io.read_soft(shared_file("GSM11805.txt.gz")).shape == (1, 22283)
        assert gx.io.read_gpl(shared_file("GPL96.txt.gz")).shape[0] == 22283
        family = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="all")
        assert {gpl: a.shape for gpl, a in family.items()} == {"GPL96": (17, 22283),
                                                               "GPL97": (17, 22645)}
        matrix = gx.io.read_series_matrix(
            shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz"))
        assert matrix.shape == (1, 54675)
    assert row_count_warnings(caplog) == []


def test_a_sample_table_cut_short_reads_with_one_warning(tmp_path, caplog):
    whole = gx.io.read_soft(shared_file("GSM11805.txt.gz"))
    path = tmp_path / "GSM11805.txt"
    path.write_bytes(trimmed(text_of("GSM11805.txt.gz"), b"GSM11805", 1000))
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_soft(path)
    assert row_count_warnings(caplog) == [
        f"{path}: SAMPLE GSM11805 has 1000 data rows where its header declares 22283 "
        "(!Sample_data_row_count): the table was trimmed, or the file cut short; read as it is"]
    # the rows there are read as before: the same values as the whole file's
    assert adata.shape == (1, 1000)
    np.testing.assert_array_equal(adata.X, whole[:, adata.var_names].X)
    with refuse_short_tables(), pytest.raises(InputError, match=r"GSM11805\.txt: SAMPLE GSM11805 has 1000 data rows where its header declares 22283 \(!Sample_data_row_count\): the table was trimmed, or the file cut short; refused"):  # noqa: E501
        gx.io.read_soft(path)


def short_gse781(tmp_path):
    """GSE781's family SOFT with GSM11805 kept to 20,000 rows and GSM11814 to 100."""
    data = text_of("GSE781_family.soft.gz")
    for accession, keep in ((b"GSM11805", 20000), (b"GSM11814", 100)):
        data = trimmed(data, accession, keep)
    path = tmp_path / "GSE781_family.soft"  # the name tells GEOparse it is a series
    path.write_bytes(data)
    return path


#: What the readers say of :func:`short_gse781`, after the file's (or object's) name.
SHORT_GSE781 = ("SAMPLE GSM11805 has 20000 data rows where its header declares 22283 "
                "(!Sample_data_row_count); 1 more of the 36 tables are short too: the table "
                "was trimmed, or the file cut short; read as it is")


def test_short_tables_of_a_family_soft_are_told_once(tmp_path, caplog):
    path = short_gse781(tmp_path)
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_soft(path, platform="GPL96", missing="drop")
    # one line for the file, not one a sample: the first, and how many more of the 36 tables
    assert row_count_warnings(caplog) == [f"{path}: {SHORT_GSE781}"]
    assert adata.n_obs == 17


def test_a_series_matrix_cut_short_is_told(tmp_path, caplog):
    data = text_of("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    begin = data.index(b"!series_matrix_table_begin")
    end = data.index(b"!series_matrix_table_end")
    rows = data[begin:end].splitlines(keepends=True)  # marker, header, 54,675 rows
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(data[:begin] + b"".join(rows[:502]) + data[end:])
    with caplog.at_level("WARNING", logger="gexclust"):
        assert gx.io.read_series_matrix(path).shape == (1, 500)
    assert row_count_warnings(caplog) == [
        f"{path}: the series matrix table has 500 data rows where its header declares 54675 "
        "(!Sample_data_row_count): the table was trimmed, or the file cut short; read as it is"]


def test_more_rows_than_declared_is_told_apart(tmp_path, caplog):
    path = tmp_path / "GSM11805.txt"
    data = text_of("GSM11805.txt.gz")
    path.write_bytes(data.replace(b"!Sample_data_row_count = 22283", b"!Sample_data_row_count = 22000"))  # noqa: E501
    with caplog.at_level("WARNING", logger="gexclust"), refuse_short_tables():
        assert gx.io.read_soft(path).shape == (1, 22283)  # nothing lost: not refused
    assert row_count_warnings(caplog) == [
        f"{path}: SAMPLE GSM11805 has 22283 data rows where its header declares 22000 "
        "(!Sample_data_row_count): rows were added after GEO wrote it (tables pasted "
        "together?) or the count is stale; read as it is"]


def test_run_refuses_a_short_table(tmp_path):
    # a matrix of fewer probes clusters otherwise: the command stops, nothing is written
    path = tmp_path / "GSE781_family.soft"
    path.write_bytes(trimmed(text_of("GSE781_family.soft.gz"), b"GSM11805", 20000))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "gexclust", "run", str(path), "-o", str(out),
                           "--platform", "GPL96", "--missing", "drop"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert (f"{path}: SAMPLE GSM11805 has 20000 data rows where its header declares 22283 "
            "(!Sample_data_row_count)") in proc.stderr
    assert "refused, as a matrix of fewer probes changes the clustering" in proc.stderr
    assert not out.exists()


# GEOparse objects: from_geoparse compares the tables as read_soft does (before, GSM32878's
# 2 of 9,182 rows, or GSE781 with a sample cut to 20,000 rows, converted without a word)

def geoparse_of(path):
    """The GEOparse object of a GEO file (GEOparse picks GSE/GSM/GPL by the file's name)."""
    import GEOparse

    return GEOparse.get_GEO(filepath=str(path), silent=True)


def test_from_geoparse_tells_a_trimmed_sample_table(caplog):
    gsm = geoparse_of(shared_file("peers/geoparse/GSM32878.txt"))  # GEOparse's test file
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.from_geoparse(gsm)
    assert adata.shape == (1, 2)
    assert row_count_warnings(caplog) == [
        "GEOparse GSM GSM32878: SAMPLE GSM32878 has 2 data rows where its header declares "
        "9182 (!Sample_data_row_count): the table was trimmed, or the file cut short; read as "
        "it is"]
    with refuse_short_tables(), pytest.raises(InputError) as info:
        gx.io.from_geoparse(gsm)
    assert str(info.value).startswith("GEOparse GSM GSM32878: SAMPLE GSM32878 has 2 data rows")
    assert str(info.value).endswith(
        "refused, as a matrix of fewer probes changes the clustering: download the file again "
        "(gexclust.io.from_geoparse reads it with a warning)")


def test_from_geoparse_tells_short_tables_of_a_series_once_as_read_soft(tmp_path, caplog):
    path = short_gse781(tmp_path)
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.from_geoparse(geoparse_of(path), platform="GPL96", missing="drop")
    assert row_count_warnings(caplog) == [f"GEOparse GSE GSE781: {SHORT_GSE781}"]
    assert adata.shape == (17, 100)  # GSM11814's 100 probes measured in every sample
    ours = gx.io.read_soft(path, platform="GPL96", missing="drop")  # says SHORT_GSE781 too
    np.testing.assert_array_equal(adata.X, ours.X)


def test_from_geoparse_tells_a_trimmed_platform_table(caplog):
    import GEOparse

    gsm = geoparse_of(shared_file("GSM11805.txt.gz"))
    gpls = {"GPL96": geoparse_of(shared_file("GPL96.txt.gz")),
            # GEOparse's test copy keeps 13 of GPL4133's 45,220 rows
            "GPL4133": geoparse_of(shared_file("peers/geoparse/GPL4133.txt"))}
    gse = GEOparse.GEOTypes.GSE("GSE0", {}, gpls=gpls, gsms={"GSM11805": gsm})
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.from_geoparse(gse)
    assert adata.shape == (1, 22283)
    assert row_count_warnings(caplog) == [
        "GEOparse GSE GSE0: PLATFORM GPL4133 has 13 data rows where its header declares 45220 "
        "(!Platform_data_row_count): the table was trimmed, or the file cut short; read as it "
        "is"]


def test_from_geoparse_of_whole_files_does_not_warn(caplog):
    import GEOparse

    gsm = geoparse_of(shared_file("GSM11805.txt.gz"))
    gpl = geoparse_of(shared_file("GPL96.txt.gz"))
    with caplog.at_level("WARNING", logger="gexclust"), refuse_short_tables():
        assert gx.io.from_geoparse(gsm).shape == (1, 22283)
        built = GEOparse.GEOTypes.GSE("GSE0", {}, gpls={"GPL96": gpl}, gsms={"GSM11805": gsm})
        assert gx.io.from_geoparse(built).shape == (1, 22283)
        family = gx.io.from_geoparse(geoparse_of(shared_file("GSE781_family.soft.gz")),
                                     platform="all")
        assert {gpl: a.shape for gpl, a in family.items()} == {"GPL96": (17, 22283),
                                                               "GPL97": (17, 22645)}
    assert row_count_warnings(caplog) == []


# The refusal names the reader of the file refused. Before, every file read through a SOFT
# parser or a series matrix was said to be read by 'gexclust.io.read_soft/read_series_matrix',
# a GPL read by read_gpl too: 'read_soft' of a platform file is refused ('holds no platform').

def trimmed_platform(keep: int) -> bytes:
    """GPL96.txt with its platform table kept to its first ``keep`` rows, markers kept."""
    data = text_of("GPL96.txt.gz")
    begin = data.index(b"\n", data.index(b"!platform_table_begin")) + 1
    end = data.index(b"!platform_table_end", begin)
    rows = data[begin:end].splitlines(keepends=True)
    return data[:begin] + b"".join(rows[: keep + 1]) + data[end:]


def refused_by(read, path) -> str:
    with refuse_short_tables(), pytest.raises(InputError) as info:
        read(path)
    return str(info.value)


def test_the_refusal_names_the_reader_of_the_file(tmp_path):
    gpl = tmp_path / "GPL96.txt"
    gpl.write_bytes(trimmed_platform(100))
    assert refused_by(gx.io.read_gpl, gpl) == (
        f"{gpl}: PLATFORM GPL96 has 100 data rows where its header declares 22283 "
        "(!Platform_data_row_count): the table was trimmed, or the file cut short; refused, as "
        "a matrix of fewer probes changes the clustering: download the file again "
        "(gexclust.io.read_gpl reads it with a warning)")
    gsm = tmp_path / "GSM11805.txt"
    gsm.write_bytes(trimmed(text_of("GSM11805.txt.gz"), b"GSM11805", 1000))
    assert refused_by(gx.io.read_soft, gsm).endswith(
        "(gexclust.io.read_soft reads it with a warning)")
    data = text_of("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    begin, end = data.index(b"!series_matrix_table_begin"), data.index(b"!series_matrix_table_end")
    matrix = tmp_path / "GSE26471_series_matrix.txt"
    matrix.write_bytes(data[:begin] + b"".join(data[begin:end].splitlines(True)[:502])
                       + data[end:])
    assert refused_by(gx.io.read_series_matrix, matrix).endswith(
        "(gexclust.io.read_series_matrix reads it with a warning)")


def test_run_names_read_gpl_for_a_short_platform_it_downloaded(server, cli, tmp_path):
    # GEO serving GSE9476's platform annotation cut to 100 of GPL96's 22,283 rows: gexclust run
    # reads it with read_gpl, and said read_soft/read_series_matrix would read it
    server.state["body"][ANNOT] = gzip.compress(trimmed_platform(100))
    out = tmp_path / "out"
    proc = cli("run", "GSE9476", "-o", out, check=False)
    assert proc.returncode == 1
    assert "PLATFORM GPL96 has 100 data rows where its header declares 22283" in proc.stderr
    assert proc.stderr.rstrip().endswith("(gexclust.io.read_gpl reads it with a warning)")
    assert "read_soft" not in proc.stderr
    assert not out.exists()
