"""Sample-type labels for known GEO series, kept as data rather than parser special cases.

Each entry maps a series accession to ordered ``(regex, label)`` rules applied to the GEO sample
title; the first matching rule wins. For GSE9476 the labels are the CuMiDa class names, so the
CuMiDa CSV and the GEO route give identical ``.obs['type']``.
"""

from __future__ import annotations

import re

#: Title rules per series. The first matching pattern gives the label.
KNOWN_SERIES: dict[str, dict[str, object]] = {
    "GSE9476": {
        "description": "Stirewalt et al. 2008, AML and normal blood/marrow (CuMiDa classes)",
        "rules": [
            (r"^FHCRCAML", "AML"),
            (r"^BM_CD34_", "Bone_Marrow_CD34"),
            (r"^BM_", "Bone_Marrow"),
            (r"^PBSC_CD34_", "PBSC_CD34"),
            (r"^PB_DON", "PB"),
        ],
    },
}


def cumida_type(series: str, title: str) -> str | None:
    """Return the known label of a sample ``title`` in ``series``, or None if no rule matches."""
    entry = KNOWN_SERIES.get(series)
    if entry is None:
        return None
    for pattern, label in entry["rules"]:
        if re.search(pattern, title):
            return label
    return None
