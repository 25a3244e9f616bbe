r"""Characters that cannot be seen, in the labels of real files: stripped at the ends, named inside.

A byte-order mark starting a line (files joined with ``cat``), a zero-width space (U+200B)
or a no-break space pasted from a web page: two labels that look the same must be one label,
or a warning must say they are not. Each file here is a real one with such a character put in.
"""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pytest

import gexclust as gx
from gexclust.io._invisible import clean_label, hidden_character
from tests.conftest import shared_file


def _golub_lines() -> list[str]:
    return gzip.decompress(shared_file("real/golub_multtest.csv.gz").read_bytes()).decode() \
        .split("\n")


def _set_cell(lines: list[str], row: int, column: int, change) -> None:
    cells = lines[row].split(",")
    cells[column] = change(cells[column])
    lines[row] = ",".join(cells)


def test_invisible_characters_at_a_labels_ends_are_stripped_in_a_cumida_csv(tmp_path, caplog):
    # before: golub_02's type 'ALL\u200b' was a third class beside ALL and AML, and golub_04
    # (a BOM starting its line, as a row pasted from a file saved with one) was
    # '\ufeffgolub_04': a sample sheet naming golub_04 did not find it
    lines = _golub_lines()
    _set_cell(lines, 2, 1, lambda cell: cell + "\u200b")
    _set_cell(lines, 4, 0, lambda cell: "\ufeff" + cell)
    _set_cell(lines, 6, 1, lambda cell: "\u2060 " + cell + "\xa0")
    path = tmp_path / "golub.csv"
    path.write_text("\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_cumida(path)
    assert adata.obs["type"].value_counts().to_dict() == {"ALL": 27, "AML": 11}
    assert adata.obs_names[:5].tolist() == [f"golub_0{k}" for k in range(1, 6)]
    assert caplog.text == ""


def test_an_invisible_character_inside_a_label_is_kept_and_named(tmp_path, caplog):
    # removing it could make two distinct labels one; keeping it without a word left two
    # classes that print the same ('ALL' and 'A\u200bLL' in a tree's leaf colours)
    lines = _golub_lines()
    _set_cell(lines, 5, 1, lambda cell: "A\u200bLL")
    _set_cell(lines, 9, 1, lambda cell: "A\xa0LL")
    path = tmp_path / "golub.csv"
    path.write_text("\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_cumida(path)
    assert adata.obs["type"].value_counts().to_dict() == {
        "ALL": 25, "AML": 11, "A\u200bLL": 1, "A\xa0LL": 1}
    assert caplog.messages == [
        f"{path}, line 6: type 'A\\u200bLL' holds U+200B (ZERO WIDTH SPACE), which shows as "
        "nothing; kept as written, so it differs from the same text without it; 1 more "
        "label(s) hold such characters"]


@pytest.fixture(scope="module")
def gse781():
    path = shared_file("GSE781_family.soft.gz")
    return gzip.decompress(path.read_bytes()).decode(), gx.io.read_soft(path, platform="GPL96")


def test_a_soft_file_joined_from_files_with_byte_order_marks_reads_as_one(gse781, tmp_path):
    # before: '\ufeff^SAMPLE = GSM11810' (the second file of a `cat` starting with its BOM)
    # was no record line: "SAMPLE GSM11805 has a second data table"
    text, clean = gse781
    start = text.index("^SAMPLE = GSM11810")
    path = tmp_path / "GSE781_family.soft"
    path.write_text(text[:start] + "\ufeff" + text[start:])
    adata = gx.io.read_soft(path, platform="GPL96")
    assert adata.obs_names.tolist() == clean.obs_names.tolist()
    assert adata.obs["title"].tolist() == clean.obs["title"].tolist()
    np.testing.assert_array_equal(adata.X, clean.X)


def test_a_soft_title_with_a_no_break_space_is_named(gse781, tmp_path, caplog):
    text, _ = gse781
    title = "!Sample_title = N035 Normal Human Kidney U133A\n"
    assert text.count(title) == 1
    path = tmp_path / "GSE781_family.soft"
    path.write_text(text.replace(title, title.replace("Normal Human", "Normal\xa0Human")))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path, platform="GPL96")
    assert adata.obs["title"].iloc[0] == "N035 Normal\xa0Human Kidney U133A"
    line = text[: text.index(title)].count("\n") + 1
    assert caplog.messages == [
        f"{path}, line {line}: Sample_title 'N035 Normal\\xa0Human Kidney U133A' holds U+00A0 "
        "(NO-BREAK SPACE), which shows as a space; kept as written, so it differs from the "
        "same text without it"]


def test_a_series_matrix_with_invisible_characters_reads_as_the_clean_one(tmp_path, caplog):
    # before: '\ufeff!Sample_geo_accession' was refused ("expected a '!Series_' or '!Sample_'
    # header line") and a title "...expression\u200b" kept its zero-width space
    source = shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    text = gzip.decompress(source.read_bytes()).decode()
    changed = (text.replace('!Sample_geo_accession\t"GSM650992"',
                            '\ufeff!Sample_geo_accession\t"GSM650992"')
                   .replace('gene expression"', 'gene expression\u200b"'))
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_text(changed)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_series_matrix(path)
    clean = gx.io.read_series_matrix(source)
    assert adata.obs["title"].tolist() == ["HeLa U133_Plus2 gene expression"]
    assert adata.obs_names.tolist() == clean.obs_names.tolist() == ["GSM650992"]
    np.testing.assert_array_equal(adata.X, clean.X)
    assert "holds" not in caplog.text


def test_a_sample_sheet_with_invisible_characters(tmp_path, caplog):
    # before: 'GSM239323\u200b' (an id copied from a web page) matched no sample, and
    # the sheet's row for it was left out as "not a sample of the data"
    lines = shared_file("GSE9476_meta_info.txt").read_text().split("\n")
    lines[2] = lines[2].replace("GSM239323", "GSM239323\u200b")
    lines[3] = lines[3].replace("BM_02", "BM\u200d_02")
    path = tmp_path / "GSE9476_meta_info.txt"
    path.write_text("\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        df = gx.io.read_annotations(path)
    assert df.index[:3].tolist() == ["GSM239170", "GSM239323", "GSM239324"]
    assert df["Desc"].iloc[2] == "BM\u200d_02300"
    assert caplog.messages == [
        f"{path}, line 4: 'Desc' value 'BM\\u200d_02300' holds U+200D (ZERO WIDTH JOINER), which "
        "shows as nothing; kept as written, so it differs from the same text without it"]


@pytest.mark.parametrize(("text", "clean", "hidden"), [
    ("\ufeff\u200b GSM1 \u2060\xa0", "GSM1", None),
    ("\u2028AML\u2029", "AML", None),
    ("A\u2028B", "A\u2028B", "\u2028"),
    ("Bone\u3000Marrow", "Bone\u3000Marrow", "\u3000"),
    ("caf\u00e9 \u00e0 Paris", "caf\u00e9 \u00e0 Paris", None),  # letters beyond ASCII are text
    ("\u200e", "\u200e", "\u200e"),  # a direction mark alone is not stripped, but named
])
def test_clean_label_and_hidden_character(text, clean, hidden):
    assert clean_label(text) == clean
    assert hidden_character(clean) == hidden


def test_a_byte_order_mark_before_a_quoted_first_cell_leaves_the_quotes_out(tmp_path):
    # before: '\ufeff"golub_03",ALL,...' (a row of a second file joined with cat) gave the
    # sample '"golub_03"', quotes and all, and a sheet row so written the id '"GSM239328"'
    lines = _golub_lines()
    lines[3] = '\ufeff"' + lines[3].replace(",", '",', 1)
    path = tmp_path / "golub.csv"
    path.write_text("\n".join(lines))
    assert gx.io.read_cumida(path).obs_names[:4].tolist() == [
        "golub_01", "golub_02", "golub_03", "golub_04"]
    sheet = shared_file("GSE9476_meta_info.txt").read_text().split("\n")
    sheet[5] = '\ufeff"' + sheet[5].replace("\t", '"\t', 1)
    path = tmp_path / "GSE9476_meta_info.txt"
    path.write_text("\n".join(sheet))
    df = gx.io.read_annotations(path)
    assert df.index[3:6].tolist() == ["GSM239326", "GSM239328", "GSM239329"]


def _bom_at_line_start(data: bytes, starts: tuple[bytes, ...]) -> bytes:
    """``data`` with a UTF-8 byte-order mark put before each line starting with ``starts``."""
    lines = data.split(b"\n")
    hit = [k for k, line in enumerate(lines) if line.startswith(starts)]
    assert len(hit) == len(starts)  # each a line of its own
    for k in hit:
        lines[k] = b"\xef\xbb\xbf" + lines[k]
    return b"\n".join(lines)


@pytest.mark.parametrize(("name", "starts"), [
    # a 2002-era table without markers: its header row and a row further down
    ("biopython/GSM645.txt", (b"ID_REF\t", b"MIP1-B_at\t")),
    # a marked table: its header row and its first row (CRLF lines)
    ("geoparse/GSM32878.txt", (b"ID_REF\t", b"1\t")),
    # a GDS: its header row and a row further down
    ("dash-bio/GDS5373.soft.gz", (b"ID_REF\t", b"1552390_a_at\t")),
])
def test_a_byte_order_mark_starting_a_soft_table_row_is_dropped(name, starts, tmp_path, caplog):
    # before: the row's ID_REF kept it: GSM645's 'MIP1-B_at' read as '\ufeffMIP1-B_at' (so no
    # platform annotation or other sample matched it), and before the header row 'the table
    # has no ID_REF column (columns: \ufeffID_REF, ...)'; other lines starting with one were
    # already read as without it
    source = shared_file(f"peers/{name}")
    data = source.read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    path = tmp_path / source.name.removesuffix(".gz")
    path.write_bytes(_bom_at_line_start(data, starts))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path)
    clean = gx.io.read_soft(source)
    assert adata.var_names.tolist() == clean.var_names.tolist()
    assert starts[1].decode().rstrip("\t") in adata.var_names
    np.testing.assert_array_equal(adata.X, clean.X)
    assert "\ufeff" not in caplog.text


def test_a_byte_order_mark_starting_a_series_matrix_row_is_dropped(tmp_path):
    # before: '\ufeff"1552390_a_at"' was an ID_REF, quotes and all (only the table's first
    # row lost its mark, to pandas, which drops one at the start of what it reads)
    source = shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    data = gzip.decompress(source.read_bytes())
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(_bom_at_line_start(data, (b'"ID_REF"', b'"1552390_a_at"')))
    adata = gx.io.read_series_matrix(path)
    clean = gx.io.read_series_matrix(source)
    assert adata.var_names.tolist() == clean.var_names.tolist()
    assert "1552390_a_at" in adata.var_names
    np.testing.assert_array_equal(adata.X, clean.X)


def test_2002_sample_files_joined_with_byte_order_marks_read_as_joined_without(tmp_path):
    # before: GSM645.txt, then GSM804.txt starting with its BOM (cat of files saved with
    # one): '\ufeff^SAMPLE=GSM804' was read as a row of GSM645's table, which has no end
    # marker, and GSM804's table then as a second one: "SAMPLE GSM645 has a second data table"
    first, second = (shared_file(f"peers/biopython/{name}").read_bytes()
                     for name in ("GSM645.txt", "GSM804.txt"))
    plain, marked = tmp_path / "plain.soft", tmp_path / "marked.soft"
    plain.write_bytes(first + second)
    marked.write_bytes(b"\xef\xbb\xbf" + first + b"\xef\xbb\xbf" + second)
    adata = gx.io.read_soft(marked, platform="all", missing="drop")
    clean = gx.io.read_soft(plain, platform="all", missing="drop")
    assert list(adata) == list(clean) == ["GPL22", "GPL28"]
    for gpl in clean:
        assert adata[gpl].obs_names.tolist() == clean[gpl].obs_names.tolist()
        assert adata[gpl].var_names.tolist() == clean[gpl].var_names.tolist()
        np.testing.assert_array_equal(adata[gpl].X, clean[gpl].X)


@pytest.mark.parametrize(("name", "marker"), [
    ("geoparse/GSM32878.txt", b"!sample_table_end"),
    ("epimedtools/GSE26471_series_matrix.txt.gz", b"!series_matrix_table_end"),
])
def test_a_byte_order_mark_before_a_table_end_marker_is_read_past(name, marker, tmp_path):
    # before: the marker was not seen: "the table ... never ends (no '!..._table_end'
    # line); the file is truncated", where a line so marked elsewhere reads as without it
    source = shared_file(f"peers/{name}")
    data = source.read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    path = tmp_path / source.name.removesuffix(".gz")
    path.write_bytes(_bom_at_line_start(data, (marker,)))
    read = gx.io.read_soft if name.startswith("geoparse") else gx.io.read_series_matrix
    adata, clean = read(path), read(source)
    assert adata.var_names.tolist() == clean.var_names.tolist()
    np.testing.assert_array_equal(adata.X, clean.X)
