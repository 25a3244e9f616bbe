"""Writing AnnData back to the CuMiDa CSV layout."""

from __future__ import annotations

import os

import numpy as np
from anndata import AnnData

from .._atomic import atomic_open
from .._utils import dense


def write_cumida(
    adata: AnnData,
    path: str | os.PathLike,
    *,
    type_key: str = "type",
    sample_key: str | None = "samples",
    decimals: int = 6,
) -> None:
    """Write ``adata`` as a CuMiDa CSV: ``samples``, ``type``, then one column per var.

    Parameters
    ----------
    adata
        Samples x probes.
    path
        Output file; written atomically.
    type_key
        ``.obs`` column for the ``type`` column.
    sample_key
        ``.obs`` column for the ``samples`` column (CuMiDa uses row numbers); ``obs_names`` when
        ``None`` or absent.
    decimals
        Digits after the decimal point (CuMiDa files carry 6).
    """
    if sample_key is not None and sample_key in adata.obs:
        samples = adata.obs[sample_key].astype(str).to_numpy()
    else:
        samples = adata.obs_names.to_numpy()
    types = adata.obs[type_key].astype(str).to_numpy()
    X = dense(adata.X)
    with atomic_open(path, "w", newline="") as fh:
        fh.write(",".join(["samples", "type", *map(str, adata.var_names)]) + "\n")
        for i in range(adata.n_obs):
            values = np.char.mod(f"%.{decimals}f", X[i])
            fh.write(f"{samples[i]},{types[i]}," + ",".join(values) + "\n")
