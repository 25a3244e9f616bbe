"""The insights report: sections and numbers agree with summary.json, both files render, and
every string from the input is escaped."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import anndata as ad
import numpy as np
import pytest

import gexclust as gx
from gexclust.cli import main
from tests.conftest import make_planted

SECTIONS = ("overview", "dataset", "preprocessing", "choosing-k", "tree", "clusters",
            "type-distances", "support", "heatmap", "markers", "limits", "parameters")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
EVIL_TYPE = "<script>alert(1)</script>"
EVIL_SAMPLE = '<img src=x onerror="alert(2)">&amp;'


class Page(HTMLParser):
    """Sections (id -> text), start tags and attributes of an HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self._current: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]
        if tag == "section":
            self._current = dict(attrs)["id"]
            self.sections[self._current] = ""

    def handle_endtag(self, tag):
        if tag == "section":
            self._current = None

    def handle_data(self, data):
        if self._current is not None:
            self.sections[self._current] += data + " "


def run_folder(tmp: Path, *args: str) -> Path:
    outdir = tmp / "run"
    assert main(["run", *args, "-o", str(outdir), "--quiet"]) == 0
    return outdir


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    return run_folder(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("evil")
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    adata.obs["type"] = adata.obs["type"].cat.rename_categories(
        {"group0": EVIL_TYPE, "group1": "A & B", "group2": "$x^2$ β-cell"})
    adata.obs["samples"] = [EVIL_SAMPLE + str(i) for i in range(adata.n_obs)]
    gx.io.write_cumida(adata, tmp / "evil.csv")
    return run_folder(tmp, str(tmp / "evil.csv"), "--n-clusters", "3")


def test_every_section_is_there_with_the_numbers_of_summary_json(example_run):
    summary = json.loads((example_run / "summary.json").read_text())
    page = Page((example_run / "report.html").read_text())
    assert set(SECTIONS) - {"support"} <= set(page.sections)
    assert "support" in page.sections  # says that no bootstrap ran

    data = page.sections["dataset"]
    for key in ("n_samples", "n_probes", "n_genes_clustered"):
        assert str(summary[key]) in data
    assert summary["input"]["sha256"] in data
    clusters = page.sections["clusters"]
    for key in ("ari_vs_type", "nmi_vs_type", "purity_vs_type"):
        assert f"{summary[key]:.3f}" in clusters
    assert f"{summary['ari_vs_type']:.3f}" in page.sections["overview"]
    for name, size in summary["cluster_sizes"].items():
        assert f" {name} {size} " in " ".join(clusters.split()) + " "
    assert f"{summary['cophenetic_correlation']:.3f}" in page.sections["tree"]
    params = page.sections["parameters"]
    for package, version in summary["versions"].items():
        assert package in params
        assert version in params
    assert "SIMULATED" in (example_run / "report.html").read_text()


def test_insights_are_written_from_this_run(example_run):
    page = Page((example_run / "report.html").read_text())
    clusters = " ".join(page.sections["clusters"].split())
    # k = 4 on five planted types: the two CD34+ populations share a cluster
    assert "mixes PBSC_CD34 (10) and Bone_Marrow_CD34 (8)" in clusters
    assert "holds only AML: all 26 AML samples" in clusters
    distances = " ".join(page.sections["type-distances"].split())
    assert "The two closest types are Bone_Marrow_CD34 and PBSC_CD34" in distances
    limits = page.sections["limits"]
    assert "simulated" in limits
    # the default run chooses k (--n-clusters auto) and the report says so
    assert "set by hand" not in limits
    assert "k=4 (highest mean silhouette); the groups are stronger than chance" in (
        " ".join(page.sections["choosing-k"].split()))


def test_html_is_self_contained(example_run):
    html = (example_run / "report.html").read_text()
    page = Page(html)
    assert "script" not in page.tags
    sources = [v for k, v in page.attrs if k in ("src", "href")]
    assert sources
    assert all(v.startswith(("data:image/png;base64,", "#")) for v in sources)
    assert "http://" not in html.replace("http-equiv", "")
    assert "https://" not in html


def test_strings_from_the_input_are_escaped(evil_run):
    html = (evil_run / "report.html").read_text()
    page = Page(html)
    assert "script" not in page.tags
    assert "img" in page.tags  # our figures
    assert not [k for k, _ in page.attrs if k.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert EVIL_TYPE in page.sections["clusters"]  # shown as text
    assert "$x^2$ β-cell" in page.sections["clusters"]
    assert "k = 3 was given" in page.sections["choosing-k"]  # run with --n-clusters 3
    assert "set by hand" in page.sections["limits"]
    if shutil.which("pdftotext"):
        text = pdf_text(evil_run / "report.pdf")
        assert EVIL_TYPE in text
        assert "$x^2$ β-cell" in text  # no mathtext, Unicode kept


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True, timeout=60)
    return out.stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_pdf_has_the_sections_as_text(example_run):
    summary = json.loads((example_run / "summary.json").read_text())
    text = pdf_text(example_run / "report.pdf")
    for title in ("At a glance", "The data", "Preprocessing", "How many clusters", "The tree",
                  "Clusters and sample types", "Marker genes", "What this run cannot tell",
                  "Parameters and versions"):
        assert title in text
    for key in ("ari_vs_type", "nmi_vs_type", "purity_vs_type", "cophenetic_correlation"):
        assert f"{summary[key]:.3f}" in text
    assert summary["input"]["sha256"] in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_pdf_tables_wrap_long_labels_instead_of_cutting_them(tmp_path):
    # two types as long as GSE781's source_name that differ only at the end: the PDF cut both
    # to "Trizol isolation of total RNA from bone marrow of ..." in the table of type
    # distances, and cluster 1's types cell lost "lymphoblastic (2)"; the HTML had them whole
    adata = make_planted(n_per_group=8, n_groups=2, n_genes=40)
    stem = "Trizol isolation of total RNA from bone marrow of leukaemia patients, "
    adata.obs["type"] = [stem + ("lymphoblastic" if t == "group0" else "myeloid")
                         for t in adata.obs["type"].astype(str)]
    gx.io.write_cumida(adata, tmp_path / "long.csv")
    outdir = run_folder(tmp_path, str(tmp_path / "long.csv"), "--n-clusters", "2")
    words = " ".join(pdf_text(outdir / "report.pdf").split())
    assert "..." not in words
    assert "\u2026" not in words
    table = words[words.index("Which types the tree puts together"):]
    table = table[:table.index("The tree joins")]
    assert table.count("lymphoblastic") == 2  # its row and its column
    assert table.count("myeloid") == 2


def not_blank(png: Path) -> float:
    """Share of pixels that are not white."""
    from matplotlib.image import imread

    image = imread(png)[..., :3]
    return float((image.min(axis=2) < 0.9).mean())


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) absent")
def test_pdf_pages_are_not_blank(example_run, tmp_path):
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(example_run / "report.pdf"),
                    str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    for page in pages:
        assert not_blank(page) > 0.005, page.name


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    pytest.skip("headless Chromium absent (.ci/run installs Debian's chromium)")


@pytest.mark.parametrize(("width", "height"), [(1280, 2400), (390, 2400)],
                         ids=["laptop", "phone"])
def test_html_renders_in_chromium(example_run, tmp_path, width, height):
    png = tmp_path / "shot.png"
    subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    f"--window-size={width},{height}", f"--screenshot={png}",
                    (example_run / "report.html").as_uri()],
                   capture_output=True, check=True, timeout=120)
    assert not_blank(png) > 0.02


def test_chromium_shows_the_evil_type_as_text(evil_run, tmp_path):
    out = subprocess.run([chromium(), *CHROMIUM_FLAGS,
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          (evil_run / "report.html").as_uri()],
                         capture_output=True, text=True, check=True, timeout=120)
    page = Page(out.stdout)
    assert "script" not in page.tags
    assert EVIL_TYPE in page.sections["clusters"]


def test_run_writes_report_and_exports_and_lists_them(example_run):
    summary = json.loads((example_run / "summary.json").read_text())
    manifest = json.loads((example_run / ".gexclust-manifest.json").read_text())["files"]
    for name in ("report.html", "report.pdf", "tree.cdt", "tree.atr", "tree.nwk"):
        assert (example_run / name).stat().st_size > 0
        assert name in summary["outputs"]
        assert name in manifest  # so that --force may replace them
    Phylo = pytest.importorskip("Bio.Phylo")
    tree = Phylo.read(example_run / "tree.nwk", "newick")
    assert len(tree.get_terminals()) == summary["n_samples"]


def test_no_report_then_report_command(tmp_path, capsys):
    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet", "--no-report"]) == 0
    assert not (outdir / "report.html").exists()
    assert "report.html" not in json.loads((outdir / "summary.json").read_text())["outputs"]
    before = json.loads((outdir / "summary.json").read_text())
    assert main(["report", str(outdir)]) == 0
    assert (outdir / "report.html").exists()
    assert (outdir / "report.pdf").exists()
    # before: summary.json still listed no report although the folder (and manifest) had one
    after = json.loads((outdir / "summary.json").read_text())
    assert after["outputs"] == sorted([*before["outputs"], "report.html", "report.pdf"])
    assert before == {**after, "outputs": before["outputs"]}
    manifest = json.loads((outdir / ".gexclust-manifest.json").read_text())
    assert "summary.json" in json.dumps(manifest)
    assert main(["report", str(outdir)]) == 0  # again: nothing more to add
    assert json.loads((outdir / "summary.json").read_text()) == after
    # the rebuilt report is ours: a forced run may replace it
    assert main(["run", "-o", str(outdir), "--quiet", "--force"]) == 0
    assert main(["report", str(tmp_path / "elsewhere")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "adata.h5ad: not found" in err


def test_report_command_keeps_a_read_only_summary_and_writes_the_report(tmp_path, capsys):
    """Before: after a --no-report run, a summary.json made read-only (chmod a-w) stopped
    'gexclust report' altogether ("summary.json is read-only; ... make it writable"), though
    only its list of outputs was to change. Now it is kept as it is, with a warning, and the
    report is written; a read-only manifest still refuses (no file can be added then)."""
    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet", "--no-report"]) == 0
    summary = outdir / "summary.json"
    before = summary.read_bytes()
    summary.chmod(0o444)
    capsys.readouterr()
    try:
        assert main(["report", str(outdir)]) == 0
        err = capsys.readouterr().err
        assert (f"{summary}: read-only, so left as it is: its 'outputs' do not list the "
                "report") in err
        assert summary.read_bytes() == before
        assert (outdir / "report.html").is_file()
        assert (outdir / "report.pdf").is_file()
        (outdir / "report.html").unlink()
        manifest = outdir / ".gexclust-manifest.json"
        manifest.chmod(0o444)
        assert main(["report", str(outdir)]) == 1
        assert ".gexclust-manifest.json is read-only" in capsys.readouterr().err
        assert not (outdir / "report.html").exists()
    finally:
        summary.chmod(0o644)
        (outdir / ".gexclust-manifest.json").chmod(0o644)


def test_rebuilding_an_unchanged_report_gives_the_same_files(tmp_path, monkeypatch):
    """Before: report.pdf held the time it was written (/CreationDate), so each 'gexclust
    report' on an unchanged run replaced report.pdf (and its manifest entry) with a file
    differing from it, and two identical runs could not be compared by hash."""
    import time

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # matplotlib's fixed date
    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in outdir.iterdir()}
    time.sleep(1.1)  # the PDF date is to the second
    assert main(["report", str(outdir)]) == 0
    assert {p.name: p.read_bytes() for p in outdir.iterdir()} == before
    assert b"/CreationDate" not in before["report.pdf"]


def test_report_command_never_replaces_a_file_of_the_user(tmp_path, capsys):
    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet", "--no-report"]) == 0
    (outdir / "report.html").write_text("my own notes")
    capsys.readouterr()
    assert main(["report", str(outdir)]) == 1
    assert "report.html: not written by gexclust" in capsys.readouterr().err
    assert (outdir / "report.html").read_text() == "my own notes"
    # before: "report.html: not written by gexclust/; not replaced", for a folder of the user's
    (outdir / "report.html").unlink()
    (outdir / "report.html").mkdir()
    assert main(["report", str(outdir)]) == 1
    assert capsys.readouterr().err == (
        f"gexclust: error: {outdir / 'report.html'}: not written by gexclust (a folder); not "
        "replaced (move it away first)\n")
    # a summary.json edited since the run is not rewritten, and does not stop the report
    (outdir / "report.html").rmdir()
    edited = (outdir / "summary.json").read_text().replace('"n_samples"', '"n_samples" ', 1)
    (outdir / "summary.json").write_text(edited)
    assert main(["report", str(outdir)]) == 0
    assert (outdir / "summary.json").read_text() == edited


def test_report_command_names_a_damaged_h5ad(tmp_path, capsys):
    # before: "gexclust: error: Unable to synchronously open file (truncated file: ...)",
    # h5py's message, naming no file
    outdir = tmp_path / "run"
    outdir.mkdir()
    (outdir / "summary.json").write_text("{}")
    (outdir / "adata.h5ad").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))  # cut short
    assert main(["report", str(outdir)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{outdir / 'adata.h5ad'}: cannot be read as an .h5ad file" in err


def test_support_values_are_reported_when_present(example_run, tmp_path):
    import anndata

    from gexclust._report import write_report

    adata = anndata.read_h5ad(example_run / "adata.h5ad")
    summary = json.loads((example_run / "summary.json").read_text())
    n = adata.n_obs - 1
    au = np.full(n, 0.99)
    au[-3:] = 0.5  # the top merges (between clusters) and a weak one
    adata.uns["hclust"]["support"] = {"au": au, "bp": au - 0.1, "se": np.zeros(n)}
    write_report(adata, summary, tmp_path)
    page = Page((tmp_path / "report.html").read_text())
    support = " ".join(page.sections["support"].split())
    assert "AU 99%, supported" in support
    assert "4 of 4 clusters have AU >= 95%" in " ".join(page.sections["overview"].split())


def test_choice_of_k_and_consensus_are_reported_when_present(example_run, tmp_path):
    import anndata
    import pandas as pd

    from gexclust._report import write_report

    adata = anndata.read_h5ad(example_run / "adata.h5ad")
    summary = json.loads((example_run / "summary.json").read_text())
    summary["parameters"]["n_clusters"] = 4  # as if run with --n-clusters 4 (default: auto)
    scores = pd.DataFrame({"silhouette": [np.nan, 0.41, 0.43, 0.39]}, index=[1, 2, 3, 4])
    adata.uns["choose_k"] = {"k": 3, "strong": False, "p_value": 0.31, "scores": scores,
                             "message": "k=3 (highest mean silhouette); the groups are WEAK"}
    adata.uns["consensus"] = {"k": np.array([2, 3, 4]), "pac": np.array([0.0, 0.02, 0.2]),
                              "best_k": 2, "params": {"n_resamples": 50,
                                                      "sample_fraction": 0.8}}
    write_report(adata, summary, tmp_path)
    page = Page((tmp_path / "report.html").read_text())
    choosing = " ".join(page.sections["choosing-k"].split())
    assert "k=3 (highest mean silhouette); the groups are WEAK" in choosing
    assert "not the k = 3 recommended" in choosing
    assert "0.430" in choosing
    assert "found no clear group structure" in page.sections["limits"]
    # the overview's precision: 99 copies resolve p to 0.01 (before: 'p = 0.310' here)
    assert "same gene covariance, p = 0.31)" in " ".join(page.sections["limits"].split())
    support = " ".join(page.sections["support"].split())
    assert "lowest PAC" in support
    assert "At this run's k = 4, PAC = 0.200" in support
    assert "largest k tried" not in support
    # a minimum at the end of the range is no optimum (bladder, golub: PAC falls up to k = 10)
    adata.uns["consensus"]["best_k"] = 4
    adata.uns["consensus"]["pac"] = np.array([0.3, 0.2, 0.1])
    write_report(adata, summary, tmp_path)
    support = " ".join(Page((tmp_path / "report.html").read_text()).sections["support"].split())
    assert "is at k = 4. That is the largest k tried, so it marks no optimum" in support
    from gexclust._run_cli import format_summary

    summary["consensus"] = {"n_resamples": 50, "recommended_k": 4,
                            "pac": {"2": 0.3, "3": 0.2, "4": 0.1}}
    assert "recommended k = 4 (the largest k tried" in format_summary(adata, summary)
    summary["consensus"]["recommended_k"] = 3
    assert "recommended k = 3; PAC" in format_summary(adata, summary)


def report_with_blank_types(tmp_path, blank, *, n_groups: int = 3, n_genes: int = 40) -> Page:
    """The report of a run on planted groups whose ``type`` is empty where ``blank`` says."""
    adata = make_planted(n_per_group=6, n_groups=n_groups, n_genes=n_genes)
    types = adata.obs["type"].astype(str).to_numpy()
    types[blank(types)] = ""
    adata.obs["type"] = types
    gx.io.write_cumida(adata, tmp_path / "untyped.csv")
    outdir = run_folder(tmp_path, str(tmp_path / "untyped.csv"), "--n-clusters",
                        str(n_groups), "--formats", "png")
    return Page((outdir / "report.html").read_text())


def test_samples_without_a_type_are_no_type_of_their_own(tmp_path):
    # before: two empty 'type' fields made a fourth type '' in the report ("mixes A (9) and
    # (1)", "10 of the 9 A samples", purity 90% beside a headline purity of 1.000)
    page = report_with_blank_types(tmp_path, lambda types: [0, 7])
    clusters = " ".join(page.sections["clusters"].split())
    assert "3 known sample types" in " ".join(page.sections["overview"].split())
    assert "purity 90%" not in clusters
    assert "and 1 without a type" in clusters
    assert "2 samples without a type were left out" in clusters
    assert "of the 5 group0 samples" not in clusters
    dataset = " ".join(page.sections["dataset"].split())
    assert "(no type) 2" in dataset  # the type counts add up to the 18 samples


def test_a_cluster_without_any_typed_sample(tmp_path):
    # before: the report stopped with an IndexError (GSE781 with --type-from '^N(\d)': the
    # tumours have no type and form a cluster of their own), and such a cluster counted as
    # pure ("one type only", purity 100%)
    page = report_with_blank_types(tmp_path, lambda types: types == "group2")
    clusters = " ".join(page.sections["clusters"].split())
    untyped = [c for c in "123" if f"Cluster {c} (6 samples) has no sample with a type."
               in clusters]
    assert len(untyped) == 1
    assert f"{untyped[0]} 6 n/a (no type)" in clusters
    overview = " ".join(page.sections["overview"].split())
    pure = overview.split("Pure clusters (one type only): ")[1].split(".")[0]
    assert untyped[0] not in pure


def test_an_empty_type_column_is_not_called_absent(tmp_path):
    # before: "The input has no 'type' column" when the column was there, all empty
    page = report_with_blank_types(tmp_path, lambda types: slice(None), n_groups=2, n_genes=30)
    dataset = " ".join(page.sections["dataset"].split())
    assert "No sample has a type (the 'type' column is empty)" in dataset
    assert "no 'type' column" not in dataset


def test_an_interrupted_report_command_leaves_a_folder_gexclust_still_recognises(
        tmp_path, monkeypatch, capsys):
    """Ctrl-C while ``gexclust report`` draws the PDF, after report.html was written.

    Before: report.html was in place but not in the manifest (that came last), so every later
    ``gexclust run --force`` and ``gexclust report`` refused the folder ("holds files gexclust
    did not write (report.html)") until the user deleted the file by hand.
    """
    import signal

    from gexclust import _stop
    from gexclust._outdir import MANIFEST, STAGE_PREFIX
    from gexclust._report import _pdf

    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet", "--no-report"]) == 0
    before = {p.name: p.read_bytes() for p in outdir.iterdir()}

    def interrupted(report):
        raise _stop.Stopped(signal.SIGINT)  # what the Ctrl-C handler raises

    monkeypatch.setattr(_pdf, "render_pdf", interrupted)
    assert main(["report", str(outdir)]) == 128 + signal.SIGINT
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in outdir.iterdir()} == before
    assert not [p for p in outdir.iterdir() if p.name.startswith(STAGE_PREFIX)]
    capsys.readouterr()
    assert main(["report", str(outdir)]) == 0
    assert (outdir / "report.html").exists()
    assert {"report.html", "report.pdf"} <= set(
        json.loads((outdir / MANIFEST).read_text())["files"])
    assert main(["run", "-o", str(outdir), "--quiet", "--force"]) == 0, capsys.readouterr().err


def test_a_report_command_beside_a_run_never_mixes_two_runs(tmp_path, monkeypatch, capsys):
    """``gexclust report DIR`` while ``gexclust run -o DIR --force`` writes DIR.

    Before: the report command read adata.h5ad and summary.json before it took the folder's
    lock, so a run that published meanwhile (k=3) had its report replaced by one of the files
    read before (k=2): report.html said "cut into 2 clusters" beside a summary.json of 3.
    Now the files are read under the lock: the run that starts meanwhile stops, naming the
    report's staging folder, and the report is that of the files in the folder.
    """
    import gexclust._report as report

    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet", "--n-clusters", "2"]) == 0
    collect, runs = report.collect_figures, []

    def run_meanwhile(adata, folder, **kwargs):
        if not runs:  # once: the run's own report collects its figures too
            runs.append(None)
            runs[0] = main(["run", "-o", str(outdir), "--quiet", "--force", "--n-clusters", "3"])
            runs.append(capsys.readouterr().err)
        return collect(adata, folder, **kwargs)

    monkeypatch.setattr(report, "collect_figures", run_meanwhile)
    assert main(["report", str(outdir)]) == 0
    assert runs[0] == 1
    assert "another gexclust run or report is writing into this folder" in runs[1]
    k = json.loads((outdir / "summary.json").read_text())["choose_k"]["k"]
    assert k == 2
    assert "cut into 2 clusters" in (outdir / "report.html").read_text()


@pytest.mark.parametrize(("text", "problem"), [
    ("{}", "no 'n_samples'"),
    ('{"n_samples": 5}', "no 'cophenetic_correlation'"),
    ("[1, 2]", "a JSON list, expected an object"),
])
def test_report_command_names_a_summary_that_is_not_a_runs(tmp_path, capsys, text, problem):
    """Before: "gexclust: error: n_samples" (a KeyError) and "AttributeError: 'list' object
    has no attribute 'get' (rerun with --debug ...)"."""
    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet", "--no-report"]) == 0
    summary = outdir / "summary.json"
    summary.write_text(text)
    capsys.readouterr()
    assert main(["report", str(outdir)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"gexclust: error: {summary}: {problem}; not the summary.json of a "
                   "'gexclust run'")
    assert not (outdir / "report.html").exists()


@pytest.mark.parametrize(("key", "value", "error"), [
    ("input", None, "AttributeError: 'NoneType' object has no attribute 'get'"),
    ("n_genes_clustered", None,
     "TypeError: '>=' not supported between instances of 'NoneType' and 'int'"),
])
def test_report_command_names_a_summary_value_edited_to_another_kind(tmp_path, capsys, key,
                                                                     value, error):
    """Before: 'gexclust: error: AttributeError: 'NoneType' object has no attribute 'get'
    (rerun with --debug for the traceback)', naming no file."""
    outdir = tmp_path / "run"
    assert main(["run", "-o", str(outdir), "--quiet", "--no-report"]) == 0
    summary = outdir / "summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text()), key: value}))
    capsys.readouterr()
    assert main(["report", str(outdir)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"gexclust: error: {summary}: changed since gexclust run wrote it, and the report "
        f"cannot read it ({error}); restore it, or run gexclust run again")
    assert sorted(p.name for p in outdir.iterdir() if p.name.startswith(("report", "."))) == [
        ".gexclust-manifest.json"]
    # the error it met stays chained, for --debug's traceback (it may be gexclust's own)
    from gexclust._report import rebuild_report

    with pytest.raises(ValueError, match="changed since gexclust run wrote it") as raised:
        rebuild_report(outdir)
    assert type(raised.value.__cause__).__name__ == error.split(":")[0]


def test_heights_of_a_tree_of_small_values_are_not_rounded_to_zero(tmp_path):
    # before: merge heights were written to 2 decimals, so golub's values / 1e4 read "cut at
    # height 0.01 into 2 clusters; its root is at 0.01" (0.00718 and 0.00804), and smaller
    # values "root at 0.00"; below 0.1 they now have 3 significant digits
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    adata.X = adata.X * 1e-4
    gx.io.write_cumida(adata, tmp_path / "small.csv")
    outdir = run_folder(tmp_path, str(tmp_path / "small.csv"), "--n-clusters", "3")
    page = Page((outdir / "report.html").read_text())
    root = float(np.loadtxt(outdir / "linkage.csv", delimiter=",", skiprows=1)[-1, 2])
    threshold = float(ad.read_h5ad(outdir / "adata.h5ad").uns["cluster"]["threshold"])
    assert 1e-4 < threshold < root < 0.1
    tree = " ".join(page.sections["tree"].split())
    assert f"cut at height {threshold:.3g} into 3 clusters; its root is at {root:.3g}." in tree
    overview = " ".join(page.sections["overview"].split())
    assert f"The tree's first split (height {root:.3g})" in overview


def test_figures_the_report_draws_are_closed_when_pyplot_keeps_them(example_run, tmp_path):
    # before: with pyplot loaded (a notebook, or a run of 21+ sample types, whose scanpy
    # colours import scanpy and so pyplot) the report's own dendrogram, heatmap and markers
    # figures stayed open in pyplot: a run of 22 types ended with the markers and consensus
    # figures open, and a notebook shows what is open under the cell
    import anndata
    import matplotlib.pyplot as plt

    from gexclust._report import write_report

    adata = anndata.read_h5ad(example_run / "adata.h5ad")
    summary = json.loads((example_run / "summary.json").read_text())
    plt.close("all")
    write_report(adata, summary, tmp_path)  # no PNGs in tmp_path: every figure is drawn
    assert (tmp_path / "report.html").is_file()
    assert plt.get_fignums() == []


def test_a_cut_of_every_sample_with_identical_ones_is_not_said_to_be_at_height_0(tmp_path):
    # before: --n-clusters of every sample, two of them identical, recorded threshold 0, and
    # the report read "cut at height 0 into 8 clusters", where a cut at 0 gives 7
    adata = make_planted(n_per_group=3, n_groups=3, n_genes=40)[:8].copy()
    adata.X[1] = adata.X[0]
    gx.io.write_cumida(adata, tmp_path / "twins.csv")
    outdir = run_folder(tmp_path, str(tmp_path / "twins.csv"), "--n-clusters", "8")
    assert ad.read_h5ad(outdir / "adata.h5ad").uns["cluster"]["threshold"] == "none"
    tree = " ".join(Page((outdir / "report.html").read_text()).sections["tree"].split())
    assert ("The tree is cut below every merge (identical samples, joined at height 0, apart "
            "too) into 8 clusters") in tree
