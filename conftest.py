"""Shared by the tests and the doctests: figures never pile up in pyplot between tests.

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
