"""``--quiet`` means the same for run, fetch and report: only errors are printed."""

from __future__ import annotations

import io
import sys

import pytest

from gexclust.cli import build_parser
from tests.io.conftest import MATRIX
from tests.test_cli import gexclust

TAB_CSV = 'samples,type,p1,p2,p3\n"a\tb",X,1,2,3\nc,Y,3,1,2\nd,X,2,2,5\n'


def test_every_command_takes_quiet_with_one_meaning():
    # before: 'gexclust report OUTDIR --quiet' and 'gexclust fetch ... --quiet' were usage
    # errors ('unrecognized arguments: --quiet'), though both print notes and results
    helps = {}
    for name, command in build_parser().commands.items():
        option = next(a for a in command._actions if "--quiet" in a.option_strings)
        helps[name] = option.help
    assert helps == {
        "run": "print only errors: no progress, warnings or notes, and not the summary",
        "fetch": "print only errors: no progress, warnings or notes, and not the list of "
                 "cached files",
        "report": "print only errors: no progress, warnings or notes, and not the list of "
                  "files written",
    }


def test_report_quiet_prints_nothing_but_errors(tmp_path):
    # a tab in a sample name: drawing the report's PNG figures (the run wrote PDFs only)
    # warns "Glyph 9 missing", a library warning the report shows as one line
    csv = tmp_path / "tab.csv"
    csv.write_text(TAB_CSV)
    out = tmp_path / "out"
    gexclust("run", csv, "-o", out, "--n-clusters", "2", "--no-report", "--formats", "pdf",
             "--quiet")
    loud = gexclust("report", out)
    assert loud.stdout == f"{out / 'report.html'}\n{out / 'report.pdf'}\n"
    assert "gexclust: warning: Glyph 9" in loud.stderr
    (out / "report.html").unlink()
    quiet = gexclust("report", out, "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert (out / "report.html").is_file()
    error = gexclust("report", tmp_path / "none", "--quiet", check=False)
    assert (error.returncode, error.stdout) == (1, "")
    assert error.stderr == (f"gexclust: error: {tmp_path / 'none' / 'adata.h5ad'}: not found; "
                            f"is {tmp_path / 'none'} the folder of a 'gexclust run'?\n")


def test_fetch_quiet_prints_nothing_but_errors(server, cli, tmp_path):
    server.state["fail_500"][MATRIX] = 1  # one retry: a warning
    loud = cli("fetch", "GSE9476", "--no-annotation")
    assert loud.stderr.startswith("gexclust: warning: ")
    assert "500 Internal Server Error; retrying" in loud.stderr
    assert loud.stdout.startswith("GSE9476: cached\n  matrix ")
    server.state["fail_500"][MATRIX] = 1
    quiet = cli("fetch", "GSE9476", "--no-annotation", "--quiet",
                "--cache-dir", tmp_path / "other")
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert server.requests(MATRIX) == 4  # the retry happened, silently
    error = cli("fetch", "GSE9476", "--quiet", "--offline", "--cache-dir", tmp_path / "empty",
                check=False)
    assert (error.returncode, error.stdout) == (1, "")
    assert error.stderr.startswith("gexclust: error: series matrix of GSE9476 is not in the "
                                   "cache")


class _Terminal(io.StringIO):
    """stderr as a terminal: tqdm shows its bar only there."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("command", ["fetch", "run"])
def test_quiet_hides_the_download_bar_on_a_terminal(server, tmp_path, monkeypatch, command):
    # before: on a terminal, 'gexclust fetch/run GSE9476 --quiet' drew tqdm's download bar
    from gexclust.cli import main

    for quiet, cache in ((False, "c1"), (True, "c2")):
        args = (["fetch", "GSE9476", "--no-annotation"] if command == "fetch" else
                ["run", "GSE9476", "--no-report", "--n-clusters", "5", "-o",
                 str(tmp_path / f"out_{cache}")])
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / cache))
        assert main([*args, *(["--quiet"] if quiet else [])]) == 0
        shown = terminal.getvalue()
        if quiet:
            assert shown == ""
        else:
            assert "GSE9476_series_matrix.txt.gz" in shown
            assert "\r" in shown
