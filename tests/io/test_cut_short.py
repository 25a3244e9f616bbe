"""Real GEO files cut at a line end: refused where the file itself says more was to come."""

from __future__ import annotations

import gzip

import pytest

import gexclust as gx
from gexclust._errors import InputError
from tests.conftest import shared_file
from tests.io.conftest import refusal


def _lines(name: str) -> list[bytes]:
    data = shared_file(name).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.splitlines(keepends=True)


def _cut(name: str, n_lines: int, tmp_path, *, gz: bool):
    """The first ``n_lines`` lines of a shared file, written plain or gzipped (whole gzip)."""
    body = b"".join(_lines(name)[:n_lines])
    path = tmp_path / (name.rsplit("/", 1)[-1].removesuffix(".gz") + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(body) if gz else body)
    return path


# before, each read as shown: a warning and one sample fewer, or an error that sent the
# user looking for a table the file was never going to have
CUT_HEADERS = [
    # GSE781's family cut after GSM11810's '!Sample_data_row_count = 22645': read as GPL96
    # and GPL97 series of one sample each, with a warning 'sample(s) without a data table'
    ("GSE781_family.soft.gz", 67465, "GPL96",
     "line 67465: the file ends in the header of SAMPLE GSM11810 (line 67432), before its data "
     "table of 22645 rows (!Sample_data_row_count)"),
    # "sample GSM11805 (line 1) has no data table ('!sample_table_begin' ... )"
    ("GSM11805.txt.gz", 34, None,
     "line 34: the file ends in the header of SAMPLE GSM11805 (line 1), before its data table "
     "of 22283 rows (!Sample_data_row_count)"),
    # "dataset GDS5373 (line 7) has no data table": cut among the ^SUBSET records, then
    # in the ^DATASET line GEO writes a second time before the table
    ("peers/dash-bio/GDS5373.soft.gz", 28, None,
     "line 28: the file ends in the header of DATASET GDS5373 (line 7), before its data table "
     "of 54675 rows (!dataset_feature_count)"),
    ("peers/dash-bio/GDS5373.soft.gz", 40, None,
     "line 40: the file ends in the header of DATASET GDS5373 (line 34), before its data table "
     "of 54675 rows (!dataset_feature_count)"),
    # "no ^SAMPLE records"
    ("peers/dash-bio/GDS5373.soft.gz", 6, None,
     "line 6: the file ends in the ^DATABASE record that heads a GEO download (line 1), before "
     "any series, platform, sample or dataset"),
    # a 2002-era sample (no table markers) cut in its header: "has no data table"
    ("peers/biopython/GSM645.txt", 28, None,
     "line 28: the file ends in the header of SAMPLE GSM645 (line 1), before its data table"),
]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(("name", "n_lines", "platform", "said"), CUT_HEADERS)
def test_a_soft_file_cut_in_a_record_header_is_refused(name, n_lines, platform, said, gz,
                                                       tmp_path):
    path = _cut(name, n_lines, tmp_path, gz=gz)
    assert refusal(gx.io.read_soft, path, platform=platform) == (
        f"{path}, {said}: it is cut short; download it again")


def test_a_platform_file_cut_before_its_table_is_refused(tmp_path):
    # before: "no table of a platform found; expected '!platform_table_begin' after
    # '^PLATFORM = GPL...'", of GPL96.txt cut after its '!Platform_data_row_count = 22283'
    path = _cut("GPL96.txt.gz", 22231, tmp_path, gz=True)
    assert refusal(gx.io.read_gpl, path) == (
        f"{path}, line 22231: the file ends in the header of PLATFORM GPL96 (line 1), before "
        "its data table of 22283 rows (!Platform_data_row_count): it is cut short; download it "
        "again")


def test_a_series_matrix_cut_in_its_header_is_refused(tmp_path):
    # before: "no '!series_matrix_table_begin' line; not a GEO series matrix (or truncated)"
    path = _cut("peers/epimedtools/GSE26471_series_matrix.txt.gz", 66, tmp_path, gz=True)
    assert refusal(gx.io.read_series_matrix, path) == (
        f"{path}, line 66: the file ends in the series matrix header, before "
        "'!series_matrix_table_begin' and the data table: it is cut short; download it again")


@pytest.mark.parametrize("name", ["GSE781_family.soft.gz", "GSM11805.txt.gz",
                                  "peers/dash-bio/GDS5373.soft.gz"])
def test_a_soft_file_cut_in_a_table_was_and_is_refused(name, tmp_path):
    lines = _lines(name)
    path = _cut(name, len(lines) - 1, tmp_path, gz=False)  # all but the last end marker
    with pytest.raises(InputError, match=r"never ends .* the file is truncated$"):
        gx.io.read_soft(path, platform="all")


def test_records_that_say_they_have_no_table_still_end_a_file():
    # GEO's sequencing sample (!Sample_data_row_count = 0) and platform records end files
    # whole; their messages are as before
    with pytest.raises(InputError, match="GEO lists 0 data rows"):
        gx.io.read_soft(shared_file("peers/geoparse/GSM2795971.txt"))
    with pytest.raises(InputError, match="sequencing series keep their data in supplementary"):
        gx.io.read_soft(shared_file("peers/geoparse/GSE105845_family.soft"))
    # an external table (!Sample_table): the CHP example of Biopython
    with pytest.raises(InputError, match=r"its values are in the external file"):
        gx.io.read_soft(shared_file("peers/biopython/soft_ex_affy_chp.txt"))
