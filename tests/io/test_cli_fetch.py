"""``gexclust fetch`` against the GEO-layout server on 127.0.0.1: options and odd input."""

from __future__ import annotations

import pytest

from tests.io.conftest import MATRIX, cache_files


@pytest.mark.parametrize(("args", "line"), [
    (["GDS507", "--platform", "GPL96"],
     "--platform GPL96: GDS507 is a dataset, fetched as its one SOFT file, of one platform; "
     "--platform applies to a series (GSE) only: drop it"),
    (["GSM11805", "--platform", "GPL96"],
     "--platform GPL96: GSM11805 is a sample, fetched as its one record, of one platform; "
     "--platform applies to a series (GSE) only: drop it"),
    (["GPL96", "--platform", "all"],
     "--platform all: GPL96 is a platform, fetched as its annotation; --platform applies to "
     "a series (GSE) only: drop it"),
    (["GDS507", "--source", "matrix"],
     "--source matrix: GDS507 is a dataset, fetched as its one SOFT file, of one platform; "
     "--source applies to a series (GSE) only: drop it"),
    (["GPL96", "--no-annotation"],
     "--no-annotation: GPL96 is a platform, fetched as its annotation; --no-annotation "
     "applies to a series (GSE) only: drop it"),
])
def test_series_options_for_another_kind_are_refused_before_any_download(server, cli, tmp_path,
                                                                         args, line):
    # before: 'gexclust fetch GDS507 --platform GPL96' fetched the dataset's file and said
    # nothing of the platform (nor of --source or --no-annotation for a non-series)
    result = cli("fetch", *args, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"gexclust: error: {line}\n")
    assert sum(server.state["requests"].values()) == 0
    assert cache_files(tmp_path) == []


def test_a_platform_the_single_platform_series_is_not_on_is_refused(server, cli, tmp_path):
    # before: 'gexclust fetch GSE9476 --platform GPL570' cached GSE9476's GPL96 matrix and
    # listed it as fetched, exit 0
    result = cli("fetch", "GSE9476", "--platform", "GPL570", "--no-annotation", check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", "gexclust: error: series GSE9476 has no samples on GPL570; it has GPL96\n")
    # what was downloaded is kept, verified: nothing to fetch again
    cached = [name for name in cache_files(tmp_path) if not name.endswith(".lock")]
    assert cached == ["GSE9476_series_matrix.txt.gz", "GSE9476_series_matrix.txt.gz.sha256"]


def test_a_single_platform_series_named_by_its_platform_is_found_offline(server, cli, tmp_path):
    # before: after 'gexclust fetch GSE9476', 'gexclust fetch GSE9476 --platform GPL96
    # --offline' (and run) looked only for GSE9476-GPL96_series_matrix.txt.gz and failed: "not
    # in the cache ...; run once with network access", which cached the same file again
    cli("fetch", "GSE9476", "--no-annotation")
    server.stop()
    result = cli("fetch", "GSE9476", "--platform", "GPL96", "--offline", "--no-annotation")
    assert result.stdout.startswith("GSE9476: cached\n  matrix ")
    assert result.stdout.rstrip().endswith("GSE9476_series_matrix.txt.gz")
    other = cli("fetch", "GSE9476", "--platform", "GPL570", "--offline", "--no-annotation",
                check=False)
    assert (other.returncode, other.stderr) == (
        1, "gexclust: error: series GSE9476 has no samples on GPL570; it has GPL96\n")
    assert server.requests(MATRIX) == 1
