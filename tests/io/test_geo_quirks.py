"""What real GEO downloads contain: the readers give the same result as on a clean file."""

from __future__ import annotations

import gzip
import io
import logging
import re

import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust._errors import InputError
from gexclust.io._soft import dedup_names
from tests.conftest import shared_file
from tests.io.conftest import refusal

FAMILY = """^DATABASE = GeoMiame
!Database_name = Gene Expression Omnibus (GEO)
^SERIES = GSE1
!Series_title = two-channel toy
!Series_sample_id = GSM1
!Series_sample_id = GSM2
^PLATFORM = GPL1
#ID = probe id
#Gene_Sym = symbol
!platform_table_begin
ID\tGene_Sym\tSPOT_ID\tSPOT_ID
p1\tTP53\ta\tb
p2\tMYC\tc\td
p3\tNA\te\tf
!platform_table_end
^SAMPLE = GSM1
!Sample_title = tumour 1
!Sample_platform_id = GPL1
!Sample_source_name_ch1 = tumour
!Sample_characteristics_ch1 = tissue: breast
!Sample_characteristics_ch1 = treatment: none
!Sample_characteristics_ch1 = treatment: vehicle
!Sample_source_name_ch2 = reference
!Sample_characteristics_ch2 = tissue: pooled
!sample_table_begin
ID_REF\tVALUE
p1\t1.5
p2\tnull
p3\t3.5
!sample_table_end
^SAMPLE = GSM2
!Sample_title = tumour 2
!Sample_platform_id = GPL1
!Sample_source_name_ch1 = tumour
!Sample_characteristics_ch1 = tissue: lung
!Sample_source_name_ch2 = reference
!Sample_characteristics_ch2 = tissue: pooled
!sample_table_begin
ID_REF\tVALUE
p3\t30.5
p1\t10.5
p2\t20.5
!sample_table_end
"""


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def bom(text: str) -> str:
    return "\ufeff" + text


def trailing_tabs(text: str) -> str:
    return "".join(line + "\t\t\n" for line in text.splitlines())


def blank_lines(text: str) -> str:
    return text.replace("\n", "\n\n").replace("\nID_REF", "\n  \nID_REF")


def repeated_record_line(text: str) -> str:
    # GEO writes a GDS's ^DATASET line twice; here: a sample's line repeated before its table
    lung = "!Sample_characteristics_ch1 = tissue: lung"
    return text.replace(lung, "^SAMPLE = GSM2\n" + lung)


def trailing_spaces(text: str) -> str:
    return "".join(line + "   \n" for line in text.splitlines())


def indented_markers(text: str) -> str:
    # before: an indented end marker was not seen, and the table "never ends (truncated)"
    for marker in ("!sample_table", "!platform_table", "!series_matrix_table"):
        text = text.replace("\n" + marker, "\n \t" + marker)
    return text


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "GSE1_family.soft"
    path.write_text(FAMILY)
    return gx.io.read_soft(path, missing="drop")


def test_clean_family(clean):
    assert clean.obs_names.tolist() == ["GSM1", "GSM2"]
    assert clean.var_names.tolist() == ["p1", "p3"]  # p2 is null in GSM1
    np.testing.assert_array_equal(clean.X, [[1.5, 3.5], [10.5, 30.5]])
    assert clean.var["gene_symbol"].tolist() == ["TP53", ""]  # Gene_Sym; 'NA' is missing
    assert clean.obs["tissue"].tolist() == ["breast", "lung"]
    assert clean.obs["treatment"].tolist()[0] == "none; vehicle"
    assert clean.obs["source_name_ch2"].tolist() == ["reference", "reference"]
    assert clean.obs["tissue_ch2"].tolist() == ["pooled", "pooled"]


@pytest.mark.parametrize("quirk", [crlf, bom, trailing_tabs, blank_lines, repeated_record_line,
                                   trailing_spaces, indented_markers,
                                   lambda t: bom(crlf(trailing_tabs(t)))])
def test_quirks_read_like_the_clean_file(quirk, clean, tmp_path):
    path = tmp_path / "GSE1_family.soft"
    path.write_bytes(quirk(FAMILY).encode())
    adata = gx.io.read_soft(path, missing="drop")
    np.testing.assert_array_equal(adata.X, clean.X)
    assert adata.var_names.tolist() == clean.var_names.tolist()
    assert adata.obs.equals(clean.obs)
    assert adata.var.equals(clean.var)
    assert adata.uns["geo"]["series"] == clean.uns["geo"]["series"]


def test_repeated_platform_columns_are_renamed_like_pandas(tmp_path):
    path = tmp_path / "GPL1.soft"
    path.write_text(crlf(FAMILY))
    table = gx.io.read_gpl(path)
    assert table.columns.tolist()[:3] == ["Gene_Sym", "SPOT_ID", "SPOT_ID.1"]
    assert table["SPOT_ID.1"].tolist() == ["b", "d", "f"]
    for names in (["A", "A.1", "A", "A"], ["A", "A", "A.1"], ["B", "A", "B", "B.1", "B"]):
        parsed = pd.read_csv(io.StringIO("\t".join(names) + "\n"), sep="\t")
        assert dedup_names(names) == parsed.columns.tolist()


def test_samples_without_tables_are_left_out_with_a_warning(tmp_path, caplog):
    text = FAMILY.replace("!Series_sample_id = GSM2\n", "!Series_sample_id = GSM2\n!Series_sample_id = GSM3\n")  # noqa: E501
    # as GEO writes a sample without a table (GSM2795971): its header says it has no rows;
    # a sample ending the file without that line is a file cut short (test_cut_short)
    text += ("^SAMPLE = GSM3\n!Sample_title = no data\n!Sample_platform_id = GPL1\n"
             "!Sample_data_row_count = 0\n")
    path = tmp_path / "GSE1_family.soft"
    path.write_text(text)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path, missing="drop")
    assert adata.obs_names.tolist() == ["GSM1", "GSM2"]
    assert "1 sample(s) without a data table left out: GSM3" in caplog.text


def test_unmarked_table_of_2002_soft(tmp_path):
    text = ("^SAMPLE=GSM9\r\n!Sample_title = old\r\n#ID_REF = id\r\n#VALUE = value\r\n"
            "ID_REF\tVALUE\r\nA\t1\r\nB\t-2\r\n\r\n")
    path = tmp_path / "GSM9.txt"
    path.write_text(text)
    adata = gx.io.read_soft(path)
    assert adata.var_names.tolist() == ["A", "B"]
    np.testing.assert_array_equal(adata.X, [[1.0, -2.0]])


@pytest.mark.parametrize(("after", "line"), [
    ("^SERIES = GSE781\n!Series_title", 8),
    ("^PLATFORM = GPL96\n!Platform_title", 82),
    ("^SAMPLE = GSM11805\n!Sample_title", 45110),
])
def test_a_line_that_is_not_soft_is_left_out_with_a_warning_naming_it(after, line, tmp_path,
                                                                      caplog):
    # before: a line that is none of SOFT's (here in GSE781's family SOFT) was read as the
    # header of a 2002-style table without markers: under ^SERIES ignored without a word,
    # under ^PLATFORM or ^SAMPLE "GPL96 has a second data table". GEO has shipped header
    # values wrapped onto a second line, so it is free text to leave out, not a reason to
    # refuse the data
    text = gzip.decompress(shared_file("GSE781_family.soft.gz").read_bytes()).decode()
    head, _, tail = text.partition(after)
    first, _, rest = tail.partition("\n")
    path = tmp_path / "GSE781_family.soft"
    path.write_text(f"{head}{after}{first}\nwrapped text of a bad copy\t1\n{rest}")
    assert path.read_text().splitlines()[line - 1] == "wrapped text of a bad copy\t1"
    clean = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path, platform="GPL96")
    assert (f"{path}, line {line}: 'wrapped text of a bad copy\\t1' left out: not a SOFT line "
            "(a value wrapped onto a new line, or a damaged copy?)") in caplog.text
    assert adata.obs_names.tolist() == clean.obs_names.tolist()
    np.testing.assert_array_equal(adata.X, clean.X)


def test_a_stray_line_before_an_unmarked_table_is_not_taken_for_its_header(tmp_path, caplog):
    # the header of a 2002-style table names a column its '#' lines describe; a line that
    # does not was read as that header, and the real one as a table row
    path = tmp_path / "GSM9.txt"
    path.write_text("^SAMPLE=GSM9\n#ID_REF = id\n#VALUE = value\nsome note\nmore note\n"
                    "ID_REF\tVALUE\nA\t1\n")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path)
    assert (f"{path}, line 4: 'some note' left out: not a SOFT line (a value wrapped onto a "
            "new line, or a damaged copy?); 1 more such line(s) left out") in caplog.text
    assert adata.var_names.tolist() == ["A"]
    np.testing.assert_array_equal(adata.X, [[1.0]])


def test_table_errors_name_file_record_and_line(tmp_path):
    path = tmp_path / "GSE1_family.soft"
    path.write_text(FAMILY.replace("p3\t30.5\np1\t10.5\np2\t20.5\n!sample_table_end\n",
                                   "p3\t30.5\n"))
    with pytest.raises(InputError, match=r"GSE1_family.soft: the table of SAMPLE GSM2 that starts at line \d+ never ends"):  # noqa: E501
        gx.io.read_soft(path)
    path.write_text(FAMILY.replace("ID_REF\tVALUE\np3", "ID_REF\tSIGNAL\np3"))
    with pytest.raises(InputError, match=r"GSE1_family.soft: sample GSM2 \(line \d+\): the table has no VALUE column \(columns: ID_REF, SIGNAL\)"):  # noqa: E501
        gx.io.read_soft(path)
    # before: the error listed every column; a sample whose header line was 2 million cells
    # (fuzz29: a mangled line in soft_ex_affy_chp.txt) gave a one-line error of 20 MB
    wide = "\t".join(f"c{i}" for i in range(200_000))
    path.write_text(FAMILY.replace("ID_REF\tVALUE\np3", f"{wide}\np3"))
    with pytest.raises(InputError) as caught:
        gx.io.read_soft(path)
    assert str(caught.value).endswith(
        "sample GSM2 (line 39): the table has no ID_REF column (columns: c0, c1, c2, c3, c4, "
        "c5, c6, c7, c8, c9 and 199990 more); gexclust reads expression values from ID_REF "
        "and VALUE")
    twice = FAMILY.replace("!sample_table_end\n^SAMPLE = GSM2",
                           "!sample_table_end\n!sample_table_begin\nID_REF\tVALUE\n!sample_table_end\n^SAMPLE = GSM2")  # noqa: E501
    path.write_text(twice)
    with pytest.raises(InputError, match=r"line \d+: SAMPLE GSM1 has a second data table \(the first is at line 26\)"):  # noqa: E501
        gx.io.read_soft(path)
    # before: "a sample table lists ID_REF 'p1' more than once", naming no sample
    path.write_text(FAMILY.replace("p3\t30.5\np1\t10.5\n", "p3\t30.5\np1\t10.5\np1\t11.5\n"))
    with pytest.raises(InputError, match=r"GSE1_family.soft: sample GSM2 \(table at line 39\) "
                       r"lists ID_REF 'p1' more than once"):
        gx.io.read_soft(path)



def test_a_platform_row_error_names_the_line_of_the_table_not_of_the_record(tmp_path):
    """Before: "table of PLATFORM GPL1 (line 7): ...", the line of '^PLATFORM = GPL1' (line 1
    for GPL96.txt.gz, whose table header is at line 22,249)."""
    path = tmp_path / "GSE1_family.soft"
    path.write_text(FAMILY.replace("p2\tMYC\tc\td", "p2\tMYC\tc\td\textra"))
    header = FAMILY.split("\n").index("ID\tGene_Sym\tSPOT_ID\tSPOT_ID") + 1
    with pytest.raises(InputError, match=rf"GSE1_family.soft: table of PLATFORM GPL1 \(line "
                       rf"{header}\): row 'p2' has 5 cells for the 4 columns"):
        gx.io.read_gpl(path)

MATRIX = """!Series_title\t"toy"
!Series_geo_accession\t"GSE2"
!Sample_title\t"a"\t"b"
!Sample_geo_accession\t"GSM1"\t"GSM2"
!Sample_characteristics_ch1\t"tissue: liver"\t"tissue: lung"
!Sample_characteristics_ch2\t"tissue: pool"\t"tissue: pool"
!Sample_platform_id\t"GPL1"\t"GPL1"
!series_matrix_table_begin
"ID_REF"\t"GSM1"\t"GSM2"
"p1"\t1.5\t2.5
"p2"\tnull\t4.5
"p3"\t5.5\tNA
!series_matrix_table_end
"""


@pytest.mark.parametrize("quirk", [None, crlf, bom, trailing_tabs, blank_lines, indented_markers])
def test_series_matrix_quirks(quirk, tmp_path):
    path = tmp_path / "GSE2_series_matrix.txt"
    path.write_bytes((quirk(MATRIX) if quirk else MATRIX).encode())
    adata = gx.io.read_series_matrix(path, missing="drop")
    assert adata.obs_names.tolist() == ["GSM1", "GSM2"]
    assert adata.var_names.tolist() == ["p1"]
    np.testing.assert_array_equal(adata.X, [[1.5], [2.5]])
    assert adata.obs["tissue"].tolist() == ["liver", "lung"]
    assert adata.obs["tissue_ch2"].tolist() == ["pool", "pool"]
    assert adata.uns["geo"]["accession"] == "GSE2"


def test_soft_and_matrix_readers_point_to_each_other(tmp_path):
    matrix = tmp_path / "GSE2_series_matrix.txt"
    matrix.write_text(MATRIX)
    with pytest.raises(InputError, match=r"series matrix, not a SOFT file; read it with gexclust\.io\.read_series_matrix"):  # noqa: E501
        gx.io.read_soft(matrix)
    soft = tmp_path / "GSE1_family.soft"
    soft.write_text(FAMILY)
    with pytest.raises(InputError, match=r"SOFT file, not a series matrix; read it with gexclust\.io\.read_soft"):  # noqa: E501
        gx.io.read_series_matrix(soft)


@pytest.mark.parametrize("cell", ["", "  ", " null ", "NA "])
def test_blank_or_padded_missing_cells_are_missing_values(cell, tmp_path):
    # before: '  ' in a series matrix and ' null ' anywhere were "not a number"
    from tests.io.test_geo_read import GDS

    files = {"GSE1_family.soft": (FAMILY.replace("p2\tnull", f"p2\t{cell}"), gx.io.read_soft),
             "GSE2_series_matrix.txt": (MATRIX.replace("\tnull", f"\t{cell}"),
                                        gx.io.read_series_matrix),
             "GDS0001.soft": (GDS.replace("\tnull", f"\t{cell}"), gx.io.read_soft)}
    for name, (text, reader) in files.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(InputError, match=r"missing value\(s\).*missing='drop'"):
            reader(path)
        assert reader(path, missing="drop").uns["missing"]["n_missing_values"] >= 1


def test_a_padded_word_is_still_not_a_number(tmp_path):
    from tests.io.test_geo_read import GDS

    path = tmp_path / "GDS0001.soft"
    path.write_text(GDS.replace("\tnull", "\t n/d "))
    with pytest.raises(InputError, match=r"GDS0001.soft: table of DATASET GDS0001 \(line \d+\): row '1053_at', column GSM1: value 'n/d' is not a number"):  # noqa: E501
        gx.io.read_soft(path)
    path = tmp_path / "GSE1_family.soft"
    path.write_text(FAMILY.replace("p2\tnull", "p2\t n/d "))
    with pytest.raises(InputError, match=r"sample GSM1, ID_REF 'p2': VALUE ' n/d' is not a number"):
        gx.io.read_soft(path)


def test_line_start_allows_blanks_before_the_marker():
    from gexclust.io._geo_text import line_start

    assert line_start(b"p1\t1\n \t!sample_table_end\n", b"!", 0) == 5  # the line's first byte
    assert line_start(b"  !end\n", b"!", 0) == 0
    assert line_start(b"p1\ta!b\n!end\n", b"!", 0) == 7  # '!' inside a row is not a marker
    assert line_start(b"p1\ta !b\n", b"!", 0) == -1
    assert line_start(b"x\n !a\n", b"!", 2) == 2


def test_two_channel_series_matrix_with_its_platform_file(tmp_path):
    """A two-channel series matrix as GEO writes it (!Sample_source_name_ch2, a line ending in
    an empty quoted cell) read with gpl= the path of its platform's SOFT: source names of
    both channels in .obs, symbols as from the platform table itself."""
    text = MATRIX.replace(
        '!Sample_platform_id\t"GPL1"\t"GPL1"\n',
        '!Sample_platform_id\t"GPL1"\t"GPL1"\t""\n'
        '!Sample_source_name_ch1\t"tumour"\t"tumour"\n'
        '!Sample_source_name_ch2\t"reference"\t"reference pool"\n')
    matrix = tmp_path / "GSE2_series_matrix.txt"
    matrix.write_text(text)
    gpl = tmp_path / "GPL1.soft"
    gpl.write_text(FAMILY[FAMILY.index("^PLATFORM") : FAMILY.index("^SAMPLE")])
    adata = gx.io.read_series_matrix(matrix, gpl=gpl, missing="impute")
    assert adata.obs["source_name"].tolist() == ["tumour", "tumour"]
    assert adata.obs["source_name_ch2"].tolist() == ["reference", "reference pool"]
    assert adata.obs["platform_id"].tolist() == ["GPL1", "GPL1"]
    assert adata.obs["tissue_ch2"].tolist() == ["pool", "pool"]
    assert adata.var_names.tolist() == ["p1", "p2", "p3"]
    assert adata.var["gene_symbol"].tolist() == ["TP53", "MYC", ""]
    same = gx.io.read_series_matrix(matrix, gpl=gx.io.read_gpl(gpl), missing="impute")
    assert adata.var.equals(same.var)


@pytest.mark.parametrize(("name", "text", "cell", "reader"), [
    ("GSE1_family.soft", FAMILY, "p3\t30.5", gx.io.read_soft),
    ("GSE2_series_matrix.txt", MATRIX, '"p1"\t1.5', gx.io.read_series_matrix),
    ("GSE2_series_matrix.txt", MATRIX, "!Sample_title", gx.io.read_series_matrix),
])
def test_a_nul_byte_in_geo_text_is_refused_naming_its_line(name, text, cell, reader, tmp_path):
    # before: pandas ended a cell at a NUL byte, so a damaged '30.5' ('30\x00.5') read as 30.0
    # and a damaged series matrix value '433.\x00901' as 433.0, without a word (fuzz29, in
    # GEOparse's soft_ex_family.txt and the GSE26471 series matrix)
    path = tmp_path / name
    damaged = cell[:-2] + "\x00" + cell[-2:]
    path.write_text(text.replace(cell, damaged, 1))
    line = text.split("\n").index(next(x for x in text.split("\n") if x.startswith(cell))) + 1
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line {line}: NUL byte; "
                       r"expected GEO text \(a binary or damaged file\?\)$"):
        reader(path, missing="drop")


def test_an_unclosed_quote_in_a_series_matrix_id_is_refused(tmp_path):
    # before: '"p1""<TAB>1.5' read as one ID_REF 'p1"<TAB>1.5<LF>p2"' holding p2's values:
    # p1's values were lost and nothing said so (fuzz29, in the GSE26471 series matrix)
    path = tmp_path / "GSE2_series_matrix.txt"
    path.write_text(MATRIX.replace('"p1"\t1.5', '"p1""\t1.5'))
    line = MATRIX.split("\n").index('"p1"\t1.5\t2.5') + 1
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line {line}: a quote in "
                       r"ID_REF 'p1' is not closed on its line; the row would take in the next "
                       r"one$"):
        gx.io.read_series_matrix(path, missing="impute")


def test_an_unclosed_quote_in_a_series_matrix_value_is_named_by_its_line(tmp_path):
    # before: "ID_REF 'p0' has 4 values for the 2 sample(s)", blaming a later row, with no
    # line; in the GSE26471 series matrix (fuzz29) a quote opened at line 189 gave pandas'
    # 'Expected 2 fields in line 121, saw 3', a line count of the rows pandas had joined
    path = tmp_path / "GSE2_series_matrix.txt"
    lines = MATRIX.split("\n")
    at = lines.index('"p1"\t1.5\t2.5')
    lines[at] = '"p1"\t"1.5\t2.5'
    lines.insert(at + 1, '"p0"\t1\t2\t3\t4')
    path.write_text("\n".join(lines))
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line {at + 1}: a quote is "
                       r"not closed on its line$"):
        gx.io.read_series_matrix(path, missing="impute")


@pytest.mark.parametrize(("old", "line"), [
    ('"HeLa U133_Plus2 gene expression"', 31),  # !Sample_title
    ('"ID_REF"\t"GSM650992"', 68),  # the table header
])
def test_a_series_matrix_cell_past_the_csv_limit_is_named_by_its_line(old, line, tmp_path):
    # before: a bare "_csv.Error: field larger than field limit (131072)", naming neither
    # file nor line (GSE26471's series matrix with a cell of 140,000 characters)
    source = shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    text = gzip.decompress(source.read_bytes()).decode()
    assert text.count(old) == 1
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_text(text.replace(old, old[:-1] + "x" * 140_000 + '"'))
    assert refusal(gx.io.read_series_matrix, path) == (
        f"{path}, line {line}: field larger than field limit (131072) (a cell longer than the "
        "csv module's limit of 131,072 characters, with no quote open)")


def test_an_empty_platform_table_is_refused_not_read_as_no_probes(tmp_path):
    # before: a family SOFT whose platform table had its header but no rows read as 2 x 0
    # (every sample row 'absent from the platform; ignored', a warning), and gexclust run
    # then failed in tl.hclust naming no file (fuzz29, in Biopython's soft_ex_family.txt)
    path = tmp_path / "GSE1_family.soft"
    path.write_text(FAMILY.replace("p1\tTP53\ta\tb\np2\tMYC\tc\td\np3\tNA\te\tf\n", ""))
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: none of the 6 sample rows "
                       r"names a probe of the platform table \(0 probe\(s\)\); is the platform "
                       r"table empty or cut short\?$"):
        gx.io.read_soft(path, missing="impute")


def test_a_series_matrix_header_line_geo_does_not_write_is_named(tmp_path, caplog):
    # before: '!junk ...' among GSE26471's header lines was left out without a word (a
    # line that is no '!' line at all is refused: a damaged copy)
    source = shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    lines = gzip.decompress(source.read_bytes()).decode().split("\n")
    lines[9:9] = ["!junk line from a bad copy", "!sample_title\t\"lower case\""]
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_text("\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_series_matrix(path)
    assert adata.obs["title"].tolist() == ["HeLa U133_Plus2 gene expression"]
    assert caplog.messages == [
        f"{path}, line 10: '!junk line from a bad copy' left out: neither a '!Series_' nor a "
        "'!Sample_' header line; 1 more such line(s) left out"]


def _gse781_text() -> str:
    return gzip.decompress(shared_file("GSE781_family.soft.gz").read_bytes()).decode()


def _record(text: str, accession: str) -> str:
    """The record ``^SAMPLE = accession`` of ``text``, up to the next record."""
    start = text.index(f"^SAMPLE = {accession}\n")
    end = text.find("\n^", start)
    return text[start : end + 1 if end >= 0 else len(text)]


def test_a_record_written_twice_the_same_is_read_once_with_a_warning(tmp_path, caplog):
    # before: "line 810278: SAMPLE GSM11810 has a second data table (the first is at line
    # 67470)", though the two copies (files joined with cat) hold the same values
    text = _gse781_text()
    path = tmp_path / "GSE781_family.soft"
    path.write_text(text + _record(text, "GSM11810"))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path, platform="GPL96")
    assert (f"{path}: SAMPLE GSM11810 is written twice, at lines 67432 and 810278, the same "
            "both times; read once") in caplog.text
    clean = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96")
    assert adata.obs.equals(clean.obs)
    np.testing.assert_array_equal(adata.X, clean.X)


def _platform(text: str) -> str:
    return text[text.index("^PLATFORM") : text.index("^SAMPLE")]


@pytest.mark.parametrize(("copy", "message"), [
    # before: the copy's attributes were appended to the first record's, so 'tissue: liver'
    # read as tissue 'breast; liver', without a word (GEOparse and GEOquery keep the last
    # record alone: the first one's values are dropped without a word)
    (re.sub(r"!sample_table_begin\n.*?!sample_table_end\n", "", _record(FAMILY, "GSM1"),
            flags=re.DOTALL).replace("tissue: breast", "tissue: liver"),
     "SAMPLE GSM1 is written twice, at lines 16 and 44, with different content "
     "(!Sample_characteristics_ch1: 'tissue: breast' against 'tissue: liver')"),
    # before: "line 54: SAMPLE GSM1 has a second data table (the first is at line 26)",
    # and the same for the platform, as if one record held two tables
    (_record(FAMILY, "GSM1").replace("p1\t1.5", "p1\t9.5"),
     "SAMPLE GSM1 is written twice, at lines 16 and 44, with different content (their data "
     "tables, at lines 26 and 54, differ)"),
    (_platform(FAMILY).replace("TP53", "TP63"),
     "PLATFORM GPL1 is written twice, at lines 7 and 44, with different content (their "
     "data tables, at lines 11 and 48, differ)"),
    # before: "#ID written 1 against 0 time(s)": a column described by nothing ('#ID = ',
    # as GEO has shipped) was taken for a column not written
    (_platform(FAMILY).replace("#ID = probe id", "#ID = "),
     "PLATFORM GPL1 is written twice, at lines 7 and 44, with different content "
     "(#ID: 'probe id' against '')"),
    (_record(FAMILY, "GSM1").replace("!Sample_title = tumour 1\n", ""),
     "SAMPLE GSM1 is written twice, at lines 16 and 44, with different content "
     "(!Sample_title only in the one at line 16)"),
])
def test_a_record_written_twice_with_other_values_is_refused_naming_both_lines(
        copy, message, tmp_path):
    path = tmp_path / "GSE1_family.soft"
    path.write_text(FAMILY + copy)
    assert refusal(gx.io.read_soft, path) == (
        f"{path}: {message}; which to read is unknowable: keep one of the two")


def test_a_cat_of_a_sample_file_twice_reads_once(tmp_path, caplog):
    data = gzip.decompress(shared_file("GSM11805.txt.gz").read_bytes())
    path = tmp_path / "GSM11805.txt"
    path.write_bytes(data + data)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path)
    n_lines = data.count(b"\n")
    assert (f"{path}: SAMPLE GSM11805 is written twice, at lines 1 and {n_lines + 1}, the same "
            "both times; read once") in caplog.text
    clean = gx.io.read_soft(shared_file("GSM11805.txt.gz"))
    np.testing.assert_array_equal(adata.X, clean.X)
    assert adata.obs.equals(clean.obs)


def test_a_2002_table_cut_inside_a_value_is_refused(tmp_path):
    # a 2002-era table has no end marker, so a copy cut short was read as a smaller table:
    # GSM645.txt cut inside MIP1-B_at's VALUE read it as 37, where the file says 373 (and the
    # probes after it were gone), without a word
    data = shared_file("peers/biopython/GSM645.txt").read_bytes()
    row = b"MIP1-B_at\tRHMu8LarB\t6\t4\t20\t20\t19\t0.30\t0.43\t0\t0\t1.5\t373\tA"
    assert data.count(row) == 1
    path = tmp_path / "GSM645.txt"
    path.write_bytes(data[: data.index(row) + len(row) - len(b"3\tA")])
    assert refusal(gx.io.read_soft, path) == (
        f"{path}, line 41: the file ends inside a line of the table of SAMPLE GSM645, which "
        "has no end marker (2002-era SOFT): the file looks cut short; if it is whole, end it "
        "with a line break")
    # cut at a line's end, it reads (nothing tells it from a whole file), with the same values
    path.write_bytes(data[: data.index(row) + len(row)] + b"\r\n")
    adata = gx.io.read_soft(path)
    assert adata.var_names[-1] == "MIP1-B_at"
    np.testing.assert_array_equal(adata.X[0, -1], 373.0)


def test_a_family_file_written_twice_over_gives_one_warning(tmp_path, caplog):
    # before: one warning per record, 37 for GSE781's family SOFT joined to itself with cat
    # (its series, 2 platforms and 34 samples), where a reader says such things once a file
    text = _gse781_text()
    path = tmp_path / "GSE781_family.soft"
    path.write_text(text + text)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path, platform="GPL96")
    said = [r.getMessage() for r in caplog.records if "written twice" in r.getMessage()]
    n_lines = text.count("\n")
    assert said == [f"{path}: SERIES GSE781 is written twice, at lines 6 and {n_lines + 6}, "
                    "the same both times; read once; 36 more record(s) "
                    "written twice the same, read once"]
    clean = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96")
    np.testing.assert_array_equal(adata.X, clean.X)
    assert adata.obs.equals(clean.obs)


def _gds_text() -> bytes:
    return gzip.decompress(shared_file("peers/dash-bio/GDS5373.soft.gz").read_bytes())


@pytest.mark.parametrize("gz", [False, True])
def test_a_gds_joined_to_itself_reads_once_with_one_warning(gz, tmp_path, caplog):
    # before: 'DATASET GDS5373 is written twice, at lines 7 and 54725, with different
    # content (#ID_REF only in the one at line 7); which to read is unknowable', of a file
    # holding GDS5373.soft twice over: GEO writes a GDS's ^DATASET line twice (attributes,
    # then columns and table), and the copy's first part was compared with both parts joined
    data = _gds_text()
    path = tmp_path / ("GDS5373.soft" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) * 2 if gz else data * 2)  # cat of two .gz files
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path)
    said = [r.getMessage() for r in caplog.records if "written twice" in r.getMessage()]
    n_lines = data.count(b"\n")
    assert said == [f"{path}: DATASET GDS5373 is written twice, at lines 7 and {n_lines + 7}, "
                    "the same both times; read once; 2 more record(s) written twice the same, "
                    "read once"]
    clean = gx.io.read_soft(shared_file("peers/dash-bio/GDS5373.soft.gz"))
    np.testing.assert_array_equal(adata.X, clean.X)
    assert adata.obs.equals(clean.obs)
    assert adata.var.equals(clean.var)


@pytest.mark.parametrize(("change", "what"), [
    (lambda d: d.replace(b"1007_s_at\tMIR4640\t24.8302", b"1007_s_at\tMIR4640\t99.8302"),
     "DATASET GDS5373 is written twice, at lines 7 and 54725, with different content (their "
     "data tables, at lines 42 and 54760, differ)"),
    (lambda d: d.replace(b"!dataset_title = miR-221", b"!dataset_title = miR-222"),
     "DATASET GDS5373 is written twice, at lines 7 and 54725, with different content "
     "(!dataset_title: 'miR-221 expression effect on prostate...' against 'miR-222 expression "
     "effect on prostate...')"),
    (lambda d: d.replace(b"!subset_sample_id = GSM1110879,GSM1110880",
                         b"!subset_sample_id = GSM1110879"),
     "SUBSET GDS5373_1 is written twice, at lines 24 and 54742, with different content "
     "(!subset_sample_id: 'GSM1110879,GSM1110880' against 'GSM1110879')"),
])
def test_a_gds_joined_to_another_version_of_itself_is_refused(change, what, tmp_path):
    data = _gds_text()
    path = tmp_path / "GDS5373.soft"
    path.write_bytes(data + change(data))
    assert refusal(gx.io.read_soft, path) == (
        f"{path}: {what}; which to read is unknowable: keep one of the two")


@pytest.mark.parametrize(("column", "what"), [("VALUE", "values"), ("ID_REF", "probe ids")])
def test_a_sample_table_naming_value_or_id_ref_twice_is_refused(column, what, tmp_path):
    # before: GSM2's table 'ID_REF VALUE VALUE' read its first VALUE column (10.5, 20.5,
    # 30.5), without a word, as GDS tables naming a sample twice are refused for
    table = "ID_REF\tVALUE\np3\t30.5\np1\t10.5\np2\t20.5\n"
    twice = table.replace(f"{column}", f"{column}\t{column}", 1)
    for probe, value in (("p3", "30.5"), ("p1", "10.5"), ("p2", "20.5")):
        twice = twice.replace(f"{probe}\t{value}\n", f"{probe}\t{value}\t{probe}x\n"
                              if column == "ID_REF" else f"{probe}\t{value}\t1\n")
    path = tmp_path / "GSE1_family.soft"
    path.write_text(FAMILY.replace(table, twice))
    line = FAMILY.split("\n").index("^SAMPLE = GSM2") + 1
    assert refusal(gx.io.read_soft, path, missing="drop") == (
        f"{path}: sample GSM2 (line {line + 8}): column {column!r} appears twice in the table "
        f"header; which holds the sample's {what} is unknowable")


def test_a_header_line_inside_a_soft_table_is_refused_not_read_as_its_end(tmp_path):
    # before: a '!Sample_comment' line pasted inside GSM2's table ended it there; its last
    # two rows were left out as 'not a SOFT line' (one warning) and, with missing='impute',
    # GSM2 read p1 = 1.5 (GSM1's value) instead of the file's 10.5, and p2 was dropped
    path = tmp_path / "GSE1_family.soft"
    path.write_text(FAMILY.replace("p3\t30.5\np1\t10.5\n",
                                   "p3\t30.5\n!Sample_comment = x\np1\t10.5\n"))
    begin = FAMILY.split("\n").index("^SAMPLE = GSM2") + 8
    assert refusal(gx.io.read_soft, path, missing="impute") == (
        f"{path}, line {begin + 3}: '!Sample_comment = x' inside the table of SAMPLE GSM2 that "
        f"starts at line {begin}, where its end marker ('!sample_table_end') was expected")
