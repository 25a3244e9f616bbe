from __future__ import annotations

import bz2
import gzip
import lzma
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust._errors import InputError
from tests.conftest import shared_file, write_csv
from tests.io.conftest import refusal


def test_reads_layout(tiny_csv):
    adata = gx.io.read_cumida(tiny_csv)
    assert adata.obs_names.tolist() == ["1", "2", "3"]
    assert isinstance(adata.obs["type"].dtype, pd.CategoricalDtype)
    assert adata.obs["type"].tolist() == ["AML", "PB", "AML"]
    assert adata.var_names.tolist() == ["p1", "p2", "p3"]
    assert adata.X.dtype == np.float64
    np.testing.assert_array_equal(adata.X[1], [4.0, 5.5, 6.0])
    assert adata.uns["missing"] == {"policy": "error", "n_missing_values": 0,
                                    "n_probes_with_missing": 0, "n_probes_dropped": 0}


def test_matches_pandas_and_gzip(tmp_path, example):
    path = tmp_path / "ex.csv"
    gx.io.write_cumida(example[:, :300], path)
    adata = gx.io.read_cumida(path)
    # full-precision file: pandas 3 parses it exactly by default and deprecates the option
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    frame = pd.read_csv(path, **exact)
    np.testing.assert_array_equal(adata.X, frame.iloc[:, 2:].to_numpy())
    assert adata.var_names.tolist() == frame.columns[2:].tolist()
    assert adata.obs["type"].value_counts().to_dict() == {
        "AML": 26, "Bone_Marrow": 10, "PB": 10, "PBSC_CD34": 10, "Bone_Marrow_CD34": 8,
    }
    gz = tmp_path / "ex.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    np.testing.assert_array_equal(gx.io.read_cumida(gz).X, adata.X)
    assert gx.io.read_cumida(gz, dtype="float32").X.dtype == np.float32


def test_a_dtype_that_would_change_the_values_is_refused(tmp_path):
    # the signature allows 'float64' and 'float32'; before, any numpy type was taken without a
    # word: dtype='int64' read 5.5 as 5, dtype='float16' read 70000.0 (a MAS 5.0 signal) as inf
    path = tmp_path / "t.csv"
    path.write_text("samples,type,p1,p2\ns1,a,5.5,70000\ns2,b,6.25,8\n")
    for dtype in ("int64", "float16", np.int32, "foo"):
        with pytest.raises(ValueError, match=r"^io\.read_cumida: dtype=.* is not valid; "
                                             r"choose one of 'float64', 'float32'$"):
            gx.io.read_cumida(path, dtype=dtype)
    assert gx.io.read_cumida(path, dtype=np.float32).X.tolist() == [[5.5, 70000.0], [6.25, 8.0]]
    assert gx.io.read_cumida(path, dtype="float64").X.dtype == np.float64


def test_a_column_given_by_position_is_refused_before_reading(tmp_path):
    """Before: sample_col=0 (a position, as pandas' index_col) read the file and failed with
    "startswith first arg must be str or a tuple of str, not int"."""
    path = tmp_path / "t.csv"
    path.write_text("samples,type,p1\ns1,a,5.5\n")
    for name, column in (("sample_col", 0), ("type_col", None)):
        with pytest.raises(TypeError) as caught:
            gx.io.read_cumida(path, **{name: column})
        assert str(caught.value) == (
            f"io.read_cumida: {name} must be a column name (a str), got {column!r}")


def test_a_dtype_of_none_is_refused_before_reading(tmp_path):
    """Before: dtype=None was read as float64 without a word (numpy's np.dtype(None)), where
    the signature takes 'float64' or 'float32' only; now refused as other dtypes are, before
    the file is opened (here it does not exist)."""
    with pytest.raises(ValueError, match=r"^io\.read_cumida: dtype=None is not valid; "
                                         r"choose one of 'float64', 'float32'$"):
        gx.io.read_cumida(tmp_path / "absent.csv", dtype=None)


def test_fast_parser_gives_pythons_float_bit_for_bit(tmp_path):
    """The clean-file parser (fastnumbers) rounds as Python's float: random bit patterns
    (subnormals, huge exponents), 17 and 20 significant digits, nan/inf spellings."""
    from gexclust.io._cumida_parse import _parse_fast

    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**63, size=3000, dtype=np.int64).view(np.float64)
    finite = bits[np.isfinite(bits)][:2000]
    cells = [repr(v) for v in finite.tolist()] + [f"{v:.20g}" for v in rng.normal(8, 3, 500)]
    cells += ["nan", "-inf", "Infinity", "1e400", "2.4703282292062328e-324", " 1.5", "+.5"]
    cells = np.array(cells[: len(cells) // 4 * 4], dtype=object).reshape(4, -1)
    rows = [f"s{i},AML," + ",".join(row) for i, row in enumerate(cells)]
    _, _, values, _ = _parse_fast(rows, cells.shape[1] + 2, [2, 3, 4, 5])
    expected = np.array([[float(c) for c in row] for row in cells])
    np.testing.assert_array_equal(values.view(np.int64), expected.view(np.int64))
    for cell in ("\u00bd", "\u0661", "\u00a0\u0661"):  # left to the careful parser
        with pytest.raises(ValueError, match=r"^$"):
            _parse_fast([f"s0,AML,{cell}"], 3, [2])


def test_blanks_beyond_ascii_keep_the_fast_parser(tmp_path):
    # before: one no-break space beside a number sent the whole file to the careful parser,
    # 5x slower (a 64 x 22,283 file: 1.14 s instead of 0.23 s); blanks are blanks to float
    from gexclust.io._cumida_parse import UNICODE_BLANKS, _parse_fast

    cells = ["\u00a01.5", "2.25\u2003", "\u3000-3e-2\u00a0", "0.1"]
    _, _, values, _ = _parse_fast(["s0,AML," + ",".join(cells)], 6, [2])
    expected = np.array([[float(cell) for cell in cells]])
    np.testing.assert_array_equal(values.view(np.int64), expected.view(np.int64))
    path = tmp_path / "nbsp.csv"
    path.write_text("samples,type,p1,p2,p3,p4\n1,AML," + ",".join(cells) + "\n",
                    encoding="utf-8")
    np.testing.assert_array_equal(gx.io.read_cumida(path).X, expected)
    # what float takes as blanks beyond ASCII, exactly; '\x1c' is blank to str.strip only
    blanks = "".join(chr(c) for c in range(128, 0x110000) if chr(c).isspace())
    assert sorted(UNICODE_BLANKS) == sorted(blanks)
    assert all(float(f"{blank}1{blank}") == 1.0 for blank in blanks)
    for cell in ("\u00a0\x1c9", "9\x1c\u3000"):  # neither float nor either parser reads it
        with pytest.raises(ValueError, match=r"^$|Cannot convert"):  # ours, or fastnumbers'
            _parse_fast([f"s0,AML,{cell}"], 3, [2])
        path.write_text(f"samples,type,p1\n1,AML,{cell}\n", encoding="utf-8")
        with pytest.raises(InputError, match="is not a number"):
            gx.io.read_cumida(path)


@pytest.mark.parametrize("cell", ["1_000", "nan(123)"])
@pytest.mark.parametrize("sample", ["1", '"1"'])  # the fast parser, or the careful one (quotes)
def test_both_parsers_refuse_what_no_csv_means_as_a_number(tmp_path, cell, sample):
    # before: Python's float read '1_000' as 1000 (PEP 515 digit grouping); fastnumbers read
    # C's 'nan(123)' as NaN in clean files only
    path = tmp_path / "odd.csv"
    path.write_text(f"samples,type,p1,p2\n{sample},AML,2.5,{cell}\n")
    with pytest.raises(InputError, match=re.escape(f"odd.csv, line 2, column 'p2': value "
                                                   f"'{cell}' is not a number")):
        gx.io.read_cumida(path)


@pytest.mark.parametrize(
    "cell", ["\u0661\u0662", "\uff11\uff12", "1e\u0663", "\u00bd", "\u00b2", "\u216b"])
def test_digits_beyond_ascii_are_refused_by_every_reader(tmp_path, cell):
    # before: Arabic-Indic and full-width digits were numbers in CuMiDa files (Python's float
    # reads them) but not in GEO files (pandas); fastnumbers even read '\u00bd' as 0.5 and
    # '\u216b' (Roman twelve) as 12 in clean CuMiDa files only, which the careful parser refused
    from tests.io.test_geo_quirks import MATRIX

    for sample in ("1", '"1"'):  # the fast parser, or the careful one (quotes)
        path = tmp_path / "odd.csv"
        path.write_text(f"samples,type,p1,p2\n{sample},AML,2.5,{cell}\n", encoding="utf-8")
        with pytest.raises(InputError, match=re.escape(
                f"odd.csv, line 2, column 'p2': value '{cell}' is not a number")):
            gx.io.read_cumida(path)
    path = tmp_path / "GSE2_series_matrix.txt"
    path.write_text(MATRIX.replace("\t2.5", f"\t{cell}"), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"ID_REF 'p1': value '{cell}' is not a number")):
        gx.io.read_series_matrix(path)


def test_blanks_beyond_ascii_around_a_number_are_read_by_every_reader(tmp_path):
    from tests.io.test_geo_quirks import MATRIX

    for sample in ("1", '"1"'):
        path = tmp_path / "odd.csv"
        path.write_text(f"samples,type,p1,p2\n{sample},AML,2.5,\u00a03.5\u2003\n",
                        encoding="utf-8")
        np.testing.assert_array_equal(gx.io.read_cumida(path).X, [[2.5, 3.5]])
    path = tmp_path / "GSE2_series_matrix.txt"
    path.write_text(MATRIX.replace("\t2.5", "\t\u00a03.5\u2003"), encoding="utf-8")
    assert gx.io.read_series_matrix(path, missing="drop").X[1, 0] == 3.5


def test_a_number_in_other_digits_says_so(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("samples,type,p1\n1,AML,\uff11\uff12\n2,B,\u00e9t\u00e9\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2, column 'p1': value '１２' is not a number "
                                         r"\(digits must be ASCII 0-9\)$"):
        gx.io.read_cumida(path)
    path.write_text("samples,type,p1\n1,AML,12\n2,B,\u00e9t\u00e9\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 3, column 'p1': value 'été' is not a number$"):
        gx.io.read_cumida(path)


def test_annotates_gpl96_probes(tmp_path, example):
    path = tmp_path / "ex.csv"
    gx.io.write_cumida(example[:5], path)
    adata = gx.io.read_cumida(path)
    assert adata.uns["platform"] == "GPL96"
    assert adata.var.loc["1007_s_at", "gene_symbol"] == "DDR1"
    assert adata.var.loc["1007_s_at", "entrez_id"] == "780"


def test_a_column_among_gpl96_probes_that_is_none_is_named(tmp_path, example, caplog):
    """A sample sheet's column pasted among the probes ('age') is read as a gene, with a word.

    Before, nothing was said: 'age' (variance ~ 300 against ~1 for log2 probes) went first into
    the variable genes that gexclust run clusters.
    """
    small = example[:6, :200]
    table = pd.DataFrame(small.X, columns=small.var_names)
    table.insert(0, "age", [31.0, 45.0, 62.0, 58.0, 27.0, 70.0])
    table.insert(0, "type", small.obs["type"].astype(str).to_numpy())
    table.insert(0, "samples", small.obs_names)
    path = tmp_path / "with_age.csv"
    table.to_csv(path, index=False)
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_cumida(path)
    assert adata.uns["platform"] == "GPL96"
    assert adata.var.loc["age", "gene_symbol"] == ""
    assert (f"{path}: 1 of 201 columns are not GPL96 probe ids ('age'): read as genes; leave them "
            "out if they describe the samples") in caplog.messages
    caplog.clear()
    gx.io.write_cumida(small, path)  # every column a GPL96 probe: nothing to say
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.io.read_cumida(path)
    assert not caplog.messages


def test_quoted_fields_and_other_column_order(tmp_path):
    path = write_csv(tmp_path / "q.csv", 'p1,"type",samples,p2\n1,"AML, M2",a,2\n3,PB,b,4\n')
    adata = gx.io.read_cumida(path)
    assert adata.obs["type"].tolist() == ["AML, M2", "PB"]
    np.testing.assert_array_equal(adata.X, [[1, 2], [3, 4]])


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_byte_order_mark_and_latin1_names(tmp_path, encoding):
    # Excel's "CSV UTF-8" starts with a byte-order mark; older exports are Latin-1
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "samples,type,p\u00e4\na,AML,1\n".encode(encoding))
    adata = gx.io.read_cumida(path)
    assert adata.obs_names.tolist() == ["a"]
    assert adata.var_names.tolist() == ["p\u00e4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", r"file is empty"),
        ("samples,p1,p2\n1,2,3\n", r"line 1: no column 'type'"),
        ("type,p1\nAML,2\n", r"line 1: no column 'samples'"),
        ("samples,type,p1\n", r"no data rows"),
        ("samples,type,p1,p1\n1,A,2,3\n", r"duplicate column 'p1' \(columns 3 and 4\)"),
        ("samples,type,p1\n1,A,2\n2,B,3\n1,C,4\n", r"duplicate sample id '1'.*lines 2 and 4"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,x7,3\n", r"line 3, column 'p1': value 'x7' is not a number"),  # noqa: E501
        ("samples,type,p1,p2\n1,A,2,3\n2,B,3\n", r"line 3: 3 fields, expected 4.*ragged"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,3,4,5\n", r"line 3: 5 fields, expected 4"),
        ("samples,type,p1\n1,A,inf\n", r"infinite value at line 2 \(sample '1'\), column 'p1'"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,,3\n", r"1 missing value\(s\).*line 3 \(sample '2'\), column 'p1'"),  # noqa: E501
        ("samples,type,p1\n,A,2\n", r"line 2: empty sample id"),
        # before: anndata's "obs must have as many rows as X has rows (3), but has 2 rows"
        ('samples,type,p1\n"a\nb",A,2\nc,B,3\n', r"line 2: a quoted field does not end on "
         r"its line \(an unclosed quote, or a line break inside quotes\)"),
        ('samples,type,p1\na,"A,2\nc,B,3\nd,C,4\n', r"line 2: a quoted field does not end"),
    ],
)
def test_bad_input_names_the_place(tmp_path, text, expected):
    path = write_csv(tmp_path / "bad.csv", text)
    with pytest.raises(InputError, match=expected) as info:
        gx.io.read_cumida(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("sep", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_header_of_one_field_names_the_separator_and_stays_short(tmp_path, sep, name):
    # before: the whole header (thousands of probe ids in one field) was printed in the
    # error, and nothing said why 'samples' was not found
    probes = [f"probe_{i:05d}" for i in range(2000)]
    text = sep.join(["samples", "type", *probes]) + "\n" + sep.join(["1", "A"] + ["1,5"] * 2000)
    path = write_csv(tmp_path / "excel.csv", text + "\n")
    with pytest.raises(InputError, match=f"separated by {name}, not commas") as info:
        gx.io.read_cumida(path)
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(("between", "read"), [(b"\x85", "\u2026"), (b"\xc2\x85", "\x85")])
def test_rows_break_at_line_ends_only(tmp_path, between, read):
    # before: str.splitlines also broke rows at a form feed or at byte 0x85 (Windows-1252's
    # ellipsis, read as Latin-1's NEL): "line 2: 2 fields, expected 4 (ragged row)", and
    # later line numbers one too high. UTF-8's NEL (0xc2 0x85) is no line end either; byte
    # 0x81 (undefined in Windows-1252) is read as Latin-1's control character.
    path = tmp_path / "excel.csv"
    path.write_bytes(b"samples,type,p1,p2\r\nS1,AML" + between + b"M2,1,2\r\nS2,B\x0cC,3,4\r\n"
                     b"S3,B\x81,5,x\r\n")
    with pytest.raises(InputError, match=r"excel.csv, line 4, column 'p2': value 'x'"):
        gx.io.read_cumida(path)
    path.write_bytes(path.read_bytes().replace(b",x", b",6").replace(b"\r\n", b"\r"))
    adata = gx.io.read_cumida(path)
    assert adata.obs["type"].tolist() == [f"AML{read}M2", "B\x0cC", "B\x81"]
    np.testing.assert_array_equal(adata.X, [[1, 2], [3, 4], [5, 6]])


@pytest.mark.parametrize("quoted", [False, True])  # the fast parser, or the careful one
def test_windows_1252_text_reads_as_windows_wrote_it(tmp_path, caplog, quoted):
    # before: read as Latin-1, curly quotes and dashes became invisible control characters
    # ('\x93S1\x94', 'AML \x96 M2') and a trailing ellipsis (NEL) was stripped as blank
    path = tmp_path / "excel.csv"
    text = "samples,type,p1,p2\n\u201cS1\u201d,AML \u2013 M2\u2026,1,2\nS2,\u2018B\u2019,3,4\n"
    path.write_bytes(text.replace("S2,", '"S2",' if quoted else "S2,").encode("cp1252"))
    with caplog.at_level("INFO", logger="gexclust"):
        adata = gx.io.read_cumida(path)
    assert adata.obs_names.tolist() == ["\u201cS1\u201d", "S2"]
    assert adata.obs["type"].tolist() == ["AML \u2013 M2\u2026", "\u2018B\u2019"]
    np.testing.assert_array_equal(adata.X, [[1, 2], [3, 4]])
    assert f"{path}: not UTF-8; bytes that are not UTF-8 read as Windows-1252" in caplog.messages
    # a byte Windows-1252 leaves undefined: Latin-1's control character, the rest unchanged
    caplog.clear()
    path.write_bytes(path.read_bytes().replace(b"S2", b"S2\x81"))
    adata = gx.io.read_cumida(path)
    assert adata.obs_names.tolist() == ["\u201cS1\u201d", "S2\x81"]
    np.testing.assert_array_equal(adata.X, [[1, 2], [3, 4]])


def test_a_utf8_file_with_a_few_windows_bytes_keeps_its_utf8_text(tmp_path):
    # before: one byte that is not UTF-8 made the whole file Windows-1252, so the UTF-8 'é' of
    # the other rows became 'Ã©': one type, written both ways, split into two classes
    path = tmp_path / "merged.csv"
    rows = [b"samples,type,p1", "S1,hématopoïèse,1".encode(), "S2,hématopoïèse,2".encode(),
            "S3,hématopoïèse,3".encode("cp1252"), "S4,\u03b2-thal,4".encode()]
    path.write_bytes(b"\n".join(rows) + b"\n")
    adata = gx.io.read_cumida(path)
    assert adata.obs["type"].tolist() == ["hématopoïèse"] * 3 + ["\u03b2-thal"]
    assert adata.obs["type"].cat.categories.tolist() == ["hématopoïèse", "\u03b2-thal"]


def test_utf16_text_is_named_as_such(tmp_path):
    # before: 'line 1: NUL byte; expected comma-separated text (a binary or damaged file?)'
    # for a CSV saved as 'Unicode text', whose every other byte is a NUL
    text = "samples,type,p1\n1,A,2\n2,B,4\n3,A,1\n"
    for encoding in ("utf-16", "utf-16-be"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(("\ufeff" if encoding.endswith("be") else "").encode(encoding)
                         + text.encode(encoding))
        with pytest.raises(InputError, match=rf"{path.name}: the text is UTF-16 .* not UTF-8"):
            gx.io.read_cumida(path)


def test_an_h5ad_or_a_spreadsheet_is_named_as_such(tmp_path):
    # before: 'adata.h5ad, line 3: NUL byte; expected comma-separated text (a binary or
    # damaged file?)' for gexclust run's own output given back as its input
    import anndata as ad

    h5ad = tmp_path / "adata.h5ad"
    ad.AnnData(np.zeros((2, 2))).write_h5ad(h5ad)
    with pytest.raises(InputError, match=r"adata.h5ad: an HDF5 file \(an .h5ad\?\), not a CuMiDa"):
        gx.io.read_cumida(h5ad)
    xlsx = tmp_path / "table.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + bytes(60))
    with pytest.raises(InputError, match=r"table.xlsx: a zip archive .*save it as CSV"):
        gx.io.read_cumida(xlsx)


def test_a_nul_byte_names_its_line(tmp_path):
    # before: a NUL inside a probe id was read, then writing adata.h5ad failed with
    # "VLEN strings do not support embedded NULLs", naming no file
    path = tmp_path / "nul.csv"
    path.write_bytes(b"samples,type,p1,p2\n1,A,2,3\n2,B,4,5\n3,A,1,2\n".replace(b"p2", b"p\x002"))
    with pytest.raises(InputError, match=r"nul.csv, line 1: NUL byte"):
        gx.io.read_cumida(path)
    path.write_bytes(b"samples,type,p1\n1,A,2\n2,B\x00,4\n")
    with pytest.raises(InputError, match=r"nul.csv, line 3: NUL byte"):
        gx.io.read_cumida(path)
    path.write_bytes(b"samples,type,p1\r1,A,2\r2,B\x00,4\r")  # old Mac line ends
    with pytest.raises(InputError, match=r"nul.csv, line 3: NUL byte"):
        gx.io.read_cumida(path)
    for legacy in (b"\x85\x93", b"\x85\x81"):  # Windows-1252 (an ellipsis), Latin-1 (NEL)
        path.write_bytes(b"samples,type,p1\r\n1,A" + legacy + b",2\r\n2,B\x00,4\r\n")
        with pytest.raises(InputError, match=r"nul.csv, line 3: NUL byte"):
            gx.io.read_cumida(path)


def test_missing_file_and_bad_gzip(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        gx.io.read_cumida(tmp_path / "nope.csv")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(b"samples,type,p1\n1,A,2\n" * 100)[:40])
    with pytest.raises(InputError, match="corrupt or truncated gzip"):
        gx.io.read_cumida(broken)
    empty = tmp_path / "empty.csv.gz"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"expected gzip data.*empty file"):
        gx.io.read_cumida(empty)


MISSING = "samples,type,p1,p2,p3\n1,A,1,NA,3\n2,B,4,5,\n3,A,7,8,9\n4,B,1,2,3\n"


def test_missing_drop(tmp_path):
    adata = gx.io.read_cumida(write_csv(tmp_path / "m.csv", MISSING), missing="drop")
    assert adata.var_names.tolist() == ["p1"]
    assert adata.uns["missing"]["n_missing_values"] == 2
    assert adata.uns["missing"]["n_probes_dropped"] == 2


def test_missing_impute_uses_probe_mean(tmp_path):
    adata = gx.io.read_cumida(write_csv(tmp_path / "m.csv", MISSING), missing="impute")
    assert adata.var_names.tolist() == ["p1", "p2", "p3"]
    assert adata.X[0, 1] == pytest.approx((5 + 8 + 2) / 3)
    assert adata.X[1, 2] == pytest.approx((3 + 9 + 3) / 3)
    assert not np.isnan(adata.X).any()


def test_missing_policy_is_checked(tiny_csv):
    with pytest.raises(ValueError, match="choose one of 'error', 'drop', 'impute'"):
        gx.io.read_cumida(tiny_csv, missing="zero")


def test_write_cumida_round_trips_awkward_fields_and_full_precision(tmp_path):
    import anndata as ad
    from scipy import sparse

    values = np.array([[1e-7, 2.5, 1 / 3], [-4e300, 7.0, 123456.789012345678]])
    adata = ad.AnnData(values, obs=pd.DataFrame(
        {"type": ["AML, M2", 'say "hi"']}, index=["s1", "s,2"]))
    path = tmp_path / "w.csv"
    gx.io.write_cumida(adata, path)
    back = gx.io.read_cumida(path)
    assert back.obs["type"].tolist() == ["AML, M2", 'say "hi"']
    assert back.obs_names.tolist() == ["s1", "s,2"]
    np.testing.assert_array_equal(back.X, values)  # bit for bit, 1e-7 included
    adata.X = sparse.csr_matrix(values)
    gx.io.write_cumida(adata, path)
    np.testing.assert_array_equal(gx.io.read_cumida(path).X, values)
    gx.io.write_cumida(adata, path, decimals=6)  # CuMiDa's own layout, on request
    assert gx.io.read_cumida(path).X[0, 0] == 0.0


def test_write_cumida_keeps_extreme_values_for_pandas_r_and_read_cumida(tmp_path):
    # checked by hand with R 4.2.2's read.csv too: the same doubles, NaN, -0 and Inf
    import anndata as ad

    values = np.array([[5e-324, -0.0, 1e-300, np.nan],
                       [1.7976931348623157e308, -1e-300, 0.1 + 0.2, 7.0]])
    adata = ad.AnnData(values, obs=pd.DataFrame(
        {"type": ["AML, M2", "it's \"x\""]}, index=["s\t1", "日本"]))
    path = tmp_path / "w.csv"
    gx.io.write_cumida(adata, path)
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    frame = pd.read_csv(path, **exact)
    np.testing.assert_array_equal(frame.iloc[:, 2:].to_numpy(), values)  # NaN as NaN
    assert frame["type"].tolist() == ["AML, M2", "it's \"x\""]
    assert frame["samples"].tolist() == ["s\t1", "日本"]
    back = gx.io.read_cumida(path, missing="drop")
    np.testing.assert_array_equal(back.X, values[:, :3])
    assert np.signbit(back.X[0, 1])
    adata.X[1, 3] = np.inf
    gx.io.write_cumida(adata, path)
    with pytest.raises(InputError, match=r"w\.csv: infinite value at line 3 \(sample '日本'\), "
                                         r"column '3'; expected a finite number"):
        gx.io.read_cumida(path, missing="drop")


def test_write_cumida_to_a_gz_name_writes_gzip(tmp_path):
    # read_cumida takes '.csv.gz'; write_cumida wrote plain text under that name, which
    # read_cumida then refused ('expected gzip data (name ends in .gz) but found not gzip
    # data'), as pandas' read_csv does
    import gzip

    import anndata as ad

    values = np.array([[1e-7, 2.5], [-4.0, 7.25]])
    adata = ad.AnnData(values, obs=pd.DataFrame({"type": ["AML, M2", "Grèce"]},
                                                index=["s1", "s2"]))
    path = tmp_path / "w.csv.gz"
    gx.io.write_cumida(adata, path)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        assert fh.readline() == "samples,type,0,1\n"
    back = gx.io.read_cumida(path)
    assert back.obs["type"].tolist() == ["AML, M2", "Grèce"]
    np.testing.assert_array_equal(back.X, values)
    assert [p.name for p in tmp_path.iterdir()] == ["w.csv.gz"]


@pytest.mark.parametrize("dtype", ["string", "Int64", "category", "object"])
def test_write_cumida_writes_a_missing_type_of_a_nullable_column_as_empty(tmp_path, dtype):
    # pandas' nullable dtypes (convert_dtypes(), read_csv(dtype_backend=...)) hold pd.NA,
    # whose 'x != x' has no truth value: write_cumida raised "TypeError: boolean value of NA
    # is ambiguous" for a sample without a type; and whole-number types with a missing one
    # (Int64, categories 1 and 2) were written as '1.0', '2.0': other classes on reading
    import anndata as ad

    types = pd.Series([1, None, 2], index=["s1", "s2", "s3"], dtype="Int64").astype(dtype)
    adata = ad.AnnData(np.eye(3), obs=pd.DataFrame({"type": types}))
    path = tmp_path / "w.csv"
    gx.io.write_cumida(adata, path)
    assert [line.split(",")[1] for line in path.read_text().splitlines()[1:]] == ["1", "", "2"]
    assert gx.io.read_cumida(path).obs["type"].isna().tolist() == [False, True, False]


@pytest.mark.filterwarnings("ignore:Observation names are not unique:UserWarning")  # anndata's
def test_write_cumida_refuses_ids_that_read_cumida_would_refuse(tmp_path):
    # before: repeated obs_names or var_names (allowed by AnnData) were written with a logged
    # warning only, and read_cumida then refused the file it had written ("duplicate sample
    # id 'x' in column 'samples' (lines 2 and 3)"): now nothing is written, the ids are named
    import anndata as ad

    adata = ad.AnnData(np.arange(15.0).reshape(5, 3), obs=pd.DataFrame(
        {"type": list("aabbc")}, index=["x", "x", "y", " z", "z"]))
    adata.var_names = ["p1", "p2", "p2"]
    path = tmp_path / "w.csv"
    path.write_text("earlier\n")
    with pytest.raises(ValueError, match=re.escape(
            "write_cumida: 2 sample id(s) repeat ('x' (2 times), ' z' and 'z' (2 times without "
            "their blanks)); read_cumida refuses repeated ids, so the file would not read back: "
            "make them unique first: adata.obs_names = adata.obs_names.str.strip(); "
            "adata.obs_names_make_unique()")):
        gx.io.write_cumida(adata, path)
    assert path.read_text() == "earlier\n"
    adata.obs_names = adata.obs_names.str.strip()
    adata.obs_names_make_unique()
    with pytest.raises(ValueError, match=re.escape(
            "write_cumida: 1 probe id(s) repeat ('p2' (2 times)); read_cumida refuses repeated "
            "ids, so the file would not read back: make them unique first: "
            "adata.var_names_make_unique()")):
        gx.io.write_cumida(adata, path)
    adata.var_names_make_unique()
    adata.obs["samples"] = [1, 2, 2, 3, 4]  # CuMiDa's row numbers, one repeated
    with pytest.raises(ValueError, match=re.escape(
            "1 sample id(s) repeat ('2' (2 times)); read_cumida refuses repeated ids, so the "
            "file would not read back: make .obs['samples'] unique, or pass sample_key=None to "
            "write the obs_names")):
        gx.io.write_cumida(adata, path)
    gx.io.write_cumida(adata, path, sample_key=None)  # the ways out the errors give
    back = gx.io.read_cumida(path)
    assert back.obs_names.tolist() == ["x", "x-1", "y", "z", "z-1"]
    assert back.var_names.tolist() == ["p1", "p2", "p2-1"]
    np.testing.assert_array_equal(back.X, adata.X)


@pytest.mark.parametrize(("probe", "why"), [
    ("type", "a second 'type' column of the header"),
    ("samples", "a second 'samples' column of the header"),
    ("Unnamed: 0", "a row index pandas wrote"),
])
def test_write_cumida_refuses_a_probe_named_as_the_header_reads_it(probe, why, tmp_path):
    # before: a probe named 'type' was written as 'samples,type,type,p2' without a word, and
    # read_cumida refused the file it had written ("duplicate column 'type' (columns 2 and 3)")
    import anndata as ad

    adata = ad.AnnData(np.array([[1.0, 2.0], [3.0, 4.0]]),
                       obs=pd.DataFrame({"type": ["x", "y"]}, index=["s1", "s2"]))
    adata.var_names = [probe, "p2"]
    path = tmp_path / "w.csv"
    with pytest.raises(ValueError, match=re.escape(
            f"io.write_cumida: probe id {probe!r} (var_names) would be read back as {why}, so "
            "read_cumida would refuse the file: rename the probe first")):
        gx.io.write_cumida(adata, path)
    assert not path.exists()


def test_write_cumida_says_which_ids_and_types_will_not_read_back_the_same(tmp_path, caplog):
    """Before: written without a word; read_cumida then gave ids ' s1' and 'p2 ' back as 's1'
    and 'p2' (CSV readers strip the blanks around a field) and refused a type holding a line
    break ("a quoted field does not end on its line")."""
    import anndata as ad

    adata = ad.AnnData(np.arange(6.0).reshape(2, 3), obs=pd.DataFrame(
        {"type": ["a", "b"]}, index=[" s1", "s2"]))
    adata.var_names = ["p1", "p2 ", "p3"]
    path = tmp_path / "w.csv"
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.io.write_cumida(adata, path)
    assert ("1 sample id(s) (e.g. ' s1') and 1 probe id(s) (e.g. 'p2 ') begin or end with "
            "blanks, which read_cumida strips") in caplog.text
    assert gx.io.read_cumida(path).obs_names.tolist() == ["s1", "s2"]
    adata.obs_names = ["s1", "s2"]
    adata.var_names = ["p1", "p2", "p3"]
    adata.obs["type"] = ["a\nb", "c"]
    caplog.clear()
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.io.write_cumida(adata, path)
    assert ("1 type(s) (e.g. 'a\\nb') hold a line break, which read_cumida refuses"
            in caplog.text)
    with pytest.raises(InputError, match="a quoted field does not end on its line"):
        gx.io.read_cumida(path)


@pytest.mark.parametrize("name", ["w.csv", "w.csv.gz"])
def test_write_cumida_names_text_it_cannot_encode_and_writes_nothing(tmp_path, name):
    # before: a lone surrogate (Python's stand-in for an undecodable byte) raised a bare
    # "UnicodeEncodeError: 'utf-8' codec can't encode character '\udcff' in position 1:
    # surrogates not allowed", naming no file, sample or column
    import anndata as ad

    adata = ad.AnnData(np.arange(6.0).reshape(2, 3), obs=pd.DataFrame(
        {"type": ["a", "b\udcff"]}, index=["s1", "s2"]))
    adata.var_names = ["p1", "p2", "p3"]
    path = tmp_path / name
    path.write_bytes(b"earlier\n")
    tail = ("is not UTF-8 text (it holds a lone surrogate, Python's stand-in for a byte it "
            "could not decode); nothing was written: fix {} and write again")
    with pytest.raises(ValueError, match=re.escape(
            f"io.write_cumida: {path}: type 'b\\udcff' of sample 's2' (column 'type', from "
            ".obs['type']) " + tail.format(".obs['type']"))):
        gx.io.write_cumida(adata, path)
    adata.obs["type"] = ["a", "b"]
    adata.obs["samples"] = ["1", "\udcff2"]
    with pytest.raises(ValueError, match=re.escape(
            "sample id '\\udcff2' (row 2, column 'samples', from .obs['samples']) "
            + tail.format(".obs['samples']"))):
        gx.io.write_cumida(adata, path)
    adata.obs["samples"] = ["1", "2"]
    adata.var_names = ["p1", "p\udcff2", "p3"]
    with pytest.raises(ValueError, match=re.escape(
            "probe id 'p\\udcff2' (a column name, from var_names) " + tail.format("var_names"))):
        gx.io.write_cumida(adata, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary left behind
    assert path.read_bytes() == b"earlier\n"


def test_pp_does_not_import_the_command_line_pipeline():
    import subprocess
    import sys

    code = ("import sys, gexclust as gx\n"
            "gx.pp.select_variable, gx.pp.scale, gx.pp.log2, gx.tl.hclust\n"
            "print(sorted(m for m in sys.modules if m in ('gexclust._pipeline', 'gexclust.cli',"
            " 'gexclust._run_cli')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_empty_type_is_missing_not_a_category(tmp_path):
    # R's write.csv writes a missing label as NA; pandas.read_csv reads these as NaN too
    text = "samples,type,p1,p2\n1,AML,1,2\n2,,3,4\n3, ,5,6\n4,PB,7,8\n5,NA,1,1\n6,N/A,2,2\n"
    for name in ("fast.csv", "careful.csv"):  # numpy fast path, then the csv module's
        body = text if name == "fast.csv" else text.replace("AML", '"AML"')
        path = write_csv(tmp_path / name, body)
        adata = gx.io.read_cumida(path)
        assert adata.obs["type"].cat.categories.tolist() == ["AML", "PB"]
        assert adata.obs["type"].isna().tolist() == [False, True, True, False, True, True]
        by_pandas = pd.read_csv(path, skipinitialspace=True)["type"]
        assert adata.obs["type"].isna().tolist() == by_pandas.isna().tolist()


def test_blank_cells_are_missing_values_like_empty_ones(tmp_path):
    text = "samples,type,p1,p2,p3\n1,A,1,  ,3\n2,B,4,5,\t\n3,A,7, NA ,9\n4,B,1,2,3\n"
    path = write_csv(tmp_path / "blank.csv", text)
    with pytest.raises(InputError, match=r"3 missing value\(s\) in 2 probe\(s\); first at line 2 \(sample '1'\), column 'p2'"):  # noqa: E501
        gx.io.read_cumida(path)
    adata = gx.io.read_cumida(path, missing="drop")
    assert adata.var_names.tolist() == ["p1"]


def test_every_missing_value_text_of_pandas_is_no_type(tmp_path):
    # pandas reads '#N/A' (Excel), '<NA>' (pd.NA as text), 'n/a', 'nan', ... as NaN; before,
    # read_cumida made a class of all but six of them
    from gexclust._labels import MISSING_LABELS

    texts = sorted(MISSING_LABELS - {""})
    rows = [f"{i},{t},{i}.5" for i, t in enumerate(["AML", *texts], start=1)]
    path = write_csv(tmp_path / "na.csv", "samples,type,p1\n" + "\n".join(rows) + "\n")
    adata = gx.io.read_cumida(path)
    assert adata.obs["type"].cat.categories.tolist() == ["AML"]
    by_pandas = pd.read_csv(path)["type"]
    assert adata.obs["type"].isna().tolist() == by_pandas.isna().tolist()


def test_a_type_read_back_as_missing_is_named_when_written(tmp_path, caplog):
    import logging

    import anndata as ad

    adata = ad.AnnData(np.ones((4, 1)), obs=pd.DataFrame(
        {"type": ["NA", "NA", "AML", "None"]}, index=list("abcd")))
    path = tmp_path / "out.csv"
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.io.write_cumida(adata, path)
    assert "type 'NA' (2 samples), 'None' (1 sample) will be read back as a missing" in (
        caplog.text)
    # the documented outcome: every reader takes them for missing values
    assert gx.io.read_cumida(path).obs["type"].isna().tolist() == [True, True, False, True]
    assert pd.read_csv(path)["type"].isna().tolist() == [True, True, False, True]
    caplog.clear()
    adata.obs["type"] = ["N.A.", np.nan, "AML", ""]  # nothing to say: missing stays missing
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.io.write_cumida(adata, path)
    assert "write_cumida" not in caplog.text


@pytest.mark.parametrize(("text", "name", "message"), [
    # a row cut short: the fast parser hands it to the careful one, which names it
    ("samples,type,p1,p2\nGSM1,AML,1.5,2.5\nGSM2,PB\nGSM3,AML,3.5,4.5\n", "short.csv",
     r"short\.csv, line 3: 2 fields, expected 4 as in the header \(ragged row\)"),
    ("samples,type\nGSM1,AML\nGSM2,PB\n", "noprobes.csv",
     r"noprobes\.csv, line 1: no probe columns after 'samples' and 'type'"),
    # a trailing comma on every line reads (an empty last column: test_an_excel_export...);
    # a value under the empty name is refused
    ("samples,type,p1,\nGSM1,AML,1.5,\nGSM2,PB,2.5,3\n", "comma.csv",
     r"comma\.csv, line 1: column 4 has an empty name; expected a probe id"),
    ('!Series_title\t"x"\n!series_matrix_table_begin\n"ID_REF"\t"GSM1"\n', "GSE1.txt",
     r"GSE1\.txt, line 1: GEO text, not a CuMiDa CSV; .*\(gexclust\.io\.read_series_matrix\)"),
    ("^SERIES = GSE1\n!Series_title = x\n", "GSE1.soft.txt",
     r"GSE1\.soft\.txt, line 1: GEO text, not a CuMiDa CSV; .*\(gexclust\.io\.read_soft\)"),
    # before: "gexclust: error: Error: field larger than field limit (131072)", naming no
    # file or line (fuzz29: a line of 100,000 tab-separated cells in Golub's CSV), both in a
    # data row and in the header
    ("samples,type,p1\nGSM1,AML,1.5\n" + "\t".join(["1"] * 70_000) + "\n", "tabs.csv",
     r"tabs\.csv, line 3: not a CSV row \(field larger than field limit \(131072\); is the "
     r"file tab-separated\?\)"),
    ("\t".join(["samples", "type", *["1"] * 70_000]) + "\nGSM1\tAML\t1.5\n", "tabs.csv",
     r"tabs\.csv, line 1: not a CSV row \(field larger than field limit \(131072\); is the "
     r"file tab-separated\?\)"),
])
def test_malformed_csv_is_named_by_line(text, name, message, tmp_path):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path))}/{message}$"):
        gx.io.read_cumida(path)



@pytest.mark.parametrize(("change", "message"), [
    # before, both: "line N: not a CSV row (field larger than field limit (131072); is the
    # file tab-separated?)", which neither is; the open quote was named at line 8, where
    # the csv module gave up, not at line 3 where it opened
    (lambda cells: [*cells[:5], "x" * 140_000, *cells[6:]],
     "line 3: not a CSV row (field larger than field limit (131072); a cell longer than the "
     "csv module's limit of 131,072 characters, with no quote open)"),
    (lambda cells: ['"' + cells[0], *cells[1:]],
     "line 3: not a CSV row (field larger than field limit (131072); a quote opened on this "
     "line is not closed: its cell ran on past the csv module's limit of 131,072 characters)"),
])
def test_a_cell_past_the_csv_limit_says_whether_a_quote_is_open(change, message, tmp_path):
    lines = gzip.decompress(shared_file("real/golub_multtest.csv.gz").read_bytes()).decode()
    lines = lines.split("\n")
    lines[2] = ",".join(change(lines[2].split(",")))  # golub_02's row, 26,000 characters
    path = tmp_path / "golub.csv"
    path.write_text("\n".join(lines))
    assert refusal(gx.io.read_cumida, path) == f"{path}, {message}"


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_reading_does_not_hold_the_text_twice(tmp_path, line_end):
    # before: the whole text stood beside its lines, and the lines beside a copy of each
    # row's values (row.split(",", 2)): a 2,000 x 22,283 CSV of 312 MB peaked at 942 MB
    # above the interpreter (twice the text, plus the matrix); now at 647 MB
    import tracemalloc

    n, m = 1000, 4000  # 36 MB of text: well above the 8 MiB chunks the file is read in
    row = np.random.default_rng(0).normal(8.0, 2.0, size=m)
    cells = ",".join(f"{v:.6f}" for v in row)
    header = "samples,type," + ",".join(f"p{j}" for j in range(m))
    path = tmp_path / "wide.csv"
    path.write_text(line_end.join([header, *(f"s{i},T{i % 3},{cells}" for i in range(n)), ""]),
                    newline="")
    text_size, matrix_size = path.stat().st_size, n * m * 8
    # the imports a first read makes are not the reader's memory
    gx.io.read_cumida(write_csv(tmp_path / "warm.csv", "samples,type,p1\na,T,1\n"))
    tracemalloc.start()
    try:
        adata = gx.io.read_cumida(path, annotate=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert adata.shape == (n, m)
    np.testing.assert_array_equal(adata.X[-1], np.round(row, 6))
    assert adata.obs["type"].tolist()[:4] == ["T0", "T1", "T2", "T0"]
    # the bytes read and their lines (twice the text), or the lines and the matrix, at
    # once; not the text twice and the matrix (2.9 x the text here before, 2.0 x now)
    assert peak < 2 * text_size + matrix_size / 2, (peak, text_size, matrix_size)


def test_a_csv_gzipped_twice_is_named_as_such(tmp_path):
    # it read as 'line 1: NUL byte; expected a CuMiDa CSV (a binary or damaged file?)'
    twice = tmp_path / "twice.csv.gz"
    twice.write_bytes(gzip.compress(gzip.compress(b"samples,type,p1\n1,A,2\n2,B,3\n")))
    with pytest.raises(InputError, match=r"^\S+twice.csv.gz: gzip data inside gzip data "
                                         r"\(compressed twice\); decompress it once"):
        gx.io.read_cumida(twice)
    with pytest.raises(InputError, match="gzip data inside gzip data"):
        gx.io.read_annotations(twice)


@pytest.mark.parametrize(("suffix", "compress", "command"), [
    (".bz2", bz2.compress, "bunzip2"), (".xz", lzma.compress, "unxz")])
def test_bzip2_and_xz_data_are_named_as_such(tmp_path, suffix, compress, command):
    """Before: 'line 1: NUL byte; expected comma-separated text (a binary or damaged
    file?)', of a whole file compressed with bzip2 or xz, as GEO's readers said too."""
    text = b"samples,type,p1\ns1,A,2\ns2,B,3\n"
    soft = shared_file("peers/geoparse/GSM32878.txt").read_bytes()
    for name, data, read in [("data.csv", text, gx.io.read_cumida),
                             ("sheet.csv", text, gx.io.read_annotations),
                             ("GSM32878.txt", soft, gx.io.read_soft)]:
        path = tmp_path / (name + suffix)
        path.write_bytes(compress(data))
        assert refusal(read, path) == (
            f"{path}: {suffix[1:].replace('bz2', 'bzip2')}-compressed data; gexclust reads "
            f"plain text or gzip (.gz): decompress it first ({command} {path.name})")


HINT = ("gene symbols a spreadsheet took for dates (SEPT2 shows as '2-Sep', MARCH1 and MARC1 "
        "both as '1-Mar')? Open the original file with the header imported as text")


def test_gene_symbols_a_spreadsheet_made_dates_are_named(tmp_path, caplog):
    """A CSV of gene symbols saved by Excel: SEPT2 became '2-Sep', MARCH1 and MARC1 both
    '1-Mar'. Before: read without a word, or refused as "duplicate column '1-Mar' (columns 3
    and 5); probe ids must be unique", which did not say how two genes got one name."""
    path = tmp_path / "symbols.csv"
    path.write_text("samples,type,2-Sep,TP53,1-Mar\ns1,A,1,2,3\ns2,B,2,3,4\n")
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_cumida(path, annotate=False)
    assert adata.var_names.tolist() == ["2-Sep", "TP53", "1-Mar"]
    assert (f"{path}, line 1: 2 probe name(s) look like dates ('2-Sep', '1-Mar'): {HINT}; "
            "read as written") in caplog.text
    path.write_text("samples,type,1-Mar,TP53,1-Mar\ns1,A,1,2,3\ns2,B,2,3,4\n")
    assert refusal(gx.io.read_cumida, path) == (
        f"{path}, line 1: duplicate column '1-Mar' (columns 3 and 5); probe ids must be "
        f"unique: {HINT}")
    path.write_text("samples,type,TP53,1-Mar,TP53\ns1,A,1,2,3\ns2,B,2,3,4\n")
    assert refusal(gx.io.read_cumida, path).endswith("probe ids must be unique")
    # the name refused is TP53, written twice by hand: no hint, though '1-Mar' repeats later
    # (before: the hint of dates, about 'TP53')
    path.write_text("samples,type,TP53,1-Mar,TP53,1-Mar\ns1,A,1,2,3,4\ns2,B,2,3,4,5\n")
    assert refusal(gx.io.read_cumida, path) == (
        f"{path}, line 1: duplicate column 'TP53' (columns 3 and 5); probe ids must be unique")


def test_a_zip_archive_is_named_as_such_by_every_reader(tmp_path):
    """Before: a zipped SOFT or series matrix read as 'line 1: NUL byte; expected GEO text
    (a binary or damaged file?)', and gexclust run (which takes a .zip for a CSV) said 'a
    zip archive (a spreadsheet such as .xlsx?), not a CuMiDa CSV; save it as CSV'."""
    path = tmp_path / "GSM32878.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(shared_file("peers/geoparse/GSM32878.txt"), "GSM32878.txt")
    message = (f"{path}: a zip archive (a spreadsheet such as .xlsx, or zipped files?); "
               "gexclust reads plain text or gzip (.gz): save it as CSV if it is a "
               "spreadsheet, or unzip it (unzip GSM32878.zip)")
    for read in (gx.io.read_soft, gx.io.read_series_matrix, gx.io.read_cumida,
                 gx.io.read_annotations):
        assert refusal(read, path) == message


def test_a_broken_gzip_is_named_as_the_geo_readers_name_it(tmp_path):
    # the CSV and sheet readers said 'corrupt or truncated gzip file (...); download it
    # again', the GEO readers '... gzip data (...); download the file again': one wording
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(b"samples,type,p1\n1,A,2\n" * 100)[:40])
    with pytest.raises(InputError, match=r"broken.csv.gz: corrupt or truncated gzip data "
                                         r"\(.*\); download the file again$"):
        gx.io.read_cumida(broken)


EXCEL = "samples,type,1007_s_at,1053_at\r\n1,AML,7.5,8.25\r\n2,PB,6.0,5.5\r\n"


@pytest.mark.parametrize("text", [
    # before: "line 1: no column 'samples'; expected 'samples', 'type', then one column per
    # probe (found: sep=, )": Excel's first line naming the separator, read as the header
    "sep=,\r\n" + EXCEL,
    '"sep=,"\r\n' + EXCEL,
    # before: "line 1: column 5 has an empty name; expected a probe id": Excel writes a comma
    # for each formatted, empty column on every line
    EXCEL.replace("\r\n", ",,\r\n"),
    EXCEL.replace("1053_at\r\n", "1053_at,,\r\n"),  # rows that stop before them
    # before: "line 4: empty sample id in column 'samples'": rows of empty cells that a
    # spreadsheet writes for formatted, empty rows
    EXCEL + ",,,\r\n,,,\r\n",
])
def test_an_excel_export_reads_as_the_plain_csv(text, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # Excel's 'CSV UTF-8' starts with a BOM
    adata = gx.io.read_cumida(path, annotate=False)
    assert adata.obs_names.tolist() == ["1", "2"]
    assert adata.obs["type"].tolist() == ["AML", "PB"]
    assert adata.var_names.tolist() == ["1007_s_at", "1053_at"]
    np.testing.assert_array_equal(adata.X, [[7.5, 8.25], [6.0, 5.5]])


@pytest.mark.parametrize(("text", "said"), [
    # the line numbers count Excel's 'sep=,' line
    ("sep=,\n" + EXCEL.replace("6.0", "6,0"), "line 4: 5 fields, expected 4 as in the header "
     "(ragged row)"),
    ("sep=,\n" + EXCEL.replace("6.0", "six"), "line 4, column '1007_s_at': value 'six' is not "
     "a number"),
    ("sep=,\n" + EXCEL.replace("1053_at", "1007_s_at"), "line 2: duplicate column "
     "'1007_s_at' (columns 3 and 4); probe ids must be unique"),
    # another separator named there: the file is not a CuMiDa CSV as written
    ("sep=;\nsamples;type;1007_s_at\n1;AML;7,5\n", "line 1: 'sep=;': the file is separated by "
     "semicolons, not commas as a CuMiDa CSV is; save it as CSV with commas"),
    # a value in an empty-named column is no trailing empty column
    (EXCEL.replace("\r\n", ",,\r\n").replace("5.5,,", "5.5,3.2,"),
     "line 1: column 5 has an empty name; expected a probe id"),
])
def test_excel_exports_that_cannot_read_name_the_line(text, said, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(text)
    assert refusal(gx.io.read_cumida, path, annotate=False) == f"{path}, {said}"


@pytest.mark.parametrize(("text", "said"), [
    # before: "value '#DIV/0!' is not a number", as if a typo
    (EXCEL.replace("6.0", "#DIV/0!"), "line 3, column '1007_s_at': value '#DIV/0!' is not a "
     "number (a spreadsheet's error value, left by a formula that failed: correct the "
     "formula or empty the cell)"),
    # before: read as a class of its own, type '#VALUE!', without a word
    (EXCEL.replace("PB", "#VALUE!"), "line 3, column 'type': '#VALUE!' is a spreadsheet's "
     "error value, left by a formula that failed: correct the formula or empty the cell"),
])
def test_a_spreadsheet_error_value_is_named_as_one(text, said, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(text)
    assert refusal(gx.io.read_cumida, path, annotate=False) == f"{path}, {said}"
    # '#N/A' is a missing value, as pandas and R read it
    path.write_text(EXCEL.replace("6.0", "#N/A"))
    adata = gx.io.read_cumida(path, annotate=False, missing="drop")
    assert adata.var_names.tolist() == ["1053_at"]


@pytest.mark.parametrize("cell", ["7,5", "1,234.5", "1.234,5"])
def test_a_number_written_with_a_comma_says_why_it_is_none(cell, tmp_path):
    # before: "value '7,5' is not a number", as for a typo, of a European export's decimal
    # comma or a number format's thousands separator (quoted, as Excel writes them)
    path = tmp_path / "excel.csv"
    path.write_text(EXCEL.replace("6.0", f'"{cell}"'))
    assert refusal(gx.io.read_cumida, path, annotate=False) == (
        f"{path}, line 3, column '1007_s_at': value {cell!r} is not a number (a decimal comma "
        "or a thousands separator, as a spreadsheet's number format writes them? a CuMiDa CSV "
        "writes plain numbers, 1234.5)")


def test_a_tab_separator_line_is_named_as_the_others_are(tmp_path):
    # before: Excel's 'sep=<tab>' first line lost its tab to strip() and was read as the
    # header: "line 1: no column 'samples'; ... (found: sep=)", where 'sep=;' says the file is
    # separated by semicolons
    path = tmp_path / "tabs.csv"
    path.write_text("sep=\t\nsamples\ttype\t1007_s_at\n1\tAML\t7.5\n")
    assert refusal(gx.io.read_cumida, path, annotate=False) == (
        f"{path}, line 1: 'sep=\\t': the file is separated by tabs, not commas as a CuMiDa CSV "
        "is; save it as CSV with commas")


def test_a_row_index_pandas_wrote_back_is_not_read_as_a_probe(tmp_path):
    # before: Golub's CSV read and written back with pandas twice ('Unnamed: 0', row numbers
    # 0-37) read as 3,052 probes; that column outweighed every gene and gexclust run gave
    # ARI 1.000 (the rows are sorted by type) where the genes alone give 0.793
    once, twice = tmp_path / "once.csv", tmp_path / "twice.csv"
    pd.read_csv(shared_file("real/golub_multtest.csv.gz")).to_csv(once)
    pd.read_csv(once).to_csv(twice, index=False)
    assert refusal(gx.io.read_cumida, twice) == (
        f"{twice}, line 1: column 1 is named 'Unnamed: 0', as pandas names a column without a "
        "header: a row index written with to_csv (pass index=False), not a probe; remove "
        "the column")
    # written once with its index, the column has no name at all, refused as before
    assert refusal(gx.io.read_cumida, once) == (
        f"{once}, line 1: column 1 has an empty name; expected a probe id")


@pytest.mark.parametrize("missing", ["error", "drop", "impute"])
def test_a_row_without_a_single_value_is_left_out_as_geo_readers_do(missing, tmp_path, caplog):
    # before: Golub with golub_05's values emptied was refused under 'error'; 'drop' dropped
    # all 3,051 probes (then tl.hclust: ".X has no genes"); 'impute' gave golub_05 every
    # probe's mean, a made-up sample that gexclust run clustered with the rest (ARI 0.306,
    # against 0.413 without the row). GEO readers leave such a sample out with a warning
    lines = gzip.decompress(shared_file("real/golub_multtest.csv.gz").read_bytes()).decode()
    lines = lines.splitlines()
    sample, kind, *cells = lines[5].split(",")
    assert sample == "golub_05"
    path, without = tmp_path / "golub.csv", tmp_path / "without.csv"
    path.write_text("\n".join([*lines[:5], ",".join([sample, kind] + [""] * len(cells)),
                               *lines[6:]]) + "\n")
    without.write_text("\n".join(lines[:5] + lines[6:]) + "\n")
    with caplog.at_level("WARNING", logger="gexclust"):
        adata = gx.io.read_cumida(path, missing=missing)
    assert caplog.messages == [
        f"{path}: 1 sample(s) without a single value left out: golub_05 (line 6)"]
    expected = gx.io.read_cumida(without)
    assert adata.obs_names.tolist() == expected.obs_names.tolist()
    assert adata.obs["type"].tolist() == expected.obs["type"].tolist()
    np.testing.assert_array_equal(adata.X, expected.X)
    none_filled = {"n_samples_imputed": 0, "most_imputed_in_a_sample": 0,
                   "sample_most_imputed": "", "most_imputed_in_a_probe": 0}
    assert adata.uns["missing"] == {"policy": missing, "n_missing_values": 0,
                                    "n_probes_with_missing": 0, "n_probes_dropped": 0,
                                    **(none_filled if missing == "impute" else {})}


def test_drop_leaving_no_probe_is_one_line_naming_the_file(tmp_path):
    # before: Golub with a hole in every probe (sample i misses probes i, i + 38, ...) read
    # under missing='drop' as 38 x 0 with numpy's 'Mean of empty slice' RuntimeWarning, and
    # gexclust run ended in "tl.hclust: .X has no genes (38 obs x 0)", naming no file
    lines = gzip.decompress(shared_file("real/golub_multtest.csv.gz").read_bytes()).decode()
    rows = [lines.splitlines()[0]]
    for i, line in enumerate(lines.splitlines()[1:]):
        cells = line.split(",")
        for j in range(2 + i, len(cells), 38):
            cells[j] = ""
        rows.append(",".join(cells))
    path = tmp_path / "holes.csv"
    path.write_text("\n".join(rows) + "\n")
    assert refusal(gx.io.read_cumida, path, missing="drop") == (
        f"{path}: no probe has a value in every sample, so missing='drop' left none of the "
        "3051; try missing='impute' (gexclust run --missing impute)")
    assert gx.io.read_cumida(path, missing="impute").shape == (38, 3051)
