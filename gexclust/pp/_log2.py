"""log2 transform that only logs data not already on a log scale."""

from __future__ import annotations

from numbers import Real
from typing import NamedTuple

import numpy as np
from anndata import AnnData

from .._api import named
from .._logging import logger
from .._utils import (
    float_matrix,
    get_matrix,
    matrix_name,
    record_of,
    set_matrix,
    stats_names,
    view_to_actual,
)

QUANTILES = (0.0, 0.25, 0.5, 0.75, 0.99, 1.0)
GEO2R_RULE = ("geo2r: q99 > 100 or (max - min > 50 and q25 > 0); "
              "values >= 0 (counts, normalised counts) with max - min > 50; "
              "whole numbers >= 0 with q25 <= 1 and max >= 2 (counts); "
              "values >= 0 whose rows are whole multiples of their smallest "
              "value above 0, not mostly one value (counts normalised per row: "
              "sc.pp.normalize_total)")


class Scale(NamedTuple):
    """What the values of a matrix look like: see :func:`looks_linear`."""

    linear: bool  # not yet logged: GEO2R's rule, or values >= 0 spanning more than 50
    quantiles: dict[str, float]
    counts: bool  # whole numbers >= 0 spanning more than 50, or shallow (looks_like_counts)
    geo2r: bool  # linear by GEO2R's rule itself
    normalised: bool = False  # counts scaled per row (looks_normalised), spanning 50 or less


#: Beyond this many values (16.8 million: 100,000 cells x 168 genes), the quartiles and q99
#: come from a seeded sample of rows of about :data:`SAMPLE_VALUES` values (a copy of those,
#: not of the whole matrix); min and max stay exact.
SAMPLE_ABOVE = 1 << 24
SAMPLE_VALUES = 1 << 22


def looks_linear(X: np.ndarray) -> Scale:
    """Decide, with GEO2R's rule, whether ``X`` is on a linear (not yet logged) scale.

    With quantiles ``q`` over all finite values, the data are linear when ``q99 > 100``, or when
    ``max - min > 50`` and ``q25 > 0``; or when ``max - min > 50`` and none is negative:
    counts or normalised counts (``sc.pp.normalize_total``), which GEO2R's rule, made for
    arrays, misses when a quarter or more of them are 0 (as in single cells). No log scale
    spans more than 50 (a ratio of 2**50). Counts of a shallow matrix can span less (UMIs up
    to 17 per gene and cell): whole numbers >= 0 of which a quarter or more are 0 or 1, up to
    at least 2, are counts too (log values are not whole numbers; log2 values rounded to
    them have a first quartile far above 1). So are such counts normalised per row, which
    span 50 or less too (``sc.pp.normalize_total`` with its default target, the median
    count per cell, on cells of a few hundred UMIs): values >= 0 whose rows are whole
    multiples of their smallest value above 0 (:func:`looks_normalised`;
    logged values are not: ``log1p(2 s) / log1p(s)`` is no whole number). Returns the
    decision, the quantiles used, whether the values are counts (:func:`looks_like_counts`),
    whether GEO2R's rule itself called them linear and whether they are counts normalised per
    row. A matrix of more than :data:`SAMPLE_ABOVE` values (100,000 cells x 168 genes) has its
    quartiles and q99 taken from a seeded sample of its rows, so that it is not copied whole;
    min, max and the whole-number check see every value, the check for normalised counts the
    sampled rows.
    """
    X = np.asarray(X)
    if X.ndim == 2 and X.size > SAMPLE_ABOVE:
        q, counts = _sampled_quantiles(X)
    else:
        finite = X.ravel() if np.isfinite(X).all() else X[np.isfinite(X)]  # no copy if all are
        q = np.quantile(finite, QUANTILES) if finite.size else np.zeros(len(QUANTILES))
        counts = looks_like_counts(finite, low=q[0], high=q[5], q25=q[1])
    quantiles = {f"q{round(p * 100):d}": float(v) for p, v in zip(QUANTILES, q, strict=True)}
    wide = q[5] - q[0] > 50
    geo2r = bool(q[4] > 100 or (wide and q[1] > 0))
    linear = geo2r or bool(wide and q[0] >= 0) or counts
    # only data that would pass for logged are checked row by row
    normalised = bool(not linear and X.ndim == 2 and q[0] >= 0 and looks_normalised(X))
    return Scale(linear or normalised, quantiles, counts, geo2r, normalised)


#: How far (in units of a row's smallest value above 0) a normalised count may be from a
#: whole multiple of it (float32 rounding is 1e-5 at 100 units; log1p values are 0.01 off
#: when each count is 0.01, so they fail), and the largest multiple judged: beyond it every
#: value is within half a unit of one.
UNIT_TOLERANCE = 1e-3
MAX_UNITS = 100
#: Rows with a value other than their smallest, of which this share must be whole multiples
#: of it (a row whose smallest count is 2 is not: 3 counts are 1.5 units), and at least this
#: many of them.
ROW_SHARE = 0.9
MIN_ROWS = 5
#: The largest share of those rows that may have one and the same smallest value: each
#: cell has a factor of its own in ``sc.pp.normalize_total`` (its target over its total),
#: while values rounded to a fixed number of decimals (log2(TPM + 1) to 0.01, as GEO
#: series deposit them) are whole multiples of that one step in every row that holds it.
SHARED_UNIT = 0.5


def looks_normalised(X: np.ndarray) -> bool:
    """Whether the rows of ``X`` (values >= 0) are counts each scaled by a factor of its own.

    ``sc.pp.normalize_total`` divides each cell's counts by one number, so every value of a
    row is a whole multiple of the row's smallest value above 0 (one count, in shallow
    cells). Judged are the values of more than 1 and up to :data:`MAX_UNITS` such units: of
    the rows that have any, at least :data:`ROW_SHARE` (and :data:`MIN_ROWS`) must have
    them all whole multiples (within :data:`UNIT_TOLERANCE`), and some value must be no
    whole number (whole numbers are counts by :func:`looks_like_counts`, or not at all),
    and no more than :data:`SHARED_UNIT` of those rows may share one smallest value (values
    rounded to 0.01 are whole multiples of 0.01 in every row holding a 0.01).
    Logged counts fail
    (``log1p(2 s) / log1p(s)`` is 1.58 for ``s = 1``, 1.91 for ``s = 0.1``), and so do
    continuous values (arrays). The rows of a matrix of more than :data:`SAMPLE_ABOVE` values
    are the seeded sample :func:`_sampled_quantiles` draws; non-finite values count as 0.
    """
    if not X.size:
        return False
    rows = _sample_rows(X) if X.size > SAMPLE_ABOVE else np.arange(X.shape[0])
    step = max(1, (SAMPLE_VALUES >> 3) // max(X.shape[1], 1))  # 0.5 million values at a time
    n_judged = 0
    whole_units = []  # the smallest value above 0 of each row passing
    fractions = False  # whole numbers are counts or not by looks_like_counts, not scaled counts
    for start in range(0, rows.size, step):
        block = np.asarray(X[rows[start:start + step]], dtype=np.float64)
        block[~np.isfinite(block)] = 0
        fractions = fractions or not np.array_equal(block, np.round(block))
        unit = np.where(block > 0, block, np.inf).min(axis=1, keepdims=True)
        units = block / unit  # 0 in a row without values above 0 (its unit is inf)
        judged = (units > 1 + UNIT_TOLERANCE) & (units <= MAX_UNITS)
        off = judged & (np.abs(units - np.round(units)) > UNIT_TOLERANCE)
        has = judged.any(axis=1)
        n_judged += int(has.sum())
        whole_units.append(unit[has & ~off.any(axis=1), 0])
    units = np.concatenate(whole_units) if whole_units else np.empty(0)
    if not (fractions and n_judged >= MIN_ROWS and units.size >= ROW_SHARE * n_judged):
        return False
    return not _one_step(units)


def _one_step(units: np.ndarray) -> bool:
    """Whether more than :data:`SHARED_UNIT` of ``units`` are one value (a rounding step)."""
    steps = np.unique(units.astype(np.float32), return_counts=True)[1]  # float32: 1e-7 apart
    return bool(steps.max() > SHARED_UNIT * units.size)


def _sample_rows(X: np.ndarray) -> np.ndarray:
    """The rows of a large ``X`` that judge it: about :data:`SAMPLE_VALUES` values, seeded."""
    n_rows = min(X.shape[0], -(-SAMPLE_VALUES // max(X.shape[1], 1)))
    return np.sort(np.random.default_rng(0).choice(X.shape[0], n_rows, replace=False))


def _sampled_quantiles(X: np.ndarray) -> tuple[np.ndarray, bool]:
    """:data:`QUANTILES` of a large ``X`` (exact min and max) and whether it holds counts.

    One pass over blocks of rows finds the finite values' range and whether they are whole
    numbers (counts then as :func:`count_range` says); the quartiles and q99 come from
    ``SAMPLE_VALUES / n_columns`` rows drawn with a fixed seed, so the decision is the same
    on every call.
    """
    low, high, whole = np.inf, -np.inf, True
    step = max(1, SAMPLE_VALUES // max(X.shape[1], 1))  # rows per block: as many values
    for start in range(0, X.shape[0], step):
        block = X[start:start + step].ravel()
        block = block if np.isfinite(block).all() else block[np.isfinite(block)]
        if block.size:
            low, high = min(low, float(block.min())), max(high, float(block.max()))
            whole = whole and np.array_equal(block, np.round(block))
    if low > high:  # no finite value
        return np.zeros(len(QUANTILES)), False
    sample = X[_sample_rows(X)].ravel()  # a copy of its own: partitioned in place by np.quantile
    if not np.isfinite(sample).all():
        sample = sample[np.isfinite(sample)]
    q = (np.quantile(sample, QUANTILES, overwrite_input=True) if sample.size
         else np.full(len(QUANTILES), low))
    q[0], q[-1] = low, high
    return q, bool(whole and count_range(low, high, q[1]))


def count_range(low: float, high: float, q25: float | None) -> bool:
    """Whether whole numbers from ``low`` to ``high`` (first quartile ``q25``) are counts.

    Counts are >= 0 and span more than 50, or (``q25`` given) a quarter or more are 0 or 1
    and the largest is at least 2: shallow counts (0/1 calls are no counts).
    """
    shallow = q25 is not None and q25 <= 1 and high >= 2
    return bool(low >= 0 and (high - low > 50 or shallow))


def looks_like_counts(values: np.ndarray, *, low: float, high: float,
                      q25: float | None = None) -> bool:
    """Whole numbers >= 0 (``low``, ``high``: their range; ``q25``: their first quartile): counts.

    Counts when they span more than 50, or when a quarter or more are 0 or 1 (``q25 <= 1``, as
    in single cells) and the largest is at least 2 (0/1 calls are no counts). Checked a million
    values at a time, stopping at the first fraction, so a large matrix needs no rounded copy
    of itself.
    """
    if not values.size or not count_range(low, high, q25):
        return False
    step = 1 << 20
    return all(np.array_equal(chunk, np.round(chunk))
               for chunk in (values[i:i + step] for i in range(0, values.size, step)))


@named("pp.log2")
def log2(
    adata: AnnData,
    *,
    auto: bool = True,
    floor: float = 1.0,
    layer: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Take log2 of the expression values, by default only if they are not logged already.

    A sparse matrix is densified with a logged warning (refused above 2 GiB); float32 stays
    float32.

    Parameters
    ----------
    adata
        Annotated data matrix.
    auto
        If True, apply the transform only when the data look linear by GEO2R's rule (quantiles
        over all values: ``q99 > 100``, or ``max - min > 50`` and ``q25 > 0``) or are values
        >= 0 spanning more than 50 (counts, or counts normalised by ``sc.pp.normalize_total``,
        which GEO2R's rule misses when a quarter or more are 0) or whole numbers >= 0 whose
        first quartile is 0 or 1, up to at least 2 (shallow counts, spanning less than 50)
        or values >= 0 whose rows are whole multiples of their smallest value above 0
        (shallow counts normalised per cell by ``sc.pp.normalize_total``, spanning 50 or
        less: logged with a warning, as the floor raises their values below it; see
        :func:`looks_normalised`); RMA/GCRMA data (already log2)
        are left alone while MAS 5.0 signal is logged. If False, always log. Counts are
        logged with a warning: they need normalising for sequencing depth first (scanpy's
        ``normalize_total`` and ``log1p``). Beyond 16.8 million values (100,000 cells x 168
        genes) the quartiles and q99 are those of a seeded sample of rows (4.2 million values;
        min and max exact), so the matrix is not copied to be judged.
    floor
        Values below ``floor`` are raised to it before logging, so zeros and the negative values
        of some MAS 5.0 files give ``log2(floor)`` instead of ``-inf``/NaN. Must be positive.
        Counts normalised per cell with values between 0 and ``floor`` (single counts of
        cells deeper than ``sc.pp.normalize_total``'s target, whatever their span) are
        logged with a warning naming how many such values become ``log2(floor)``, as zeros.
    layer
        Transform this layer instead of ``.X``.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.X`` (or the layer): ``log2(max(x, floor))`` if the transform was applied;
    - ``.uns['log2']`` (``.uns['{layer}_log2']`` for a layer, so the record of ``.X`` is
      kept, as :func:`~gexclust.pp.scale` keys its records): ``applied``, ``reason`` (why it
      was or was not applied), ``auto``, ``rule``, ``quantiles``, ``transform``
      (``'log2(max(x, floor))'``), ``floor``, ``n_floored`` (values raised to the floor),
      ``layer`` (the matrix it describes: ``'X'`` or the layer's name) and
      ``scanpy_log1p_base`` (what scanpy was told, see below; ``'none'`` when nothing was
      written);
    - ``.uns['log1p'] = {'base': 2}``, only when ``.X`` itself was transformed.

    Notes
    -----
    scanpy reads ``.uns['log1p']['base']`` to undo the log when it computes fold changes:
    ``sc.tl.rank_genes_groups`` reports ``log2((b**m1 - 1 + 1e-9) / (b**m2 - 1 + 1e-9))`` for
    group means ``m1``, ``m2``. These data are ``log2(max(x, floor))``, not ``log2(1 + x)``,
    so no ``base`` is exact; ``base=2`` gives ``m1 - m2`` (the true log2 fold change) up to
    the ``- 1`` terms, which matter only for means near 0 (unexpressed genes), where scanpy's
    fold changes come out larger in magnitude than ``m1 - m2``. Without a record scanpy would
    assume the natural log and report fold changes ``1/ln 2 = 1.44`` times too large. So
    ``{'base': 2}`` is written when ``.X`` is transformed, and only then: data judged
    already logged are left unrecorded, and an existing ``.uns['log1p']`` (e.g. from
    ``sc.pp.log1p``) is kept; when ``.X`` is transformed, a record there described the
    values before and is replaced, with a logged warning. For data that were
    log2-transformed before gexclust saw them (RMA, GCRMA), set
    ``adata.uns['log1p'] = {'base': 2}`` yourself before calling scanpy.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.log2(adata)
    >>> adata.uns["log2"]["applied"], "log1p" in adata.uns
    (False, False)
    """
    # a number above 0 (NaN refused too); a text ('1') was Python's "'>' not supported
    # between instances of 'str' and 'int'", and inf made every value inf
    if isinstance(floor, bool) or not isinstance(floor, Real) or not 0 < floor < np.inf:
        msg = (f"pp.log2: floor must be a positive number (values below it are raised to it; "
               f"default 1.0), got {floor!r}; 0 or less gives -inf or NaN")
        raise ValueError(msg)
    if copy:
        adata = adata.copy()
    X = float_matrix(get_matrix(adata, layer=layer, caller="pp.log2"))
    scale = looks_linear(X)
    quantiles = scale.quantiles
    apply = scale.linear or not auto
    counts = apply and scale.counts
    reason = _reason(scale, auto=auto, counts=counts)
    if counts:
        logger.warning(
            "pp.log2: the values are counts (whole numbers, max %g); log2(max(x, %g)) does "
            "not correct for sequencing depth; for counts use scanpy's sc.pp.normalize_total "
            "and sc.pp.log1p(adata, base=2) instead", quantiles["q100"], floor)
    n_floored = 0
    told_scanpy = None
    if apply:
        n_floored = int((floor > X).sum())
        _say_counts_floored(X, scale, floor)
        if scale.linear:  # values that look linear may be linear values centred here
            _say_centred(adata, X, layer=layer, floor=floor, n_floored=n_floored)
        if not scale.linear:  # auto=False on values the rule calls logged: said, not silent
            logger.warning(
                "pp.log2(auto=False): %s; logged again as asked, which sets the %d of %d "
                "values below the floor %g (%d negative) to %g",
                _reason(scale, auto=True, counts=False), n_floored, X.size, floor,
                int((X < 0).sum()), np.log2(floor))
        X = np.log2(np.maximum(X, floor))
        set_matrix(adata, X, layer=layer, caller="pp.log2")
        if layer is None:
            if "log1p" in adata.uns:  # it described the values before: replaced, and said
                logger.warning(
                    "pp.log2: .uns['log1p'] says .X was already log-transformed (%s); %s, and "
                    ".uns['log1p'] is now {'base': 2}", dict(adata.uns["log1p"]),
                    "its values look linear, so they were logged" if auto else
                    "logged again as asked (auto=False)",
                )
            adata.uns["log1p"] = {"base": 2}
            told_scanpy = 2
    view_to_actual(adata)  # values left as they are: the record alone makes a view its own
    adata.uns[stats_names(layer, "log2")[2]] = {
        "applied": apply,
        "reason": reason,
        "auto": auto,
        "rule": GEO2R_RULE,
        "quantiles": quantiles,
        "transform": "log2(max(x, floor))",
        "floor": floor,
        "n_floored": n_floored,
        "layer": layer or "X",
        "scanpy_log1p_base": "none" if told_scanpy is None else told_scanpy,
    }
    logger.info("pp.log2: %s (%s)", "applied" if apply else "skipped", reason)
    return adata if copy else None


def _say_counts_floored(X: np.ndarray, scale: Scale, floor: float) -> None:
    """Warn when counts normalised per row have values between 0 and ``floor`` (made 0).

    Those are a cell's single counts where it is deeper than ``sc.pp.normalize_total``'s
    target (0.33 for a cell of 30,000 UMIs normalised to 10,000): ``log2(max(x, floor))``
    gives them the value of the zeros. Said for shallow normalised counts (``scale.normalised``)
    and for those spanning more than 50, which are linear by their range alone.
    """
    n_between = int(((X > 0) & (floor > X)).sum())
    if not n_between:
        return
    if not scale.normalised and (scale.counts or scale.quantiles["q0"] < 0
                                 or not looks_normalised(X)):
        return
    logger.warning(
        "pp.log2: the values are counts normalised per row (max %g); log2(max(x, %g)) gives "
        "the %d values between 0 and %g the value of 0 (log2(%g)); sc.pp.log1p(adata, base=2) "
        "keeps them apart", scale.quantiles["q100"], floor, n_between, floor, floor)


def _say_centred(adata: AnnData, X: np.ndarray, *, layer: str | None, floor: float,
                 n_floored: int) -> None:
    """Warn when the values logged had their means subtracted by pp.center or pp.scale.

    Intensities centred on each gene's mean still pass GEO2R's rule (their q99 stays above
    100), and were logged with INFO only: 7,332 of 10,000 centred MAS5-like values went to
    log2(1) = 0. Their record, not the values, tells.
    """
    for op, done in (("center", "centred by pp.center"), ("scale", "z-scored by pp.scale")):
        record = record_of(adata, op, layer)
        if record is not None and record.get("zero_center", True):  # means subtracted
            logger.warning(
                "pp.log2: %s was %s (.uns[%r]), so its values are differences from each gene's "
                "mean, not intensities; log2(max(x, %g)) sets the %d of %d below the floor "
                "(%d negative) to %g; log2 the values before centring them",
                matrix_name(layer), done, stats_names(layer, op)[2], floor, n_floored, X.size,
                int((X < 0).sum()), np.log2(floor))
            return


def log2_record(adata: AnnData, layer: str | None = None) -> dict | None:
    """The record :func:`log2` wrote for ``.X`` (``layer=None``) or ``layer``, or ``None``.

    ``.uns['log2']`` for ``.X``, ``.uns['{layer}_log2']`` for a layer. Files written before
    records were keyed per layer kept one ``.uns['log2']`` for whichever matrix was logged
    last; its ``layer`` field says which, and it is used for that matrix only.
    """
    for key in dict.fromkeys((stats_names(layer, "log2")[2], "log2")):
        record = adata.uns.get(key)
        if hasattr(record, "get") and record.get("layer", "X") == (layer or "X"):
            return record
    return None


def _reason(scale: Scale, *, auto: bool, counts: bool) -> str:
    """Why the transform was or was not applied, in words."""
    if not auto:
        return "auto=False: always applied"
    q = scale.quantiles
    facts = f"q99={q['q99']:.4g}, max-min={q['q100'] - q['q0']:.4g}, q25={q['q25']:.4g}"
    if counts:
        return f"data look linear: whole numbers >= 0, counts ({facts})"
    if scale.geo2r:
        return f"data look linear by GEO2R's rule ({facts})"
    if scale.normalised:
        return ("data look linear: counts normalised per row, each row whole multiples of "
                f"its smallest value above 0 ({facts})")
    if scale.linear:
        return f"data look linear: values >= 0 spanning more than 50 ({facts})"
    if q["q0"] < 0:  # z-scored or centred (sc.pp.scale): "logged" alone would mislead
        return ("data look already logged or scaled: negative values, which intensities and "
                f"counts do not have ({facts})")
    return f"data look already logged by GEO2R's rule ({facts})"
