"""Small helpers shared by pp/tl: matrix access, copy semantics, argument checks."""

from __future__ import annotations

import numpy as np
from anndata import AnnData
from scipy import sparse


def dense(X) -> np.ndarray:
    """A dense ndarray view (or copy, for sparse input) of ``X``."""
    if sparse.issparse(X):
        return X.toarray()
    return np.asarray(X)


def get_matrix(adata: AnnData, *, layer: str | None = None) -> np.ndarray:
    """``.X`` or ``.layers[layer]`` as a dense array, with a clear error for unknown layers."""
    if layer is None:
        return dense(adata.X)
    if layer not in adata.layers:
        msg = f"layer={layer!r} not found; available layers: {list(adata.layers) or 'none'}"
        raise KeyError(msg)
    return dense(adata.layers[layer])


def set_matrix(adata: AnnData, X: np.ndarray, *, layer: str | None = None) -> None:
    """Store ``X`` into ``.X`` or ``.layers[layer]``."""
    if layer is None:
        adata.X = X
    else:
        adata.layers[layer] = X


def float_matrix(X: np.ndarray) -> np.ndarray:
    """``X`` as a floating array; integers become float64."""
    return X if np.issubdtype(X.dtype, np.floating) else X.astype(np.float64)
