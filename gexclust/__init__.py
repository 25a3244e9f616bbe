"""gexclust: hierarchical clustering of gene-expression data in the AnnData/scanpy style.

Submodules are imported on first use, so ``import gexclust`` and the command line stay fast::

    import gexclust as gx

    adata = gx.datasets.gse9476_example()
    gx.pp.select_variable(adata, n_top=1000, flavor="mad", subset=True)
    gx.pp.center(adata)
    gx.tl.hclust(adata, method="ward")
    gx.tl.choose_k(adata)
    gx.tl.cut(adata, n_clusters=adata.uns["choose_k"]["k"])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._errors import InputError

__version__ = "0.1.0"

_SUBMODULES = ("datasets", "io", "pl", "pp", "tl")

if TYPE_CHECKING:
    from . import datasets, io, pl, pp, tl


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    msg = f"module 'gexclust' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    # the API and private names, each once: an imported submodule is also in globals(), and
    # TYPE_CHECKING or importlib offered by tab completion would look like the API
    return sorted({name for name in globals() if name.startswith("_")} | set(__all__))


__all__ = ["InputError", "__version__", "datasets", "io", "pl", "pp", "tl"]
