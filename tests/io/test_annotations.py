"""Sample sheets into ``.obs``: gexclust.io.read_annotations and annotate_obs."""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust import InputError
from tests.conftest import shared_file
from tests.io.conftest import refusal


def _adata(n: int = 6, seed: int = 0):
    import anndata as ad

    rng = np.random.default_rng(seed)
    obs = pd.DataFrame({"type": pd.Categorical(["A", "B"] * (n // 2))},
                       index=[f"GSM{100 + i}" for i in range(n)])
    return ad.AnnData(rng.normal(size=(n, 4)), obs=obs)


def test_tsv_id_column_found_by_matching_and_values_kept_as_written(tmp_path):
    adata = _adata()
    # the first column is a row number: the ids are in the second, and found there
    rows = [f"{i}\t{s}\t00{i % 3}\t{'NA' if i == 2 else 'x'}"
            for i, s in enumerate(adata.obs_names)]
    path = tmp_path / "sheet.tsv.gz"
    path.write_bytes(gzip.compress(("n\tsample\tbatch\tnote\n" + "\n".join(rows)).encode()))
    df = gx.io.read_annotations(path, adata.obs_names)
    assert df.attrs["key"] == "sample"
    assert list(df.index) == list(adata.obs_names)
    assert list(df.columns) == ["n", "batch", "note"]
    assert df["batch"].tolist() == ["000", "001", "002", "000", "001", "002"]
    assert df["note"].isna().tolist() == [False, False, True, False, False, False]
    assert df.attrs["sha256"] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    gx.io.annotate_obs(adata, path)
    assert adata.obs["batch"].dtype == "category"
    assert adata.obs["batch"].tolist() == ["000", "001", "002", "000", "001", "002"]
    assert adata.obs["type"].tolist() == ["A", "B"] * 3  # untouched
    assert adata.uns["annotations"]["columns"] == ["n", "batch", "note"]


def test_samples_named_like_missing_values_are_matched(tmp_path):
    """Before: a sample named ``NA`` (or ``null``, ``nan``, ``N/A``) stopped the run with 's.csv,
    line 2: no sample id in column 'sample'', though read_cumida keeps such ids as written. A
    text the data use as a sample id is an id; ``NA`` beside other samples still is none."""
    import anndata as ad

    names = ["NA", "null", "nan", "N/A", "S5"]
    adata = ad.AnnData(np.zeros((5, 2)), obs=pd.DataFrame(index=names))
    path = tmp_path / "s.csv"
    path.write_text("sample,batch\n" + "".join(f"{s},b{i}\n" for i, s in enumerate(names)))
    gx.io.annotate_obs(adata, path)
    assert adata.obs["batch"].tolist() == ["b0", "b1", "b2", "b3", "b4"]
    path.write_text("sample,batch\nS5,1\nNA,2\n")
    with pytest.raises(InputError, match=r"s\.csv, line 3: no sample id in column 'sample'"):
        gx.io.read_annotations(path, ["S5", "S6"])


def test_order_of_rows_does_not_matter_and_extra_rows_warn(tmp_path, caplog):
    adata = _adata(4)
    lines = ["id,lot", "GSM999,9", *(f"{s},L{i}" for i, s in reversed(list(
        enumerate(adata.obs_names))))]
    path = tmp_path / "s.csv"
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        out = gx.io.annotate_obs(adata, path, copy=True)
    assert "lot" not in adata.obs  # copy=True leaves the input alone
    assert out.obs["lot"].tolist() == ["L0", "L1", "L2", "L3"]
    assert list(out.obs["lot"].cat.categories) == ["L0", "L1", "L2", "L3"]  # not 9
    assert "1 of its 5 rows are not samples of the data, left out: 'GSM999'" in caplog.text


def test_windows_1252_and_bom_read_as_the_cumida_reader_reads_them(tmp_path):
    adata = _adata(2)
    path = tmp_path / "s.csv"
    path.write_bytes(b"\xef\xbb\xbfsample,site\nGSM100,Caf\xe9\nGSM101,Z\xfcrich\n")
    df = gx.io.read_annotations(path, adata.obs_names)
    assert df.index.name == "sample"  # the BOM is not part of the name
    assert df["site"].tolist() == ["Café", "Zürich"]
    assert df.attrs["encoding"] == "utf-8, else windows-1252"


def test_key_names_the_id_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,b\nGSM100,GSM101\nGSM101,GSM100\n")
    df = gx.io.read_annotations(path, ["GSM100", "GSM101"], key="b")
    assert df.index.tolist() == ["GSM101", "GSM100"]
    assert df.loc["GSM100", "a"] == "GSM101"
    # without obs_names or key, the first column holds the ids
    assert gx.io.read_annotations(path).index.name == "a"
    with pytest.raises(InputError, match=r"s\.csv, line 1: no column 'c' \(columns: 'a', 'b'\)"):
        gx.io.read_annotations(path, key="c")


@pytest.mark.parametrize(("text", "message"), [
    ("", r"s\.csv: file is empty"),
    ("sample,batch\n", r"s\.csv: header found but no rows"),
    ("sample\nGSM100\n", r"s\.csv, line 1: one column"),
    ("sample,batch,batch\nGSM100,1,2\n",
     r"s\.csv, line 1: duplicate column 'batch' \(columns 2 and 3\)"),
    ("sample,,x\nGSM100,1,2\n", r"s\.csv, line 1: column 2 has an empty name"),
    ("sample,batch\nGSM100,1\nGSM101\n", r"s\.csv, line 3: 1 fields, the header has 2"),
    ("sample,batch\nGSM100,1\n,2\n", r"s\.csv, line 3: no sample id in column 'sample'"),
    ("sample,batch\nGSM100,1\nGSM101,2\n\nGSM100,3\n",
     r"s\.csv, lines 2, 5: sample 'GSM100' appears 2 times in column 'sample'; one row per "
     "sample"),
    ("sample,batch\nX1,1\nX2,2\n",
     r"s\.csv: no column holds any sample id of the data \(such as 'GSM100', 'GSM101', "
     r"'GSM102', 'GSM103', 'GSM104', ...\); columns: 'sample', 'batch'"),
])
def test_bad_sheets_are_named(tmp_path, text, message):
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        gx.io.read_annotations(path, [f"GSM{100 + i}" for i in range(6)])


def test_samples_without_a_row_are_counted_and_named(tmp_path):
    adata = _adata(8)
    path = tmp_path / "s.csv"
    path.write_text("sample,batch\nGSM100,1\n")
    with pytest.raises(InputError, match=(
            r"s\.csv: 7 of the 8 samples have no row in column 'sample': 'GSM101', 'GSM102', "
            r"'GSM103', 'GSM104', 'GSM105', ...; add their rows")):
        gx.io.annotate_obs(adata, path)
    assert "batch" not in adata.obs
    assert "annotations" not in adata.uns


def test_type_clash_is_refused_unless_the_input_has_no_type(tmp_path, caplog):
    adata = _adata(2)
    path = tmp_path / "s.csv"
    path.write_text("sample,type\nGSM100,A\nGSM101,C\n")
    with pytest.raises(InputError, match=(
            r"s\.csv: column 'type' differs from the input's sample types .* for 1 of 2 "
            "samples; rename it in the sheet")):
        gx.io.annotate_obs(adata, path)
    assert adata.obs["type"].tolist() == ["A", "B"]
    adata.obs["type"] = pd.Categorical([None, None], categories=["A"])  # a CSV without types
    gx.io.annotate_obs(adata, path)
    assert adata.obs["type"].tolist() == ["A", "C"]
    # the same values as the input's: nothing to add, nothing refused
    with caplog.at_level(logging.INFO, logger="gexclust"):
        gx.io.annotate_obs(adata, path)
    assert adata.uns["annotations"]["columns"] == []
    assert "column 'type' equals .obs['type']; kept as it was" in caplog.text


@pytest.mark.parametrize("column", ["cluster", "consensus"])
def test_a_result_name_is_refused(tmp_path, column):
    path = tmp_path / "s.csv"
    path.write_text(f"sample,{column}\nGSM100,1\nGSM101,2\n")
    with pytest.raises(InputError, match=f"column '{column}' is a name gexclust writes"):
        gx.io.annotate_obs(_adata(2), path)


def test_other_obs_column_clash_is_refused(tmp_path):
    adata = _adata(2)
    adata.obs["batch"] = ["1", "2"]
    path = tmp_path / "s.csv"
    path.write_text("sample,batch\nGSM100,1\nGSM101,3\n")
    with pytest.raises(InputError, match=(r"column 'batch' differs from a column the input "
                                          "already has, for 1 of 2 samples")):
        gx.io.annotate_obs(adata, path)
    assert adata.obs["batch"].tolist() == ["1", "2"]


@pytest.mark.parametrize(("ids", "sheet_ids"), [
    (["1", "2", "3", "4"], ["1.0", "2.0", "3.0", "4.0"]),  # numbers saved by a spreadsheet
    (["s1", "s2", "s3", "s4"], ["S1", "S2", "S3", "S4"]),  # ids typed in another case
])
def test_a_column_equal_to_the_ids_only_by_chance_is_not_taken_silently(tmp_path, ids,
                                                                        sheet_ids):
    import anndata as ad

    adata = ad.AnnData(np.zeros((4, 2)), obs=pd.DataFrame(index=ids))
    # 'patient' holds the data's ids in another order: taking it would annotate every
    # sample with another sample's row
    patient = [ids[1], ids[2], ids[3], ids[0]]
    rows = [f"{s},{p}" for s, p in zip(sheet_ids, patient, strict=True)]
    path = tmp_path / "sheet.csv"
    path.write_text("sample,patient\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"sheet\.csv: columns 'patient' and 'sample' both "
                                         r"hold the data's sample ids"):
        gx.io.annotate_obs(adata, path)
    assert list(adata.obs.columns) == []
    gx.io.annotate_obs(adata, path, key="patient")  # named: taken as asked
    # (1.0-4.0, a number per sample, are kept as numbers: str() gives them back)
    assert adata.obs["sample"].astype(str).tolist() == [sheet_ids[3], sheet_ids[0],
                                                        sheet_ids[1], sheet_ids[2]]


@pytest.mark.parametrize("column", ["_index", "batch/lot"])
def test_a_column_h5ad_cannot_store_is_refused_by_name(tmp_path, column):
    adata = _adata(2)
    path = tmp_path / "sheet.csv"
    path.write_text(f"sample,{column}\nGSM100,1\nGSM101,2\n")
    with pytest.raises(InputError, match=rf"sheet\.csv: column '{column}' cannot be stored"):
        gx.io.annotate_obs(adata, path)
    assert list(adata.obs.columns) == ["type"]
    adata.write_h5ad(tmp_path / "a.h5ad")


def test_a_cell_with_a_line_break_as_a_spreadsheet_saves_it(tmp_path):
    adata = _adata(2)
    path = tmp_path / "sheet.csv"
    # Excel and LibreOffice quote a cell holding a line break (Alt+Enter) and write it as is
    path.write_bytes(b'sample,"batch\r\nlot",note\r\nGSM100,1,"thawed\r\ntwice"\r\n'
                     b'GSM101,2,ok\r\n')
    gx.io.annotate_obs(adata, path)
    assert adata.obs["note"].tolist() == ["thawed\ntwice", "ok"]
    assert adata.obs["batch\nlot"].tolist() == ["1", "2"]
    # a quote left open swallows the rows after it: refused at the line it opens on
    path.write_text('sample,note\nGSM100,"thawed\nGSM101,ok\n')
    with pytest.raises(InputError, match=r"sheet\.csv, line 2: unexpected end of data"):
        gx.io.read_annotations(path, adata.obs_names)
    # the rows after a closed multi-line cell keep their line numbers
    path.write_text('sample,note\nGSM100,"a\nb"\nGSM101,ok,extra\n')
    with pytest.raises(InputError, match=r"sheet\.csv, line 4: 3 fields, the header has 2"):
        gx.io.read_annotations(path, adata.obs_names)


@pytest.mark.parametrize(("change", "message"), [
    # before, all three: "(a quote opened in a cell and not closed?)", whatever the error
    (lambda cells: [cells[0], "y" * 140_000, *cells[1:]],
     "line 4: field larger than field limit (131072) (a cell longer than the csv module's "
     "limit of 131,072 characters, with no quote open)"),
    (lambda cells: [cells[0], '"' + cells[1], *cells[2:]],
     "line 4: field larger than field limit (131072) (a quote opened on this line is not "
     "closed: its cell ran on past the csv module's limit of 131,072 characters)"),
    (lambda cells: [cells[0], f'"{cells[1]}" x', *cells[2:]],
     "line 4: '\\t' expected after '\"' (a quoted cell goes on after its closing quote; a "
     'quote inside a quoted cell is written twice (""))'),
])
def test_a_csv_error_in_a_sheet_gets_the_hint_that_fits_it(change, message, tmp_path):
    lines = shared_file("GSE9476_meta_info.txt").read_text().split("\n")
    lines[3] = "\t".join(change(lines[3].split("\t")))  # GSM239171 (BM_01)
    # rows of long titles after it: an open quote runs past the limit before the file ends
    lines += [f"GSM9{k:05}\t{'BM_' * 500}\tControl\tNA" for k in range(100)]
    path = tmp_path / "GSE9476_meta_info.txt"
    path.write_text("\n".join(lines))
    assert refusal(gx.io.read_annotations, path) == f"{path}, {message}"


def test_rows_of_empty_cells_a_spreadsheet_leaves_are_skipped(tmp_path):
    adata = _adata(2)
    path = tmp_path / "sheet.csv"
    # cleared rows (once filled, or formatted) are saved by Excel as ',,' lines
    path.write_text("sample,batch\nGSM100,1\n,\nGSM101,2\n,\n , \n")
    gx.io.annotate_obs(adata, path)
    assert adata.obs["batch"].tolist() == ["1", "2"]


def test_empty_unnamed_last_columns_a_spreadsheet_leaves_are_dropped(tmp_path):
    adata = _adata(2)
    path = tmp_path / "sheet.csv"
    # formatted but empty columns right of the table: Excel writes them as trailing commas
    path.write_text("sample,batch,,\nGSM100,1,,\n\nGSM101,2,,\n")
    gx.io.annotate_obs(adata, path)
    assert list(adata.obs.columns) == ["type", "batch"]
    # an unnamed column holding a value is still refused
    path.write_text("sample,batch,\nGSM100,1,x\nGSM101,2,\n")
    with pytest.raises(InputError, match=r"sheet\.csv, line 1: column 3 has an empty name"):
        gx.io.annotate_obs(adata, path)


def test_a_refused_sheet_leaves_the_obs_as_it_was(tmp_path):
    adata = _adata(2)
    adata.obs["type"] = pd.Categorical([None, None], categories=["A"])  # no type at all
    adata.obs["batch"] = ["9", "9"]
    path = tmp_path / "sheet.csv"
    path.write_text("sample,type,batch\nGSM100,T,1\nGSM101,N,2\n")
    with pytest.raises(InputError, match=r"sheet\.csv: column 'batch' differs"):
        gx.io.annotate_obs(adata, path)
    # before: the empty 'type' column was deleted before 'batch' was refused
    assert list(adata.obs.columns) == ["type", "batch"]
    path.write_text("sample,type\nGSM100,T\nGSM101,N\n")
    gx.io.annotate_obs(adata, path)
    assert adata.obs["type"].tolist() == ["T", "N"]


@pytest.mark.parametrize(("ids", "written"), [
    (["007", "008"], ["7", "8"]),  # zeros dropped by a spreadsheet
    (["s1", "s2"], ["S1", "S2"]),
    (["s1", "s2"], ["'s1'", "'s2'"]),
])
def test_ids_written_otherwise_are_pointed_at(tmp_path, ids, written):
    import anndata as ad

    adata = ad.AnnData(np.zeros((2, 2)), obs=pd.DataFrame(index=ids))
    path = tmp_path / "sheet.csv"
    path.write_text("sample,batch\n" + "".join(f"{w},b{i}\n" for i, w in enumerate(written)))
    # before: only 'no column holds any sample id of the data', the 'sample' column unnamed
    with pytest.raises(InputError, match=rf"column 'sample' holds them written otherwise "
                                         rf"\({written[0]!r} for {ids[0]!r}"):
        gx.io.annotate_obs(adata, path)


def test_spreadsheet_csv_with_semicolons(tmp_path):
    # 'CSV' saved where the comma is the decimal mark is semicolon-separated (was: "one
    # column; a sample sheet needs the sample ids and at least one annotation")
    adata = _adata()
    semi = tmp_path / "semi.csv"
    semi.write_bytes(("\ufeffsample;batch;ratio\r\n" + "".join(
        f"{s};{i % 2};0,{i}\r\n" for i, s in enumerate(adata.obs_names))).encode())
    df = gx.io.read_annotations(semi, adata.obs_names)
    assert list(df.columns) == ["batch", "ratio"]
    assert df["batch"].tolist() == ["0", "1"] * 3
    # six numbers over six samples are a measurement, the comma their decimal mark (before
    # numbers were kept as numbers: the text '0,1', which the report could not test)
    assert df["ratio"].tolist() == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    dotted = tmp_path / "dotted.csv"  # a column with a '.' is not read with decimal commas
    dotted.write_text("sample;v\n" + "".join(
        f"{s};{'1.5' if i == 0 else f'2,{i}'}\n" for i, s in enumerate(adata.obs_names)))
    assert gx.io.read_annotations(dotted, adata.obs_names)["v"].dtype == "category"
    # a comma in the header keeps commas the separator, semicolons in cells or not
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("sample,note\n" + "".join(f"{s},a;b\n" for s in adata.obs_names))
    assert gx.io.read_annotations(mixed, adata.obs_names)["note"].tolist() == ["a;b"] * 6
    # Excel's separator hint as the first line is honoured, and line numbers stay the file's
    hinted = tmp_path / "hinted.csv"
    hinted.write_text("sep=;\nsample;batch\nGSM100;1\nGSM101;2;3\n")
    with pytest.raises(InputError, match=r"hinted.csv, line 4: 3 fields, the header has 2"):
        gx.io.read_annotations(hinted, adata.obs_names)
    hinted.write_text('"sep=;"\n' + "sample;batch\n" + "".join(
        f"{s};{i}\n" for i, s in enumerate(adata.obs_names)))
    # (six numbers over six samples are a measurement, kept as numbers)
    assert gx.io.read_annotations(hinted, adata.obs_names)["batch"].tolist() == [
        0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_measurements_are_numbers_in_obs_and_groupings_stay_categories(tmp_path):
    # before: every column was categorical text, so adata.obs['age'].mean() raised and scanpy
    # coloured an age as one colour per distinct value; the report now tests such columns
    # as numbers, and .obs holds them as numbers too
    import anndata as ad

    adata = _adata(8)
    age = ["31", "NA", "45.5", "60", "27", "", "52", "38"]  # 6 values over 8 samples
    rows = [f"{s}\t{a}\t{i % 3 + 1}\t00{i}\t{i}{'x' if i == 7 else ''}"
            for i, (s, a) in enumerate(zip(adata.obs_names, age, strict=True))]
    path = tmp_path / "sheet.tsv"
    path.write_text("sample\tage\tbatch\tcode\tmixed\n" + "\n".join(rows) + "\n")
    gx.io.annotate_obs(adata, path)
    obs = adata.obs
    assert obs["age"].dtype == np.float64
    np.testing.assert_array_equal(obs["age"], [31, np.nan, 45.5, 60, 27, np.nan, 52, 38])
    assert obs["age"].mean() == pytest.approx(42.25)
    assert obs["batch"].dtype == "category"  # 3 values over 8 samples: a grouping
    assert obs["batch"].tolist() == ["1", "2", "3", "1", "2", "3", "1", "2"]
    assert obs["code"].tolist()[:2] == ["000", "001"]  # a code written with zeros is text
    assert obs["mixed"].dtype == "category"  # '7x' is no number: the column stays text
    adata.write_h5ad(tmp_path / "a.h5ad")  # NaN in a float column, text beside it
    back = ad.read_h5ad(tmp_path / "a.h5ad").obs
    np.testing.assert_array_equal(back["age"], obs["age"])
    assert back["mixed"].tolist() == obs["mixed"].tolist()
    # the same ages already in .obs as text (GEO characteristics) are the same values
    again = _adata(8)
    again.obs["age"] = [a if a not in ("NA", "") else None for a in age]
    again.obs.loc["GSM102", "age"] = "45.50"
    gx.io.annotate_obs(again, path)
    assert again.obs["age"].tolist()[2] == "45.50"  # kept as it was, not refused


def test_numbers_with_fractions_are_measurements_however_few_their_values(tmp_path):
    # before: a RIN to one decimal with 3 values over 8 samples was a category ('7.5'), the
    # report then compared it as a grouping by ARI; a fraction says it was measured
    adata = _adata(8)
    rin = ["7.5", "8.0", "6.5", "7.5", "8.0", "6.5", "7.5", "8.0"]
    rows = [f"{s}\t{r}\t{i % 3 + 1}" for i, (s, r) in
            enumerate(zip(adata.obs_names, rin, strict=True))]
    path = tmp_path / "sheet.tsv"
    path.write_text("sample\trin\tbatch\n" + "\n".join(rows) + "\n")
    gx.io.annotate_obs(adata, path)
    assert adata.obs["rin"].dtype == np.float64
    assert adata.obs["rin"].tolist() == [7.5, 8.0, 6.5, 7.5, 8.0, 6.5, 7.5, 8.0]
    assert adata.obs["batch"].dtype == "category"  # whole numbers, 3 values: codes


def _titled(n: int = 4):
    adata = _adata(n)
    adata.obs["title"] = [f"patient {i} tumour" for i in range(n)]
    return adata


def test_a_sheet_of_titles_is_matched_through_obs_title(tmp_path, caplog):
    # GEO names samples by GSM id, users' sheets by title: before, "no column holds any
    # sample id of the data"
    adata = _titled()
    path = tmp_path / "s.csv"
    path.write_text("name,lot\n" + "".join(
        f"{t},L{i}\n" for i, t in reversed(list(enumerate(adata.obs["title"])))))
    with caplog.at_level(logging.INFO, logger="gexclust"):
        gx.io.annotate_obs(adata, path)
    assert adata.obs["lot"].tolist() == ["L0", "L1", "L2", "L3"]
    assert adata.uns["annotations"]["key"] == "name"
    assert adata.uns["annotations"]["matched"] == "title"
    assert ("s.csv: sample titles (no sample ids; matched to .obs['title']) in column 'name'; "
            "added to .obs: lot") in caplog.text
    df = gx.io.read_annotations(path, adata.obs_names, titles=adata.obs["title"])
    assert list(df.index) == ["GSM103", "GSM102", "GSM101", "GSM100"]
    assert (df.attrs["key"], df.attrs["matched"]) == ("name", "title")
    # a column named by key= that holds titles is matched by title too
    named = gx.io.annotate_obs(_titled(), path, key="name", copy=True)
    assert named.obs["lot"].tolist() == ["L0", "L1", "L2", "L3"]
    assert named.uns["annotations"]["matched"] == "title"
    # ids win over titles: a column of GSM ids is the id column, as before
    path.write_text("name,id,lot\n" + "".join(
        f"{t},{s},L{i}\n" for i, (s, t) in enumerate(adata.obs["title"].items())))
    out = gx.io.annotate_obs(_titled(), path, copy=True)
    assert out.uns["annotations"]["matched"] == "obs_names"
    assert out.obs["name"].tolist() == list(adata.obs["title"])


def test_title_matching_keeps_the_refusals_of_ids(tmp_path):
    adata = _titled()
    titles = list(adata.obs["title"])
    path = tmp_path / "s.csv"
    # a title twice: refused as a repeated id is, naming its lines
    path.write_text("name,lot\n" + "".join(f"{t},L\n" for t in [*titles, titles[0]]))
    with pytest.raises(InputError, match=r"s\.csv, lines 2, 6: sample 'patient 0 tumour' "
                                         r"appears 2 times in column 'name'"):
        gx.io.annotate_obs(adata, path)
    # two columns holding the titles: which one is meant is not guessed
    path.write_text("name,other,lot\n" + "".join(
        f"{t},{titles[(i + 1) % 4].upper()},L\n" for i, t in enumerate(titles)))
    with pytest.raises(InputError, match=r"columns 'name' and 'other' both hold the data's "
                                         r"sample titles"):
        gx.io.annotate_obs(adata, path)
    # titles that do not name one sample each cannot stand for the samples: the old error
    path.write_text("name,lot\n" + "".join(f"{t},L\n" for t in titles))
    adata.obs["title"] = ["tumour", "tumour", "normal", "normal"]
    path.write_text("name,lot\ntumour,L1\nnormal,L2\n")
    with pytest.raises(InputError, match=r"no column holds any sample id of the data \(such "
                                         r"as 'GSM100'"):
        gx.io.annotate_obs(adata, path)
    # a sheet that names neither ids nor titles says it looked for both
    adata = _titled()
    path.write_text("name,lot\nsomeone,L1\n")
    with pytest.raises(InputError, match=r"no column holds any sample id nor sample title "
                                         r"\(\.obs\['title'\]\) of the data"):
        gx.io.annotate_obs(adata, path)
    # the samples without a row say the rows were matched by title
    path.write_text(f"name,lot\n{titles[0]},L1\n")
    with pytest.raises(InputError, match=r"3 of the 4 samples have no row in column 'name' "
                                         r"\(matched by \.obs\['title'\]\)"):
        gx.io.annotate_obs(adata, path)
    assert list(adata.obs.columns) == ["type", "title"]  # nothing added on refusal


def test_ages_given_for_only_some_samples_are_measurements(tmp_path):
    # before: 'distinct values' were counted against all the data's samples, so ages given
    # for the 6 patients of 16 samples (the donors' left empty) were 6 distinct values, not
    # more than 8: the categories '31', '45', ..., compared by the report as a grouping of
    # 6 levels, while tl.markers (counting samples with a value) refused them as numbers
    adata = _adata(16)
    ages = ["31", "45", "52", "60", "38", "27"] + [""] * 10
    rows = [f"{s}\t{a}" for s, a in zip(adata.obs_names, ages, strict=True)]
    path = tmp_path / "sheet.tsv"
    path.write_text("sample\tage\n" + "\n".join(rows) + "\n")
    gx.io.annotate_obs(adata, path)
    assert adata.obs["age"].dtype == np.float64
    np.testing.assert_array_equal(adata.obs["age"][:6], [31, 45, 52, 60, 38, 27])
    assert adata.obs["age"].isna().sum() == 10


def test_whole_numbers_beyond_float_precision_stay_text(tmp_path):
    # before: unique 18-digit barcodes (more distinct values than half the samples) became a
    # float64 column, 123456789012345678 stored as 123456789012345680: digits silently lost
    adata = _adata(6)
    codes = [str(123456789012345678 + 1000 * i) for i in range(6)]
    rows = [f"{s}\t{c}\t{i + 0.5}" for i, (s, c) in
            enumerate(zip(adata.obs_names, codes, strict=True))]
    path = tmp_path / "sheet.tsv"
    path.write_text("sample\tbarcode\tscore\n" + "\n".join(rows) + "\n")
    gx.io.annotate_obs(adata, path)
    assert adata.obs["barcode"].dtype == "category"
    assert adata.obs["barcode"].tolist() == codes
    assert adata.obs["score"].dtype == np.float64  # numbers that float64 holds stay numbers
    from gexclust._labels import parse_number

    assert parse_number("9007199254740993") is None  # 2**53 + 1
    assert parse_number("9007199254740992") == 2.0 ** 53


def test_dots_that_may_group_thousands_in_a_semicolon_sheet_are_not_read(tmp_path, caplog):
    # before: in a semicolon-separated sheet (a locale whose decimal mark is the comma, whose
    # dot groups thousands) cell counts '1.234' and '987' became 1.234 and 987.0
    adata = _adata(6)
    counts = ["1.234", "987", "2.345", "1.000", "3.210", "12.500"]
    path = tmp_path / "semi.csv"
    path.write_text("sample;cells;rin\n" + "".join(
        f"{s};{c};7,{i}\n" for i, (s, c) in enumerate(zip(adata.obs_names, counts,
                                                          strict=True))))
    with caplog.at_level(logging.INFO, logger="gexclust"):
        df = gx.io.read_annotations(path, adata.obs_names)
    assert df["cells"].dtype == "category"
    assert df["cells"].tolist() == counts  # as written, not 1.234
    assert df["rin"].tolist() == [7.0, 7.1, 7.2, 7.3, 7.4, 7.5]  # decimal commas still read
    assert ("column 'cells' holds numbers such as '1.234', 1234 where the comma is the "
            "decimal mark") in caplog.text
    # in a comma or tab sheet the dot is the decimal mark: 1.234 is a number
    tab = tmp_path / "sheet.tsv"
    tab.write_text("sample\tcells\n" + "".join(
        f"{s}\t{c}\n" for s, c in zip(adata.obs_names, counts, strict=True)))
    assert gx.io.read_annotations(tab, adata.obs_names)["cells"].tolist()[:2] == [1.234, 987.0]


@pytest.mark.parametrize(("text", "message"), [
    ("sample;batch;batch\nGSM100;1;2\n", "line 2: duplicate column 'batch' (columns 2 and 3)"),
    ("sample;;x\nGSM100;1;2\n", "line 2: column 2 has an empty name"),
    ("sample\nGSM100\n", "line 2: one column; a sample sheet needs the sample ids and at least "
     "one annotation (tab-, comma- or semicolon-separated)"),
])
def test_header_errors_after_a_separator_line_name_the_headers_line(text, message, tmp_path):
    # before: 'line 1', the line of Excel's 'sep=;' hint, though the header is line 2 (the
    # rows' errors already counted it: 'line 4: 3 fields')
    path = tmp_path / "sheet.csv"
    path.write_text("sep=;\n" + text)
    assert refusal(gx.io.read_annotations, path, ["GSM100"]) == f"{path}, {message}"


def test_an_unknown_key_after_a_separator_line_names_the_headers_line(tmp_path, caplog):
    path = tmp_path / "sheet.csv"
    path.write_text("sep=;\nsample;b\u200batch\nGSM100;1\n")
    assert refusal(gx.io.read_annotations, path, ["GSM100"], key="id") == f"{path}, line 2: no column 'id' (columns: 'sample', 'b\\u200batch')"  # noqa: E501
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.io.read_annotations(path, ["GSM100"])
    assert caplog.messages[0].startswith(f"{path}, line 2: column 'b\\u200batch' holds U+200B")


@pytest.mark.parametrize("error", ["#DIV/0!", "#VALUE!", "#REF!", "#NAME?"])
def test_a_spreadsheet_error_value_in_a_sheet_is_refused_naming_line_and_column(error,
                                                                                tmp_path):
    # before: read as a label: the ages 50.5, 61.25, 70.0 and one failed formula became a
    # column of four categories ('50.5', '61.25', ...), no longer numbers, without a word
    path = tmp_path / "sheet.csv"
    path.write_text(f"sep=,\r\nid,batch,age\r\nGSM1,b1,50.5\r\nGSM2,b2,{error}\r\n"
                    "GSM3,b1,61.25\r\nGSM4,b2,70.0\r\n")
    assert refusal(gx.io.read_annotations, path, ["GSM1", "GSM2", "GSM3", "GSM4"]) == (
        f"{path}, line 4, column 'age': {error!r} is a spreadsheet's error value, left by a "
        "formula that failed: correct the formula or empty the cell")
    # emptied, the column is numbers again
    path.write_text(path.read_text().replace(error, ""))
    sheet = gx.io.read_annotations(path, ["GSM1", "GSM2", "GSM3", "GSM4"])
    np.testing.assert_array_equal(sheet["age"].to_numpy(), [50.5, np.nan, 61.25, 70.0])


@pytest.mark.parametrize(("text", "line", "cell"), [
    # before: read as categories ('1,050', '61', '72.5'), no longer numbers, without a word
    ('id,age\r\nGSM1,61\r\nGSM2,"1,050"\r\nGSM3,72.5\r\n', 3, "1,050"),
    ('id;age\r\nGSM1;61\r\nGSM2;1.050,5\r\nGSM3;72,5\r\n', 3, "1.050,5"),
])
def test_numbers_with_thousands_separators_are_refused_naming_the_cell(text, line, cell,
                                                                       tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text(text)
    assert refusal(gx.io.read_annotations, path, ["GSM1", "GSM2", "GSM3"]) == (
        f"{path}, line {line}, column 'age': {cell!r} is written with a thousands separator, "
        "in a column of numbers; write the numbers without one (format the cells as plain "
        "numbers and save again)")


def test_labels_with_commas_stay_labels(tmp_path):
    # a column that is not all numbers keeps '1,050' as a label, as before; so do '1,2'
    path = tmp_path / "sheet.csv"
    path.write_text('id,note,lanes\r\nGSM1,"1,050","1,2"\r\nGSM2,abc,3\r\nGSM3,4,4\r\n')
    sheet = gx.io.read_annotations(path, ["GSM1", "GSM2", "GSM3"])
    assert sheet["note"].tolist() == ["1,050", "abc", "4"]
    assert sheet["lanes"].tolist() == ["1,2", "3", "4"]


def test_a_tab_separator_line_is_honoured(tmp_path):
    # before: Excel's 'sep=<tab>' first line lost its tab to strip(), so it was read as the
    # header ('sep=' and an empty name) instead of naming the separator as 'sep=;' does
    obs_names = pd.Index(["GSM100", "GSM101", "GSM102"])
    sheet = tmp_path / "tabs.txt"
    sheet.write_text("sep=\t\nsample\tbatch\n" + "".join(f"{s}\tb{i % 2}\n"
                                                         for i, s in enumerate(obs_names)))
    df = gx.io.read_annotations(sheet, obs_names)
    assert df["batch"].tolist() == ["b0", "b1", "b0"]
