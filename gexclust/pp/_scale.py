"""Per-gene standardisation with scanpy's semantics."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._api import named
from .._checks import check_positive, check_whole
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


@named("pp.scale")
def scale(
    adata: AnnData,
    *,
    zero_center: bool = True,
    max_value: float | None = None,
    ddof: int = 1,
    layer: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Scale each gene to unit variance and, by default, zero mean (z-score across samples).

    Follows ``scanpy.pp.scale``: a constant gene becomes 0 (not NaN), and ``max_value`` clips.
    Missing values are refused (a ``ValueError`` naming the gene and sample) rather than
    scaled: one NaN would otherwise turn its whole gene's mean and standard deviation into NaN.
    Handle them when reading (``read_cumida(missing='drop'|'impute')``). Values too large to
    square or sum in their dtype (near 1.8e308 in float64) are refused too, naming the gene:
    their mean or standard deviation would overflow. A sparse matrix is
    densified with a logged warning (z-scores are dense), and refused above 2 GiB. float32
    input stays float32.

    Parameters
    ----------
    adata
        Annotated data matrix (samples x genes).
    zero_center
        Subtract the gene mean. If False, only divide by the standard deviation.
    max_value
        Clip scaled values to ``[-max_value, max_value]`` (only the upper bound when
        ``zero_center=False``, as scanpy does).
    ddof
        Delta degrees of freedom of the standard deviation. 1 (default) matches scanpy and R's
        ``scale()``; 0 matches scikit-learn's ``StandardScaler``. The two give the same trees,
        with heights differing by a constant factor.
    layer
        Scale this layer instead of ``.X``.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.X`` (or the layer): the scaled values (float);
    - ``.var['mean']`` and ``.var['std']``: the statistics used (``std`` is 1 for constant
      genes, as in scanpy); for a layer ``.var['{layer}_mean']`` and ``['{layer}_std']``, so
      the statistics of ``.X`` are kept;
    - ``.uns['scale']`` (``.uns['{layer}_scale']`` for a layer): ``zero_center``,
      ``max_value``, ``ddof`` and ``layer``.

    When ``.X`` was already centred or scaled (:func:`~gexclust.pp.center`, this function;
    e.g. a notebook cell run twice), ``.var['mean']`` and ``['std']`` describe the whole
    transform from the values before the first step (``.X * std + mean`` gives them back, as
    :func:`~gexclust.tl.markers` needs for fold changes), and ``.uns['scale']`` says
    ``applied_to_transformed=True``; a layer's steps compose alike in
    ``.var['{layer}_mean']``/``['{layer}_std']`` and ``.uns['{layer}_scale']``.

    Examples
    --------
    >>> import numpy as np, anndata as ad, gexclust as gx
    >>> adata = ad.AnnData(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> gx.pp.scale(adata)
    >>> adata.X.tolist()
    [[-0.7071067811865475, 0.0], [0.7071067811865475, 0.0]]
    """
    check_whole("ddof", ddof, caller="pp.scale",
                what=" (1: sample SD, as scanpy and R; 0: StandardScaler's)")
    if max_value is not None:
        check_positive("max_value", max_value, caller="pp.scale",
                       what=" (scaled values are clipped to [-max_value, max_value]), or None")
    if copy:
        adata = adata.copy()
    X = float_matrix(get_matrix(adata, layer=layer, caller="pp.scale"))
    refuse_missing(X, adata, caller="pp.scale")
    if adata.n_obs <= ddof:
        msg = f"pp.scale: need more than ddof={ddof} samples, got {adata.n_obs}"
        raise ValueError(msg)
    with np.errstate(over="ignore", invalid="ignore"):  # near the float limit: refused below
        mean, std = column_mean_sd(X, ddof=ddof)
    refuse_overflow(X, [mean, std], adata, caller="pp.scale")
    # A constant gene carries no information: give it 0 instead of 0/0. Its float std can come
    # out a few ulps above 0 (the mean of equal values is not always exact), hence the tolerance.
    constant = std <= np.finfo(X.dtype).eps * 16 * (np.abs(mean) + 1.0)
    std = np.where(constant, 1.0, std)  # the divisor actually used, as scanpy records it
    # in the dtype of the values (float32 stays float32); the statistics are float64
    mean_x, std_x = mean.astype(X.dtype), std.astype(X.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        if zero_center:  # divided in place: one matrix of results, not two at once
            scaled = X - mean_x
            scaled /= std_x
        else:
            scaled = X / std_x
    refuse_unrepresentable(X, scaled, adata, caller="pp.scale")
    X = scaled
    if zero_center:
        X[:, constant] = 0.0
    if max_value is not None:
        np.clip(X, -max_value if zero_center else None, max_value, out=X)
    record = {
        "zero_center": zero_center,
        "max_value": "none" if max_value is None else max_value,
        "ddof": ddof,
        "layer": layer or "X",
    }
    mean_name, std_name, key = stats_names(layer, "scale")
    prior = undo_of(adata, layer)
    if prior is not None:  # centred or scaled before: keep the whole transform
        mean, std, record = _after(prior, mean, std, record, adata.uns.get(key))
    set_matrix(adata, X, layer=layer, caller="pp.scale")
    adata.var[mean_name] = mean
    adata.var[std_name] = std
    adata.uns[key] = record
    return adata if copy else None


def _after(prior, mean, std, record: dict, prior_record) -> tuple:
    """Statistics of this scaling composed with an earlier centring or scaling of ``.X``.

    ``.X`` was ``(Y - offset) / s1``; now it is ``(X1 - mean) / std``, so ``Y`` is ``.X`` times
    ``s1 * std`` plus ``s1 * mean + offset`` (``mean`` 0 without ``zero_center``).
    """
    s1, offset = prior
    subtracted = mean if record["zero_center"] else 0.0
    record = {**record, "zero_center": bool(record["zero_center"] or np.any(offset != 0)),
              "applied_to_transformed": True}
    if hasattr(prior_record, "get") and prior_record.get("max_value", "none") != "none":
        record["max_value"] = prior_record["max_value"]  # clipped once: still not undoable
    return s1 * subtracted + offset, s1 * std, record
