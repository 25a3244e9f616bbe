"""Per-gene centring: subtract each gene's mean across samples, keep its spread."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._api import named
from .._utils import (
    column_mean_sd,
    float_matrix,
    get_matrix,
    refuse_missing,
    refuse_overflow,
    refuse_unrepresentable,
    set_matrix,
    stats_names,
    undo_of,
)


@named("pp.center")
def center(
    adata: AnnData,
    *,
    layer: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Centre each gene on its mean across samples, without scaling it to unit variance.

    Unlike :func:`~gexclust.pp.scale`, genes keep their spread, so a gene that varies a lot
    (a cell-type or tumour programme) weighs more in distances than one that barely varies.
    Euclidean distances, and so ward trees, are the same as on the uncentred values; the
    centred values are what heatmaps should show (Eisen et al. 1998) and what correlation
    distances and principal components expect. Missing values, and values too large to sum
    (near 1.8e308 in float64: the mean overflows), are refused with an error naming the gene.

    Parameters
    ----------
    adata
        Annotated data matrix (samples x genes).
    layer
        Centre this layer instead of ``.X``.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.X`` (or the layer): the centred values (float);
    - ``.var['mean']`` (``.var['{layer}_mean']`` for a layer): the mean subtracted from each
      gene;
    - ``.uns['center']`` (``.uns['{layer}_center']`` for a layer): ``layer``.

    When ``.X`` was already centred or scaled (this function, :func:`~gexclust.pp.scale`),
    ``.var['mean']`` is the offset of the whole transform from the values before the first
    step (``.X * .var['std'] + .var['mean']`` gives them back) and ``.uns['center']`` says
    ``applied_to_transformed=True``; a layer's steps compose alike in
    ``.var['{layer}_mean']`` (and ``['{layer}_std']``) and ``.uns['{layer}_center']``.

    Examples
    --------
    >>> import numpy as np, anndata as ad, gexclust as gx
    >>> adata = ad.AnnData(np.array([[1.0, 5.0], [3.0, 9.0]]))
    >>> gx.pp.center(adata)
    >>> adata.X.tolist()
    [[-1.0, -2.0], [1.0, 2.0]]
    """
    if copy:
        adata = adata.copy()
    X = float_matrix(get_matrix(adata, layer=layer, caller="pp.center"))
    refuse_missing(X, adata, caller="pp.center")  # NaN and infinite values, as pp.scale
    with np.errstate(over="ignore"):  # values near the float limit: refused just below
        mean, _ = column_mean_sd(X)
    refuse_overflow(X, [mean], adata, caller="pp.center")
    with np.errstate(over="ignore"):
        centred = X - mean.astype(X.dtype)  # this step's own means; float32 stays float32
    refuse_unrepresentable(X, centred, adata, caller="pp.center")
    record = {"layer": layer or "X"}
    prior = undo_of(adata, layer)
    if prior is not None:  # .X = (Y - offset) / s1 before: Y = .X * s1 + s1 * mean + offset
        s1, offset = prior
        mean = s1 * mean + offset
        record["applied_to_transformed"] = True
    set_matrix(adata, centred, layer=layer, caller="pp.center")
    mean_name, _, key = stats_names(layer, "center")
    adata.var[mean_name] = mean
    adata.uns[key] = record
    return adata if copy else None
