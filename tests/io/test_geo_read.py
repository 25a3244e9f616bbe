"""Local GEO readers on the real files in ../shared/data and on GSE9476-shaped fixtures."""

from __future__ import annotations

import gzip
import logging
import re

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust._errors import InputError
from gexclust.cli import main
from gexclust.datasets._geo_files import family_soft_text, series_matrix_text
from gexclust.pl._base import labels_of
from tests.conftest import make_planted, shared_file
from tests.io.conftest import refusal

CLASSES = {"AML": 26, "Bone_Marrow": 10, "PB": 10, "PBSC_CD34": 10, "Bone_Marrow_CD34": 8}


@pytest.fixture(scope="module")
def gse781():
    return gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="all")


def soft_value(path, gsm: str, probe: str) -> float:
    """The VALUE of ``probe`` in ``gsm``'s table, found by plain text search."""
    with gzip.open(path, "rt") as fh:
        inside = False
        for line in fh:
            if line.startswith("^SAMPLE"):
                inside = line.strip().endswith(gsm)
            elif inside and line.startswith(probe + "\t"):
                return float(line.split("\t")[1])
    raise AssertionError(f"{probe} not found in {gsm}")


def test_gse781_two_platforms_matched_by_id(gse781):
    path = shared_file("GSE781_family.soft.gz")
    assert sorted(gse781) == ["GPL96", "GPL97"]
    assert gse781["GPL96"].shape == (17, 22283)
    assert gse781["GPL97"].shape == (17, 22645)
    gpl96 = gse781["GPL96"]
    # sample rows start with AFFX controls while the platform starts with 1007_s_at
    assert gpl96.var_names[0] == "1007_s_at"
    for gsm, probe in [("GSM11805", "1007_s_at"), ("GSM11805", "AFFX-BioB-5_at"),
                       (gpl96.obs_names[-1], "222384_at")]:
        assert gpl96[gsm, probe].X.item() == soft_value(path, gsm, probe)
    assert gpl96.var.loc["1007_s_at", "gene_symbol"] == "DDR1"
    assert gpl96.obs.loc["GSM11805", "title"] == "N035 Normal Human Kidney U133A"
    assert gpl96.obs.loc["GSM11805", "Gender"] == "Female"
    assert gpl96.uns["geo"]["accession"] == "GSE781"


def test_gse781_needs_a_platform_choice():
    # the message names what to type, in Python and on the command line; before, the run's
    # '(gexclust run: --platform GPL96)' came before "or platform='all' for a dict of every
    # platform", which a command-line user took for theirs too (the run refuses --platform all)
    with pytest.raises(InputError, match=r"spans 2 platforms \(GPL96, GPL97\); pass "
                       r"platform='GPL96' or another of them, or platform='all' for a dict of "
                       r"every platform \(gexclust run: --platform GPL96, one platform per "
                       r"run\)$"):
        gx.io.read_soft(shared_file("GSE781_family.soft.gz"))
    with pytest.raises(InputError, match=r"no samples on platform 'GPL570'.*GPL96, GPL97"):
        gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL570")


def test_mas5_values_are_logged_by_auto_rule(gse781):
    adata = gse781["GPL96"].copy()
    raw = adata.X.copy()
    gx.pp.log2(adata)
    assert adata.uns["log2"]["applied"] is True
    np.testing.assert_allclose(adata.X, np.log2(np.maximum(raw, 1.0)))


def test_type_from_regex_and_column(gse781):
    path = shared_file("GSE781_family.soft.gz")
    adata = gx.io.read_soft(path, platform="GPL96", type_from=r"^[NC]\d+ (\w+)")
    assert set(adata.obs["type"].cat.categories) == {"Normal", "Renal"}
    by_column = gx.io.read_soft(path, platform="GPL96", type_from="Gender")
    assert set(by_column.obs["type"].dropna()) <= {"Male", "Female"}


def test_type_from_that_matches_nothing_is_refused(tmp_path):
    # before: a misspelt column (--type-from tisue) was taken for a title regex that matched
    # no title, and every sample silently had no type (no ARI, one '(no type)' column)
    from tests.io.test_geo_quirks import MATRIX

    path = tmp_path / "GSE2_series_matrix.txt"
    path.write_text(MATRIX)
    with pytest.raises(ValueError, match=r"type_from='tisue' is neither an .obs column "
                       r"\(title, .*tissue.*\) nor a regular expression that matches any "
                       r"sample title \(the first is 'a'\)"):
        gx.io.read_series_matrix(path, missing="drop", type_from="tisue")
    with pytest.raises(ValueError, match=r"type_from='source_name': that .obs column has no "
                       r"value in any sample; columns: title, "):
        gx.io.read_series_matrix(path, missing="drop", type_from="source_name")  # all empty
    some = gx.io.read_series_matrix(path, missing="drop", type_from="^b$")  # one is enough
    assert some.obs["type"].tolist()[1] == "b"
    assert pd.isna(some.obs["type"].tolist()[0])


def test_geoparse_interop_equals_pivot_samples(gse781):
    import GEOparse

    logging.getLogger("GEOparse").setLevel(logging.ERROR)
    gse = GEOparse.get_GEO(filepath=str(shared_file("GSE781_family.soft.gz")), silent=True)
    pivot = gse.pivot_samples("VALUE")
    converted = gx.io.from_geoparse(gse, platform="all")
    for gpl, adata in converted.items():
        expected = pivot.loc[adata.var_names, adata.obs_names].to_numpy().T
        np.testing.assert_array_equal(adata.X, expected)
        np.testing.assert_array_equal(gse781[gpl].X, adata.X)
    gsm = gx.io.from_geoparse(gse.gsms["GSM11805"])
    assert gsm.shape == (1, 22283)


def test_single_sample_soft():
    adata = gx.io.read_soft(shared_file("GSM11805.txt.gz"))
    assert adata.shape == (1, 22283)
    assert adata.obs_names.tolist() == ["GSM11805"]
    assert adata["GSM11805", "AFFX-BioB-5_at"].X.item() == 953.9
    assert adata.obs["platform_id"].item() == "GPL96"
    assert adata.var.loc["1007_s_at", "gene_symbol"] == "DDR1"  # bundled GPL96 annotation


def test_gpl96_platform_table():
    table = gx.io.read_gpl(shared_file("GPL96.txt.gz"))
    assert len(table) == 22283
    assert (table["gene_symbol"] != "").sum() == 20995
    assert table.loc["1007_s_at", "entrez_id"] == "780"
    assert table.loc["1053_at", "gene_title"].startswith("replication factor C")


def test_broken_download_is_a_clear_error():
    path = shared_file("GPLbroken.soft.gz")
    for reader in (gx.io.read_gpl, gx.io.read_soft, gx.io.read_series_matrix):
        with pytest.raises(InputError, match=r"GPLbroken.soft.gz: file is empty"):
            reader(path)


def test_truncated_and_corrupt_files(tmp_path):
    text = family_soft_text(gx.datasets.gse9476_example()[:3, :50].copy())
    cut = tmp_path / "cut.soft"
    cut.write_text(text[: len(text) * 2 // 3])
    with pytest.raises(InputError, match=r"never ends.*truncated"):
        gx.io.read_soft(cut)
    gz = tmp_path / "cut.soft.gz"
    gz.write_bytes(gzip.compress(text.encode())[:-20])
    with pytest.raises(InputError, match="corrupt or truncated gzip"):
        gx.io.read_soft(gz)
    junk = tmp_path / "junk.soft"
    junk.write_text("<html>Not Found</html>\n")
    with pytest.raises(InputError, match="line 1: expected a SOFT record"):
        gx.io.read_soft(junk)


def test_bad_sample_value_is_named(tmp_path):
    text = family_soft_text(gx.datasets.gse9476_example()[:3, :50].copy())
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("^SAMPLE = GSM239323"))
    j = next(k for k in range(i, len(lines)) if lines[k].startswith("1053_at\t"))
    lines[j] = "1053_at\tnot-a-number"
    path = tmp_path / "bad.soft"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="sample GSM239323, ID_REF '1053_at': VALUE 'not-a-number'"):  # noqa: E501
        gx.io.read_soft(path)


def test_gse9476_series_matrix_fixture(tmp_path, example_session):
    path = tmp_path / "GSE9476_series_matrix.txt.gz"
    path.write_bytes(gzip.compress(series_matrix_text(example_session).encode(), 1))
    adata = gx.io.read_series_matrix(path)
    assert adata.obs["type"].value_counts().to_dict() == CLASSES
    assert adata.obs_names.tolist() == example_session.obs_names.tolist()
    assert adata.obs["disease state"].value_counts().to_dict() == {"Control": 38, "AML": 26}
    np.testing.assert_allclose(adata.X, example_session.X, atol=5e-7)
    assert adata.var.loc["1007_s_at", "gene_symbol"] == "DDR1"
    assert "Simulated" in adata.uns["geo"]["series"]["title"]


def test_gse9476_family_soft_fixture_matches_csv_route(tmp_path, example_session):
    path = tmp_path / "GSE9476_family.soft.gz"
    path.write_bytes(gzip.compress(family_soft_text(example_session).encode(), 1))
    adata = gx.io.read_soft(path)
    assert adata.obs["type"].value_counts().to_dict() == CLASSES
    csv = tmp_path / "Leukemia_GSE9476.csv"
    gx.io.write_cumida(example_session, csv)
    from_csv = gx.io.read_cumida(csv)
    # same labels per sample by either route (CuMiDa rows are the GSMs in table order)
    assert adata.obs["type"].tolist() == from_csv.obs["type"].tolist()
    np.testing.assert_allclose(adata.X, from_csv.X, atol=5e-7)


def test_series_matrix_errors(tmp_path):
    adata = gx.datasets.gse9476_example()[:4, :20].copy()
    text = series_matrix_text(adata)
    path = tmp_path / "m.txt"
    path.write_text(text.replace("!series_matrix_table_end\n", ""))
    with pytest.raises(InputError, match=r"never ends.*truncated"):
        gx.io.read_series_matrix(path)
    lines = text.splitlines()
    lines = [line + '\t"extra"' if line.startswith("!Sample_title") else line for line in lines]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"line 5: !Sample_title has 5 values for 4 samples"):
        gx.io.read_series_matrix(path)



def test_table_columns_in_another_order_name_the_first_that_differs(tmp_path):
    """Before: '(first: 'GSM239170' vs 'GSM239170')', the first sample whether it differed
    or not, for a table whose 2nd and 3rd columns were swapped."""
    text = series_matrix_text(gx.datasets.gse9476_example()[:4, :20].copy())
    header = next(line for line in text.splitlines() if line.startswith('"ID_REF"'))
    ids = header.split("\t")
    swapped = "\t".join([ids[0], ids[1], ids[3], ids[2], ids[4]])
    path = tmp_path / "m.txt"
    path.write_text(text.replace(header, swapped))
    assert refusal(gx.io.read_series_matrix, path) == (
        f"{path}: table columns do not match !Sample_geo_accession (sample 2: "
        f"{ids[3].strip(chr(34))!r} in the table header, {ids[2].strip(chr(34))!r} in "
        "!Sample_geo_accession)")


def test_blanks_after_probe_ids_do_not_make_other_probes(tmp_path, caplog):
    """A table edited by hand, '1007_s_at <TAB>4.5'. Before: the matrix's probes were named
    '1007_s_at ' ('20 of 20 probes (100%) are not in the probe annotation given ...; is it
    the annotation of another platform than GPL96?'), and a SOFT sample's rows were 'absent
    from the platform', the sample left out with a warning."""
    adata = gx.datasets.gse9476_example()[:4, :20].copy()

    def blank_after_ids(text: str, start: str, end: str) -> str:
        lines = text.splitlines()
        first = lines.index(start) + 2
        last = lines.index(end, first)
        for i in range(first, last):
            probe, rest = lines[i].split("\t", 1)
            lines[i] = f"{probe} \t{rest}"
        return "\n".join(lines) + "\n"

    matrix = tmp_path / "m_series_matrix.txt"
    matrix.write_text(blank_after_ids(series_matrix_text(adata), "!series_matrix_table_begin",
                                      "!series_matrix_table_end"))
    soft = tmp_path / "family.soft"
    text = family_soft_text(adata)
    text = blank_after_ids(text, "!platform_table_begin", "!platform_table_end")
    start = text.index(f"^SAMPLE = {adata.obs_names[1]}")
    text = text[:start] + blank_after_ids(text[start:], "!sample_table_begin",
                                          "!sample_table_end")
    soft.write_text(text)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        read = [gx.io.read_series_matrix(matrix), gx.io.read_soft(soft)]
    assert caplog.text == ""
    for back in read:
        assert back.var_names.tolist() == adata.var_names.tolist()
        assert back.obs_names.tolist() == adata.obs_names.tolist()
        np.testing.assert_allclose(back.X, adata.X, atol=5e-7)
        assert back.var["gene_symbol"].tolist() == adata.var["gene_symbol"].tolist()


def test_series_matrix_row_cut_short_is_named(tmp_path):
    # before: pandas padded a row with too few cells with NaN, so a row cut short in the
    # middle of the table read as missing values (and with missing='impute', as means)
    adata = gx.datasets.gse9476_example()[:4, :20].copy()
    lines = series_matrix_text(adata).splitlines()
    k = lines.index("!series_matrix_table_begin") + 6  # the 5th probe's row, mid-table
    probe = lines[k].split("\t")[0].strip('"')
    lines[k] = "\t".join(lines[k].split("\t")[:3])  # 2 of its 4 values
    path = tmp_path / "m.txt"
    path.write_text("\n".join(lines) + "\n")
    for missing in ("error", "impute"):
        with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line {k + 1}: ID_REF '{probe}' has 2 value\(s\); expected 4, one per sample of the table header \(a row cut short\?\)$"):  # noqa: E501
            gx.io.read_series_matrix(path, missing=missing)
    # an empty cell written as such (a tab, then nothing) is a missing value, as before
    lines[k] = "\t".join([f'"{probe}"', "5.0", "6.0", "7.0", ""])
    path.write_text("\n".join(lines) + "\n")
    back = gx.io.read_series_matrix(path, missing="drop")
    assert back.shape == (4, 19)
    assert probe not in back.var_names

GDS = """^DATABASE = Geo
!Database_name = Gene Expression Omnibus (GEO)
^DATASET = GDS0001
!dataset_title = toy dataset
!dataset_platform = GPL96
^SUBSET = GDS0001_1
!subset_description = leukemia
!subset_sample_id = GSM1,GSM2
!subset_type = disease state
^SUBSET = GDS0001_2
!subset_description = normal
!subset_sample_id = GSM3
!subset_type = disease state
^SUBSET = GDS0001_3
!subset_description = female
!subset_sample_id = GSM1,GSM3
!subset_type = gender
!dataset_table_begin
ID_REF\tIDENTIFIER\tGSM1\tGSM2\tGSM3
1007_s_at\tDDR1\t7.5\t8.0\t6.5
1053_at\tRFC2\tnull\t5.0\t5.5
117_at\tHSPA6\t3.0\t3.5\t4.0
!dataset_table_end
"""


def test_gds_subsets_become_obs_columns(tmp_path):
    path = tmp_path / "GDS0001.soft"
    path.write_text(GDS)
    with pytest.raises(InputError, match=r"1 missing value.*sample 'GSM1'.*probe '1053_at'"):
        gx.io.read_soft(path)
    adata = gx.io.read_soft(path, missing="drop", type_from="disease state")
    assert adata.obs_names.tolist() == ["GSM1", "GSM2", "GSM3"]
    assert adata.obs["disease state"].tolist() == ["leukemia", "leukemia", "normal"]
    assert adata.obs["gender"].tolist()[::2] == ["female", "female"]
    assert pd.isna(adata.obs["gender"].iloc[1])
    assert adata.obs["type"].tolist() == ["leukemia", "leukemia", "normal"]
    assert adata.var_names.tolist() == ["1007_s_at", "117_at"]
    assert adata.var["gene_symbol"].tolist() == ["DDR1", "HSPA6"]
    np.testing.assert_array_equal(adata.X[:, 0], [7.5, 8.0, 6.5])


def test_a_dataset_naming_a_sample_twice_is_refused(tmp_path, capsys):
    # before: a GDS table header with GSM1 twice read as 4 samples, the copy named 'GSM1.1'
    # (a made-up sample, clustered and written to clusters.csv, exit 0); fuzz29 found it by
    # repeating a column of GDS5373
    path = tmp_path / "GDS0001.soft"
    lines = GDS.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("!dataset_table_begin"))
    cells = [line.rstrip("\n").split("\t") for line in lines]
    path.write_text("".join("\t".join(row[:3] + row[2:]) + "\n" for row in cells))
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}, line {start + 2}: column "
                       r"'GSM1' appears twice in the table header of dataset GDS0001$"):
        gx.io.read_soft(path, missing="drop")
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--no-report",
                        "--quiet", "--missing", "drop"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"gexclust: error: {path}, line {start + 2}: column 'GSM1' appears twice in the table "
        "header of dataset GDS0001"]
    assert not (tmp_path / "out").exists()


def test_a_dataset_listing_a_probe_twice_is_refused(tmp_path):
    # before: a GDS table with the row of 117_at written twice read with 117_at twice in
    # .var_names (anndata warned; gexclust run exited 0), where a sample table or a series
    # matrix with a repeated ID_REF is refused; fuzz29 found it by repeating a row of GDS5373
    path = tmp_path / "GDS0001.soft"
    row = "117_at\tHSPA6\t3.0\t3.5\t4.0\n"
    path.write_text(GDS.replace(row, row + row))
    start = GDS.splitlines().index("!dataset_table_begin") + 2
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: dataset GDS0001 \(table at "
                       rf"line {start}\) lists ID_REF '117_at' more than once$"):
        gx.io.read_soft(path, missing="drop")


def test_a_dataset_table_without_id_ref_is_named(tmp_path, capsys):
    # before: KeyError 'ID_REF', which gexclust run printed as 'gexclust: error: ID_REF'
    # naming no file (fuzz29: a tab typed into GDS5373's header, 'ID_<TAB>REF')
    path = tmp_path / "GDS0001.soft"
    path.write_text(GDS.replace("\nID_REF\tIDENTIFIER", "\nID_\tREF\tIDENTIFIER"))
    start = GDS.splitlines().index("!dataset_table_begin") + 2
    message = (f"{path}, line {start}: the table of dataset GDS0001 has no ID_REF column "
               "(columns: ID_, REF, IDENTIFIER, GSM1, GSM2, GSM3)")
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        gx.io.read_soft(path, missing="drop")
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 1
    assert capsys.readouterr().err.splitlines() == [f"gexclust: error: {message}"]


def test_a_dataset_honours_the_platform_asked_for(tmp_path):
    # before: platform= was ignored for a GDS (gexclust run GDS.soft --platform GPL570 ran the
    # GPL96 data without a word), and platform='all' gave an AnnData, not the documented dict
    path = tmp_path / "GDS0001.soft"
    path.write_text(GDS)
    with pytest.raises(InputError, match=r"GDS0001.soft: no samples on platform 'GPL570'; "
                       r"dataset GDS0001 is on GPL96"):
        gx.io.read_soft(path, missing="drop", platform="GPL570")
    same = gx.io.read_soft(path, missing="drop", platform="GPL96")
    every = gx.io.read_soft(path, missing="drop", platform="all")
    assert list(every) == ["GPL96"]
    np.testing.assert_array_equal(every["GPL96"].X, same.X)


def test_samples_without_a_value_have_no_type_not_a_type_called_nan(tmp_path):
    path = tmp_path / "GDS0001.soft"
    path.write_text(GDS)
    adata = gx.io.read_soft(path, missing="drop", type_from="gender")
    assert adata.obs["type"].cat.categories.tolist() == ["female"]
    assert pd.isna(adata.obs["type"].iloc[1])
    titled = gx.io.read_soft(path, missing="drop", type_from=r"^()")
    assert titled.obs["type"].isna().all()  # an empty match is no label either
    path.write_text(GDS.replace("!subset_description = normal", "!subset_description = NA"))
    tokens = gx.io.read_soft(path, missing="drop", type_from="disease state")
    assert tokens.obs["type"].tolist()[:2] == ["leukemia", "leukemia"]
    assert pd.isna(tokens.obs["type"].iloc[2])  # GEO's missing-value token, not a type 'NA'
    for text in ("n/a", "None", "#N/A"):  # what pandas (and every tool here) reads as missing
        path.write_text(GDS.replace("!subset_description = normal",
                                    f"!subset_description = {text}"))
        tokens = gx.io.read_soft(path, missing="drop", type_from="disease state")
        assert tokens.obs["type"].cat.categories.tolist() == ["leukemia"], text


def test_geo_anndata_round_trips_through_h5ad(gse781, tmp_path):
    import anndata as ad

    adata = gse781["GPL96"]
    assert all("/" not in key for key in adata.uns["geo"]["series"])
    adata.write_h5ad(tmp_path / "gse781.h5ad")  # filterwarnings=error: no key warnings
    back = ad.read_h5ad(tmp_path / "gse781.h5ad")
    np.testing.assert_array_equal(back.X, adata.X)
    assert back.obs["title"].tolist() == adata.obs["title"].tolist()


def test_unlabelled_samples_plot_in_grey(tmp_path):
    from gexclust._pipeline import RunConfig, cluster_samples

    adata = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96",
                            type_from=r"^N(\d)")
    assert adata.obs["type"].isna().sum() == 9  # tumour titles do not match the regex
    cluster_samples(adata, RunConfig(n_clusters=2))
    ax = gx.pl.dendrogram(adata, save=tmp_path / "d.png", show=False)
    colours = {t.get_color() for t in labels_of(ax.figure.axes[-1], "bottom")}
    assert "#9e9e9e" in colours


MIXED = """^SERIES = GSE0001
^PLATFORM = GPL0001
!platform_table_begin
ID\tGene Symbol
p1\tA
p2\tB
p3\tC
!platform_table_end
^SAMPLE = GSM1
!Sample_title = first
!Sample_platform_id = GPL0001
!sample_table_begin
ID_REF\tVALUE\tABS_CALL
p1\t1.0\tP
p2\t2.0\tP
p3\t3.0\tA
!sample_table_end
^SAMPLE = GSM2
!Sample_title = second
!Sample_platform_id = GPL0001
!sample_table_begin
ID_REF\tVALUE
p3\t30.0
p1\t10.0
p2\t20.0
!sample_table_end
^SAMPLE = GSM3
!Sample_title = third
!Sample_platform_id = GPL0001
!sample_table_begin
ID_REF\tVALUE\tABS_CALL
p2\t200.0\tP
p1\t100.0\tP
!sample_table_end
"""


def test_rows_follow_samples_whatever_their_table_layout(tmp_path):
    path = tmp_path / "mixed.soft"
    path.write_text(MIXED)
    adata = gx.io.read_soft(path, missing="drop")
    assert adata.obs_names.tolist() == ["GSM1", "GSM2", "GSM3"]
    assert adata.obs["title"].tolist() == ["first", "second", "third"]
    assert adata.var_names.tolist() == ["p1", "p2"]  # p3 is missing from GSM3
    np.testing.assert_array_equal(adata.X, [[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]])
    assert adata.var["gene_symbol"].tolist() == ["A", "B"]


def test_a_family_soft_cut_at_a_record_boundary_is_refused(tmp_path):
    """GSE781's family SOFT cut after its 5th sample table: every record left is complete.

    Before a2b2ff4: read as a series of 3 GPL96 samples without a word (the series record
    lists 34), and ``gexclust run`` clustered them; then with a warning ('is the file cut
    short?'), the 3 samples still read. GEO's family SOFT holds every sample it lists.
    """
    with gzip.open(shared_file("GSE781_family.soft.gz"), "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    ends = [i for i, line in enumerate(lines) if line.startswith("!sample_table_end")]
    cut = tmp_path / "cut.soft"
    cut.write_text("\n".join(lines[: ends[4] + 1]) + "\n", encoding="utf-8")
    assert refusal(gx.io.read_soft, cut, platform="GPL96") == (
        f"{cut}: series GSE781 (line 6) lists 29 sample(s) with no record in this file "
        "(GSM11827, GSM11830, GSM11832, ...), where GEO's family SOFT holds them all: the file "
        "is cut short; download it again (or, if the samples were taken out on purpose, take "
        "out their !Series_sample_id lines)")
    assert gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96").n_obs == 17


# A platform's family SOFT (GPL96_family.soft.gz on GEO's FTP): the platform, its samples,
# and the series that use it, each listing all its samples, those on other platforms too
# (GSE781: 17 on GPL96, 17 on GPL97). GEO writes the series records after the samples
# (GPL20814_family.soft, GEOparse's tests) or, in older files, first (GPL101_family.soft,
# Gemma's tests). Records cut down to what the reader uses.
GPL96_RECORDS = """\
^PLATFORM = GPL96
!Platform_title = [HG-U133A] Affymetrix Human Genome U133A Array
!Platform_geo_accession = GPL96
!Platform_data_row_count = 2
!platform_table_begin
ID\tGene Symbol
1007_s_at\tDDR1 /// MIR4640
1053_at\tRFC2
!platform_table_end
^SAMPLE = GSM11805
!Sample_title = N035 Normal Human Kidney U133A
!Sample_geo_accession = GSM11805
!Sample_platform_id = GPL96
!Sample_series_id = GSE781
!Sample_data_row_count = 2
!sample_table_begin
ID_REF\tVALUE\tABS_CALL
1053_at\t166.1\tP
1007_s_at\t1843.5\tP
!sample_table_end
"""
GSE781_RECORD = """\
^SERIES = GSE781
!Series_title = Normal and Renal Cell Carcinoma Kidney Tissue, Human
!Series_geo_accession = GSE781
!Series_sample_id = GSM11805
!Series_sample_id = GSM11810
!Series_platform_id = GPL96
!Series_platform_id = GPL97
"""
DATABASE_RECORD = "^DATABASE = GeoMiame\n!Database_name = Gene Expression Omnibus (GEO)\n"


@pytest.mark.parametrize("series_first", [False, True])
def test_a_platform_family_soft_reads_though_its_series_lists_other_platforms_samples(
        series_first, tmp_path):
    """Before: 'series GSE781 (line 23) lists 1 sample(s) with no record in this file
    (GSM11810), where GEO's family SOFT holds them all: the file is cut short', of a whole
    platform family: GSM11810 is on GPL97, whose samples a GPL96 family never holds."""
    records = [GSE781_RECORD, GPL96_RECORDS] if series_first else [GPL96_RECORDS, GSE781_RECORD]
    path = tmp_path / "GPL96_family.soft"
    path.write_text(DATABASE_RECORD + "".join(records), encoding="utf-8")
    adata = gx.io.read_soft(path)
    assert adata.obs_names.tolist() == ["GSM11805"]
    assert adata.var_names.tolist() == ["1007_s_at", "1053_at"]
    np.testing.assert_array_equal(adata.X, [[1843.5, 166.1]])
    assert adata.var["gene_symbol"].tolist() == ["DDR1 /// MIR4640", "RFC2"]


def test_a_series_family_soft_without_a_listed_sample_is_still_refused(tmp_path):
    # the same records with GPL97's platform record too, in the order of GSE781's own family
    # SOFT: the file holds every platform of the series, so GSM11810's absence is a cut
    gpl97 = ("^PLATFORM = GPL97\n!Platform_geo_accession = GPL97\n"
             "!Platform_data_row_count = 1\n!platform_table_begin\nID\n200000_s_at\n"
             "!platform_table_end\n")
    path = tmp_path / "GSE781_family.soft"
    path.write_text(DATABASE_RECORD + GSE781_RECORD + GPL96_RECORDS.replace(
        "^SAMPLE = GSM11805", gpl97 + "^SAMPLE = GSM11805"), encoding="utf-8")
    assert refusal(gx.io.read_soft, path) == (
        f"{path}: series GSE781 (line 3) lists 1 sample(s) with no record in this file "
        "(GSM11810), where GEO's family SOFT holds them all: the file is cut short; download "
        "it again (or, if the samples were taken out on purpose, take out their "
        "!Series_sample_id lines)")


def _family(series: str, samples: dict[str, str]) -> str:
    """A GPL96 family SOFT of ``series`` holding ``samples`` (accession: title)."""
    text = DATABASE_RECORD + (f"^SERIES = {series}\n!Series_title = {series}'s title\n"
                              f"!Series_geo_accession = {series}\n")
    text += "".join(f"!Series_sample_id = {gsm}\n" for gsm in samples)
    text += "!Series_platform_id = GPL96\n" + GPL96_RECORDS.split("^SAMPLE")[0]
    for value, (gsm, title) in enumerate(samples.items()):
        text += (f"^SAMPLE = {gsm}\n!Sample_title = {title}\n!Sample_platform_id = GPL96\n"
                 f"!Sample_series_id = {series}\n!Sample_data_row_count = 2\n"
                 f"!sample_table_begin\nID_REF\tVALUE\n1007_s_at\t{value}\n"
                 f"1053_at\t{value}\n!sample_table_end\n")
    return text


GSE9476_PART = _family("GSE9476", {"GSM1": "FHCRCAML_1", "GSM2": "BM_3"})
GSE781_PART = _family("GSE781", {"GSM3": "N035 Normal Human Kidney", "GSM4": "T1 tumour"})


def test_two_series_families_joined_are_not_read_as_the_first_series(tmp_path, caplog):
    """Before: GSE9476's and GSE781's families joined with cat read as series GSE9476
    (.uns['geo'], the report's accession and title) with GSE9476's types given by title
    to its two samples and none to GSE781's."""
    path = tmp_path / "joined.soft"
    path.write_text(GSE9476_PART + GSE781_PART, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path)
    assert adata.obs_names.tolist() == ["GSM1", "GSM2", "GSM3", "GSM4"]
    assert adata.uns["geo"]["series"] == {}
    assert adata.uns["geo"]["accession"] == ""  # before: 'GSE9476', then 'GSM1', a sample's
    assert "type" not in adata.obs
    assert (f"{path}: no series record of the file lists all 4 samples read (GSE9476: 2, "
            "GSE781: 2): .uns['geo'] names none of them, and no known series' types are given "
            "(pass type_from=)") in caplog.text


def test_a_sample_of_another_series_joined_to_a_family_is_told(tmp_path, caplog):
    # a GEO sample's own file (GSM3, of GSE781) joined to GSE9476's family with cat
    sample = GSE781_PART[GSE781_PART.index("^SAMPLE = GSM3"):GSE781_PART.index("^SAMPLE = GSM4")]
    path = tmp_path / "joined.soft"
    path.write_text(GSE9476_PART + sample, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_soft(path)
    assert adata.obs_names.tolist() == ["GSM1", "GSM2", "GSM3"]
    assert adata.uns["geo"]["series"] == {}
    assert "type" not in adata.obs
    assert (f"{path}: no series record of the file lists all 3 samples read (GSE9476: 2): "
            ".uns['geo'] names none of them") in caplog.text


def test_the_series_named_is_the_one_listing_the_samples_read(tmp_path):
    # a platform family whose first series record is another series than its samples' (one
    # whose samples are on another platform: a GPL96 family holds the records of both)
    path = tmp_path / "GPL96_family.soft"
    other = "^SERIES = GSE9476\n!Series_sample_id = GSM9\n!Series_platform_id = GPL97\n"
    path.write_text(other + GSE781_PART, encoding="utf-8")
    adata = gx.io.read_soft(path)
    assert adata.uns["geo"]["accession"] == "GSE781"
    assert adata.uns["geo"]["series"]["title"] == "GSE781's title"


def test_a_second_series_family_cut_short_after_a_sample_is_refused(tmp_path):
    """Before: read as 3 samples without a word; only the first series' list was checked."""
    path = tmp_path / "joined.soft"
    path.write_text(GSE9476_PART + GSE781_PART.split("^SAMPLE = GSM4")[0], encoding="utf-8")
    assert refusal(gx.io.read_soft, path).startswith(
        f"{path}: series GSE781 (line 40) lists 1 sample(s) with no record in this file (GSM4)")


def test_an_annotation_table_of_another_platform_is_not_applied_silently(caplog):
    """GPL96's table given for a GPL570 series matrix (GSE26471, epimedtools).

    Before: applied without a word; the 32,398 probes of GPL570 that GPL96 lacks were left
    without symbols (and later dropped by pp.collapse_probes as unannotated).
    """
    gpl96 = gx.io.read_gpl(shared_file("GPL96.txt.gz"))
    matrix = shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_series_matrix(matrix, gpl=gpl96)
    assert adata.n_vars == 54675
    assert (adata.var["gene_symbol"] != "").sum() == 20995
    assert (f"{matrix}: 32398 of 54675 probes (59%) are not in the probe annotation given "
            "('1552256_a_at', '1552257_a_at', '1552258_at', ...); is it the annotation of "
            "another platform than GPL570?") in caplog.text


def test_a_broken_platform_table_stops_only_the_reading_of_its_own_samples(tmp_path):
    """GSE781 with a probe id of GPL97's table written twice: its U133A samples (GPL96) read as
    before; GPL97's, or all, are refused naming the platform and the probe; and read_gpl on
    the file names both platforms to choose from."""
    with gzip.open(shared_file("GSE781_family.soft.gz"), "rb") as fh:
        data = fh.read()
    start = data.index(b"^PLATFORM = GPL97")
    first = data.index(b"\n200001_at\t", start)
    broken = tmp_path / "GSE781_family.soft"
    broken.write_bytes(data[:first] + b"\n200000_s_at\t" + data[first + len(b"\n200001_at\t"):])
    gpl96 = gx.io.read_soft(broken, platform="GPL96")
    # a fresh read: the module's gse781 fixture is changed by other tests
    clean = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96")
    assert gpl96.obs.equals(clean.obs)
    np.testing.assert_array_equal(gpl96.X, clean.X)
    assert gpl96.var.equals(clean.var)
    message = rf"^{re.escape(str(broken))}: platform GPL97 lists probe id '200000_s_at' twice$"
    for platform in ("GPL97", "all"):
        with pytest.raises(InputError, match=message):
            gx.io.read_soft(broken, platform=platform)
    with pytest.raises(InputError, match=r"holds several platforms \(GPL96, GPL97\); choose one "
                       r"with platform=$"):
        gx.io.read_gpl(broken)
    assert gx.io.read_gpl(broken, platform="GPL96").equals(
        gx.io.read_gpl(shared_file("GSE781_family.soft.gz"), platform="GPL96"))


def test_measured_characteristics_are_numbers_in_obs(tmp_path):
    # before: GSE781's Affymetrix QC values and ages were text ('2.60'), so
    # adata.obs['Noise'].mean() raised TypeError and scanpy coloured one colour per value,
    # while a sample sheet's same columns were float64 (read afresh: write_h5ad turns the
    # module fixture's text columns categorical in place)
    gpl96 = gx.io.read_soft(shared_file("GSE781_family.soft.gz"), platform="GPL96")
    obs = gpl96.obs
    for column in ("Noise", "Raw Q", "Scaling Factor", "Age"):
        assert obs[column].dtype == np.float64, column
    assert obs.loc["GSM11805", ["Noise", "Raw Q", "Age"]].tolist() == [2.6, 2.39, 70.0]
    # groupings and words stay text as GEO wrote them (object, or pandas 3's str)
    for column in ("Tumor Fuhrman Grade", "Gender", "title"):
        assert not pd.api.types.is_numeric_dtype(obs[column]), column
    assert obs.loc["GSM11814", "Tumor Fuhrman Grade"] == "3"
    gpl96.write_h5ad(tmp_path / "a.h5ad")
    back = ad.read_h5ad(tmp_path / "a.h5ad").obs
    np.testing.assert_array_equal(back["Noise"], obs["Noise"])


def test_a_series_matrix_s_measured_characteristics_are_numbers(tmp_path):
    rows = ['!Series_geo_accession\t"GSE1"',
            '!Sample_title\t"a"\t"b"\t"c"\t"d"',
            '!Sample_geo_accession\t"GSM1"\t"GSM2"\t"GSM3"\t"GSM4"',
            '!Sample_characteristics_ch1\t"rin: 7.5"\t"rin: 8.0"\t"rin: NA"\t"rin: 7.5"',
            '!Sample_characteristics_ch1\t"grade: 1"\t"grade: 2"\t"grade: 1"\t"grade: 2"',
            '!Sample_characteristics_ch1\t"code: 007"\t"code: 008"\t"code: 009"\t"code: 010"',
            "!series_matrix_table_begin",
            '"ID_REF"\t"GSM1"\t"GSM2"\t"GSM3"\t"GSM4"',
            '"p1"\t1\t2\t3\t4', '"p2"\t5\t6\t7\t8',
            "!series_matrix_table_end"]
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text("\n".join(rows) + "\n")
    obs = gx.io.read_series_matrix(path).obs
    assert obs["rin"].dtype == np.float64  # a fraction: measured
    np.testing.assert_array_equal(obs["rin"], [7.5, 8.0, np.nan, 7.5])
    assert obs["grade"].tolist() == ["1", "2", "1", "2"]  # whole numbers, 2 values: groups
    assert obs["code"].tolist() == ["007", "008", "009", "010"]  # codes written with zeros


@pytest.mark.parametrize(("cut", "junk"), [(4, b""), (0, b"<html>junk</html>")])
def test_a_series_matrix_with_a_damaged_gzip_end_is_refused(cut, junk, tmp_path):
    # before: read_series_matrix stopped at '!series_matrix_table_end', so GSE26471's matrix
    # with the last 4 bytes of its gzip lost (the length the CRC check needs), or with junk
    # after the gzip stream, read without a word, where read_soft (which reads to the end)
    # and gzip -t refuse such a file
    source = shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    data = source.read_bytes()
    path = tmp_path / source.name
    path.write_bytes(data[: len(data) - cut] + junk)
    with pytest.raises(InputError) as caught:
        gx.io.read_series_matrix(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert ("corrupt or truncated gzip data" in message if cut else
            "trailing data after the end of the gzip stream, at byte offset 369,056" in message)


def test_a_series_matrix_without_its_end_marker_names_where_the_table_starts(tmp_path):
    # before: "the data table never ends (...)", naming no line, where read_soft names the
    # line of the table's begin marker
    source = shared_file("peers/epimedtools/GSE26471_series_matrix.txt.gz")
    text = gzip.decompress(source.read_bytes())
    assert text.splitlines()[66] == b"!series_matrix_table_begin"
    path = tmp_path / "GSE26471_series_matrix.txt"
    path.write_bytes(text.replace(b"!series_matrix_table_end\n", b""))
    assert refusal(gx.io.read_series_matrix, path) == (
        f"{path}: the data table that starts at line 67 never ends (no "
        "'!series_matrix_table_end'); the file is truncated")


@pytest.mark.parametrize("name", ["GSM11805.txt.gz", "GSE781_family.soft.gz"])
def test_a_file_gzipped_twice_is_named_as_such(tmp_path, name):
    # gzip run on a .gz (or a server's transfer encoding kept) read as 'line 1: NUL byte;
    # expected GEO text (a binary or damaged file?)', which sent users to download again a
    # file that was whole
    twice = tmp_path / name
    twice.write_bytes(gzip.compress(shared_file(name).read_bytes()))
    for reader in (gx.io.read_soft, gx.io.read_series_matrix):
        with pytest.raises(InputError) as err:
            reader(twice)
        assert str(err.value) == (f"{twice}: gzip data inside gzip data (compressed twice); "
                                  "decompress it once (gunzip) and read the result")


def _toy_matrix(samples: tuple[str, str], platform: str) -> str:
    a, b = samples
    return (f'!Series_geo_accession\t"GSE1"\n!Sample_title\t"{a}"\t"{b}"\n'
            f'!Sample_geo_accession\t"{a}"\t"{b}"\n!Sample_platform_id\t"{platform}"\t"{platform}"\n'
            f'!series_matrix_table_begin\n"ID_REF"\t"{a}"\t"{b}"\n"p1"\t1.5\t2.5\n"p2"\t3\t4.5\n'
            "!series_matrix_table_end\n")


def test_series_matrices_joined_with_cat_are_refused_not_read_as_the_first(tmp_path):
    # before: GEO's two matrices of a series on two platforms joined with cat (as GSE781's
    # -GPL96 and -GPL97 files) read as the first one's 2 samples of 4, without a word: the
    # rest of the file was read only for gzip's CRC check
    path = tmp_path / "GSE1_series_matrix.txt.gz"
    path.write_bytes(gzip.compress(_toy_matrix(("GSM1", "GSM2"), "GPL1").encode())
                     + gzip.compress(_toy_matrix(("GSM3", "GSM4"), "GPL2").encode()))
    assert refusal(gx.io.read_series_matrix, path) == (
        f"{path}, line 10: '!Series_geo_accession\\t\"GSE1\"' after the end of the series "
        "matrix table (line 9); a series matrix holds one table (two files joined? read "
        "each on its own)")
    # blank lines after the end marker are no content
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text(_toy_matrix(("GSM1", "GSM2"), "GPL1") + "\n \n")
    assert gx.io.read_series_matrix(path).obs_names.tolist() == ["GSM1", "GSM2"]


def test_a_line_other_than_the_end_marker_does_not_end_a_series_matrix_table(tmp_path):
    # before: any line starting with '!' ended the table: a matrix whose table was cut
    # short and followed by another's header read as the rows before it (here p1 of p1-p2)
    text = _toy_matrix(("GSM1", "GSM2"), "GPL1")
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text(text.replace('"p2"', '!Sample_title\t"x"\t"y"\n"p2"'))
    assert refusal(gx.io.read_series_matrix, path) == (
        f"{path}, line 8: '!Sample_title\\t\"x\"\\t\"y\"' inside the series matrix table "
        "that starts at line 5, where '!series_matrix_table_end' was expected (two files "
        "joined, or a damaged one?)")


def test_reader_arguments_are_refused_before_the_file_is_read(tmp_path):
    """Before: type_from=5 was re.compile's "first argument must be string or compiled
    pattern", gpl='GPL96' (the accession for its file) "GPL96: no such file" and limits='x'
    "'str' object has no attribute ...", each after the whole file had been parsed. Now each
    is refused first: here the file itself does not exist, and is not the one named."""
    absent = tmp_path / "absent_series_matrix.txt"
    text_pattern = ("{}: type_from=5 is not valid; give the name of an .obs column or a "
                    "regular expression on the sample titles (a str), or None")
    for name, read in (("read_series_matrix", gx.io.read_series_matrix),
                       ("read_soft", gx.io.read_soft)):
        with pytest.raises(TypeError) as caught:
            read(absent, type_from=5)
        assert str(caught.value) == text_pattern.format(f"io.{name}")
    with pytest.raises(TypeError) as caught:
        gx.io.read_series_matrix(absent, gpl=96)
    assert str(caught.value) == ("io.read_series_matrix: gpl=96 is not valid; give a platform "
                                 "SOFT or .annot file, a table from gexclust.io.read_gpl, or "
                                 "None")
    assert refusal(gx.io.read_series_matrix, absent, gpl=tmp_path / "GPL96") == (
        f"{tmp_path / 'GPL96'}: no such file")
    with pytest.raises(TypeError) as caught:
        gx.io.read_cumida(tmp_path / "absent.csv", limits="strict")
    assert str(caught.value) == ("io.read_cumida: limits must be a gexclust.io.Limits (or "
                                 "None, for the limits of the GEXCLUST_* environment "
                                 "variables), got 'strict'")


@pytest.mark.parametrize("given", ["no", "false", 0, 1, None])
@pytest.mark.parametrize(("name", "read", "flag"), [
    ("read_cumida", lambda p, **kw: gx.io.read_cumida(p, **kw), "annotate"),
    ("read_series_matrix", lambda p, **kw: gx.io.read_series_matrix(p, **kw), "annotate"),
    ("read_soft", lambda p, **kw: gx.io.read_soft(p, **kw), "annotate"),
    ("from_geoparse", lambda p, **kw: gx.io.from_geoparse(object(), **kw), "annotate"),
    ("annotate_obs", lambda p, **kw: gx.io.annotate_obs(make_planted(), p, **kw), "copy"),
])
def test_reader_flags_that_are_not_bools_are_refused_before_the_file_is_read(
        tmp_path, name, read, flag, given):
    """Before: annotate='no' (a text, so true) annotated, annotate_obs(copy='no') returned a
    copy and left adata without its annotations, without a word."""
    absent = tmp_path / "absent.txt"
    with pytest.raises(TypeError) as caught:
        read(absent, **{flag: given})
    assert str(caught.value) == f"io.{name}: {flag} must be True or False, got {given!r}"


@pytest.mark.parametrize("flag", [True, False, np.True_, np.False_])
def test_reader_flags_take_numpy_bools(tmp_path, flag):
    """A flag read back from an .h5ad (numpy.bool_) is a flag."""
    path = tmp_path / "small.csv"
    path.write_text("samples,type,p1,p2\n1,A,1.0,2.0\n2,B,3.0,4.5\n")
    assert gx.io.read_cumida(path, annotate=flag).n_obs == 2
