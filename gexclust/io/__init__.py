"""Readers that turn expression files into AnnData with the sample type in ``.obs['type']``.

- :func:`read_cumida`: CuMiDa CSV (``samples``, ``type``, probe columns).
- :func:`read_series_matrix`, :func:`read_soft`, :func:`read_gpl`: local GEO files.
- :func:`read_geo`, :func:`fetch_geo`: fetch by accession through a verified cache.
- :func:`from_geoparse`: GEOparse objects.
"""

from __future__ import annotations

from ._cumida import read_cumida
from ._geo_fetch import fetch_geo, read_geo
from ._geo_read import read_series_matrix, read_soft
from ._geo_types import KNOWN_SERIES
from ._geoparse import from_geoparse
from ._gpl import read_gpl
from ._write import write_cumida

__all__ = [
    "KNOWN_SERIES",
    "fetch_geo",
    "from_geoparse",
    "read_cumida",
    "read_geo",
    "read_gpl",
    "read_series_matrix",
    "read_soft",
    "write_cumida",
]
