"""``gexclust run`` end to end on every file of the real labelled panel, as documented.

Each run is a subprocess, like a user's; PNG figures only, to keep the runs short. Tests skip
when the shared data are absent.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import shared_file
from tests.test_cli import gexclust

RUNS = {
    "golub": ("real/golub_multtest.csv.gz", []),
    "bladder": ("real/bladder_cancer.csv.gz", []),
    "lung": ("real/lung_pvclust.csv.gz", ["--missing", "impute"]),
    "gse781_gpl96": ("GSE781_family.soft.gz", ["--platform", "GPL96", "--type-from",
                                               "source_name"]),
    "gse781_gpl97": ("GSE781_family.soft.gz", ["--platform", "GPL97", "--type-from",
                                               "source_name"]),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_run_on_panel_file(name, tmp_path):
    path, options = RUNS[name]
    out = tmp_path / name
    proc = gexclust("run", shared_file(path), "-o", out, "--formats", "png", *options)
    summary = json.loads((out / "summary.json").read_text())
    chosen = summary["choose_k"]
    assert chosen["how"] == "auto"
    assert summary["n_clusters_found"] == chosen["k"] >= 2
    assert f"k={chosen['k']}" in proc.stdout
    assert chosen["message"] in proc.stdout
    assert summary["parameters"]["n_clusters"] == "auto"
    clusters = pd.read_csv(out / "clusters.csv")
    assert clusters["cluster"].nunique() == chosen["k"]
    assert (out / "dendrogram.png").stat().st_size > 0


def test_auto_on_gse781_gpl96_is_normal_vs_rcc(tmp_path):
    out = tmp_path / "gpl96"
    proc = gexclust("run", shared_file("GSE781_family.soft.gz"), "-o", out, "--formats", "png",
                    "--platform", "GPL96", "--type-from", "source_name", "--n-clusters", "auto")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["choose_k"]["k"] == 2
    assert summary["choose_k"]["strong"] is True
    assert summary["ari_vs_type"] == 1.0
    clusters = pd.read_csv(out / "clusters.csv")
    normal = clusters["type"].str.contains("normal tissue")
    assert clusters.groupby(normal)["cluster"].nunique().tolist() == [1, 1]
    assert "stronger than chance" in proc.stdout


def test_lung_without_missing_option_names_the_first_missing_cell(tmp_path):
    proc = gexclust("run", shared_file("real/lung_pvclust.csv.gz"), "-o", tmp_path / "x",
                    check=False)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "missing value" in proc.stderr
    assert "missing='impute'" in proc.stderr or "--missing" in proc.stderr
