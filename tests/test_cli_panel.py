"""``gexclust run`` end to end on every file of the real labelled panel, as documented.

The runs go through the command line's ``main`` in this process (as ``tests/test_cli.py``'s
``cli`` fixture does, to spare the import time of a subprocess each), with PNG figures only.
Tests skip when the shared data are absent.
"""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from tests.conftest import shared_file

GSE781 = "GSE781_family.soft.gz"
RUNS = {
    "golub": ("real/golub_multtest.csv.gz", []),
    "bladder": ("real/bladder_cancer.csv.gz", []),
    "lung": ("real/lung_pvclust.csv.gz", ["--missing", "impute"]),
    # the documented way to say "choose k" explicitly; the same as the default
    "gse781_gpl96": (GSE781, ["--platform", "GPL96", "--type-from", "source_name",
                              "--n-clusters", "auto"]),
    "gse781_gpl97": (GSE781, ["--platform", "GPL97", "--type-from", "source_name"]),
}


@pytest.fixture
def run(capsys):
    from gexclust.cli import main

    def gexclust_run(*args):
        capsys.readouterr()
        code = main(["run", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err

    return gexclust_run


@pytest.mark.parametrize("name", list(RUNS))
def test_run_on_panel_file(name, tmp_path, run, caplog):
    path, options = RUNS[name]
    out = tmp_path / name
    caplog.set_level(logging.DEBUG, logger="gexclust")
    code, stdout, stderr = run(shared_file(path), "-o", out, "--formats", "png", *options)
    assert code == 0, stderr
    # every figure, the report's too, fits its canvas: its PNG is cut from the drawing that
    # measured it, not laid out and drawn again by savefig (pl._base.save_figure)
    messages = [record.getMessage() for record in caplog.records]
    cut = {m.split(":")[0] for m in messages if m.endswith("cut from the figure's canvas")}
    assert cut == {"dendrogram.png", "cluster_heatmap.png", "clustermap.png", "choose_k.png",
                   "markers.png"}
    assert not [m for m in messages if m.endswith("drawn with matplotlib's savefig")]
    summary = json.loads((out / "summary.json").read_text())
    chosen = summary["choose_k"]
    assert chosen["how"] == "auto"
    assert summary["parameters"]["n_clusters"] == "auto"
    assert summary["n_clusters_found"] == chosen["k"] >= 2
    assert chosen["message"] in stdout
    assert chosen["strong"] is True  # every panel set has real groups
    clusters = pd.read_csv(out / "clusters.csv")
    assert clusters["cluster"].nunique() == chosen["k"]
    assert (out / "choose_k.png").stat().st_size > 0
    if name == "gse781_gpl96":  # --n-clusters auto: normal vs RCC, exactly
        assert chosen["k"] == 2
        assert summary["ari_vs_type"] == 1.0
        normal = clusters["type"].str.contains("normal tissue")
        assert clusters.groupby(normal)["cluster"].nunique().tolist() == [1, 1]
        # before: "best silhouette 0.35 against a median of 0.26 ..., p=0.01", as if k=2 beat
        # every copy; the test's excess is at k=9, and 12 of 99 copies reach k=2's 0.35
        assert chosen["k_test"] != chosen["k"]
        assert chosen["p_value_k"] > 0.05
        assert "at the chosen k=2 itself" in chosen["message"]
        assert "best silhouette" not in chosen["message"]
    if name == "lung":
        assert "1595 missing value(s)" in stderr  # the imputation is reported


def test_lung_without_missing_option_names_the_first_missing_cell(tmp_path, run):
    code, _, stderr = run(shared_file("real/lung_pvclust.csv.gz"), "-o", tmp_path / "x")
    assert code == 1
    errors = [line for line in stderr.splitlines() if line.startswith("gexclust: error")]
    assert len(errors) == 1
    assert "1595 missing value(s)" in errors[0]
    assert "column 'IMAGE:298560'" in errors[0]
    assert "--missing impute" in errors[0]


def test_noise_run_says_the_groups_are_weak(tmp_path, run):
    """Gaussian noise of GSE9476's shape (64 x 2,000): the run warns in plain words."""
    import anndata as ad
    import numpy as np

    import gexclust as gx

    rng = np.random.default_rng(0)
    noise = ad.AnnData(rng.normal(7.0, 1.0, size=(64, 2000)))
    noise.obs_names = [f"s{i}" for i in range(64)]
    noise.var_names = [f"g{j}" for j in range(2000)]
    noise.obs["type"] = "noise"
    gx.io.write_cumida(noise, tmp_path / "noise.csv")
    code, stdout, stderr = run(tmp_path / "noise.csv", "-o", tmp_path / "out", "--no-report")
    assert code == 0, stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["choose_k"]["strong"] is False
    assert "WARNING: clusters chosen automatically" in stdout
    assert "the groups are WEAK" in stdout
