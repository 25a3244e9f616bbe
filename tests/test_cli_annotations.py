"""``gexclust run --annotations SHEET``: a sheet's columns in .obs, summary.json and the report."""

from __future__ import annotations

import hashlib
import html
import json
import re

import anndata as ad
import pytest

from tests.conftest import SMALL_CSV, shared_file

#: What the bladder run's report says of the sheet's processing batch (bladderbatch's 1-5).
BLADDER_TRUTH = "real/bladder_truth.tsv"


def _sample_ids() -> list[str]:
    return [line.split(",", 1)[0] for line in SMALL_CSV.splitlines()[1:]]


def _report_text(outdir) -> str:
    text = re.sub(r"<[^>]+>", " ", (outdir / "report.html").read_text())
    return " ".join(html.unescape(text).split())


def _limits(text: str) -> str:
    """The 'What this run cannot tell' section (its last heading: the table of contents)."""
    start = text.rfind("What this run cannot tell")
    return text[start:text.index("Parameters and versions", start)]


def test_sheet_columns_reach_obs_summary_and_report(cli, tmp_path, small_csv):
    ids = _sample_ids()
    sheet = tmp_path / "sheet.tsv"
    # a batch that is the planted groups' order in the file: each third of the rows
    batch = {s: f"day{i * 3 // len(ids)}" for i, s in enumerate(ids)}
    sheet.write_text("sample\tbatch\n" + "".join(f"{s}\t{batch[s]}\n" for s in reversed(ids)))
    out = tmp_path / "out"
    result = cli("run", small_csv, "--annotations", sheet, "-o", out)
    assert f"annotations: {sheet}: sample ids in column 'sample'; added to .obs: batch" in (
        result.stderr)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["annotations"] == {
        "path": str(sheet), "sha256": hashlib.sha256(sheet.read_bytes()).hexdigest(),
        "sha256_of": "annotations file", "key": "sample", "matched": "obs_names",
        "columns": ["batch"]}
    adata = ad.read_h5ad(out / "adata.h5ad")
    assert adata.obs["batch"].astype(str).to_dict() == batch
    assert adata.obs["type"].nunique() == 3  # the CSV's types, untouched
    text = _report_text(out)
    assert f"sample sheet {sheet}" in text
    assert "batch" in _limits(text)


def test_key_option_and_its_errors(cli, tmp_path, small_csv):
    ids = _sample_ids()
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("other,id,lot\n" + "".join(f"{s},{s},L{i % 2}\n" for i, s in enumerate(ids)))
    out = tmp_path / "out"
    cli("run", small_csv, "--annotations", sheet, "--annotations-key", "id", "-o", out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["annotations"]["key"] == "id"
    assert summary["annotations"]["columns"] == ["other", "lot"]
    bad = cli("run", small_csv, "--annotations-key", "id", "-o", tmp_path / "o2", check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip().endswith(
        "--annotations-key names the id column of --annotations SHEET; give the sheet")
    assert not (tmp_path / "o2").exists()


@pytest.mark.parametrize(("sheet_text", "message"), [
    ("sample,type\n{rows_type}", "column 'type' differs from the input's sample types"),
    ("sample,batch\n{first},1\n", "17 of the 18 samples have no row in column 'sample'"),
    ("sample,batch\n{first},1\n{first},2\n", "lines 2, 3: sample '{first}' appears 2 times"),
])
def test_bad_sheet_is_one_line_and_writes_nothing(cli, tmp_path, small_csv, sheet_text,
                                                  message):
    ids = _sample_ids()
    rows_type = "".join(f"{s},X\n" for s in ids)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(sheet_text.format(rows_type=rows_type, first=ids[0]))
    out = tmp_path / "out"
    result = cli("run", small_csv, "--annotations", sheet, "-o", out, check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"gexclust: error: {sheet}")
    assert message.format(first=ids[0]) in lines[-1]
    assert not out.exists()


def test_bladder_batch_sheet_is_named_in_the_report(cli, tmp_path):
    """bladderbatch's processing dates are partly confounded with the classes: the report says so.

    The clusters (k = 3, as without the sheet) against batch 1-5: ARI 0.155, permutation
    p = 0.001 (999 shuffles): below the report's 0.3 for "follows", but beyond chance.
    """
    data, truth = shared_file("real/bladder_cancer.csv.gz"), shared_file(BLADDER_TRUTH)
    out = tmp_path / "bladder"
    result = cli("run", data, "--annotations", truth, "-o", out, "--formats", "png")
    assert "sample ids in column 'sample'; added to .obs: cancer, outcome, batch" in (
        result.stderr)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["annotations"]["sha256"] == hashlib.sha256(truth.read_bytes()).hexdigest()
    assert summary["n_clusters_found"] == 3
    assert summary["ari_vs_type"] == pytest.approx(0.371, abs=5e-4)  # the sheet changes nothing
    limits = _limits(_report_text(out))
    assert ("The clusters agree weakly with the .obs column 'batch' (ARI 0.155, below the 0.3 "
            "from which this report calls it following a column) but beyond chance "
            "(permutation p = 0.001): if that column is a batch, it is partly confounded "
            "with the clusters.") in limits
    # and that the types follow the dates at least as much (batch 3 only normals, batch 4
    # only biopsies): the agreement may come through the types
    assert ("The sample types agree with it at least as much (ARI 0.171): column and type "
            "are partly confounded in the design") in limits
    assert "batch 5 57 0.155 0.001" in limits  # its row of the table
    assert "was not checked" not in limits


def test_a_sheet_copy_of_the_types_is_not_called_their_source(cli, tmp_path, small_csv):
    # before: the report said of a sheet column repeating the types "the types were read
    # from it" (bladder's 'cancer'), though they were read from the CSV's 'type'
    types = {line.split(",")[0]: line.split(",")[1] for line in SMALL_CSV.splitlines()[1:]}
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("sample,kind\n" + "".join(f"{s},{t}\n" for s, t in types.items()))
    out = tmp_path / "out"
    cli("run", small_csv, "--annotations", sheet, "-o", out)
    limits = _limits(_report_text(out))
    assert ("The .obs column 'kind' holds the sample types themselves (the same label in each "
            "of its 18 samples): it repeats them, so it agrees") in limits
    assert "read from it" not in limits


def test_rows_of_other_samples_are_a_warning_line(cli, tmp_path, small_csv):
    ids = _sample_ids()
    sheet = tmp_path / "sheet.csv.gz"
    text = "sample,lot\nGSM_other,9\n" + "".join(f"{s},L{i % 2}\n" for i, s in enumerate(ids))
    sheet.write_bytes(__import__("gzip").compress(text.encode()))
    out = tmp_path / "out"
    result = cli("run", small_csv, "--annotations", sheet, "-o", out)
    assert (f"gexclust: warning: {sheet}: 1 of its 19 rows are not samples of the data, left "
            "out: 'GSM_other'") in result.stderr
    adata = ad.read_h5ad(out / "adata.h5ad")
    assert sorted(adata.obs["lot"].cat.categories) == ["L0", "L1"]


def test_example_sheet_age_is_tested_across_the_clusters(cli, tmp_path):
    """GSE9476's sheet (simulated values in its layout): 'Age', 50 values over 64 samples.

    Before, 'Age' (33 distinct values) was only named as not compared with the clusters.
    """
    sheet = shared_file("GSE9476_meta_info.txt")
    out = tmp_path / "example"
    cli("run", "--annotations", sheet, "-o", out, "--formats", "png")
    limits = _limits(_report_text(out))
    assert ("The clusters differ in the numeric .obs column 'Age': Kruskal-Wallis H 27.14, "
            "epsilon² 0.554 over the 50 samples with a value (14 without one left out), "
            "permutation p = 0.001; medians per cluster 1: 64, 2: 26, 3: 53.5 and 4: 33."
            ) in limits
    assert "It differs between the sample types as well (epsilon² 0.563, p = 0.001)" in limits
    assert "Age 50 14 27.14 0.554 0.001 1: 64; 2: 26; 3: 53.5; 4: 33" in limits
    assert "'Age' (" not in limits  # no longer named as not compared
    assert "the sample sheet's 'Desc' (64 distinct values)." in limits


#: GSE781's GPL96 samples and their titles, as its family SOFT gives them.
GSE781_TITLES = {
    "GSM11805": "N035 Normal Human Kidney U133A",
    "GSM11814": "C035 Renal Clear Cell Carcinoma U133A",
    "GSM11823": "N023 Normal Human Kidney U133A",
    "GSM11830": "C023 Renal Clear Cell Carcinoma U133A",
    "GSM12067": "C001 Renal Clear Cell Carcinoma U133A",
    "GSM12075": "N001 Normal Human Kidney U133A",
    "GSM12079": "C005 Renal Clear Cell Carcinoma U133A",
    "GSM12098": "N005 Normal Human Kidney U133A",
    "GSM12100": "C011 Renal Clear Cell Carcinoma U133A",
    "GSM12105": "C032 Renal Clear Cell Carcinoma U133A",
    "GSM12268": "N1 Normal Human Kidney U133A",
    "GSM12270": "C2 Renal Clear Cell Carcinoma U133A",
    "GSM12283": "N2 Renal Clear Cell Carcinoma U133A",
    "GSM12298": "C3 Renal Clear Cell Carcinoma U133A",
    "GSM12300": "N3 Renal Clear Cell Carcinoma U133A",
    "GSM12399": "C4 Renal Clear Cell Carcinoma U133A",
    "GSM12444": "N4 Renal Clear Cell Carcinoma U133A",
}


def test_a_sheet_of_geo_titles_is_matched_by_title(cli, tmp_path):
    """A user's sheet for GSE781 names the samples by title ('N035 Normal Human Kidney U133A'),
    not by GSM id; before: 'no column holds any sample id of the data (such as 'GSM11805', ...)'.
    """
    soft = shared_file("GSE781_family.soft.gz")
    sheet = tmp_path / "sheet.tsv"
    # the sheet of both platforms: the GPL97 samples' titles are rows of other samples
    rows = [f"{title}\tP{i % 3}\n" for i, title in enumerate(reversed(GSE781_TITLES.values()))]
    sheet.write_text("title\tpatient_group\n" + "".join(rows)
                     + "C035 Renal Clear Cell Carcinoma U133B\tP0\n")
    out = tmp_path / "gse781"
    result = cli("run", soft, "--platform", "GPL96", "--annotations", sheet, "-o", out,
                 "--formats", "png")
    assert (f"annotations: {sheet}: sample titles (no sample ids; matched to .obs['title']) in "
            "column 'title'; added to .obs: patient_group") in result.stderr
    assert "1 of its 18 rows are not samples of the data" in result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["annotations"]["key"], summary["annotations"]["matched"]) == (
        "title", "title")
    obs = ad.read_h5ad(out / "adata.h5ad").obs
    expected = {gsm: f"P{i % 3}" for i, gsm in enumerate(reversed(GSE781_TITLES))}
    assert obs["patient_group"].astype(str).to_dict() == expected
    assert "(sample titles in 'title')" in _report_text(out)


@pytest.mark.parametrize("problem", ["missing", "folder"])
def test_a_sheet_that_cannot_be_read_is_refused_before_the_data_are_read(cli, tmp_path,
                                                                         small_csv, problem):
    # before: "[1/4 ...] reading small.csv", the whole input read (for an accession: fetched),
    # and only then "sheet.tsv: no such file"; the README says option values are checked
    # before any data are read
    sheet = tmp_path / "sheet.tsv"
    if problem == "folder":
        sheet.mkdir()
    out = tmp_path / "out"
    result = cli("run", small_csv, "--annotations", sheet, "-o", out, check=False)
    assert result.returncode == 1
    expected = "no such file" if problem == "missing" else "is a directory, expected a file"
    assert result.stderr == f"gexclust: error: {sheet}: {expected}\n"  # no 'reading' line
    assert not out.exists()
