"""Small helpers shared by pp/tl: matrix access, copy semantics, argument checks."""

from __future__ import annotations

import logging

import numpy as np
from anndata import AnnData
from scipy import sparse

from ._limits import size_text
from ._logging import logger

#: Largest dense copy of a sparse matrix that pp/tl/pl make (bytes); beyond it they refuse.
MAX_DENSE_BYTES = 2 * 1024**3


def dense(X) -> np.ndarray:
    """A dense ndarray view (or copy, for sparse input) of ``X``."""
    if sparse.issparse(X):
        return X.toarray()
    return np.asarray(X)


def layer_names(adata: AnnData) -> list[str]:
    """The named layers; anndata 0.13 also lists ``None`` (``.X`` itself) in ``.layers``."""
    return [name for name in adata.layers if name is not None]


def get_matrix(adata: AnnData, *, layer: str | None = None, caller: str = "gexclust") -> np.ndarray:
    """``.X`` or ``.layers[layer]`` as a dense array, with a clear error for unknown layers.

    Expression arrays are dense, so the tools work on dense matrices. A sparse matrix (e.g.
    scanpy's counts) is densified with a logged warning that names its size, and refused
    when the dense copy would exceed :data:`MAX_DENSE_BYTES` (select genes first). An
    AnnData without ``.X`` (``X=None``, values in layers only) is refused, naming the layers.
    """
    if layer is None:
        refuse_no_x(adata, caller=caller)
        return as_dense(adata.X, what=".X", caller=caller)
    if layer not in adata.layers:
        msg = f"layer={layer!r} not found; available layers: {layer_names(adata) or 'none'}"
        raise KeyError(msg)
    return as_dense(adata.layers[layer], what=matrix_name(layer), caller=caller)


def matrix_name(layer: str | None) -> str:
    """How messages name the matrix ``layer``: ``.X`` for ``None``, else ``.layers['name']``."""
    return ".X" if layer is None else f".layers[{layer!r}]"


def refuse_no_x(adata: AnnData, *, caller: str, way: str = "pass layer=") -> None:
    """Refuse an AnnData whose ``.X`` is ``None`` (anndata allows it: values in layers only).

    numpy reads ``None`` as a 0-d array of one NaN, which made pp.log2 call such data
    "already logged" and the other tools fail with numpy's index errors. ``way`` says how to
    use a layer instead.
    """
    if adata.X is None:
        layers = layer_names(adata)
        hint = f"{way} (layers: {layers})" if layers else "it holds no values (no layers)"
        msg = f"{caller}: .X is None (this AnnData has no main matrix); {hint}"
        raise ValueError(msg)


def in_memory(X):
    """``X``, with a sparse matrix of a backed file (``read_h5ad(..., backed='r')``) read in.

    anndata gives the ``.X`` of a backed file as a dataset object; a sparse one is neither a
    scipy matrix nor an array (``np.asarray`` makes an array of one object of it), so it is
    read as the scipy sparse matrix it stores. A dense backed ``.X`` reads as an array.
    """
    if not sparse.issparse(X) and not isinstance(X, np.ndarray) and hasattr(X, "to_memory"):
        return X.to_memory()
    return X


def as_dense(X, *, what: str, caller: str, level: int = logging.WARNING) -> np.ndarray:
    """``X`` as a dense array; sparse input densified, said at ``level``, or refused when huge.

    A sparse matrix of a backed file is read in first (:func:`in_memory`).
    """
    X = in_memory(X)
    if not sparse.issparse(X):
        return np.asarray(X)
    n, m = X.shape
    itemsize = X.dtype.itemsize if np.issubdtype(X.dtype, np.floating) else 8
    size = n * m * itemsize
    if size > MAX_DENSE_BYTES:
        # only tl.hclust takes use_rep=; the plots and exports need the genes themselves
        rep = " or cluster a representation (use_rep=)" if caller.endswith("hclust") else ""
        msg = (
            f"{caller}: {what} is sparse ({n} x {m}); a dense copy would take "
            f"{size_text(size)} (more than {size_text(MAX_DENSE_BYTES)}). Select genes first "
            f"(pp.select_variable with flavor='variance' works on sparse data){rep}"
        )
        raise ValueError(msg)
    logger.log(level, "%s: %s is sparse; working on a dense copy (%d x %d, %s)",
               caller, what, n, m, size_text(size))
    return X.toarray()


def set_matrix(adata: AnnData, X: np.ndarray, *, layer: str | None = None,
               caller: str = "gexclust") -> None:
    """Store ``X`` into ``.X`` or ``.layers[layer]``.

    A view (``adata[:10]``) becomes an AnnData of its own first, as in scanpy: anndata writes
    ``.X`` of a view into the rows of its parent, which would leave the parent half changed.
    The ``.X`` of a file opened with ``backed='r'`` cannot be written: refused, saying how.
    """
    if layer is None and adata.isbacked and getattr(adata.file, "_filemode", None) == "r":
        msg = (f"{caller}: .X is backed read-only by {str(adata.filename)!r} "
               "(read_h5ad(..., backed='r')); load it with adata = adata.to_memory(), or open "
               "the file with backed='r+' to write the new .X into it")
        raise ValueError(msg)
    view_to_actual(adata)
    if layer is None:
        adata.X = X
    else:
        adata.layers[layer] = X


def str_array(values) -> np.ndarray:
    """``values`` as a numpy array of fixed-width strings (``<U``).

    anndata reads string arrays of ``.uns`` back from zarr as numpy's variable-width
    ``StringDType``, which numpy refuses to cast to ``str`` directly; going through ``object``
    works for it, for h5ad's object arrays and for plain lists alike.
    """
    array = np.asarray(values)
    if array.dtype.kind == "U":
        return array
    return array.astype(object).astype(str)


def all_unit_sd(variance: np.ndarray, n_obs: int) -> bool:
    """Whether every gene's standard deviation is 1, as scaling leaves it (ddof 0 or 1).

    Genes scaled with clipping (``max_value``) or constant ones only fall below 1, so the
    test is: median 1 and none above ``sqrt(n / (n - 1))`` (what ddof=0 scaling gives).
    Real expression, or noise, never spreads this evenly.
    """
    if n_obs < 3 or np.size(variance) < 2:
        return False
    sd = np.sqrt(np.asarray(variance, dtype=np.float64))
    return bool(sd.max() <= _unit_sd_upper(n_obs) and np.median(sd) >= 0.99)


def _unit_sd_upper(n_obs: int) -> float:
    """The largest standard deviation (ddof=1) scaling leaves: ``sqrt(n / (n - 1))`` of ddof=0."""
    return float(np.sqrt(n_obs / (n_obs - 1)) * (1 + 1e-3))


def columns_have_unit_sd(X: np.ndarray, *, first: int = 64) -> bool:
    """:func:`all_unit_sd` of the columns of ``X``, reading all of ``X`` only when it may be.

    The ``first`` columns are checked first: expression values, unlike z-scores, have genes
    spread more than 1 among them, which settles it without a pass over the whole matrix
    (100,000 x 2,000 float32: 0.8 s). Only the maximum is checked there, as the median of a
    few genes (constant ones, say) says nothing of the others'.
    """
    n_obs = len(X)
    if n_obs < 3 or X.ndim != 2 or X.shape[1] < 2:
        return False
    if column_variance(X[:, :first]).max() > _unit_sd_upper(n_obs) ** 2:
        return False
    return all_unit_sd(column_variance(X), n_obs)


def column_variance(X: np.ndarray, *, ddof: int = 1, block: int | None = None) -> np.ndarray:
    """Variance of each column in float64, one pass over ``X`` a block of rows at a time.

    Each block's mean and sum of squared deviations from it are taken in float64 (no copy of
    ``X`` beyond one block), and the blocks' are combined pairwise (Chan, Golub & LeVeque
    1979): never the sum of squares minus ``n * mean**2``, which cancels when the mean dwarfs
    the spread (a gene of 1e6 +- 0.01 over 40 samples came out with variance 0; numpy:
    1.0e-4). One pass, with blocks small enough to stay in cache, replaced a pass for the mean
    and another for the deviations: 1.35-1.6x faster on z-scores of 2,000 x 20,000.
    ``block`` is the rows per block (by default about 2**18 values).
    """
    n, d = X.shape
    if block is None:
        block = max(1, _BLOCK_VALUES // max(d, 1))
    stack: list[tuple[int, np.ndarray, np.ndarray]] = []  # (rows, mean, squares), sizes descend
    for start in range(0, n, block):
        values = np.asarray(X[start:start + block], dtype=np.float64)
        mean = values.mean(axis=0)
        deviations = values - mean
        part = (len(values), mean, np.einsum("ij,ij->j", deviations, deviations))
        # combine like a binary counter: each row enters O(log(n / block)) combinations
        while stack and stack[-1][0] <= part[0]:
            part = _combine(stack.pop(), part)
        stack.append(part)
    squares = np.zeros(d)
    while len(stack) > 1:
        stack.append(_combine(stack.pop(-2), stack.pop()))
    if stack:
        squares = stack[0][2]
    return squares / max(n - ddof, 1)


def _combine(first, second):
    """Rows, mean and summed squared deviations of two blocks of rows together."""
    n_a, mean_a, squares_a = first
    n_b, mean_b, squares_b = second
    total = n_a + n_b
    delta = mean_b - mean_a
    return (total, mean_a + delta * (n_b / total),
            squares_a + squares_b + delta**2 * (n_a * n_b / total))


#: Values per block of :func:`column_mean_sd` (2 MiB in float64): a block small enough to
#: stay in cache is summed 3.5x faster than one of 8,192 rows of 2,000 genes (131 MB).
_BLOCK_VALUES = 2**18


def column_mean_sd(X: np.ndarray, *,
                   ddof: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean and (with ``ddof``) standard deviation of each column, accumulated in float64.

    numpy sums a float32 matrix down its rows in float32, one row after another: over
    200,000 samples of values near 5,000 (SD 1) the mean came out 5.8 off. float64 input
    keeps numpy's own arithmetic; other dtypes are read a block of rows at a time (no float64
    copy of the whole matrix). The deviations are summed around the mean (two passes), not
    as squares minus the squared mean, which cancels when the mean dwarfs the spread.
    """
    mean = X.mean(axis=0, dtype=np.float64)
    if ddof is None:
        return mean, None
    if X.dtype == np.float64:
        return mean, X.std(axis=0, ddof=ddof)
    squares = np.zeros(X.shape[1])
    block = max(1, _BLOCK_VALUES // max(X.shape[1], 1))
    for start in range(0, X.shape[0], block):
        deviations = X[start:start + block].astype(np.float64)
        deviations -= mean  # in place: one float64 block at a time
        squares += np.einsum("ij,ij->j", deviations, deviations)
    return mean, np.sqrt(squares / max(X.shape[0] - ddof, 1))


def column_var(X: np.ndarray, *, ddof: int = 1) -> np.ndarray:
    """Variance of each column: numpy's for float64, summed in float64 for other dtypes.

    The variances that rank genes (pp.select_variable, pl.clustermap): float64 input keeps
    numpy's own arithmetic, so rankings do not move by a last bit; float32 goes through
    :func:`column_mean_sd` (numpy's float32 variance down 200,000 rows of values near 5,000
    was 34 for 0.25).
    """
    if X.dtype == np.float64:
        return X.var(axis=0, ddof=ddof)
    return column_mean_sd(X, ddof=ddof)[1] ** 2


def refuse_unrepresentable(X: np.ndarray, result: np.ndarray, adata: AnnData, *,
                           caller: str) -> None:
    """Refuse a centred or scaled ``result`` that overflowed ``X``'s dtype, naming the gene.

    The statistics are float64 (:func:`column_mean_sd`), but the values keep the dtype of
    ``X``: a float32 value near its largest (3.4e38) minus a mean of the other sign can
    exceed it.
    """
    # a column's sum is finite when all its values are (or the sum overflows: looked at
    # closely below), read without a boolean matrix as large as a quarter of the values
    with np.errstate(over="ignore", invalid="ignore"):
        sums = result.sum(axis=0)
    if np.isfinite(sums).all():
        return
    finite = np.isfinite(result).all(axis=0)
    if finite.all():
        return
    _refuse_too_large(X, ~finite, adata, caller=caller, doing="centre or scale",
                      overflows="the result overflows")


def float_matrix(X: np.ndarray) -> np.ndarray:
    """``X`` as a floating array; integers become float64."""
    return X if np.issubdtype(X.dtype, np.floating) else X.astype(np.float64)


def refuse_missing(X: np.ndarray, adata: AnnData, *, caller: str, where: str | None = None) -> None:
    """Raise a ValueError naming the first sample and gene whose value is NaN or infinite.

    ``where`` names the matrix (``.X``, ``.layers['name']``, ``.raw.X``) when the caller chose
    it itself, so that the user looks in the right one.
    """
    finite = np.isfinite(X)
    if finite.all():
        return
    i, j = (int(k[0]) for k in np.nonzero(~finite))
    n_bad = int((~finite).sum())
    of = "" if where is None else f" of {where}"
    msg = (
        f"{caller}: gene {adata.var_names[j]!r} has a missing or infinite value ({X[i, j]}) in "
        f"sample {adata.obs_names[i]!r}{of} ({n_bad} such value(s) in all); handle missing "
        "values first, e.g. read_cumida(missing='drop' or 'impute')"
    )
    raise ValueError(msg)


def refuse_overflow(X: np.ndarray, stats: list[np.ndarray], adata: AnnData, *,
                    caller: str) -> None:
    """Refuse finite values whose per-gene ``stats`` (mean, standard deviation) overflowed.

    Values near the largest float (1.8e308 in float64, 3.4e38 in float32) are finite, so
    :func:`refuse_missing` lets them through, but their sum or square is not: the mean or
    standard deviation becomes inf and the gene NaN, -inf or silently 0. The error names the
    gene and its largest value, which are too large, not missing.
    """
    bad = ~np.logical_and.reduce([np.isfinite(s) for s in stats])
    if not bad.any():
        return
    _refuse_too_large(X, bad, adata, caller=caller, doing="average or square",
                      overflows="its mean or variance overflows")


def _refuse_too_large(X: np.ndarray, bad: np.ndarray, adata: AnnData, *, caller: str,
                      doing: str, overflows: str) -> None:
    """Raise the ValueError of the first gene marked ``bad``, naming its largest value."""
    j = int(np.flatnonzero(bad)[0])
    i = int(np.argmax(np.abs(X[:, j])))
    msg = (
        f"{caller}: gene {adata.var_names[j]!r} has values too large to {doing} in "
        f"{X.dtype} ({X[i, j]:.3g} in sample {adata.obs_names[i]!r}; the largest {X.dtype} is "
        f"{np.finfo(X.dtype).max:.3g}): {overflows} ({int(bad.sum())} such gene(s) in all). "
        "These are not missing values; check the file's values (a unit or parsing error?) or "
        "log2 them first (pp.log2)"
    )
    raise ValueError(msg)


def view_to_actual(adata: AnnData) -> None:
    """Make a view an AnnData of its own (its parent is left as it is)."""
    if adata.is_view:
        adata._init_as_actual(adata.copy())


def stats_names(layer: str | None, op: str) -> tuple[str, str, str]:
    """``.var`` columns of the mean and std and ``.uns`` key of pp ``op`` on ``layer``.

    ``.X``: ``'mean'``, ``'std'``, ``op`` (scanpy's names). A layer: ``'{layer}_mean'``,
    ``'{layer}_std'``, ``'{layer}_{op}'``, so transforming a layer never overwrites the
    statistics that undo the transform of ``.X``.
    """
    if layer is None:
        return "mean", "std", op
    return f"{layer}_mean", f"{layer}_std", f"{layer}_{op}"


def record_of(adata: AnnData, op: str, layer: str | None = None):
    """The record of pp ``op`` of ``layer`` (``.X`` for ``None``), if it describes that matrix.

    ``.uns[op]`` for ``.X``, ``.uns[f'{layer}_{op}']`` for a layer; records name their layer.
    """
    record = adata.uns.get(stats_names(layer, op)[2])
    if hasattr(record, "get") and record.get("layer", "X") == (layer or "X"):
        return record
    return None


def undo_of(adata: AnnData, layer: str | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """``(std, offset)`` with ``values * std + offset`` the values before pp.center/pp.scale.

    ``values`` are ``.X`` (``layer=None``) or ``.layers[layer]``, whose statistics are
    ``.var['{layer}_mean']``/``['{layer}_std']`` (:func:`stats_names`). ``None`` when neither
    transformed the matrix (or their ``.var`` statistics are gone). ``offset`` is the mean
    when means were subtracted (``pp.center``, or ``pp.scale`` with ``zero_center``), else 0;
    ``std`` is the standard deviation after ``pp.scale``, else 1.
    """
    scaled = record_of(adata, "scale", layer)
    centred = record_of(adata, "center", layer)
    if scaled is None and centred is None:
        return None
    mean_name, std_name, _ = stats_names(layer, "scale")
    needed = {mean_name, std_name} if scaled is not None else {mean_name}
    if not needed <= set(adata.var.columns):
        return None
    ones = np.ones(adata.n_vars)
    std = adata.var[std_name].to_numpy(dtype=np.float64) if scaled is not None else ones
    subtracted = centred is not None or bool(scaled.get("zero_center", True))
    offset = adata.var[mean_name].to_numpy(dtype=np.float64) if subtracted else 0.0 * ones
    return std, offset


def is_clipped(adata: AnnData, layer: str | None = None) -> bool:
    """Whether ``layer`` (``.X``) holds z-scores clipped by ``pp.scale(max_value=...)``."""
    record = record_of(adata, "scale", layer) or {}
    return record.get("max_value", "none") != "none"


def expression_matrix(adata: AnnData, *, layer: str | None, caller: str) -> np.ndarray:
    """Expression values on their own scale: ``.X`` or ``layer`` with pp.center/scale undone.

    After :func:`gexclust.pp.center` or :func:`gexclust.pp.scale` of the matrix (their
    records in ``.uns`` and statistics in ``.var``: ``'mean'``, ``'std'`` for ``.X``,
    ``'{layer}_mean'``, ``'{layer}_std'`` for a layer), ``values * std + mean`` gives back the
    values before them (both functions keep the statistics of the whole transform when
    applied in turn), so differences of means stay log2 fold changes. Clipped z-scores cannot
    be undone: they are used as they are, with a logged warning. The transforms of one matrix
    do not concern another.
    """
    X = float_matrix(get_matrix(adata, layer=layer, caller=caller))
    if is_clipped(adata, layer):  # whether or not .var still has mean and std
        where = matrix_name(layer)
        logger.warning(
            "%s: %s holds z-scores clipped by pp.scale(max_value=%s), which cannot be undone; "
            "using them as they are (no log2 fold changes: NaN, and 'diff' in standard "
            "deviations; pass layer= with the expression values)", caller, where,
            record_of(adata, "scale", layer)["max_value"],
        )
        return X
    undo = undo_of(adata, layer)
    if undo is None:
        return X
    std, offset = undo
    return X * std.astype(X.dtype) + offset.astype(X.dtype)
