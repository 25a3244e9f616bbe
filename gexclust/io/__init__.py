"""Readers that turn expression files into AnnData with the sample type in ``.obs['type']``.

- :func:`read_cumida`: CuMiDa CSV (``samples``, ``type``, probe columns).
- :func:`read_annotations`, :func:`annotate_obs`: a sample sheet (a batch, a date) for ``.obs``.
- :func:`read_series_matrix`, :func:`read_soft`, :func:`read_gpl`: local GEO files.
- :func:`read_geo`, :func:`fetch_geo`: fetch by accession through a verified cache.
- :func:`from_geoparse`: GEOparse objects.
- :func:`write_treeview`, :func:`write_newick`: trees for Java TreeView and phylogeny tools.

Members are imported on first use (``from gexclust.io import read_cumida`` works as usual).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_members

if TYPE_CHECKING:
    from .._limits import Limits
    from ._annotations import annotate_obs, read_annotations
    from ._cumida import read_cumida
    from ._geo_fetch import fetch_geo, read_geo
    from ._geo_read import read_series_matrix, read_soft
    from ._geo_types import KNOWN_SERIES
    from ._geoparse import from_geoparse
    from ._gpl import read_gpl
    from ._newick import write_newick
    from ._treeview import write_treeview
    from ._write import write_cumida

_MEMBERS = {
    "KNOWN_SERIES": "._geo_types",
    "Limits": "gexclust._limits",
    "annotate_obs": "._annotations",
    "fetch_geo": "._geo_fetch",
    "from_geoparse": "._geoparse",
    "read_annotations": "._annotations",
    "read_cumida": "._cumida",
    "read_geo": "._geo_fetch",
    "read_gpl": "._gpl",
    "read_series_matrix": "._geo_read",
    "read_soft": "._geo_read",
    "write_cumida": "._write",
    "write_newick": "._newick",
    "write_treeview": "._treeview",
}
__getattr__, __dir__ = lazy_members(__name__, _MEMBERS)
__all__ = [
    "KNOWN_SERIES",
    "Limits",
    "annotate_obs",
    "fetch_geo",
    "from_geoparse",
    "read_annotations",
    "read_cumida",
    "read_geo",
    "read_gpl",
    "read_series_matrix",
    "read_soft",
    "write_cumida",
    "write_newick",
    "write_treeview",
]
