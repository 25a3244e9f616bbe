"""End-to-end tests of the ``gexclust`` command line, in subprocesses like a user runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import gexclust as gx

ROOT = Path(__file__).resolve().parents[1]
FIGS = [f"{n}.{e}" for n in ("dendrogram", "cluster_heatmap", "clustermap") for e in ("png", "pdf")]


def gexclust(*args, cwd=None, check=True):
    proc = subprocess.run([sys.executable, "-m", "gexclust.cli", *map(str, args)], cwd=cwd,
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
    assert names == {"adata.h5ad", "clusters.csv", "linkage.csv", "summary.json", *FIGS}
    assert "SIMULATED" in proc.stdout
    assert "ARI vs type" in proc.stdout

    summary = json.loads((outdir / "summary.json").read_text())
    assert summary["input"]["simulated"] is True
    assert summary["parameters"]["n_top_genes"] == 2000
    assert summary["ari_vs_type"] == pytest.approx(0.8976, abs=1e-4)
    assert set(summary["versions"]) >= {"anndata", "numpy", "scipy"}

    clusters = pd.read_csv(outdir / "clusters.csv", dtype=str)
    assert clusters.columns.tolist() == ["sample", "type", "cluster"]
    assert len(clusters) == 64
    assert clusters["cluster"].nunique() == 4
    adata = ad.read_h5ad(outdir / "adata.h5ad")
    assert (adata.obs["cluster"].astype(str).to_numpy() == clusters["cluster"].to_numpy()).all()
    Z = pd.read_csv(outdir / "linkage.csv").to_numpy()
    np.testing.assert_allclose(Z, adata.uns["hclust"]["linkage"], rtol=1e-9)
    for fig in FIGS:
        head = (outdir / fig).read_bytes()[:4]
        assert head in (b"\x89PNG", b"%PDF")


def test_csv_seed_recipe_equals_original_script(tmp_path):
    csv = tmp_path / "Leukemia_GSE9476.csv"
    gx.io.write_cumida(gx.datasets.gse9476_example(), csv)
    gexclust("run", csv, "-o", tmp_path / "out", "--recipe", "seed", "--quiet")
    frame = pd.read_csv(csv)
    X = frame.drop(columns=["samples", "type"]).apply(pd.to_numeric)
    reference = fcluster(linkage(StandardScaler().fit_transform(X), "ward"), 4, "maxclust")
    ours = pd.read_csv(tmp_path / "out" / "clusters.csv")
    assert ours["sample"].tolist() == frame["samples"].tolist()
    assert adjusted_rand_score(reference, ours["cluster"]) == 1.0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["input"]["sha256"] == __import__("hashlib").sha256(csv.read_bytes()).hexdigest()
    assert summary["n_genes_clustered"] == 22283


def test_refuses_non_empty_outdir_and_force_replaces(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    proc = gexclust("run", "-o", out, check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0
    assert "not empty; pass --force" in proc.stderr
    assert (out / "keep.txt").read_text() == "precious"
    gexclust("run", "-o", out, "--force", "--quiet", "--n-clusters", "5")
    assert not (out / "keep.txt").exists()
    assert json.loads((out / "summary.json").read_text())["parameters"]["n_clusters"] == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging debris


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("samples,type,p1\n1,A,2\n1,B,3\n", [], "duplicate sample id '1'"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,oops,3\n", [], "line 3, column 'p1': value 'oops'"),
        (None, [], "no such file"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,4,5\n", ["--method", "ward", "--metric", "correlation"],
         "method='ward' needs metric='euclidean'"),
        ("samples,type,p1,p2\n1,A,2,3\n2,B,4,5\n", ["--method", "upgma"], "choose one of"),
    ],
)
def test_bad_input_gives_one_line_error(tmp_path, content, args, message):
    csv = tmp_path / "in.csv"
    if content is not None:
        csv.write_text(content)
    proc = gexclust("run", csv, "-o", tmp_path / "out", *args, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("[")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gexclust: error:")
    assert message in lines[0]
    assert not (tmp_path / "out").exists()


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


def test_run_in_process_without_fork(tmp_path, monkeypatch):
    """Where fork is unavailable the figures are drawn in the main process, same outputs."""
    import multiprocessing

    from gexclust.cli import main

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    out = tmp_path / "out"
    assert main(["run", "-o", str(out), "--quiet", "--n-clusters", "5"]) == 0
    assert {p.name for p in out.iterdir()} == {
        "adata.h5ad", "clusters.csv", "linkage.csv", "summary.json", *FIGS,
    }
    assert json.loads((out / "summary.json").read_text())["ari_vs_type"] == pytest.approx(1.0)


def test_figure_helper_imports_no_anndata_pandas_or_scipy():
    """The helper process draws from plain specs; importing AnnData there would cost ~1 s."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from gexclust._render import _warm_up\n"
        "from gexclust.io._cumida_parse import parse_cumida\n"
        "_warm_up()\n"
        "print(sorted(m for m in ('anndata', 'pandas', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_helper_and_in_process_runs_agree(tmp_path, monkeypatch):
    """A CSV parsed by the helper process gives the same tables as one parsed in-process."""
    import multiprocessing
    import tempfile

    import gexclust as gx
    from gexclust.cli import main

    csv = tmp_path / "example.csv"
    gx.io.write_cumida(gx.datasets.gse9476_example(), csv)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # inherited by the forked helper
    assert main(["run", str(csv), "-o", str(tmp_path / "helper"), "--quiet"]) == 0
    assert not list(scratch.iterdir())  # the helper's values file was taken and removed
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert main(["run", str(csv), "-o", str(tmp_path / "inproc"), "--quiet"]) == 0
    for name in ("clusters.csv", "linkage.csv"):
        assert (tmp_path / "helper" / name).read_text() == (tmp_path / "inproc" / name).read_text()
    summaries = [json.loads((tmp_path / d / "summary.json").read_text())
                 for d in ("helper", "inproc")]
    assert summaries[0]["input"]["sha256"] == summaries[1]["input"]["sha256"]
    assert summaries[0]["ari_vs_type"] == summaries[1]["ari_vs_type"]


def group_alive(pgid: int, *, within: float) -> bool:
    """Whether any process of group ``pgid`` is still there after ``within`` seconds."""
    import os
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize("stage", ["reading", "writing tables and figures"])
def test_ctrl_c_stops_the_run_cleanly(tmp_path, stage):
    """Ctrl-C (SIGINT to the whole process group) at any stage: exit 130, nothing left over."""
    import os
    import signal

    out = tmp_path / "out"
    with subprocess.Popen([sys.executable, "-m", "gexclust.cli", "run", "-o", str(out)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as proc:
        try:
            for line in proc.stderr:
                if stage in line:
                    break
            os.killpg(proc.pid, signal.SIGINT)
            err = proc.stderr.read()
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "gexclust: interrupted"
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.iterdir())  # no staging folder left behind
    assert not group_alive(proc.pid, within=5.0)  # no helper left running
