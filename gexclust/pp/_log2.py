"""log2 transform that only logs data not already on a log scale."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._logging import logger
from .._utils import float_matrix, get_matrix, set_matrix

QUANTILES = (0.0, 0.25, 0.5, 0.75, 0.99, 1.0)


def looks_linear(X: np.ndarray) -> tuple[bool, dict[str, float]]:
    """Decide, with GEO2R's rule, whether ``X`` is on a linear (not yet logged) scale.

    With quantiles ``q`` over all finite values, the data are linear when ``q99 > 100``, or when
    ``max - min > 50`` and ``q25 > 0``. Returns the decision and the quantiles used.
    """
    finite = X[np.isfinite(X)]
    q = np.quantile(finite, QUANTILES) if finite.size else np.zeros(len(QUANTILES))
    quantiles = {f"q{round(p * 100):d}": float(v) for p, v in zip(QUANTILES, q, strict=True)}
    linear = bool(q[4] > 100 or (q[5] - q[0] > 50 and q[1] > 0))
    return linear, quantiles


def log2(
    adata: AnnData,
    *,
    auto: bool = True,
    floor: float = 1.0,
    layer: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Take log2 of the expression values, by default only if they are not logged already.

    Parameters
    ----------
    adata
        Annotated data matrix.
    auto
        If True, apply the transform only when the data look linear by GEO2R's rule (quantiles
        over all values: ``q99 > 100``, or ``max - min > 50`` and ``q25 > 0``); RMA/GCRMA data
        (already log2) are left alone while MAS 5.0 signal is logged. If False, always log.
    floor
        Values below ``floor`` are raised to it before logging, so zeros and the negative values
        of some MAS 5.0 files give ``log2(floor)`` instead of ``-inf``/NaN.
    layer
        Transform this layer instead of ``.X``.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.X`` (or the layer): log2 values if the transform was applied;
    - ``.uns['log2']``: ``applied``, ``auto``, ``rule``, ``quantiles``, ``floor`` and the number
      of values raised to the floor;
    - ``.uns['log1p'] = {'base': 2}``, so scanpy's ``rank_genes_groups`` computes log2 fold
      changes correctly on these data.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.log2(adata)
    >>> adata.uns["log2"]["applied"]
    False
    """
    if copy:
        adata = adata.copy()
    X = float_matrix(get_matrix(adata, layer=layer))
    linear, quantiles = looks_linear(X)
    apply = linear or not auto
    n_floored = 0
    if apply:
        n_floored = int((floor > X).sum())
        X = np.log2(np.maximum(X, floor))
        set_matrix(adata, X, layer=layer)
    adata.uns["log2"] = {
        "applied": apply,
        "auto": auto,
        "rule": "geo2r: q99 > 100 or (max - min > 50 and q25 > 0)",
        "quantiles": quantiles,
        "floor": floor,
        "n_floored": n_floored,
    }
    adata.uns["log1p"] = {"base": 2}
    logger.info("log2: %s (q99=%.3g)", "applied" if apply else "skipped", quantiles["q99"])
    return adata if copy else None
