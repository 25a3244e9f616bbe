"""``gexclust fetch`` against the GEO-layout server on 127.0.0.1: options and odd input."""

from __future__ import annotations

import pytest

from tests.io.conftest import cache_files


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
