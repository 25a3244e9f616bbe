"""A GEO-layout site served on 127.0.0.1, and a fresh cache per test."""

from __future__ import annotations

import pytest

from gexclust._errors import InputError
from gexclust.datasets._geo_files import write_gse9476_geo
from gexclust.io import _download
from tests.io.geo_server import GeoServer

MATRIX_REL = "series/GSE9nnn/GSE9476/matrix/GSE9476_series_matrix.txt.gz"
MATRIX = f"/geo/{MATRIX_REL}"  # as requested from the server
ANNOT = "/geo/platforms/GPLnnn/GPL96/annot/GPL96.annot.gz"


@pytest.fixture(scope="session")
def geo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("geo_site") / "geo"
    write_gse9476_geo(root)
    return root


@pytest.fixture
def server(geo_root, monkeypatch, tmp_path):
    monkeypatch.setattr(_download, "BACKOFF", 0.01)
    with GeoServer(geo_root.parent) as srv:
        monkeypatch.setenv("GEXCLUST_GEO_URL", f"{srv.url}/geo")
        monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "cache"))
        yield srv


def cache_files(tmp_path):
    return sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())


def refusal(read, *args, **kwargs) -> str:
    """The message of the InputError ``read(*args, **kwargs)`` raises; fails if none is raised."""
    with pytest.raises(InputError) as caught:
        read(*args, **kwargs)
    return str(caught.value)
