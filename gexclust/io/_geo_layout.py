"""GEO's public folder layout."""

from __future__ import annotations

import re

#: A GEO accession that ``gexclust`` can fetch: series, sample, platform or dataset.
ACCESSION = re.compile(r"^G(SE|SM|PL|DS)[0-9]+$")


def geo_folder(accession: str) -> str:
    """GEO's folder stub: the last three digits become ``nnn`` (GSE9476 -> GSE9nnn, GPL96 -> GPLnnn)."""  # noqa: E501
    prefix, digits = accession[:3], accession[3:]
    return f"{prefix}{digits[:-3]}nnn" if len(digits) > 3 else f"{prefix}nnn"
