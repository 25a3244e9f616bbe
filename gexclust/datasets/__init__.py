"""Built-in example data (simulated values in the real GSE9476/GPL96 layout)."""

from __future__ import annotations

from ._gse9476 import gse9476_example

__all__ = ["gse9476_example"]
