"""End-to-end tests of the ``gexclust`` command line, in subprocesses like a user runs it."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import gexclust as gx
from tests.conftest import SMALL_CSV, fill_the_disk, make_planted, planted_csv, shared_file

ROOT = Path(__file__).resolve().parents[1]
# a default run chooses k (--n-clusters auto), so it also draws how: choose_k
FIGS = [f"{n}.png" for n in ("dendrogram", "cluster_heatmap", "clustermap", "choose_k")]
OUTPUTS = {"adata.h5ad", "clusters.csv", "linkage.csv", "summary.json", *FIGS,
           "tree.cdt", "tree.atr", "tree.nwk", "report.html", "report.pdf"}


def gexclust(*args, cwd=None, check=True):
    proc = subprocess.run([sys.executable, "-m", "gexclust", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)\n(.*?)```", text, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip() and "#" not in line[:1]]


def test_readme_starts_with_the_two_commands():
    run_cmd, test_cmd = readme_commands()[:2]
    assert "pip install" in run_cmd
    assert "gexclust run" in run_cmd
    assert "pip install" in test_cmd
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci


def test_readme_example_command(tmp_path):
    run_cmd = readme_commands()[0]
    args = run_cmd.split("&&")[-1].split()
    assert args[:2] == ["gexclust", "run"]
    proc = gexclust(*args[1:], cwd=tmp_path)
    outdir = tmp_path / args[args.index("-o") + 1]
    names = {p.name for p in outdir.iterdir()}
    assert names == {*OUTPUTS, ".gexclust-manifest.json"}
    assert "SIMULATED" in proc.stdout
    assert "ARI vs type" in proc.stdout

    summary = json.loads((outdir / "summary.json").read_text())
    assert summary["input"]["simulated"] is True
    assert summary["parameters"]["n_top_genes"] == 1000
    assert summary["parameters"]["flavor"] == "mad"
    assert summary["parameters"]["scaling"] == "center"
    assert summary["parameters"]["n_clusters"] == "auto"
    assert summary["ari_vs_type"] == pytest.approx(0.8976, abs=1e-4)
    assert summary["cut_note"] is None
    assert summary["missing"] is None  # README: null for the built-in example
    assert summary["n_clusters_found"] == 4
    chosen = summary["choose_k"]
    assert chosen["how"] == "auto"
    assert chosen["k"] == 4
    assert chosen["criterion"] == "silhouette"
    assert chosen["strong"] is True
    assert [row["k"] for row in chosen["scores"]] == list(range(1, 11))
    assert f"clusters chosen automatically (--n-clusters auto): {chosen['message']}" in proc.stdout
    assert set(summary["versions"]) >= {"anndata", "numpy", "scipy"}
    # every key is there whatever the options: null where an option was not given (before,
    # annotations was left out without --annotations, while consensus was null)
    assert (summary["annotations"], summary["consensus"]) == (None, None)
    # what the README says a run writes: its OUTDIR table, and the keys of summary['choose_k']
    readme = (ROOT / "README.md").read_text()
    table = readme.split("`OUTDIR` contains:")[1].strip().split("\n\n")[0]
    listed = {name for row in re.findall(r"^\| (`[^|]+)\|", table, re.M)
              for name in re.findall(r"`([^`]+)`", row)}
    assert listed - {"consensus.csv", "consensus.png"} == names  # those need --consensus
    row = next(line for line in table.splitlines() if line.startswith("| `summary.json`"))
    assert set(summary) <= set(re.findall(r"`([a-z_]+)`", row))  # every key is explained
    # and those of its input record (before: 'path and sha256, or `simulated` for the
    # example', which has a sha256 too, of its generated matrix, and a note)
    assert set(summary["input"]) <= set(re.findall(r"`([a-z_0-9]+)`", row))
    said = readme.split('`summary.json["choose_k"]` says how the tree was cut:')[1]
    said = said.split("The printed summary")[0]
    keys = set(re.findall(r"`([a-z_]+)`", said)) - {"auto", "given"}  # values of 'how'
    fields = set(chosen) | set(chosen["scores"][0])  # and the fields of each score record
    assert keys <= fields, keys - fields
    assert {"k", "how", "message", "criterion", "k_test", "p_value_k", "scores"} <= keys

    clusters = pd.read_csv(outdir / "clusters.csv", dtype=str)
    assert clusters.columns.tolist() == ["sample", "type", "cluster"]
    assert len(clusters) == 64
    assert clusters["cluster"].nunique() == 4
    adata = ad.read_h5ad(outdir / "adata.h5ad")
    assert (adata.obs["cluster"].astype(str).to_numpy() == clusters["cluster"].to_numpy()).all()
    # the figures' colours travel with the h5ad (before: no type_colors, so scanpy's plots of
    # it coloured the types with its own palette, unlike the report)
    from gexclust._palette import palette

    assert list(adata.uns["type_colors"]) == palette(len(adata.obs["type"].cat.categories))
    # Dark2 without its colours close to the five types' tab10 ones (orange, purple, lime)
    assert list(adata.uns["cluster_colors"]) == ["#1b9e77", "#e7298a", "#e6ab02", "#a6761d"]
    Z = pd.read_csv(outdir / "linkage.csv").to_numpy()
    np.testing.assert_allclose(Z, adata.uns["hclust"]["linkage"], rtol=1e-9)
    for fig in FIGS:
        assert (outdir / fig).read_bytes()[:4] == b"\x89PNG"


def test_csv_seed_recipe_equals_original_script(cli, tmp_path):
    csv = tmp_path / "Leukemia_GSE9476.csv"
    gx.io.write_cumida(gx.datasets.gse9476_example(), csv)
    cli("run", csv, "-o", tmp_path / "out", "--recipe", "seed", "--quiet")
    frame = pd.read_csv(csv)
    X = frame.drop(columns=["samples", "type"]).apply(pd.to_numeric)
    reference = fcluster(linkage(StandardScaler().fit_transform(X), "ward"), 4, "maxclust")
    ours = pd.read_csv(tmp_path / "out" / "clusters.csv")
    assert ours["sample"].tolist() == frame["samples"].tolist()
    assert adjusted_rand_score(reference, ours["cluster"]) == 1.0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["input"]["sha256"] == __import__("hashlib").sha256(csv.read_bytes()).hexdigest()
    assert summary["n_genes_clustered"] == 22283


def test_force_replaces_only_our_outputs(cli, tmp_path, small_csv):
    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet", "--n-clusters", "3")
    proc = cli("run", small_csv, "-o", out, check=False)
    assert proc.returncode == 1
    assert "outputs of an earlier run; pass --force" in proc.stderr
    cli("run", small_csv, "-o", out, "--force", "--quiet", "--n-clusters", "5")
    assert json.loads((out / "summary.json").read_text())["parameters"]["n_clusters"] == 5
    assert {p.name for p in tmp_path.iterdir()} == {"out", "in.csv"}
    assert not [p for p in out.iterdir() if p.name.startswith(".gexclust-stage")]


def test_force_never_removes_user_files_or_the_input(tmp_path):
    """Issue 9's repro: notes, a subfolder and the input CSV in OUTDIR, with --force."""
    d = tmp_path / "d"
    d.mkdir()
    (d / "notes.txt").write_text("x\n")
    (d / "sub").mkdir()
    (d / "sub" / "kept.txt").write_text("y\n")
    csv = d / "small.csv"
    csv.write_text(SMALL_CSV)
    before = sorted(p.relative_to(d) for p in d.rglob("*"))
    proc = gexclust("run", csv, "-o", d, "--force", check=False)
    assert proc.returncode == 1
    assert "notes.txt, small.csv, sub/" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.relative_to(d) for p in d.rglob("*")) == before
    assert csv.read_text() == SMALL_CSV


def test_dot_as_outdir(cli, tmp_path, small_csv, monkeypatch):
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    cli("run", small_csv, "-o", ".", "--quiet")
    cli("run", small_csv, "-o", ".", "--quiet", "--force", "--formats", "pdf")
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert names == {*OUTPUTS - set(FIGS), *(f.replace(".png", ".pdf") for f in FIGS),
                     ".gexclust-manifest.json"}  # the earlier run's PNGs were ours: replaced


def test_a_tilde_the_shell_left_is_the_home_folder(cli, tmp_path, small_csv, monkeypatch):
    # '--outdir=~/results' reaches gexclust unexpanded (the shell expands ~ only at a word's
    # start). Before: on Python 3.11 'error: Cannot save file into a non-existent directory:
    # '$HOME/.gexclust-stage-...'' and nothing written; on 3.12 and later a folder named '~' in the
    # working directory, which 'rm -rf ~' meant for it would take for the home folder
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path / "run")
    csv = home / small_csv.name
    csv.write_bytes(small_csv.read_bytes())
    cli("run", f"~/{csv.name}", "--outdir=~/results", "--quiet", "--no-report")
    written = {p.name for p in (home / "results").iterdir()}
    assert {"clusters.csv", "linkage.csv", "summary.json", "adata.h5ad"} <= written
    assert list((tmp_path / "run").iterdir()) == []
    cli("report", "~/results", "--quiet")
    assert (home / "results" / "report.html").is_file()


def test_symlinked_outdir_is_written_through(cli, tmp_path, small_csv):
    target = tmp_path / "results"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    cli("run", small_csv, "-o", tmp_path / "link", "--quiet")
    assert (tmp_path / "link").is_symlink()
    assert {p.name for p in target.iterdir()} == {*OUTPUTS, ".gexclust-manifest.json"}


def test_an_unknown_method_or_metric_names_the_option(capsys, small_csv, tmp_path):
    """Before: --method upgma said "method='upgma' is not valid; choose one of ...", naming
    the Python argument where --select-by's typo names the option; now both are argparse's
    choices, refused as a malformed command line (exit 2, as --select-by's) before reading."""
    from gexclust.cli import main

    for option, value, first in (("--method", "upgma", "ward"), ("--metric", "Pearson",
                                                                  "euclidean")):
        with pytest.raises(SystemExit) as exited:
            main(["run", str(small_csv), "-o", str(tmp_path / "out"), option, value])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        # argparse quotes the choices or not by Python version: their words are what count
        assert err.startswith(f"gexclust: error: argument {option}: invalid choice: ")
        assert value in err
        assert first in err
        assert err.endswith(" (see 'gexclust run --help')\n")
        assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--formats", "png", "--formats", "pdf"],
         "--formats is given twice (--formats 'png', then --formats 'pdf'); give it once"),
        (["--n-clusters", "3", "--n-clusters", "5"],
         "--n-clusters is given twice (--n-clusters '3', then --n-clusters '5'); give it once"),
        (["--outdir", "{out}"], "--outdir is given twice (-o '{out}', then --outdir '{out}'); "
         "give it once"),
        # as typed, not as read: they were quoted 'auto' and '3'
        (["--n-clusters", "AUTO", "--n-clusters=03"],
         "--n-clusters is given twice (--n-clusters 'AUTO', then --n-clusters '03'); give it "
         "once"),
    ],
)
def test_an_option_given_twice_is_refused(capsys, small_csv, tmp_path, args, message):
    """Before: argparse kept the last value without a word; --formats png --formats pdf wrote
    PDFs only, and an edited command line with --n-clusters twice cut the second k."""
    from gexclust.cli import main

    out = str(tmp_path / "out")
    with pytest.raises(SystemExit) as exited:
        main(["run", str(small_csv), "-o", out, *(a.format(out=out) for a in args)])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (f"gexclust: error: {message.format(out=out)} "
                                       "(see 'gexclust run --help')\n")
    assert not (tmp_path / "out").exists()


def test_options_given_once_leave_no_trace_in_the_arguments():
    from gexclust.cli import build_parser

    args = build_parser().parse_args(["run", "-o", "x", "--formats", "pdf"])
    assert (args.outdir, args.formats) == ("x", "pdf")
    assert not [name for name in vars(args) if name.startswith("_")]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("samples,type,p1\n1,A,2\n1,B,3\n", [], "duplicate sample id '1'"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,oops,3\n", [], "line 3, column 'p1': value 'oops'"),
        (None, [], "no such file"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,4,5\n", ["--method", "ward", "--metric", "correlation"],
         "method='ward' needs metric='euclidean'"),
    ],
)
def test_bad_input_gives_one_line_error(cli, tmp_path, content, args, message):
    csv = tmp_path / "in.csv"
    if content is not None:
        csv.write_text(content)
    proc = cli("run", csv, "-o", tmp_path / "out", *args, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("[")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gexclust: error:")
    assert message in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "start"), [
    ([], "pp.select_variable: gene 'p2' has values too large to average or square in float64 "
         "(1.5e+308 in sample 's3'; the largest float64 is 1.8e+308): its mean or variance "
         "overflows (1 such gene(s) in all)."),
    (["--recipe", "seed"], "pp.scale: gene 'p2' has values too large to average or square"),
    (["--all-genes"], "tl.hclust: sample 's3' has values too large for euclidean distances in "
                      "float64 (up to 1.35e+308): the distances overflow."),
])
def test_values_too_large_to_square_are_named_not_called_missing(cli, tmp_path, args, start):
    # before: "row 's3' contains NaN or infinite values ... Handle missing values first" (a
    # gene centred to -inf), scipy's "The condensed distance matrix must contain only finite
    # values.", or with --recipe seed a gene silently scaled to 0 (its mean overflowed)
    X = np.random.default_rng(0).normal(size=(10, 30))  # around 0: not logged (GEO2R's rule)
    X[3, 2] = 1.5e308
    lines = ["samples,type," + ",".join(f"p{j}" for j in range(30))]
    lines += [f"s{i},{'AB'[i % 2]}," + ",".join(map(str, row.tolist()))
              for i, row in enumerate(X)]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    proc = cli("run", tmp_path / "in.csv", "-o", tmp_path / "out", *args, check=False)
    assert proc.returncode == 1
    error = proc.stderr.splitlines()[-1]
    assert error.startswith(f"gexclust: error: {start}")
    assert "These are not missing values" in error


def test_quoted_names_at_either_end_of_an_error_keep_their_quotes(cli, tmp_path):
    # before: the CLI stripped quote characters from both ends of every message, so
    # "'../x' is not a GEO accession" lost its opening quote and "... or 'weighted'" its last
    proc = cli("fetch", "../x", "--offline", "--cache-dir", tmp_path, check=False)
    assert proc.returncode == 1
    assert "gexclust: error: '../x' is not a GEO accession" in proc.stderr
    proc = cli("run", "-o", tmp_path / "out", "--method", "ward", "--metric", "correlation",
               check=False)
    assert proc.stderr.rstrip().endswith("'weighted'"), proc.stderr
    # a KeyError's message is the repr of its text: those quotes still go
    from gexclust.cli import _one_line

    assert _one_line(KeyError("no column 'x' in .obs")) == "no column 'x' in .obs"


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from gexclust.cli import build_parser; build_parser().format_help();"
            "print(sorted(m for m in ('anndata', 'pandas', 'matplotlib', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    proc = gexclust("--help")
    assert "run" in proc.stdout


def test_seed_recipe_rejects_gene_selection(tmp_path):
    proc = gexclust("run", "-o", tmp_path / "o", "--recipe", "seed", "--n-top-genes", "10",
                    check=False)
    assert proc.returncode == 1
    assert "--recipe seed always uses all probes" in proc.stderr


def test_select_by_with_all_genes_is_refused(tmp_path):
    # --select-by ranks genes to keep the top N: with --all-genes it was taken without a word
    out = tmp_path / "o"
    proc = gexclust("run", "-o", out, "--all-genes", "--select-by", "variance", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "gexclust: error: --select-by variance ranks genes for --n-top-genes; --all-genes "
        "keeps every gene, so drop one of them")
    assert not out.exists()


def test_pdf_keeps_unicode_text(cli, tmp_path, small_csv):
    """PDFs embed their fonts: 'β-thalassaemia' in the legend survives as text."""
    import shutil

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet", "--n-clusters", "3", "--formats",
             "pdf,svg,png")
    assert {p.suffix for p in out.glob("dendrogram.*")} == {".pdf", ".svg", ".png"}
    text = subprocess.run(["pdftotext", out / "dendrogram.pdf", "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "β-thalassaemia" in text


def test_bad_formats_are_refused_before_any_work(cli, tmp_path):
    proc = cli("run", "-o", tmp_path / "out", "--formats", "png,jpeg", check=False)
    assert proc.returncode == 1
    assert "jpeg is not valid; choose from png, pdf, svg" in proc.stderr
    assert "[1/4" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "said"), [
    ("png,png", "png is given more than once"),
    ("png, PNG,pdf", "png is given more than once"),
    ("pdf,png,pdf,png", "pdf and png are given more than once"),
])
def test_a_format_given_twice_is_refused_before_any_work(cli, tmp_path, text, said):
    """Before: --formats png,png was taken as png without a word (a typo for png,pdf
    unseen); now refused as an unknown format is, exit 1 and nothing written."""
    proc = cli("run", "-o", tmp_path / "out", "--formats", text, check=False)
    assert proc.returncode == 1
    assert proc.stderr == (f"gexclust: error: --formats {text!r}: {said}; give each format "
                           "once, from png, pdf, svg (comma-separated)\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text", ["", ",,", " "])
def test_formats_naming_no_format_say_so(text):
    """Before: "--formats '': no format is not valid", which reads as a double negative."""
    from gexclust._render import parse_formats

    with pytest.raises(ValueError, match=r"names no format; choose from png, pdf, svg"):
        parse_formats(text)


@pytest.mark.parametrize(
    ("args", "n_found"),
    [(["--n-clusters", "1"], 1), (["--method", "centroid", "--n-clusters", "3"], None),
     (["--method", "median", "--n-clusters", "3"], None)],
)
def test_valid_options_draw_and_say_what_was_cut(cli, tmp_path, args, n_found):
    """One cluster, or a tree with inversions: the run finishes and says what it cut."""
    csv = tmp_path / "in.csv"
    csv.write_text(planted_csv(n_per_group=8))
    out = tmp_path / "out"
    proc = cli("run", csv, "-o", out, *args)
    summary = json.loads((out / "summary.json").read_text())
    found = summary["n_clusters_found"]
    assert found == len(summary["cluster_sizes"])
    if n_found is not None:
        assert found == n_found
    assert (out / "dendrogram.png").exists()
    assert (out / "clustermap.png").exists()
    if found == 1:
        assert not (out / "cluster_heatmap.png").exists()
        assert "cluster_heatmap" in proc.stderr
        # before: "cut into 1 clusters"; "The 1 clusters do not match the 3 known types"
        report = " ".join((out / "report.html").read_text().split())
        assert "cut into 1 cluster." in report
        assert "With a single cluster the 3 known sample types cannot be told apart" in report
        assert ("No marker genes were computed (one cluster only: markers rank a cluster "
                "against the rest).") in report
    if found != int(args[-1]) or "--method" in args:  # centroid/median trees have inversions
        assert summary["cut_note"]
        assert f"NOTE on the cut: {summary['cut_note']}" in proc.stdout
        assert "gexclust: warning: tl.cut:" in proc.stderr
    else:
        assert summary["cut_note"] is None


def test_one_gene_draws_what_can_be_drawn(cli, tmp_path, small_csv):
    out = tmp_path / "out"
    proc = cli("run", small_csv, "-o", out, "--n-top-genes", "1", "--n-clusters", "3")
    assert (out / "dendrogram.png").exists()
    assert not (out / "clustermap.png").exists()
    assert "clustermap" in proc.stderr


def test_identical_samples_draw_what_can_be_drawn(tmp_path):
    csv = tmp_path / "same.csv"
    csv.write_text("samples,type,p1,p2,p3\na,X,1,2,3\nb,Y,1,2,3\nc,X,1,2,3\n")
    out = tmp_path / "out"
    proc = gexclust("run", csv, "-o", out, "--n-clusters", "2")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_clusters_found"] == 1
    assert summary["cut_note"]
    assert {p.name for p in out.glob("*.png")} == {"dendrogram.png"}
    assert "clustermap" in proc.stderr


def test_platform_all_is_refused_by_run(cli, tmp_path):
    proc = cli("run", "GSE781", "-o", tmp_path / "out", "--platform", "all", "--offline",
                    check=False)
    assert proc.returncode == 1
    assert "--platform all: run clusters the samples of one platform" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_geo_options_are_never_ignored(cli, tmp_path, small_csv):
    # before: --type-from and --platform were ignored for a CSV (the run said nothing and
    # took the types from the 'type' column), and --platform for a series matrix
    from tests.io.test_geo_quirks import MATRIX

    # and each says what the CSV has instead (before, --platform's error also ended in
    # "whose types are its 'type' column", which says nothing about platforms)
    for option, instead in ((["--type-from", "source_name"], "whose types are its 'type' column"),
                            (["--platform", "GPL96"], "which has no platforms to choose from")):
        proc = cli("run", small_csv, "-o", tmp_path / "out", *option, check=False)
        assert proc.returncode == 1
        assert f"{option[0]} applies to GEO input" in proc.stderr
        assert f"is a CuMiDa-style CSV, {instead}\n" in proc.stderr
    assert not (tmp_path / "out").exists()
    matrix = tmp_path / "GSE2_series_matrix.txt"
    matrix.write_text(MATRIX)
    proc = cli("run", matrix, "-o", tmp_path / "out", "--platform", "GPL96",
               "--missing", "drop", check=False)
    assert proc.returncode == 1
    assert "--platform GPL96: " in proc.stderr
    assert "is a series matrix of GPL1" in proc.stderr


def test_one_sample_is_refused_before_clustering_whatever_the_k(tmp_path):
    # before: --n-clusters 1 on one sample printed numpy's RuntimeWarnings (variance with
    # ddof=1) from gene selection, then "hclust needs at least 2 obs to cluster"
    csv = tmp_path / "one.csv"
    csv.write_text("samples,type,p1,p2,p3\na,X,1,2,3\n")
    for k in ("1", "auto"):
        proc = gexclust("run", csv, "-o", tmp_path / "out", "--n-clusters", k, check=False)
        assert proc.returncode == 1
        lines = [line for line in proc.stderr.splitlines() if not line.startswith("[")]
        assert lines == [f"gexclust: error: {csv} has 1 sample; clustering needs at least 2"]
        assert "clustering 1 samples" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_one_sample_with_missing_values_is_refused_for_its_one_sample(cli, tmp_path):
    # before: GSE16 (1 sample, 3 missing values) was refused with "3 missing value(s) ...
    # Pass missing='drop' (gexclust run --missing drop) ...", and after --missing drop with
    # "has 1 sample; clustering needs at least 2": the first message was a useless step
    csv = tmp_path / "one.csv"
    csv.write_text("samples,type,p1,p2,p3\na,X,1,,3\n")
    gse16 = shared_file("peers/biopython/GSE16.txt")
    for path in (csv, gse16):
        for extra in ((), ("--missing", "drop")):
            proc = cli("run", path, "-o", tmp_path / "out", *extra, check=False)
            assert proc.returncode == 1
            errors = [line for line in proc.stderr.splitlines() if "error:" in line]
            assert errors == [f"gexclust: error: {path} has 1 sample; clustering needs at least 2"]
    # two samples: the missing values are the only thing in the way, and are named
    csv.write_text("samples,type,p1,p2,p3\na,X,1,,3\nb,Y,2,3,4\n")
    proc = cli("run", csv, "-o", tmp_path / "out", "--n-clusters", "2", check=False)
    assert proc.returncode == 1
    assert "1 missing value(s) in 1 probe(s); first at line 2 (sample 'a'), column 'p2'" in (
        proc.stderr)
    assert not (tmp_path / "out").exists()


def test_an_accession_in_lower_case_is_pointed_out(cli, tmp_path, monkeypatch):
    # before: "gexclust: error: gse781: no such file"
    monkeypatch.chdir(tmp_path)
    proc = cli("run", "gse781", "-o", "out", check=False)
    assert proc.returncode == 1
    assert ("gse781: no such file; a GEO accession is written in capitals, without blanks: "
            "GSE781") in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("typed", ["GSE781 ", "GSE 781"])
def test_an_accession_typed_with_a_blank_is_pointed_out(cli, tmp_path, monkeypatch, typed):
    # before: "GSE781 : no such file; a GEO accession is written in capitals: GSE781", of an
    # accession in capitals; and 'GSE 781: no such file', with no hint at all
    monkeypatch.chdir(tmp_path)
    proc = cli("run", typed, "-o", "out", check=False)
    assert proc.returncode == 1
    assert proc.stderr.endswith(f"\ngexclust: error: {typed}: no such file; a GEO accession "
                                "is written in capitals, without blanks: GSE781\n")
    assert not (tmp_path / "out").exists()


def test_two_samples_give_valid_json(cli, tmp_path):
    csv = tmp_path / "two.csv"
    csv.write_text("samples,type,p1,p2,p3\na,X,1,2,3\nb,Y,3,1,2\n")
    out = tmp_path / "out"
    cli("run", csv, "-o", out, "--n-clusters", "2", "--quiet")

    def no_constants(name):
        raise AssertionError(f"summary.json holds {name}")

    summary = json.loads((out / "summary.json").read_text(), parse_constant=no_constants)
    assert summary["cophenetic_correlation"] is None


def test_fetch_options_for_a_file_are_said_to_be_ignored(cli, tmp_path, small_csv):
    # before: --source, --cache-dir and --offline were ignored for a file without a word
    proc = cli("run", small_csv, "-o", tmp_path / "o1", "--source", "soft", "--offline",
               "--cache-dir", tmp_path / "cache")
    warnings = [line for line in proc.stderr.splitlines() if "only for a GEO accession" in line]
    assert warnings == [f"gexclust: warning: --source, --cache-dir, --offline: only for a GEO "
                        f"accession (what to fetch, and where to cache it); ignored for the "
                        f"file {small_csv}"]
    assert not (tmp_path / "cache").exists()
    plain = cli("run", small_csv, "-o", tmp_path / "o2", "--source", "matrix")
    assert "gexclust: warning: --source: only for a GEO accession" in plain.stderr
    quiet = cli("run", small_csv, "-o", tmp_path / "o3", "--offline", "--quiet")
    assert quiet.stderr == ""
    assert (tmp_path / "o3" / "clusters.csv").read_bytes() == (
        tmp_path / "o1" / "clusters.csv").read_bytes()


def test_warnings_reach_stderr_and_quiet_silences_them(cli, tmp_path):
    csv = tmp_path / "na.csv"
    csv.write_text("samples,type,p1,p2,p3\na,X,1,,3\nb,Y,3,1,2\nc,X,2,2,2\n")
    proc = cli("run", csv, "-o", tmp_path / "o1", "--missing", "drop", "--n-clusters", "2")
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("gexclust: warn")]
    assert warnings
    assert "dropped 1 of the 3 probe(s) (those with a missing value), leaving 2" in warnings[0]
    quiet = cli("run", csv, "-o", tmp_path / "o2", "--missing", "drop", "--n-clusters",
                     "2", "--quiet")
    assert quiet.stderr == ""
    assert quiet.stdout == ""
    # -q is --quiet, as in pip and most command lines (before: "unrecognized arguments: -q")
    short = cli("run", csv, "-o", tmp_path / "o3", "--missing", "drop", "--n-clusters",
                "2", "-q")
    assert (short.stdout, short.stderr) == ("", "")


def test_summary_says_what_the_missing_value_policy_did(cli, tmp_path):
    # before: summary.json's n_probes counted the probes left after --missing drop, and
    # nothing in it (nor in the printed summary, nor anything under --quiet) said that 2 of
    # the file's 4 probes had been dropped
    csv = tmp_path / "na.csv"
    csv.write_text("samples,type,p1,p2,p3,p4\na,X,1,,3,1\nb,Y,3,1,2,NA\nc,X,2,2,2,0\n")
    cli("run", csv, "-o", tmp_path / "o1", "--missing", "drop", "--n-clusters", "2",
        "--quiet", "--no-report")
    summary = json.loads((tmp_path / "o1" / "summary.json").read_text())
    assert summary["n_probes"] == 2
    assert summary["missing"] == {"policy": "drop", "n_missing_values": 2,
                                  "n_probes_with_missing": 2, "n_probes_dropped": 2}
    proc = cli("run", csv, "-o", tmp_path / "o2", "--missing", "impute", "--n-clusters", "2",
               "--no-report")
    summary = json.loads((tmp_path / "o2" / "summary.json").read_text())
    assert summary["n_probes"] == 4
    assert summary["missing"]["n_probes_dropped"] == 0
    # the README's summary.json row names every field of the record (before: 'policy,
    # missing values, probes dropped', so a reader looked for no n_missing_values)
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `summary.json`"))
    assert set(summary["missing"]) <= set(re.findall(r"`([a-z_]+)`", row))
    assert "missing values: 2 (filled with probe means, 0 probes dropped" in proc.stdout
    # fewer probes than --n-top-genes: all kept, not "top 4 genes by mad" (as before)
    assert "4 probes; all 4 genes (--n-top-genes " in proc.stdout
    # before: '2 probes dropped', not of how many (lung: '666 probes dropped', of 916)
    proc = cli("run", csv, "-o", tmp_path / "o3", "--missing", "drop", "--n-clusters", "2",
               "--no-report")
    assert "missing values: 2 (2 of the 4 probes read dropped, --missing drop)" in proc.stdout
    assert ("na.csv: 2 missing value(s); policy 'drop' dropped 2 of the 4 probe(s) (those with "
            "a missing value), leaving 2") in proc.stderr


@pytest.mark.parametrize("policy", ["error", "drop", "impute"])
def test_summary_gives_every_missing_field_when_nothing_is_missing(cli, small_csv, tmp_path,
                                                                   policy):
    # the README's summary.json row lists `n_probes_with_missing` for every input but the
    # built-in example, and with impute the fill fields (`sample_most_imputed` '' when none
    # was filled); before, a file without missing values gave only policy, n_missing_values
    # and n_probes_dropped, so summary["missing"]["n_probes_with_missing"] was a KeyError
    cli("run", small_csv, "-o", tmp_path / "o", "--missing", policy, "--n-clusters", "2",
        "--quiet", "--no-report")
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    expected = {"policy": policy, "n_missing_values": 0, "n_probes_with_missing": 0,
                "n_probes_dropped": 0}
    if policy == "impute":
        expected |= {"n_samples_imputed": 0, "most_imputed_in_a_sample": 0,
                     "sample_most_imputed": "", "most_imputed_in_a_probe": 0}
    assert summary["missing"] == expected


def test_library_warnings_are_one_line_and_quiet_silences_them(tmp_path):
    # before: a tab in a sample name (pasted from a spreadsheet) made matplotlib print
    # "UserWarning: Glyph 9 missing from font(s)" with its source lines, --quiet or not
    csv = tmp_path / "tab.csv"
    csv.write_text('samples,type,p1,p2,p3\n"a\tb",X,1,2,3\nc,Y,3,1,2\nd,X,2,2,5\n')
    quiet = gexclust("run", csv, "-o", tmp_path / "o1", "--n-clusters", "2", "--no-report",
                     "--quiet")
    assert (quiet.stdout, quiet.stderr) == ("", "")
    loud = gexclust("run", csv, "-o", tmp_path / "o2", "--n-clusters", "2", "--no-report")
    lines = [line for line in loud.stderr.splitlines() if not line.startswith("[")]
    assert lines, loud.stderr
    assert all(line.startswith("gexclust: warning: ") for line in lines), loud.stderr
    assert any("Glyph 9" in line and line.endswith("(UserWarning)") for line in lines)


def test_outdir_and_n_clusters_are_checked_before_the_work(cli, tmp_path, small_csv):
    (tmp_path / "file").write_text("x")
    proc = cli("run", small_csv, "-o", tmp_path / "file" / "out", check=False)
    assert proc.returncode == 1
    assert "cannot create the output folder" in proc.stderr
    assert "[1/4" not in proc.stderr  # before reading
    proc = cli("run", small_csv, "-o", tmp_path / "out", "--n-clusters", "0", check=False)
    assert "--n-clusters must be at least 1" in proc.stderr
    assert "[1/4" not in proc.stderr
    proc = cli("run", small_csv, "-o", tmp_path / "out", "--n-clusters", "99", check=False)
    assert f"--n-clusters 99: {small_csv} has only 18 samples" in proc.stderr
    assert "clustering" not in proc.stderr  # after reading, before clustering
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("option", "message"), [
    ("--n-top-genes", "--n-top-genes must be a positive integer (at most 2,147,483,647, or "
     "--all-genes), got 99999999999999999999999"),
    ("--consensus", "--consensus must be a number of resamples from 1 to 100,000 (1,000 is "
     "ConsensusClusterPlus's usual number), got 99999999999999999999999"),
])
def test_absurd_counts_are_refused_before_the_work(cli, tmp_path, small_csv, option, message):
    # before: --n-top-genes 1e23 ran to the end, then writing adata.h5ad failed with
    # "TypeError: Object dtype dtype('O') has no native HDF5 equivalent"; --consensus 1e23
    # (or 1e9, extra zeros) built its list of resample chunks until the OOM killer came
    proc = cli("run", small_csv, "-o", tmp_path / "out", option, "99999999999999999999999",
               check=False)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "[1/" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_unwritable_outdir_is_refused_before_the_work(tmp_path, small_csv):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; the check cannot fail here")
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        proc = gexclust("run", small_csv, "-o", parent / "out", check=False)
    finally:
        parent.chmod(0o700)
    assert proc.returncode == 1
    assert "cannot create the output folder" in proc.stderr
    assert "[1/4" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_one_line_naming_the_folder_and_loses_nothing(tmp_path, small_csv, cli,
                                                                     monkeypatch):
    """Before: "gexclust: error: [Errno 28] No space left on device", naming no file, from
    run (a tmpfs of 300 KB as OUTDIR) and report alike; the outputs were already safe."""
    from gexclust._report import _pdf

    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(gx.io, "write_newick", fill_the_disk)
    for folder, force in ((out, ("--force",)), (tmp_path / "new", ())):
        result = cli("run", small_csv, "-o", folder, "--quiet", *force, check=False)
        assert (result.returncode, result.stderr) == (1, (
            f"gexclust: error: {folder}: no space left on device while writing the outputs; "
            "no output was written and earlier ones are as they were: free some space or "
            "choose another OUTDIR\n"))
    assert not (tmp_path / "new").exists()
    monkeypatch.setattr(_pdf, "render_pdf", fill_the_disk)
    result = cli("report", out, check=False)
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {out}: no space left on device while writing the report; nothing "
        "in it was changed: free some space and run 'gexclust report' again\n"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_before_the_writing_does_not_blame_outdir(tmp_path, small_csv, cli,
                                                              monkeypatch):
    """Before: a full disk met while clustering (a full temporary folder: the system's error
    names no file) was "<OUTDIR>: no space left on device while writing the outputs", though
    nothing had been written there; the full disk is elsewhere."""
    import tempfile

    from gexclust import _pipeline

    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(_pipeline, "cluster_samples", fill_the_disk)
    for folder, force in ((out, ("--force",)), (tmp_path / "new", ())):
        result = cli("run", small_csv, "-o", folder, "--quiet", *force, check=False)
        assert (result.returncode, result.stderr) == (1, (
            "gexclust: error: no space left on device (the system named no file; a full "
            f"temporary folder, {tempfile.gettempdir()}, is a common cause: TMPDIR chooses "
            f"another) before the outputs were written; nothing was written to {folder}\n"))
    assert not (tmp_path / "new").exists()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_before_the_report_is_written_does_not_blame_outdir(tmp_path, small_csv,
                                                                       cli, monkeypatch):
    """Before: 'gexclust report OUT' met a full disk while reading the run (the system's error
    names no file) as "<OUT>: no space left on device while writing the report", though
    nothing had been written there; the full disk is elsewhere, and the old report stays."""
    import tempfile

    from gexclust import _report

    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(_report, "collect_figures", fill_the_disk)  # reads the run's figures
    result = cli("report", out, check=False)
    assert (result.returncode, result.stderr) == (1, (
        "gexclust: error: no space left on device (the system named no file; a full "
        f"temporary folder, {tempfile.gettempdir()}, is a common cause: TMPDIR chooses "
        f"another) before report.html and report.pdf were written; nothing was written to "
        f"{out}\n"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_temporary_folder_for_the_reports_figures_is_named(tmp_path, small_csv, cli,
                                                                  monkeypatch):
    """Before: with --formats pdf the report draws its PNG figures in the temporary folder; a
    full one there was "<OUTDIR>: no space left on device while writing the outputs" (or "...
    the report", from 'gexclust report'), naming the wrong disk. Then the remedy read "nothing
    was written to the output folder: free some space there", sending the user to free space
    in the output folder, not in the full temporary folder."""
    import tempfile

    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet", "--formats", "pdf")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from gexclust import _report

    # the report saves its marker figure and heatmap (of markers ranked once) with _saved
    monkeypatch.setattr(_report, "_saved", fill_the_disk)
    full = (f"gexclust: error: {tempfile.gettempdir()}: no space left on device while writing "
            "the report's figures; free some space in that folder or set TMPDIR to another "
            "one (nothing was written to the output folder)\n")
    result = cli("run", small_csv, "-o", tmp_path / "new", "--quiet", "--formats", "pdf",
                 check=False)
    assert (result.returncode, result.stderr) == (1, full)
    assert not (tmp_path / "new").exists()
    result = cli("report", out, check=False)
    assert (result.returncode, result.stderr) == (1, full)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_disk_too_full_for_the_h5ad_is_one_line_not_an_hdf5_crash(tmp_path, small_csv, cli,
                                                                    monkeypatch):
    """Before, into tmpfs folders of 20 to 150 KB: h5py's "RuntimeError: Disable slist on
    flush dest failure failed (file write failed: ..., filename = '<OUTDIR>/.gexclust-stage-
    .../adata.h5ad', ... errno = 28 ...)", or a segmentation fault after pages of "Exception
    ignored" tracebacks, leaving the staging folder. Now a disk with less space than the h5ad
    needs is refused before HDF5 starts, and HDF5's own full-disk errors are the system's."""
    import shutil

    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(free=20 * 1024))
    result = cli("run", small_csv, "-o", out, "--quiet", "--force", check=False)
    assert result.returncode == 1
    assert re.fullmatch(
        rf"gexclust: error: {re.escape(str(out))}: no space left on device \(adata\.h5ad "
        r"needs about \d+\.\d KiB, 20\.0 KiB free\) while writing the outputs; no output was "
        r"written and earlier ones are as they were: free some space or choose another "
        r"OUTDIR\n", result.stderr)
    # a file system that reports no sizes at all (some FUSE mounts) is written as before
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage._replace(total=0, free=0))
    cli("run", small_csv, "-o", tmp_path / "fuse", "--quiet")
    assert (tmp_path / "fuse" / "adata.h5ad").stat().st_size > 0
    monkeypatch.undo()
    write_h5ad = ad.AnnData.write_h5ad
    monkeypatch.setattr(ad.AnnData, "write_h5ad",  # HDF5 meets a full disk
                        lambda self, path, **kwargs: write_h5ad(self, "/dev/full", **kwargs))
    result = cli("run", small_csv, "-o", out, "--quiet", "--force", check=False)
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {out}: no space left on device while writing the outputs; no output "
        "was written and earlier ones are as they were: free some space or choose another "
        "OUTDIR\n"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_an_empty_path_is_refused_not_taken_for_the_current_folder(tmp_path, small_csv, cli,
                                                                   monkeypatch):
    """Before: '-o ""' (an unset shell variable: -o "$OUT") wrote the outputs into the
    current folder, 'gexclust report ""' said "adata.h5ad: not found; is . the folder of a
    'gexclust run'?", and an empty INPUT or --annotations ".: is a directory, expected a
    file", naming neither the option nor the empty value."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for args, option in [(("", "-o", tmp_path / "o"), "INPUT"),
                         ((small_csv, "-o", ""), "-o"),
                         ((small_csv, "-o", tmp_path / "o", "--annotations", ""),
                          "--annotations")]:
        result = cli("run", *args, "--quiet", check=False)
        assert (result.returncode, result.stderr) == (1, (
            f"gexclust: error: {option} is an empty path (an unset shell variable?); give a "
            "path ('.' for the current folder)\n"))
    result = cli("report", "", check=False)
    assert (result.returncode, result.stderr) == (1, (
        "gexclust: error: OUTDIR is an empty path (an unset shell variable?); give a path "
        "('.' for the current folder)\n"))
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "work"]


def test_a_path_that_is_not_utf8_text_is_refused_before_the_work(tmp_path, small_csv, cli):
    """Before: a Latin-1 file name (a byte 0xff, which Linux allows) as INPUT, -o or
    --annotations (or --cache-dir of an accession) ran to the end, then failed with "'utf-8'
    codec can't encode character '\\udcff' in position 3: surrogates not allowed", naming
    nothing."""
    bad = tmp_path / "bad\udcff.csv"  # how Python holds the byte 0xff of a file name
    try:
        bad.write_text(SMALL_CSV)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    shown = str(tmp_path / "bad\\xff.csv")
    for args, option in [((bad, "-o", tmp_path / "o"), "INPUT"),
                         ((small_csv, "-o", bad), "-o"),
                         ((small_csv, "-o", tmp_path / "o", "--annotations", bad),
                          "--annotations"),
                         (("GSE9476", "-o", tmp_path / "o", "--cache-dir", bad), "--cache-dir")]:
        result = cli("run", *args, check=False)
        assert (result.returncode, result.stderr) == (1, (
            f"gexclust: error: {shown}: the path given as {option} is not UTF-8 text; gexclust "
            "records it in summary.json, adata.h5ad and the report: rename it (or the folder "
            "holding it)\n"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad\udcff.csv", "in.csv"]


def test_fetch_refuses_a_cache_that_is_not_utf8_text_as_run_does(tmp_path, cli, monkeypatch):
    """Before: 'gexclust fetch GSE9476 --cache-dir cache\\xff' made the folder and fetched into
    it (offline: 'series matrix of GSE9476 is not in the cache (.../cache\\udcff/...)'), a
    cache that 'gexclust run --cache-dir' then refused. Both now give run's message, before
    any folder is made; $GEXCLUST_CACHE_DIR too."""
    monkeypatch.setenv("GEXCLUST_GEO_URL", "http://127.0.0.1:9/geo")  # never reached
    bad = tmp_path / "cache\udcff"
    said = (f"gexclust: error: {tmp_path}/cache\\xff: the path given as {{}} is not UTF-8 "
            "text; gexclust records it in summary.json, adata.h5ad and the report: rename it "
            "(or the folder holding it)\n")
    for command in (("fetch", "GSE9476"), ("run", "GSE9476", "-o", tmp_path / "o")):
        result = cli(*command, "--cache-dir", bad, "--offline", check=False)
        assert (result.returncode, result.stderr) == (1, said.format("--cache-dir"))
        monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(bad))
        result = cli(*command, "--offline", check=False)
        assert (result.returncode, result.stderr) == (1, said.format("$GEXCLUST_CACHE_DIR"))
        monkeypatch.delenv("GEXCLUST_CACHE_DIR")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform != "linux", reason="the user cache folder from XDG_CACHE_HOME")
def test_a_default_cache_that_is_not_utf8_text_is_refused_before_the_work(tmp_path, cli,
                                                                           monkeypatch):
    """Before: with neither --cache-dir nor $GEXCLUST_CACHE_DIR, a user cache folder that is
    not UTF-8 text ($XDG_CACHE_HOME=cache\\xff) let 'gexclust run GSE9476' download and cluster,
    then fail with "'utf-8' codec can't encode character '\\udcff' in position 14", naming
    nothing. Only the cache in use is judged: --cache-dir overrides a bad variable."""
    monkeypatch.delenv("GEXCLUST_CACHE_DIR", raising=False)
    monkeypatch.setenv("GEXCLUST_GEO_URL", "http://127.0.0.1:9/geo")  # never reached
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache\udcff"))
    result = cli("run", "GSE9476", "-o", tmp_path / "o", check=False)
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {tmp_path}/cache\\xff/gexclust/geo: the path given as the default GEO "
        "cache folder (in the user cache folder; --cache-dir or $GEXCLUST_CACHE_DIR choose "
        "another) is not UTF-8 text; gexclust records it in summary.json, adata.h5ad and the "
        "report: rename it (or the folder holding it)\n"))
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "env\udcff"))
    result = cli("run", "GSE9476", "-o", tmp_path / "o", "--cache-dir", tmp_path / "c",
                 "--offline", check=False)
    assert result.returncode == 1
    assert "is not in the cache" in result.stderr, result.stderr
    # neither cache is made: the variable's is not used, and an offline miss makes nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_cache_setting_is_not_the_current_folder(tmp_path, cli, monkeypatch):
    """Before: --cache-dir "" (or cache_dir="") was the current folder, where downloads
    made series/ and platforms/ folders; an empty $GEXCLUST_CACHE_DIR (exported with no
    value) too. The option is refused; the variable, empty, is as if unset, as XDG's are."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("GEXCLUST_GEO_URL", "http://127.0.0.1:9/geo")  # never reached
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", "")
    for command in (("fetch", "GSE9476"), ("run", "GSE9476", "-o", tmp_path / "o")):
        result = cli(*command, "--cache-dir", "", "--offline", check=False)
        assert (result.returncode, result.stderr) == (1, (
            "gexclust: error: --cache-dir is an empty path (an unset shell variable?); give a "
            "path ('.' for the current folder)\n"))
    with pytest.raises(ValueError, match=r"^cache_dir is an empty path"):
        gx.io.fetch_geo("GSE9476", cache_dir="", offline=True)
    result = cli("fetch", "GSE9476", "--offline", check=False)
    assert (result.returncode, result.stderr) == (1, (
        "gexclust: error: series matrix of GSE9476 is not in the cache "
        f"({tmp_path}/xdg/gexclust/geo/series/GSE9nnn/GSE9476/matrix) and offline (--offline, "
        "offline=True)\n"))
    assert list(work.iterdir()) == []


def test_a_platform_that_is_not_one_is_refused_naming_the_option(tmp_path, cli, monkeypatch):
    """Before: --platform GSE1 (or gpl96, or "") was "'GSE1' is not a GEO accession; expected
    e.g. GSE9476, GPL96, ...": untrue of GSE1, and naming neither --platform nor a platform;
    'run' said it after its first progress line."""
    monkeypatch.setenv("GEXCLUST_GEO_URL", "http://127.0.0.1:9/geo")  # never reached
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "cache"))
    # 'gpl96' and ' GPL96' are told the platform meant, as an accession is (before: not)
    meant = " (did you mean GPL96? accessions are written in capitals, without blanks)"
    for value, hint in (("GSE1", ""), ("gpl96", meant), (" GPL96", meant), ("", "")):
        expected = (f"gexclust: error: --platform {value!r}: not a GEO platform{hint}; expected "
                    "GPL and its number, e.g. GPL96\n")
        for command in (("fetch", "GSE9476"), ("run", "GSE9476", "-o", tmp_path / "o")):
            result = cli(*command, "--platform", value, "--offline", check=False)
            assert (result.returncode, result.stderr) == (1, expected)
    assert list(tmp_path.iterdir()) == []


def test_a_platform_argument_that_is_not_one_names_the_reader(tmp_path, monkeypatch):
    """Before: io.read_geo(platform='xyz') (and io.fetch_geo) said "platform 'xyz': not a GEO
    platform; expected GPL and its number, e.g. GPL96", naming no function where the readers'
    other argument errors start with theirs (io.read_geo: missing='x' is not valid; ...), and
    io.read_soft parsed the whole file first to say "no samples on platform 'xyz'"."""
    monkeypatch.setenv("GEXCLUST_GEO_URL", "http://127.0.0.1:9/geo")  # never reached
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "cache"))
    soft = tmp_path / "absent.soft"  # never opened
    for value in ("xyz", "GSE1", "gpl96", "", 96):
        expected = (rf"^{{}}: platform={value!r} is not a GEO platform; expected GPL and its "
                    r"number \(e\.g\. 'GPL96'\), 'all' for every platform, or None$")
        for name, call in (("read_geo", lambda v: gx.io.read_geo("GSE9476", platform=v)),
                           ("fetch_geo", lambda v: gx.io.fetch_geo("GSE9476", platform=v)),
                           ("read_soft", lambda v: gx.io.read_soft(soft, platform=v))):
            with pytest.raises(ValueError, match=expected.format(rf"io\.{name}")):
                call(value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="a closed pipe is EINVAL on Windows")
def test_a_reader_that_leaves_early_is_one_line_not_an_error(tmp_path, small_csv, cli):
    """Before: 'gexclust run ... | less' quit before the end (or '| head', '| true') ended a
    run whose outputs were all in place with "gexclust: error: [Errno 32] Broken pipe" after
    "[4/4] done", as if it had failed; 'gexclust report OUT | true' alike."""
    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for args in (("report", out), ("run", small_csv, "-o", tmp_path / "new")):
        with subprocess.Popen([sys.executable, "-m", "gexclust", *map(str, args)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
            proc.stdout.close()  # the reader is gone before anything is printed
            err = proc.stderr.read()
        assert proc.returncode == 141, err  # 128 + SIGPIPE, as the shell shows for 'cat'
        assert err.splitlines()[-1:] == [
            "gexclust: standard output was closed before everything was printed (broken "
            "pipe); the command's work was done"]
        assert "rror" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # rebuilt: the same
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == sorted(before)  # all there


@pytest.mark.skipif(sys.platform == "win32", reason="a closed pipe is EINVAL on Windows")
def test_a_closed_stderr_is_not_taken_for_a_reader_of_stdout_gone(tmp_path, small_csv):
    """Before: with stderr's reader gone ('2> >(head -1)', '2>&1 | head -1') the first
    progress line raised BrokenPipeError, which was taken for stdout's reader leaving after
    the work: exit 141, "the command's work was done", though the run had stopped at its
    first step with nothing written. Only a broken stdout is that; this is an error."""
    out = tmp_path / "out"
    with subprocess.Popen([sys.executable, "-m", "gexclust", "run", str(small_csv), "-o",
                           str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        proc.stderr.close()  # stderr's reader is gone before the first progress line
        printed = proc.stdout.read()
    assert proc.returncode == 1
    assert printed == ""
    assert not out.exists()


def test_run_draws_in_its_own_process(tmp_path, small_csv, monkeypatch):
    """No helper process, no temporary file: a run forks nothing and leaves TMPDIR empty."""
    import os
    import tempfile

    from gexclust.cli import main

    def no_fork(*args, **kwargs):
        raise AssertionError("gexclust run started a process")

    monkeypatch.setattr(os, "fork", no_fork)
    monkeypatch.setattr(os, "posix_spawn", no_fork)
    monkeypatch.setattr(subprocess.Popen, "__init__", no_fork)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    import gc

    # Python 3.12 starts with objects of its own frozen (375 in 3.12.1; none in 3.11, 3.13)
    frozen_before = gc.get_freeze_count()
    assert main(["run", str(small_csv), "-o", str(tmp_path / "out"), "--quiet",
                 "--n-clusters", "3"]) == 0
    assert (tmp_path / "out" / "clustermap.png").exists()
    assert not list(scratch.iterdir())
    # one plain run path: the collector is left as the run found it (no tuning, no freeze)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


def test_the_command_skips_the_collections_of_its_shutdown(tmp_path, small_csv):
    """The console script freezes what it holds as it exits: shutdown walks none of it.

    Its last collections walked every object of the imported libraries: 0.3 s of each run
    (exit 0.32 -> 0.04 s after a run of the 64 x 22,283 CSV). main() called in a process
    that goes on is left as it was (test_run_draws_in_its_own_process).
    """
    out = tmp_path / "out"
    # against the count at start: Python 3.12 starts with objects of its own frozen
    code = ("import atexit, gc, sys\n"
            "before = gc.get_freeze_count()\n"
            "from gexclust.cli import console_main\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > before))\n"
            f"sys.argv = ['gexclust', 'run', {str(small_csv)!r}, '-o', {str(out)!r}, "
            "'--quiet', '--n-clusters', '3']\n"
            "console_main()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "frozen True"
    assert (out / "clusters.csv").exists()


def test_a_rebuilt_report_counts_as_our_output(cli, tmp_path, small_csv):
    """`gexclust report` adds its files to the manifest, so `--force` may replace them."""
    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet", "--n-clusters", "3")
    cli("report", out)
    manifest = json.loads((out / ".gexclust-manifest.json").read_text())
    assert {"report.html", "report.pdf"} <= set(manifest["files"])
    cli("run", small_csv, "-o", out, "--quiet", "--n-clusters", "2", "--force")
    assert json.loads((out / "summary.json").read_text())["n_clusters_found"] == 2


def test_run_help_shows_worked_examples_that_parse(capsys):
    import shlex

    from gexclust.cli import RUN_EXAMPLES, build_parser, main

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "examples:" in capsys.readouterr().out
    text = RUN_EXAMPLES.replace("\\\n", " ")
    commands = [shlex.split(line)[1:] for line in text.splitlines()
                if line.startswith("  gexclust ")]
    assert len(commands) >= 5
    parser = build_parser()
    for argv in commands:
        args = parser.parse_args(argv)  # every option of every example exists
        assert args.command in ("run", "report")


def test_python_m_gexclust_is_the_command():
    from gexclust import __version__

    assert gexclust("--version").stdout.strip() == f"gexclust {__version__}"
    refused = gexclust("run", "--n-clusters", "0", "-o", "never", check=False)
    assert refused.returncode == 1
    assert refused.stderr == "gexclust: error: --n-clusters must be at least 1, got 0\n"


def test_version(capsys):
    from gexclust import __version__
    from gexclust.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"gexclust {__version__}"


def test_samples_without_a_type_are_left_out_of_the_scores(cli, tmp_path):
    # before: two empty 'type' fields formed a type '' (ARI 0.88 where the groups are exact)
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    types = adata.obs["type"].astype(str).to_numpy()
    types[[0, 7]] = ""
    adata.obs["type"] = types
    gx.io.write_cumida(adata, tmp_path / "untyped.csv")
    proc = cli("run", tmp_path / "untyped.csv", "-o", tmp_path / "out", "--n-clusters", "3",
               "--no-report")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["ari_vs_type"] == 1.0
    assert "left out 2 of 18 samples" in proc.stderr
    assert "(no type)" in proc.stdout
    written = ad.read_h5ad(tmp_path / "out" / "adata.h5ad")
    assert written.uns["compare_type_cluster"]["ari"] == summary["ari_vs_type"]
    assert written.obs["type"].isna().sum() == 2  # missing, not a category ''
    assert "" not in written.obs["type"].cat.categories


def test_a_type_column_without_any_type_clusters_without_scores(cli, tmp_path):
    # every 'type' field empty: no comparison (before the run stopped with "compare: no
    # sample has both a 'type' and a 'cluster' label")
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    adata.obs["type"] = ""
    gx.io.write_cumida(adata, tmp_path / "untyped.csv")
    cli("run", tmp_path / "untyped.csv", "-o", tmp_path / "out", "--n-clusters", "3",
        "--no-report")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["ari_vs_type"] is None
    assert summary["cluster_sizes"] == {"1": 6, "2": 6, "3": 6}


def test_a_run_imports_no_module_it_does_not_use(tmp_path):
    """Each heavy import costs a run time (scipy.stats alone 0.3 s of a 4 s run).

    The consensus check imported scipy.stats into every run, consensus or not.
    """
    unused = ("scipy.stats", "sklearn", "numba", "seaborn", "scanpy", "joblib",
              "gexclust.tl._consensus", "gexclust.tl._bootstrap")
    code = ("import sys; from gexclust.cli import main; "
            f"main(['run', '-o', {str(tmp_path / 'out')!r}, '--quiet']); "
            f"print(sorted(m for m in {unused!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_type_with_a_label_per_sample_is_not_scored(cli, tmp_path):
    # before: GSM ids as 'type' printed a 18-column table and 'ARI vs type: 0.000 NMI: 0.3..',
    # and the report spoke of agreement with the known sample types
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    adata.obs["type"] = [f"GSM{1000 + i}" for i in range(adata.n_obs)]
    gx.io.write_cumida(adata, tmp_path / "ids.csv")
    proc = cli("run", tmp_path / "ids.csv", "-o", tmp_path / "out", "--n-clusters", "3",
               "--formats", "png")
    note = ("the 'type' column has no repeated label: each of the 18 labelled samples has its "
            "own (e.g. 'GSM1000', 'GSM1001'), so it names no classes and no agreement with the "
            "clusters is computed")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["type_note"] == note
    assert summary["ari_vs_type"] is summary["nmi_vs_type"] is summary["purity_vs_type"] is None
    assert proc.stderr.count(note) == 1
    assert f"NOTE: {note}\n" in proc.stdout
    assert "ARI vs type" not in proc.stdout
    assert "GSM1017" not in proc.stdout
    report = html.unescape(" ".join((tmp_path / "out" / "report.html").read_text().split()))
    assert note[0].upper() + note[1:] in report
    assert "known sample types" not in report
    assert "GSM1017" not in report
    written = ad.read_h5ad(tmp_path / "out" / "adata.h5ad")
    assert "compare_type_cluster" not in written.uns
    assert summary["cluster_sizes"] == {"1": 6, "2": 6, "3": 6}
    # nor are the figures coloured by it: one colour and legend entry per sample says nothing
    from gexclust._render import figure_specs

    specs = figure_specs(written)
    assert [column for column, _ in specs["dendrogram"].legends] == []
    assert "leaves coloured by sample type" not in report


def test_a_type_shared_by_every_sample_is_not_scored(cli, tmp_path):
    # before: printed 'ARI vs type: 0.000 NMI: 0.000 purity: 1.000', as if the clusters
    # disagreed with the types, when one type gives nothing to agree with
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    adata.obs["type"] = "AML"
    gx.io.write_cumida(adata, tmp_path / "aml.csv")
    proc = cli("run", tmp_path / "aml.csv", "-o", tmp_path / "out", "--n-clusters", "3",
               "--no-report")
    note = ("every labelled sample has the same label in the 'type' column ('AML'), so there "
            "is one class and no agreement with the clusters is computed")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["type_note"] == note
    assert summary["ari_vs_type"] is summary["nmi_vs_type"] is summary["purity_vs_type"] is None
    assert f"NOTE: {note}\n" in proc.stdout
    assert "ARI vs type" not in proc.stdout


def test_a_malformed_command_line_is_one_line_naming_the_option(tmp_path):
    # before: argparse printed its whole usage block (9 lines) before the message; an
    # unknown option pointed at 'gexclust --help', which does not list run's options
    for argv, named in ((["--n-clusters", "abc"], "--n-clusters"),
                        (["--select-by", "sd"], "--select-by"), ([], "-o/--outdir"),
                        (["--colour"], "unrecognized arguments: --colour"),
                        # abbreviations are not guessed (argparse took it for --n-clusters)
                        (["--n-cluster", "5"], "unrecognized arguments: --n-cluster")):
        proc = gexclust("run", *argv, *(["-o", tmp_path / "out"] if argv else []),
                        check=False)
        assert proc.returncode == 2  # argparse's code for a malformed command line
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert proc.stderr.startswith("gexclust: error: ")
        assert named in proc.stderr
        assert "gexclust run --help" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_geo_options_with_the_example_say_what_they_do_not_apply_to(cli, tmp_path):
    proc = cli("run", "-o", tmp_path / "out", "--platform", "GPL96", check=False)
    assert proc.returncode == 1
    assert ("--platform applies to GEO input (series matrix, SOFT or accession), not to the "
            "built-in example") in proc.stderr


def test_offline_without_a_cache_names_the_option_typed(tmp_path):
    # before: 'gexclust fetch GSE9476 --offline' said '... is not in the cache (...) and
    # offline=True', the Python argument, not the option the user typed
    proc = gexclust("fetch", "GSE9476", "--offline", "--cache-dir", tmp_path, check=False)
    assert proc.returncode == 1
    assert "is not in the cache" in proc.stderr
    assert "--offline" in proc.stderr


def test_summary_records_the_command_that_was_run_not_the_callers_argv(cli, small_csv, tmp_path):
    # before: summary.json (and the report's parameters) recorded sys.argv, so main([...])
    # called from a notebook or pytest wrote "gexclust -q -p no:cacheprovider tests/..."; and
    # a path with a space could not be pasted back into a shell
    out = tmp_path / "my run"
    cli("run", small_csv, "-o", out, "--n-clusters", "2", "--quiet", "--no-report")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"] == (f"gexclust run {small_csv} -o '{out}' --n-clusters 2 "
                                  "--quiet --no-report")


def test_run_help_names_every_method_metric_and_missing_policy():
    # before: '--method METHOD  linkage method (default ward)' and '--metric METRIC  distance
    # (default euclidean)' named no valid value, and '--missing' not what drop and impute do
    from gexclust.tl._methods import METHODS, METRICS

    text = " ".join(gexclust("run", "--help").stdout.split())
    for name in (*METHODS, *METRICS):
        assert f" {name}," in text or f" {name} (" in text, name
    assert "'drop' drops every probe with one" in text
    assert "'impute' fills each with its probe's mean" in text
    # and --consensus said 'k = 2..10' where 4 samples are tried at k = 2..3 only
    assert "(k = 2..10, fewer for few samples;" in text


def test_a_run_ranks_the_markers_once(cli, tmp_path):
    # the cluster heatmap, the report's marker figure and its marker table each ranked the
    # markers again: on z-scored input the run said that fold changes are NaN three times,
    # as pl.cluster_heatmap, pl.markers and tl.markers (about 16 ms of ranking on the example)
    adata = make_planted(n_per_group=6, n_groups=3, n_genes=40)
    X = (adata.X - adata.X.mean(axis=0)) / adata.X.std(axis=0, ddof=1)  # every gene SD 1
    frame = pd.DataFrame(X, index=pd.Index(adata.obs_names, name="samples"),
                         columns=adata.var_names)
    frame.insert(0, "type", adata.obs["type"].to_numpy())
    frame.to_csv(tmp_path / "zscored.csv")
    result = cli("run", tmp_path / "zscored.csv", "-o", tmp_path / "out", "--all-genes")
    once = [
        "gexclust: warning: tl.markers: every gene of .layers['expression'] has standard "
        "deviation 1 (z-scores, e.g. of sc.pp.scale) and nothing records how to undo the "
        "scaling, so the log2 fold changes are NaN and 'diff' is in standard deviations; keep "
        "the expression values in .raw or a layer (layer=) for fold changes"]
    assert [line for line in result.stderr.splitlines()
            if "has standard deviation 1 (z-scores" in line] == once
    # gexclust report too (it drew the marker figure and made the table, ranking twice)
    result = cli("report", tmp_path / "out")
    assert [line for line in result.stderr.splitlines()
            if "has standard deviation 1 (z-scores" in line] == once
    # the report still lists the markers tl.markers ranks (its first gene up in cluster 1)
    written = ad.read_h5ad(tmp_path / "out" / "adata.h5ad")
    table = gx.tl.markers(written, layer="expression", n_genes=5, direction="both",
                          inplace=False)
    assert f"<td>{table['gene'].iloc[0]}</td>" in (tmp_path / "out" / "report.html").read_text()


@pytest.mark.parametrize("start", [
    "from gexclust.cli import console_main\nconsole_main()\n",  # the gexclust script
    # python -m gexclust.cli (bench_run.py): cli runs as __main__, a module of its own; the
    # writing stage saw gexclust.cli's state, not __main__'s, and froze nothing
    "import runpy\nrunpy.run_module('gexclust.cli', run_name='__main__')\n",
])
def test_the_command_draws_without_walking_its_libraries_again(tmp_path, small_csv, start):
    """Full collections while the outputs are written walk only what the run made since.

    Before, each one walked the ~130,000-200,000 objects of the imported libraries again (two while
    the figures were drawn: ~0.25 s of a GSE9476-sized run); the console script now freezes
    them at the writing stage. main() called from Python freezes nothing
    (test_run_draws_in_its_own_process).
    """
    out = tmp_path / "out"
    code = ("import gc, sys\n"
            "walked = []\n"
            "def count(phase, info):\n"
            "    if phase == 'start' and info['generation'] == 2 and "
            "'matplotlib.figure' in sys.modules:\n"
            "        walked.append(len(gc.get_objects()))\n"
            "gc.callbacks.append(count)\n"
            f"sys.argv = ['gexclust', 'run', {str(small_csv)!r}, '-o', {str(out)!r}, "
            "'--quiet', '--n-clusters', '3']\n"
            "try:\n"
            + textwrap.indent(start, "    ") +
            "finally:\n"
            "    gc.callbacks.remove(count)\n"
            "    print('walked', max(walked, default=0))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    word, most = proc.stdout.split()
    assert word == "walked"
    assert int(most) < 50_000  # before: 204,815


def test_readme_names_every_missing_field_of_a_geo_run(cli, tmp_path):
    # a GEO reader's record also counts the samples without a single value it left out
    # (`n_empty_samples_dropped`); the README's summary.json row named only the CSV's fields
    soft = shared_file("GSE781_family.soft.gz")
    cli("run", soft, "--platform", "GPL96", "--type-from", "source_name", "-o", tmp_path / "o",
        "--n-clusters", "2", "--quiet", "--no-report")
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["missing"]["n_empty_samples_dropped"] == 0
    readme = (ROOT / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `summary.json`"))
    assert sorted(set(summary["missing"]) - set(re.findall(r"`([a-z_]+)`", row))) == []


def test_a_geo_run_without_a_type_says_why_it_has_no_score(cli, tmp_path):
    """Before: a GEO run without --type-from wrote ari_vs_type null and printed no word of
    it; now the summary says so and names columns --type-from could take."""
    soft = shared_file("GSE781_family.soft.gz")
    proc = cli("run", soft, "--platform", "GPL96", "-o", tmp_path / "o", "--n-clusters", "2",
               "--no-report")
    assert ("NOTE: no sample type, so the clusters are not scored against known classes: "
            "--type-from COLUMN_OR_REGEX takes it from a column of the samples, e.g. "
            "source_name (2 values), Age (9 values), Gender (2 values), or from a regular "
            "expression on their titles\n") in proc.stdout
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["ari_vs_type"] is None
    typed = cli("run", soft, "--platform", "GPL96", "--type-from", "source_name", "-o",
                tmp_path / "t", "--n-clusters", "2", "--no-report")
    assert "no sample type" not in typed.stdout
    assert "ARI vs type: " in typed.stdout


def test_the_no_type_note_offers_no_result_of_gexclust_as_a_type():
    """gexclust's own results are no types: --consensus's classes were offered as one."""
    import anndata as ad
    import pandas as pd

    from gexclust._run_cli import _no_type_note

    obs = pd.DataFrame({"title": ["a", "b", "c", "d"], "consensus": ["1", "1", "2", "2"],
                        "consensus_stability": [0.9, 0.8, 0.7, 0.6],
                        "batch": ["x", "y", "x", "y"]}, index=["s1", "s2", "s3", "s4"])
    adata = ad.AnnData(obs=obs)
    assert ", e.g. batch (2 values), or from" in _no_type_note(adata)
