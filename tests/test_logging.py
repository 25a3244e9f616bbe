"""Warnings of the library reach a user who configured no logging (a notebook, a script)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import anndata as ad, numpy as np, pandas as pd, gexclust as gx
adata = ad.AnnData(np.zeros((4, 1)), obs=pd.DataFrame(
    {"type": ["a", None, "b", "b"], "cluster": list("1122")}, index=list("wxyz")))
gx.tl.compare(adata, reference="type", clusters="cluster")
"""


def test_warnings_reach_stderr_without_any_logging_setup():
    # before: the package logger had a NullHandler, which silenced Python's last-resort
    # handler, so "compare: left out 1 of 4 samples" was never shown
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True, timeout=120)
    assert "compare: left out 1 of 4 sample without" in proc.stderr


def test_a_configured_level_silences_them():
    script = "import logging; logging.getLogger('gexclust').setLevel(logging.ERROR)\n" + SCRIPT
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=120)
    assert "left out" not in proc.stderr


def test_quiet_command_line_prints_no_warning(tmp_path):
    import gexclust as gx
    from tests.conftest import make_planted

    adata = make_planted(n_per_group=4, n_groups=2, n_genes=20)
    types = adata.obs["type"].astype(str).to_numpy()
    types[0] = ""  # left out of the comparison: a warning
    adata.obs["type"] = types
    gx.io.write_cumida(adata, tmp_path / "in.csv")
    command = [sys.executable, "-m", "gexclust.cli", "run", str(tmp_path / "in.csv"),
               "--n-clusters", "2", "--no-report"]
    loud = subprocess.run([*command, "-o", str(tmp_path / "a")], capture_output=True,
                          text=True, check=True, timeout=300)
    assert "gexclust: warning: tl.compare: left out 1 of 8" in loud.stderr
    quiet = subprocess.run([*command, "-o", str(tmp_path / "b"), "--quiet"],
                           capture_output=True, text=True, check=True, timeout=300)
    assert quiet.stderr == ""
