"""Real GEO files, transformed as downloads and editors transform them, read like the originals.

Each variant is built at test time from a real file in ../shared/data (never copied here): the
reader must give the original's values, order and metadata, or one line naming file and reason.
"""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

import gexclust as gx
from gexclust._errors import InputError
from tests.conftest import shared_file

MATRIX = "peers/epimedtools/GSE26471_series_matrix.txt.gz"
SAMPLE = "GSM11805.txt.gz"


def text_of(name: str) -> bytes:
    return gzip.decompress(shared_file(name).read_bytes())


def rows_of_matrix(data: bytes, change) -> bytes:
    """``data`` with ``change`` applied to every data row of the series-matrix table."""
    head, _, rest = data.partition(b"!series_matrix_table_begin\n")
    header, _, rest = rest.partition(b"\n")
    table, _, tail = rest.partition(b"!series_matrix_table_end")
    rows = b"".join(change(row) + b"\n" for row in table.splitlines())
    return head + b"!series_matrix_table_begin\n" + header + b"\n" + rows + b"!series_matrix_table_end" + tail  # noqa: E501


def assert_same(adata, clean):
    assert adata.obs_names.tolist() == clean.obs_names.tolist()
    assert adata.var_names.tolist() == clean.var_names.tolist()
    np.testing.assert_array_equal(adata.X, clean.X)
    assert adata.obs.equals(clean.obs)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    data = text_of(MATRIX)
    path = tmp_path_factory.mktemp("clean") / "GSE26471_series_matrix.txt"
    path.write_bytes(data)
    return data, gx.io.read_series_matrix(path)


@pytest.mark.parametrize("variant", [
    lambda d: rows_of_matrix(d, lambda row: row + b"\t"),  # rows end in a tab, the header not
    lambda d: d.replace(b'"GSM650992"\n', b'"GSM650992"  \n'),  # spaces after the header
    lambda d: d.replace(b'"ID_REF"\t"GSM650992"\n', b'"ID_REF"\t"GSM650992"\t\t\n'),
])
def test_matrix_whitespace_variants_read_like_the_original(variant, matrix, tmp_path):
    data, clean = matrix
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(variant(data))
    assert_same(gx.io.read_series_matrix(path), clean)


def test_matrix_without_rows_says_so(matrix, tmp_path):
    # GEO writes such tables for sequencing series: the header, then the end marker
    data, _ = matrix
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(rows_of_matrix(data, lambda row: b"").replace(b"\n\n", b"\n"))
    with pytest.raises(InputError, match=r"^\S+GSE26471_series_matrix\.txt: the series matrix table names 1 sample\(s\) but has no rows; sequencing series keep their data in supplementary files$"):  # noqa: E501
        gx.io.read_series_matrix(path)


def test_matrix_row_longer_than_header_is_named(matrix, tmp_path):
    # a value too many on a row: refused, never shifted into another sample's column
    data, _ = matrix
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(data.replace(b'"1053_at"\t1535.78\n', b'"1053_at"\t1535.78\t7.5\n'))
    with pytest.raises(InputError, match=r"^\S+: ID_REF '1053_at' has 2 values for the 1 sample\(s\) of the table header$"):  # noqa: E501
        gx.io.read_series_matrix(path)
    path.write_bytes(data.replace(b'"ID_REF"\t"GSM650992"', b'"ID_REF"\t"GSM650992"\t"GSM650992"'))
    line = data[:data.index(b'"ID_REF"\t"GSM650992"')].count(b"\n") + 1
    with pytest.raises(InputError, match=rf"_series_matrix\.txt, line {line}: column 'GSM650992' appears twice in the series matrix table header$"):  # noqa: E501
        gx.io.read_series_matrix(path)


def test_latin1_text_is_read_not_replaced(matrix, tmp_path):
    data, _ = matrix
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(data.replace(b'"cell line: HeLa (ATCC CCL-2)"', b'"cell line: M\xfcller"')
                     .replace(b'"1007_s_at"', b'"1007_\xb5s_at"'))
    adata = gx.io.read_series_matrix(path)
    assert adata.obs["cell line"].tolist() == ["Müller"]
    assert adata.var_names[0] == "1007_µs_at"
    sample = text_of(SAMPLE).replace(b"!Sample_molecule_ch1", b"!Sample_characteristics_ch1 = donor: M\xfcller\r\n!Sample_molecule_ch1")  # noqa: E501
    path = tmp_path / "GSM11805.txt"
    path.write_bytes(sample.replace(b"222384_at\t26.4\tA", b"222384_at\t26.4\t\xb5A"))
    adata = gx.io.read_soft(path)
    assert adata.obs["donor"].tolist() == ["Müller"]
    assert adata.shape == (1, 22283)


def test_windows_1252_text_reads_as_windows_wrote_it(matrix, tmp_path, caplog):
    # before: read as Latin-1, curly quotes, dashes and the ellipsis became invisible control
    # characters (a trailing ellipsis, NEL to Python, was even stripped as blank)
    data, _ = matrix
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(data.replace(b'"cell line: HeLa (ATCC CCL-2)"', b'"cell line: \x93HeLa\x94 \x96 CCL-2\x85"')  # noqa: E501
                     .replace(b'"1007_s_at"', b'"1007_\x96s_at"'))
    with caplog.at_level("INFO", logger="gexclust"):
        adata = gx.io.read_series_matrix(path)
    assert adata.obs["cell line"].tolist() == ["\u201cHeLa\u201d \u2013 CCL-2\u2026"]
    assert adata.var_names[0] == "1007_\u2013s_at"
    said = "not UTF-8; bytes that are not UTF-8 read as Windows-1252"
    assert f"{path}: some header lines: {said}" in caplog.messages
    assert f"{path}: series matrix table: {said}" in caplog.messages
    sample = text_of(SAMPLE).replace(b"!Sample_molecule_ch1", b"!Sample_characteristics_ch1 = donor: \x93A\x94 \x85\r\n!Sample_molecule_ch1")  # noqa: E501
    path = tmp_path / "GSM11805.txt"
    path.write_bytes(sample.replace(b"222384_at\t26.4\tA", b"222384_at\t26.4\t\x96A"))
    adata = gx.io.read_soft(path)
    assert adata.obs["donor"].tolist() == ["\u201cA\u201d \u2026"]
    assert adata.shape == (1, 22283)
    # a byte Windows-1252 leaves undefined: Latin-1's control character, the rest unchanged
    path.write_bytes(sample.replace(b"donor: \x93A\x94", b"donor: \x93A\x81"))
    assert gx.io.read_soft(path).obs["donor"].tolist() == ["\u201cA\x81 \u2026"]
    # UTF-8 text beside a Windows byte stays UTF-8: one donor, not 'Ã©' and 'é'
    path.write_bytes(sample.replace(b"donor: \x93A\x94 \x85", "donor: é".encode() + b" \x96"))
    assert gx.io.read_soft(path).obs["donor"].tolist() == ["é \u2013"]


def test_header_longer_than_every_row(tmp_path):
    # a column named in the header whose cells are left out of every row (no trailing tabs)
    data = text_of(SAMPLE)
    clean = tmp_path / "GSM11805.txt"
    clean.write_bytes(data)
    path = tmp_path / "GSM11805_extra.txt"
    path.write_bytes(data.replace(b"ID_REF\tVALUE\tABS_CALL\r\n", b"ID_REF\tVALUE\tABS_CALL\tDETECTION P\r\n"))  # noqa: E501
    assert_same(gx.io.read_soft(path), gx.io.read_soft(clean))


@pytest.fixture(scope="module")
def platform_and_sample():
    """GEO's GPL96 record followed by GSM11805's: a family SOFT as GEO writes one."""
    return text_of("GPL96.txt.gz") + text_of(SAMPLE)


def test_platform_probes_no_sample_lists_are_left_out(platform_and_sample, tmp_path, caplog):
    # sample tables often list fewer probes than their platform: those were not measured,
    # they are not missing values (GEOparse's pivot has no row for them either)
    clean = tmp_path / "GSE0_family.soft"
    clean.write_bytes(platform_and_sample)
    expected = gx.io.read_soft(clean)
    assert expected.shape == (1, 22283)
    dropped = [b"1007_s_at", b"200000_s_at", b"AFFX-TrpnX-M_at"]
    sample_start = platform_and_sample.index(b"^SAMPLE")
    head, rows = platform_and_sample[:sample_start], platform_and_sample[sample_start:]
    rows = b"".join(line for line in rows.splitlines(keepends=True)
                    if line.split(b"\t")[0] not in dropped)
    # such a sample's header declares the rows it has: this one is whole, not trimmed
    rows = rows.replace(b"!Sample_data_row_count = 22283", b"!Sample_data_row_count = 22280")
    path = tmp_path / "GSE0_fewer_family.soft"
    path.write_bytes(head + rows)
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_soft(path)  # missing='error': nothing is missing
    assert "3 platform probe(s) that no sample table lists left out (first: 1007_s_at)" in caplog.text  # noqa: E501
    assert "where its header declares" not in caplog.text
    kept = [p for p in expected.var_names if p.encode() not in dropped]
    assert adata.var_names.tolist() == kept
    np.testing.assert_array_equal(adata.X, expected[:, kept].X)
    assert adata.var.equals(expected.var.loc[kept])


def test_repeated_table_header_rows_are_left_out(matrix, tmp_path, caplog):
    data = text_of(SAMPLE)
    clean = tmp_path / "GSM11805.txt"
    clean.write_bytes(data)
    header = b"ID_REF\tVALUE\tABS_CALL\r\n"
    path = tmp_path / "GSM11805_twice.txt"
    path.write_bytes(data.replace(header, header + header).replace(b"222384_at", header + b"222384_at"))  # noqa: E501
    with caplog.at_level("WARNING", logger="gexclust"):
        assert_same(gx.io.read_soft(path), gx.io.read_soft(clean))
    assert "SAMPLE GSM11805: the table header is repeated 2 time(s) inside the table" in caplog.text
    data, expected = matrix
    path = tmp_path / "GSE26471_series_matrix.txt"
    header = b'"ID_REF"\t"GSM650992"\n'
    path.write_bytes(data.replace(header, header + header))
    assert_same(gx.io.read_series_matrix(path), expected)


def test_a_row_with_a_cell_too_many_is_refused_not_shifted(tmp_path):
    # pandas silently drops cells past the header when reading chosen columns: a row shifted
    # by one cell would give the wrong VALUE
    data = text_of(SAMPLE)
    path = tmp_path / "GSM11805.txt"
    path.write_bytes(data.replace(b"\n222384_at\t26.4\tA", b"\n222384_at\t5\t26.4\tA"))
    with pytest.raises(InputError, match=r"^\S+GSM11805\.txt: sample GSM11805 \(line \d+\): row '222384_at' has 4 cells for the 3 columns of the header \(ID_REF, VALUE, ABS_CALL\)$"):  # noqa: E501
        gx.io.read_soft(path)
    path.write_bytes(data.replace(b"\n222384_at\t26.4\tA", b"\n222384_at\t26.4\tA\t\t"))
    assert gx.io.read_soft(path).shape == (1, 22283)  # empty cells past the header are fine


def test_gds_table_errors_are_ours_not_pandas(tmp_path):
    data = text_of("peers/dash-bio/GDS5373.soft.gz")
    path = tmp_path / "GDS5373.soft"
    path.write_bytes(data.replace(b"\n1053_at\t", b"\n1053_at\tx\t"))
    with pytest.raises(InputError, match=r"^\S+GDS5373\.soft: table of DATASET GDS5373 \(line \d+\): row '1053_at' has 7 cells for the 6 columns of the header"):  # noqa: E501
        gx.io.read_soft(path)
    row = data[data.index(b"\n1053_at\t") : data.index(b"\n", data.index(b"\n1053_at\t") + 1)]
    cells = row.split(b"\t")
    cells[3] = b"n.d."
    path.write_bytes(data.replace(row, b"\t".join(cells)))
    with pytest.raises(InputError, match=r"row '1053_at', column GSM1110880: value 'n\.d\.' is not a number$"):  # noqa: E501
        gx.io.read_soft(path)


@pytest.mark.parametrize(("encode", "reason"), [
    (lambda d: d.decode().encode("utf-16"), r"the text is UTF-16 \(as spreadsheet programs save 'Unicode text'\), not UTF-8"),  # noqa: E501
    (lambda d: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r"), r"lines end in carriage returns only \(classic Mac OS text\)"),  # noqa: E501
])
def test_text_a_spreadsheet_saved_is_named(encode, reason, tmp_path, capsys):
    # before: UTF-16 gave "expected a SOFT record, found 'ÿþ^\x00S...'", CR-only text one
    # endless line
    path = tmp_path / "GSM11805.txt"
    path.write_bytes(encode(text_of(SAMPLE)))
    with pytest.raises(InputError, match=rf"^\S+GSM11805\.txt: {reason}"):
        gx.io.read_soft(path)
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(encode(text_of(MATRIX)))
    with pytest.raises(InputError, match=rf"^\S+GSE26471_series_matrix\.txt: {reason}"):
        gx.io.read_series_matrix(path)


def test_wrong_record_kind_or_platform_is_named(tmp_path):
    sample = text_of(SAMPLE)
    path = tmp_path / "GSM11805.txt"
    path.write_bytes(sample)
    with pytest.raises(InputError, match=r"GSM11805\.txt: holds no platform, only SAMPLE GSM11805; read samples and series with gexclust\.io\.read_soft$"):  # noqa: E501
        gx.io.read_gpl(path)
    family = shared_file("peers/geoparse/GPL20814_family.soft")
    with pytest.raises(InputError, match=r"GPL20814_family\.soft: no table of platform GPL96 found; it holds the table of GPL20814$"):  # noqa: E501
        gx.io.read_gpl(family, platform="GPL96")
    # a second sample on GPL97 without its table: asking for GPL97 says why there is nothing
    second = sample[: sample.index(b"!sample_table_begin")].replace(b"GSM11805", b"GSM11806")
    # (before the other: a sample header ending the file is a file cut short)
    path.write_bytes(second.replace(b"= GPL96", b"= GPL97") + sample)
    with pytest.raises(InputError, match=r"GSM11805\.txt: sample GSM11806 \(line \d+\) has no data table \('!sample_table_begin' \.\.\. '!sample_table_end'\); nor has any of the 1 sample\(s\) on platform GPL97$"):  # noqa: E501
        gx.io.read_soft(path, platform="GPL97")
    assert gx.io.read_soft(path, platform="GPL96").obs_names.tolist() == ["GSM11805"]


def test_a_sample_without_a_single_value_is_left_out(platform_and_sample, tmp_path, caplog):
    # a failed array: every VALUE null. Kept, missing='drop' dropped every probe (0 probes,
    # and `gexclust run` clustered nothing) and 'impute' gave it the probe means
    second = text_of(SAMPLE).replace(b"GSM11805", b"GSM11806")
    start = second.index(b"ID_REF\tVALUE\tABS_CALL\r\n") + len(b"ID_REF\tVALUE\tABS_CALL\r\n")
    end = second.index(b"!sample_table_end")
    rows = b"".join(row.split(b"\t")[0] + b"\tnull\tA\r\n" for row in second[start:end].splitlines())  # noqa: E501
    path = tmp_path / "GSE0_family.soft"
    path.write_bytes(platform_and_sample + second[:start] + rows + second[end:])
    for missing in ("error", "drop", "impute"):
        with caplog.at_level("WARNING", logger="gexclust"):
            adata = gx.io.read_soft(path, missing=missing)
        assert adata.obs_names.tolist() == ["GSM11805"]
        assert adata.shape == (1, 22283)
        assert adata.uns["missing"]["n_empty_samples_dropped"] == 1
    assert "1 sample(s) without a single value left out: GSM11806" in caplog.text


def test_from_geoparse_refuses_text_values_as_read_soft_does(tmp_path):
    # before: coerced to NaN, so missing='drop' dropped the probe without naming the cell
    from tests.io.test_geo_peers import geoparse_object

    text = shared_file("peers/geoparse/soft_ex_family.txt").read_bytes()
    path = tmp_path / "GSE1_family.soft"
    path.write_bytes(text.replace(b"\n2\t0.1412248\t", b"\n2\tn.d.\t", 1))
    gse = geoparse_object("GSE", path)
    first = next(iter(gse.gsms))
    with pytest.raises(InputError, match=rf"^GEOparse sample {first}, ID_REF '2': VALUE 'n\.d\.' is not a number$"):  # noqa: E501
        gx.io.from_geoparse(gse, missing="drop")
    with pytest.raises(InputError, match=r"ID_REF '2': VALUE 'n\.d\.' is not a number$"):
        gx.io.read_soft(path, missing="drop")


@pytest.mark.parametrize("variant", [
    lambda d: b"".join(line + b"\t\n" for line in d.split(b"\n")),  # CRLF, then a tab: "\r\t\n"
    lambda d: b"\xef\xbb\xbf" + d.replace(b"\r\n", b"  \r\n"),
    lambda d: d.replace(b"\r\n", b"\n").replace(b"\n!sample_table_end", b"\n\n\n!sample_table_end"),
])
def test_sample_soft_variants_read_like_the_original(variant, tmp_path):
    data = text_of(SAMPLE)
    clean = tmp_path / "GSM11805.txt"
    clean.write_bytes(data)
    path = tmp_path / "GSM11805_variant.txt.gz"
    path.write_bytes(gzip.compress(variant(data)))
    assert_same(gx.io.read_soft(path), gx.io.read_soft(clean))


def test_gds_with_one_dataset_line_reads_like_the_original(tmp_path):
    """GDS5373 as GEO serves it writes '^DATASET = GDS5373' again before its '#' column lines;
    without that second line those lines follow the last ^SUBSET and still describe the
    dataset's columns: the titles and sources in .obs come from them."""
    data = text_of("peers/dash-bio/GDS5373.soft.gz")
    original = tmp_path / "GDS5373.soft"
    original.write_bytes(data)
    clean = gx.io.read_soft(original)
    head, _, tail = data.partition(b"\n#ID_REF")
    assert head.count(b"^DATASET = GDS5373") == 2
    one = tmp_path / "GDS5373_one.soft"
    one.write_bytes(head[: head.rindex(b"\n^DATASET")] + b"\n#ID_REF" + tail)
    adata = gx.io.read_soft(one)
    assert_same(adata, clean)
    assert adata.obs["title"].tolist() == ["Nr1_pre221", "Nr2_pre221", "Nr3_ctrl", "Nr4_ctrl"]
    assert adata.obs["source_name"].tolist() == ["PC-3 cell  pre mir-221"] * 2 + [
        "PC-3 cell  control mir"] * 2


def test_family_soft_table_markers_as_editors_leave_them(tmp_path, caplog):
    """GEO's example family SOFT with an end marker written twice (read as once), and with a
    sample's table emptied to its begin/end markers (that sample left out, and said)."""
    path = shared_file("peers/geoparse/soft_ex_family.txt")
    clean = gx.io.read_soft(path)
    lines = path.read_bytes().split(b"\n")
    ends = [i for i, line in enumerate(lines) if line.strip() == b"!sample_table_end"]
    begins = [i for i, line in enumerate(lines) if line.strip() == b"!sample_table_begin"]
    stray = tmp_path / "stray.soft"
    stray.write_bytes(b"\n".join([*lines[: ends[0] + 1], b"!sample_table_end",
                                  *lines[ends[0] + 1 :]]))
    assert_same(gx.io.read_soft(stray), clean)
    empty = tmp_path / "empty.soft"
    empty.write_bytes(b"\n".join(lines[: begins[1] + 1] + lines[ends[1] :]))
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_soft(empty)
    kept = [0, 2]
    assert adata.obs_names.tolist() == clean.obs_names[kept].tolist()
    np.testing.assert_array_equal(adata.X, clean.X[kept])
    assert "1 sample(s) without a data table left out: Control Embyronic Stem Cell Replicate 2" \
        in caplog.text


def test_gexclust_run_knows_geo_text_by_its_first_line(tmp_path):
    """A series matrix renamed (GSE26471.txt.gz) is read as one, and a family SOFT saved as
    UTF-16 by a spreadsheet goes to the SOFT reader, which says so, not to the CuMiDa reader."""
    from gexclust._run_cli import _input_kind

    renamed = tmp_path / "GSE26471.txt.gz"
    renamed.write_bytes(shared_file(MATRIX).read_bytes())
    assert _input_kind(str(renamed)) == "series_matrix"
    utf16 = tmp_path / "family.txt"
    utf16.write_bytes(shared_file("peers/geoparse/soft_ex_family.txt").read_bytes()
                      .decode("latin-1").encode("utf-16"))
    assert _input_kind(str(utf16)) == "soft"
    with pytest.raises(InputError, match=r"^\S+family\.txt: the text is UTF-16"):
        gx.io.read_soft(utf16)
    csv = tmp_path / "Leukemia.csv"
    csv.write_text("samples,type,p1\nGSM1,AML,1.5\n")
    assert _input_kind(str(csv)) == "cumida"


def _sample_tables(lines: list[bytes], change) -> list[bytes]:
    """``lines`` of a family SOFT with ``change(rows, index)`` applied to each sample table
    (its header row first)."""
    out, table, index = [], None, 0
    for line in lines:
        if line.strip() == b"!sample_table_begin":
            out.append(line)
            table = []
        elif line.strip() == b"!sample_table_end":
            out.extend(change(table, index))
            out.append(line)
            table, index = None, index + 1
        elif table is not None:
            table.append(line)
        else:
            out.append(line)
    return out


def test_sample_tables_with_id_ref_later_or_unknown_probes_read_like_the_original(
        tmp_path, caplog):
    """ID_REF as the second column (the byte shortcut for id orders needs it first) gives the
    same matrix; a row naming a probe the platform lacks is ignored and counted."""
    path = shared_file("peers/geoparse/soft_ex_family.txt")
    clean = gx.io.read_soft(path)
    lines = path.read_bytes().split(b"\n")

    def swap(rows, index):  # VALUE before ID_REF in the first sample only
        if index:
            return rows
        return [b"\t".join([c[1], c[0], *c[2:]]) for c in (r.split(b"\t") for r in rows)]

    swapped = tmp_path / "swapped.soft"
    swapped.write_bytes(b"\n".join(_sample_tables(lines, swap)))
    assert_same(gx.io.read_soft(swapped), clean)

    def extra(rows, index):  # probe 999 is not on the platform (ids 1-20)
        return [*rows, b"999\t1.5" + b"\t0" * (len(rows[0].split(b"\t")) - 2)]

    unknown = tmp_path / "unknown.soft"
    unknown.write_bytes(b"\n".join(_sample_tables(lines, extra)))
    with caplog.at_level("WARNING", logger="gexclust"):
        assert_same(gx.io.read_soft(unknown), clean)
    assert "unknown.soft: 3 sample rows name probes absent from the platform; ignored" \
        in caplog.text


def test_gds_samples_without_values_leave_no_empty_category(tmp_path, caplog):
    """GDS5373 with its two control arrays emptied (every value 'null', as failed arrays are
    deposited): both are left out, said, and the subset column 'protocol' keeps only the
    category that still has samples (no empty 'control' group for compare or the report)."""
    data = text_of("peers/dash-bio/GDS5373.soft.gz")
    head, _, rest = data.partition(b"!dataset_table_begin\n")
    table, _, tail = rest.partition(b"!dataset_table_end")
    rows = table.rstrip(b"\n").split(b"\n")
    emptied = [rows[0]] + [b"\t".join([*r.split(b"\t")[:4], b"null", b"null"]) for r in rows[1:]]
    path = tmp_path / "GDS5373.soft"
    path.write_bytes(head + b"!dataset_table_begin\n" + b"\n".join(emptied) + b"\n"
                     + b"!dataset_table_end" + tail)
    clean = gx.io.read_soft(shared_file("peers/dash-bio/GDS5373.soft.gz"))
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_soft(path)
    assert "2 sample(s) without a single value left out: GSM1110881, GSM1110882" in caplog.text
    assert adata.obs_names.tolist() == ["GSM1110879", "GSM1110880"]
    np.testing.assert_array_equal(adata.X, clean.X[:2])
    assert adata.obs["protocol"].cat.categories.tolist() == ["miR-122 expression"]
    assert adata.uns["missing"]["n_empty_samples_dropped"] == 2


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.replace(b'"117_at"\t', b'"1053_at"\t'),  # an id written twice
     r"ID_REF '1053_at' appears twice"),
    (lambda d: d.replace(b'"ID_REF"\t"GSM650992"\n', b'"ID_REF"\n'),
     r"the series matrix table header '\"ID_REF\"' names no samples; expected ID_REF and one "
     r"column per sample"),
    (lambda d: d.replace(b'"ID_REF"\t"GSM650992"\n', b'"ID_REF"\t"GSM650993"\n'),
     r"table columns do not match !Sample_geo_accession \(sample 1: 'GSM650993' in the table "
     r"header, 'GSM650992' in !Sample_geo_accession\)"),
    (lambda d: d.replace(b"!series_matrix_table_begin\n", b"note: edited by hand\n"),
     r"expected a '!Series_' or '!Sample_' header line, found 'note: edited by hand'"),
    # before: "no '!series_matrix_table_begin' line; not a GEO series matrix (or
    # truncated)", of a file whose '!Series_' lines say it is one
    (lambda d: d[: d.index(b"!series_matrix_table_begin")],
     r"the file ends in the series matrix header, before '!series_matrix_table_begin' and "
     r"the data table: it is cut short; download it again"),
    (lambda d: d[: d.index(b"!series_matrix_table_begin")]
     + b"!series_matrix_table_begin\n\n!series_matrix_table_end\n",
     r"the series matrix table is empty"),
])
def test_matrix_errors_name_file_and_cause(change, message, matrix, tmp_path):
    data, _ = matrix
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(change(data))
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}(, line 6[6-8])?: {message}$"):
        gx.io.read_series_matrix(path)
