"""Shared by the tests and the doctests: no figures pile up, no files land in the working folder.

Docstring examples that write files write them into a fresh folder.

scanpy imports ``matplotlib.pyplot``; once it is loaded, gexclust's figures are managed by
pyplot (as in a notebook) and stay open until closed.
"""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


@pytest.fixture(autouse=True)
def _doctests_in_a_fresh_folder(request, tmp_path, monkeypatch):
    # the examples write plain relative names ("tiny.csv"), as a user would in a notebook
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(tmp_path)
