"""Readers that turn expression files into AnnData with the sample type in ``.obs['type']``."""

from __future__ import annotations

from ._cumida import read_cumida
from ._write import write_cumida

__all__ = ["read_cumida", "write_cumida"]
