"""Genes that tell groups (clusters) apart: one-vs-rest Welch t-tests, as scanpy's ``t-test``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from numbers import Integral
from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from .._api import named
from .._checks import check_choice
from .._labels import check_gene_symbols, check_labels
from .._logging import logger
from .._palette import as_categorical, label_codes
from .._utils import (
    as_dense,
    columns_have_unit_sd,
    expression_matrix,
    float_matrix,
    is_clipped,
    matrix_name,
    refuse_missing,
    view_to_actual,
)
from ._tree_access import refuse_other_result, refuse_tree_key

COLUMNS = ["group", "rank", "direction", "gene", "gene_symbol", "score", "mean_group",
           "mean_rest", "diff", "logfoldchange", "pval", "pval_adj"]


@named("tl.markers")
def markers(
    adata: AnnData,
    *,
    groupby: str = "cluster",
    n_genes: int = 10,
    layer: str | None = None,
    use_raw: bool | None = None,
    direction: Literal["up", "down", "both"] = "up",
    gene_symbols: str | None = "gene_symbol",
    key_added: str = "markers",
    inplace: bool = True,
) -> pd.DataFrame | None:
    """Rank genes for each group against all other samples by Welch's t-test.

    The statistics are those of ``sc.tl.rank_genes_groups(adata, groupby, method='t-test')``:
    Welch's t (unequal variances, ``ddof=1``), its two-sided p-value, and p-values adjusted by
    Benjamini-Hochberg over all genes within each group. Genes up in a group are ranked by
    decreasing t, genes down by increasing t. A group of one sample (or a rest of one) has no
    variance of its own, which Welch's t needs (scanpy refuses it): it gets Student's t with
    the variance pooled, for one sample against the rest Crawford & Howell's single-case test.
    A missing (or infinite) value in the matrix read is refused with a ``ValueError`` naming
    its gene and sample: its gene would get no t and a p-value of 1 ("no difference").

    Parameters
    ----------
    adata
        Annotated data matrix, ideally log2 expression.
    groupby
        ``.obs`` column with the groups (categorical, plain strings, or whole numbers such as
        batch 1, 2, 3). Samples without a group (NaN, or a blank label such as an empty CSV
        field) are left out of every comparison (scanpy counts them in each rest, so there
        its statistics differ). Numbers with fractions (RIN), or with more
        distinct values than half the samples (ages in years), are refused, naming the
        column: each value would be a group of its own; bin them first.
    n_genes
        Number of genes kept per group (and per direction).
    layer
        Use this layer. By default ``.X``, with :func:`~gexclust.pp.scale` undone when it
        z-scored ``.X`` (``.X * .var['std'] + .var['mean']``; a layer it z-scored with
        ``layer=``, by ``.var['{layer}_std']`` and ``['{layer}_mean']``), so fold changes are
        of expression, not of z-scores (the t statistic is the same either way).
    use_raw
        Use ``.raw`` (all its genes), as scanpy's ``rank_genes_groups``: ``None`` (default)
        uses it when ``adata`` has a ``.raw`` and no ``layer`` is given, so on scanpy data
        (log-normalised values in ``.raw``, scaled ``.X``) the numbers are scanpy's. Its
        fold changes are scanpy's too: ``.raw`` holds ``sc.pp.log1p`` values in the base of
        ``.uns['log1p']`` (natural log without one); unless its values look linear (a
        ``.raw`` set before the data were logged, judged as :func:`~gexclust.pp.log2`
        judges them): then they are log2 ratios of its means, with a logged warning. A
        ``.raw`` of z-scores (``adata.raw = adata`` after scaling) has no fold changes: NaN,
        with a logged warning, as for such a ``.X``.
        ``True`` without a ``.raw``, or with a ``layer``, is refused as scanpy refuses it.
    direction
        ``'up'`` (genes higher in the group), ``'down'`` (lower) or ``'both'``. As in
        scanpy's ``rank_genes_groups``, the ``n_genes`` of highest (lowest) score are listed
        whatever its sign: a group with fewer genes higher than the rest than ``n_genes``
        (one lower than the rest in nearly every gene) lists lower ones too, with a negative
        ``score`` and ``diff``; read the sign before calling a gene a marker.
    gene_symbols
        ``.var`` column with gene symbols, copied to the ``gene_symbol`` column (empty when
        the default column is absent; another name that is no column is refused); for probes
        with several symbols (``A /// B``) the first.
    key_added
        Key in ``.uns`` for the table. A key holding anything but an earlier
        result of this function (a column's record or colours, another tool's result) is
        refused.
    inplace
        Store the table in ``.uns[key_added]`` and return ``None`` (as scanpy's
        ``rank_genes_groups``); ``False`` returns the table and leaves ``adata`` unchanged.

    Returns
    -------
    ``None`` when ``inplace`` (the table is written to ``.uns[key_added]``), else the table: a
    DataFrame with one row per (group, direction, rank): ``group``, ``rank``, ``direction``,
    ``gene`` (var name), ``gene_symbol``, ``score`` (Welch t), ``mean_group``, ``mean_rest``,
    ``diff`` (``mean_group - mean_rest``), ``logfoldchange`` (log2 fold change, see below),
    ``pval`` and ``pval_adj``.

    On log2 expression (data :func:`~gexclust.pp.log2` transformed, or arrays already on a log
    scale) the log2 fold change is ``diff``: the log2 ratio of the groups' geometric means. On
    data logged by scanpy's ``sc.pp.log1p`` (``.uns['log1p']`` with a base other than 2;
    ``None`` is the natural log) it is scanpy's:
    ``log2((expm1(mean_group) + 1e-9) / (expm1(mean_rest) + 1e-9))``, in the data's base.
    Those records describe ``.X`` (``pp.log2``'s ``.uns['{layer}_log2']`` a ``layer``);
    scanpy's is not believed for values that look linear (a ``.X`` replaced by counts after
    ``sc.pp.log1p``: a logged warning says so). A ``layer`` without a record of its own whose
    values look logged and are all >= 0, beside scanpy's ``.uns['log1p']``, is read as
    ``sc.pp.log1p`` values in its base, as scanpy reads it (``layers['log1p']`` kept before
    ``sc.pp.scale``). A
    matrix without a record is judged by its values: linear values (GEO2R's rule, or values
    >= 0 spanning more than 50: raw or normalised UMI counts; or whole numbers >= 0 whose
    first quartile is 0 or 1, up to at least 2: shallow counts; or values >= 0 whose rows are
    whole multiples of their smallest value above 0: shallow counts normalised per cell) give
    ``log2((mean_group + 1e-9) / (mean_rest + 1e-9))``, the others ``diff``. z-scores that
    nothing records how to undo (every gene with standard deviation 1: ``sc.pp.scale``, or
    ``.var['mean']``/``['std']`` overwritten after :func:`~gexclust.pp.scale`), and
    z-scores clipped by ``pp.scale(max_value=...)``, have no fold changes:
    ``logfoldchange`` is NaN, with a logged warning. So is the fold change of a gene whose
    mean in the group or the rest is below 0 on linear values (MAS 4.0 average differences)
    or on values read as ``sc.pp.log1p``'s (a ``.raw`` of centred values): a ratio with a
    negative mean is no fold change; one logged warning names the matrix (``.raw.X``, the
    layer) and the number of such genes. Rank log2 values (a layer of
    :func:`~gexclust.pp.log2`, which floors values below 0) for a fold change of every gene.

    Raises
    ------
    ValueError
        When fewer than two groups have samples (one cluster): markers rank each group
        against the rest, and one group has no rest (scanpy's ``rank_genes_groups`` returns
        meaningless rows with a ``RuntimeWarning`` there; :func:`~gexclust.pl.markers` refuses
        it too); when ``n_genes`` is not a positive whole number (as the plots refuse it).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> gx.pp.scale(adata)
    >>> table = gx.tl.markers(adata, groupby="type", n_genes=3, inplace=False)
    >>> table[["group", "gene", "gene_symbol"]].shape
    (15, 3)
    >>> bool((table["mean_group"] > 2).all())  # log2 expression, not z-scores
    True
    """
    check_choice("direction", direction, ("up", "down", "both"))
    if inplace:
        refuse_tree_key(adata, key_added, caller="tl.markers")
        refuse_other_result(adata, key_added, own="pval_adj", caller="tl.markers")
    check_n_genes(n_genes, caller="tl.markers")
    ranked = ranked_markers(adata, groupby=groupby, layer=layer, use_raw=use_raw,
                            caller="tl.markers", gene_symbols=gene_symbols)
    if ranked.n_ranked < 2:  # one group (or none) has samples: there is no rest to rank it against
        msg = (f"tl.markers: {groupby!r} needs at least 2 groups with samples to rank markers "
               "(each group against the rest); it has "
               f"{_groups_with_samples(adata.obs[groupby])}")
        raise ValueError(msg)
    table = ranked.table(n_genes=n_genes, direction=direction, gene_symbols=gene_symbols,
                         caller="tl.markers")
    if not inplace:
        return table
    view_to_actual(adata)  # as scanpy: a view becomes an AnnData of its own, without a warning
    adata.uns[key_added] = table
    return None


def _groups_with_samples(column) -> str:
    """'one group, '1'' or 'none' (labelled groups of ``column``), for messages."""
    present = pd.unique(as_categorical(column)[label_codes(column) >= 0].astype(str))
    if len(present) == 0:
        return "none (no sample has a label)"
    return f"one, '{present[0]}'"


@dataclass
class Ranked:
    """Every group tested against the rest once, with the values it was tested on.

    The tables of :func:`markers` and of the plots are read from it (:meth:`table`), so a
    run that draws markers twice and lists them in its report reads, judges and tests the
    matrix once.
    """

    values: MarkerValues
    groups: pd.Categorical
    codes: np.ndarray  # group code per sample, -1 without one
    stats: list  # per group code: all_vs_rest's statistics and 'logfoldchange' (None: empty)

    @property
    def n_ranked(self) -> int:
        """Groups ranked against a rest: 0 when fewer than two groups have samples."""
        return sum(stats is not None for stats in self.stats)

    def table(self, *, n_genes: int, direction: str, gene_symbols: str | None,
              caller: str) -> pd.DataFrame:
        """The top ``n_genes`` of each group (and direction), as :func:`markers` returns them."""
        check_gene_symbols(self.values.var, gene_symbols, caller=caller,
                           where=".raw.var" if self.values.source == ".raw" else ".var")
        directions = ("up", "down") if direction == "both" else (direction,)
        picks = [(str(group), way, stats,
                  np.argsort(-stats["score"] if way == "up" else stats["score"],
                             kind="stable")[:n_genes])
                 for group, stats in zip(self.groups.categories, self.stats, strict=True)
                 if stats is not None for way in directions]
        if not picks:
            return pd.DataFrame(columns=COLUMNS)
        # one frame from whole columns: a frame per group and direction, grown a column at a
        # time, took 5 of the 7 ms of the example's table (4 clusters, up and down)
        sizes = [len(order) for *_, order in picks]
        rows = np.concatenate([order for *_, order in picks])
        columns = {
            "group": np.repeat(np.array([group for group, *_ in picks], dtype=object), sizes),
            "rank": np.concatenate([np.arange(size) for size in sizes]),
            "direction": np.repeat(np.array([way for _, way, *_ in picks], dtype=object), sizes),
            "gene": self.values.var.index[rows].astype(str),
            "gene_symbol": _symbols(self.values.var.iloc[rows], gene_symbols),
        }
        for key in picks[0][2]:
            columns[key] = np.concatenate([stats[key][order] for _, _, stats, order in picks])
        return pd.DataFrame(columns)[COLUMNS]


def no_groupby_column(adata: AnnData, groupby: str, *, caller: str) -> str:
    """The error for a ``groupby`` missing from ``.obs``: the default one is made by a cut."""
    msg = f"{caller}: no column {groupby!r} in .obs; available: {list(adata.obs.columns)}"
    if groupby == "cluster":  # the default: a newcomer who skipped tl.cut lands here
        msg += "; run gexclust.tl.cut(adata) to make it"
    return msg


def check_n_genes(n_genes, *, caller: str) -> None:
    """Refuse an ``n_genes`` (per group) that is not a positive whole number."""
    if isinstance(n_genes, bool) or not isinstance(n_genes, Integral) or n_genes < 1:
        msg = (f"{caller}: n_genes must be a positive whole number (of genes per group), "
               f"got {n_genes!r}")
        raise ValueError(msg)


def ranked_markers(adata: AnnData, *, groupby: str, layer: str | None, use_raw: bool | None,
                   caller: str, gene_symbols: str | None = None) -> Ranked:
    """Each group of ``groupby`` against the rest, as :func:`markers` tests them.

    ``gene_symbols``, the column the caller's table will read, is checked before the
    testing: a typo is refused at once, not after every group was tested (or after another
    refusal, such as one group only).
    """
    if groupby not in adata.obs:
        raise KeyError(no_groupby_column(adata, groupby, caller=caller))
    check_labels(adata.obs[groupby], key=groupby, caller=caller)
    values = marker_values(adata, layer=layer, use_raw=use_raw, caller=caller)
    check_gene_symbols(values.var, gene_symbols, caller=caller,
                       where=".raw.var" if values.source == ".raw" else ".var")
    groups = as_categorical(adata.obs[groupby])
    codes = label_codes(adata.obs[groupby])  # NaN and blank ('') labels: -1, left out
    stats_of = [
        None if stats is None else
        {**stats, "logfoldchange": log2_fold_change(stats["mean_group"], stats["mean_rest"],
                                                    values.scale)}
        for stats in all_vs_rest(values.X, codes, len(groups.categories))
    ]
    warn_undefined_fold_changes(values, stats_of, caller=caller)
    return Ranked(values, groups, codes, stats_of)


@dataclass
class MarkerValues:
    """The matrix markers are ranked on, its genes (``var``) and its scale for fold changes."""

    X: np.ndarray
    var: pd.DataFrame
    scale: tuple
    source: str


def marker_values(adata: AnnData, *, layer: str | None, use_raw: bool | None,
                  caller: str) -> MarkerValues:
    """``.raw``, a layer or ``.X`` (pp.scale undone), as :func:`markers` reads them.

    ``use_raw`` follows scanpy's ``rank_genes_groups``; see :func:`markers`.
    """
    if use_raw is None:
        use_raw = layer is None and adata.raw is not None
    if use_raw and adata.raw is None:
        msg = f"{caller}: use_raw=True, but adata has no .raw; pass use_raw=False (or None)"
        raise ValueError(msg)
    if use_raw and layer is not None:
        msg = f"{caller}: pass either layer={layer!r} or use_raw=True, not both"
        raise ValueError(msg)
    if use_raw:
        # scanpy keeps .raw sparse (pbmc68k_reduced's), and the dense copy is temporary and
        # gives the same numbers: a warning on every marker figure of such an object asked
        # nothing of the user, so it is said at INFO (a copy too large is still refused)
        X = float_matrix(as_dense(adata.raw.X, what=".raw.X", caller=caller,
                                  level=logging.INFO))
        refuse_missing(X, adata.raw, caller=caller, where=".raw.X")
        if columns_have_unit_sd(X):  # adata.raw = adata after scaling: not log1p values
            _say_z_scores(caller, ".raw.X")
            return MarkerValues(X, adata.raw.var, ("z-scores", None), ".raw")
        return MarkerValues(X, adata.raw.var, raw_scale(adata, X, caller=caller), ".raw")
    X = expression_matrix(adata, layer=layer, caller=caller)
    # as .raw's above: a NaN made a gene's t NaN and its p-value 1.0 ("no difference")
    where = matrix_name(layer)
    refuse_missing(X, adata, caller=caller, where=where)
    if is_clipped(adata, layer):  # expression_matrix has said so
        return MarkerValues(X, adata.var, ("z-scores", None), where)
    if columns_have_unit_sd(X):
        _say_z_scores(caller, where)
        return MarkerValues(X, adata.var, ("z-scores", None), where)
    return MarkerValues(X, adata.var, fold_change_scale(adata, X, layer, caller=caller), where)


def _say_z_scores(caller: str, where: str) -> None:
    """Warn that ``where`` holds z-scores nothing can undo: no fold changes, 'diff' in SD."""
    logger.warning(
        "%s: every gene of %s has standard deviation 1 (z-scores, e.g. of sc.pp.scale) "
        "and nothing records how to undo the scaling, so the log2 fold changes are NaN "
        "and 'diff' is in standard deviations; keep the expression values in .raw or a "
        "layer (layer=) for fold changes", caller, where)


def one_vs_rest(X: np.ndarray, codes: np.ndarray, code: int) -> dict[str, np.ndarray] | None:
    """Welch t statistics of group ``code`` against every other labelled sample, per gene.

    Student's t (pooled variance) where the group or the rest is one sample, which has no
    variance of its own. ``None`` when the group or the rest is empty. Keys: ``score``,
    ``mean_group``, ``mean_rest``, ``diff``, ``pval``, ``pval_adj``. For every group at once, use
    :func:`all_vs_rest` (one pass over ``X``, not one per group).
    """
    n_groups = max(int(code), int(np.max(codes, initial=-1))) + 1
    return all_vs_rest(X, codes, n_groups)[code]


def all_vs_rest(X: np.ndarray, codes: np.ndarray,
                n_groups: int) -> list[dict[str, np.ndarray] | None]:
    """:func:`one_vs_rest` of each group ``0 .. n_groups - 1``, from one pass over ``X``.

    Each group's mean and sum of squared deviations come from its own rows (two-pass, as
    ``numpy.var``); the rest's are combined from the other groups' (the exact decomposition
    of a sum of squares into within and between groups, Chan et al. 1979). So ``X`` is read
    once, not once per group as a copy of its rest: 100,000 cells x 2,000 genes in 10 groups
    went from about 30 s and 2.3 GB beyond ``X`` to a few seconds and one group's rows.
    Unlabelled samples (code -1) are in no group and no rest.
    """
    codes = np.asarray(codes)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    sizes = np.diff(bounds)
    means = np.zeros((n_groups, X.shape[1]))
    m2 = np.zeros((n_groups, X.shape[1]))
    for code in np.flatnonzero(sizes):
        # float64 statistics of float32 data (scanpy's too): in float32, p-values underflow
        # to 0 below 1e-38 and lose their digits well before
        rows = X[order[bounds[code]:bounds[code + 1]]]
        means[code] = rows.mean(axis=0, dtype=np.float64)
        m2[code] = rows.var(axis=0, dtype=np.float64) * len(rows)
    return [_against_rest(code, sizes, means, m2) if sizes[code] else None
            for code in range(n_groups)]


def _against_rest(code: int, sizes, means, m2) -> dict[str, np.ndarray] | None:
    """Welch statistics of group ``code`` against all other groups, from their moments."""
    others = np.flatnonzero(sizes)
    others = others[others != code]
    if len(others) == 0:
        return None
    n_a, mean_a = int(sizes[code]), means[code]
    n_b = int(sizes[others].sum())
    mean_b = sizes[others] @ means[others] / n_b
    m2_b = m2[others].sum(axis=0) + sizes[others] @ (means[others] - mean_b) ** 2
    diff = mean_a - mean_b
    if min(n_a, n_b) > 1:
        var_a, var_b = m2[code] / (n_a - 1), m2_b / (n_b - 1)
        pval = welch_pvalue(diff, var_a, n_a, var_b, n_b)
        se = np.sqrt(var_a / n_a + var_b / n_b)
    else:
        # one sample has no variance of its own, so Welch's t is undefined (it took it as
        # 0: a singleton cluster's t was sqrt(n_rest + 1) times too large). Student's t
        # pools the variance instead: for one sample against n, Crawford & Howell's test
        # of a single case; with two samples in all it is undefined (p NaN, then 1).
        pval, se = pooled_t(diff, m2[code], n_a, m2_b, n_b)
    pval = np.where(np.isnan(pval), 1.0, pval)  # constant genes: no evidence (as scanpy)
    # a floor on the standard error keeps constant genes from giving infinite scores; it is
    # relative to the gene's values, so that the score (Welch's t) does not depend on their
    # unit (a fixed 1e-6 made every score of values x 1e-7 diff x 1e6) and the rounding of
    # the means of a constant gene (~1e-16 of them) gives a score near 0
    floor = 1e-12 * np.maximum(np.maximum(np.abs(mean_a), np.abs(mean_b)),
                               np.finfo(np.float64).tiny)
    se = np.maximum(se, floor)
    return {"score": diff / se, "mean_group": mean_a, "mean_rest": mean_b, "diff": diff,
            "pval": pval, "pval_adj": benjamini_hochberg(pval)}


def pooled_t(diff, m2_a, n_a: int, m2_b, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided p-value and standard error of Student's t test (pooled variance).

    ``scipy.stats.ttest_ind(equal_var=True)``'s, from the groups' sums of squared
    deviations ``m2_a``, ``m2_b``. NaN p-values where the variance is zero or undefined.
    """
    from scipy.special import stdtr

    df = n_a + n_b - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = (m2_a + m2_b) / df if df > 0 else np.full(np.shape(diff), np.nan)
        se = np.sqrt(variance * (1 / n_a + 1 / n_b))
        t = diff / se
        pval = 2.0 * stdtr(df, -np.abs(t)) if df > 0 else np.full(np.shape(diff), np.nan)
    return pval, np.where(np.isnan(se), 0.0, se)


def welch_pvalue(diff, var_a, n_a: int, var_b, n_b: int) -> np.ndarray:
    """Two-sided p-value of Welch's t test (``scipy.stats.ttest_ind_from_stats``'s).

    With the Welch-Satterthwaite degrees of freedom; NaN where both variances are zero and the
    means equal. Uses ``scipy.special`` directly: importing
    ``scipy.stats`` costs ~0.3 s of every ``gexclust run``.
    """
    from scipy.special import stdtr

    with np.errstate(divide="ignore", invalid="ignore"):
        share_a, share_b = var_a / n_a, var_b / n_b
        df = (share_a + share_b) ** 2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
        # undefined only where both variances are zero; as scipy, any finite value serves
        # there (the t statistic decides)
        df = np.where(np.isnan(df), 1.0, df)
        t = diff / np.sqrt(share_a + share_b)
        return 2.0 * stdtr(df, -np.abs(t))


def benjamini_hochberg(pval: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``'s)."""
    m = len(pval)
    order = np.argsort(pval, kind="stable")
    scaled = pval[order] * m / np.arange(1, m + 1)
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted


def raw_scale(adata: AnnData, X: np.ndarray, *, caller: str):
    """What the values of ``.raw`` (``X``) are, for log2 fold changes.

    scanpy's reading: ``sc.pp.log1p`` values in the base of ``.uns['log1p']`` (``None`` = e).
    But a ``.raw`` set before any log (``adata.raw = adata`` on MAS 5.0 signal or counts,
    then ``pp.log2``, whose record is of ``.X``) holds linear values, whose ``expm1`` is inf:
    values that look linear are taken as linear (:func:`unlogged`).
    """
    if unlogged(X, where=".raw", caller=caller):
        return "linear", None
    log1p = adata.uns.get("log1p")
    base = log1p.get("base", None) if hasattr(log1p, "get") else None
    return "log1p", base


def unlogged(X: np.ndarray, *, where: str, caller: str) -> bool:
    """Whether ``X``, read as log values by scanpy's convention, looks linear (with a warning).

    Judged as :func:`~gexclust.pp.log2` judges (no log scale spans more than 50).
    """
    from ..pp._log2 import looks_linear

    scale = looks_linear(X)
    if scale.linear:
        q = scale.quantiles
        advice = "; pass use_raw=False to rank the values of .X" if where == ".raw" else ""
        logger.warning(
            "%s: %s holds values not logged (q99=%.4g, max=%.4g: e.g. kept before pp.log2 or "
            "sc.pp.log1p, whose record .uns['log1p'] is of the logged .X); markers are ranked "
            "on them and fold changes are log2 ratios of their means%s", caller, where,
            q["q99"], q["q100"], advice)
    return scale.linear


def fold_change_scale(adata: AnnData, X: np.ndarray, layer: str | None, *,
                      caller: str = "tl.markers"):
    """What the values in ``X`` are, for log2 fold changes (see :func:`markers`).

    ``('log2', None)``, ``('log1p', base)`` (scanpy's ``sc.pp.log1p``; ``None`` = natural log)
    or ``('linear', None)``. The records in ``.uns`` (``'log2'`` and ``'{layer}_log2'`` of
    :func:`~gexclust.pp.log2`, scanpy's ``'log1p'``) are used only for the matrix they
    describe (scanpy's only while its values look logged: :func:`unlogged`); a matrix without
    one is
    judged by its values: linear by GEO2R's rule, or values >= 0 spanning more than 50
    (counts, normalised or not), or shallow counts (:func:`~gexclust.pp._log2.looks_like_counts`),
    normalised per row or not (:func:`~gexclust.pp._log2.looks_normalised`); else, for a
    layer of values >= 0 beside scanpy's ``.uns['log1p']``, scanpy's reading of it; else log2.
    """
    from ..pp._log2 import log2_record, looks_linear

    record = log2_record(adata, layer)
    if record is not None and record.get("applied"):
        return "log2", None
    log1p = adata.uns.get("log1p")
    if layer is None and hasattr(log1p, "get"):
        if unlogged(X, where=".X", caller=caller):  # it has judged X: not judged again below
            return "linear", None
        return _log1p_scale(log1p)
    # no record: counts or linear values would give differences of raw means, not log ratios
    if looks_linear(X).linear:
        return "linear", None
    if hasattr(log1p, "get") and X.size and np.min(X) >= 0:
        # a logged layer beside scanpy's record (layers['log1p'] = adata.X.copy() before
        # sc.pp.scale): sc.pp.log1p values, as scanpy's rank_genes_groups reads them
        return _log1p_scale(log1p)
    return "log2", None


def _log1p_scale(log1p) -> tuple[str, float | None]:
    """The scale of values logged as scanpy's ``.uns['log1p']`` record says (base 2: log2)."""
    base = log1p.get("base", None)
    return ("log2", None) if base == 2 else ("log1p", base)


def scale_is_judged(adata: AnnData, values: MarkerValues, layer: str | None) -> bool:
    """Whether ``values`` are taken for log2 by their look alone, with no record saying so.

    Their differences of means are then log2 fold changes only if the input was log2 (an array
    series may be log10 or natural-log values, which gexclust cannot tell apart); a record of
    :func:`~gexclust.pp.log2` that applied the log, or scanpy's ``.uns['log1p']`` of base 2
    for ``.X``, says they are.
    """
    from ..pp._log2 import log2_record

    if values.scale[0] != "log2":
        return False
    if values.source == ".raw":
        return True
    record = log2_record(adata, layer)
    if record is not None and record.get("applied"):
        return False
    log1p = adata.uns.get("log1p")
    return not (layer is None and hasattr(log1p, "get") and log1p.get("base", None) == 2)


def log2_fold_change(mean_group: np.ndarray, mean_rest: np.ndarray, scale) -> np.ndarray:
    """log2 fold change of group means on the data's ``scale`` (:func:`fold_change_scale`)."""
    kind, base = scale
    if kind == "z-scores":  # the scale of the expression values is lost
        return np.full(np.shape(mean_group), np.nan)
    if kind == "log2":
        return mean_group - mean_rest  # log2 values: a difference of means is a log2 ratio
    if kind == "linear":
        group, rest = mean_group, mean_rest
    else:
        factor = np.log(base) if base is not None else 1.0  # scanpy's sc.pp.log1p (natural log)
        group, rest = np.expm1(mean_group * factor), np.expm1(mean_rest * factor)
    # a ratio with a mean below 0 is no fold change: numpy's log2 gave NaN with a
    # RuntimeWarning where one was, and where both were a number of the wrong sign
    # (-100 against -50 read as 2-fold up)
    undefined = (np.asarray(mean_group) < 0) | (np.asarray(mean_rest) < 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.log2((group + 1e-9) / (rest + 1e-9))
    return np.where(undefined, np.nan, ratio)


def warn_undefined_fold_changes(values: MarkerValues, stats: list, *, caller: str) -> None:
    """Say, once, that fold changes are NaN where a group's mean is below 0 (see above)."""
    kind = values.scale[0]
    if kind not in ("linear", "log1p"):
        return
    undefined = [np.isnan(s["logfoldchange"]) for s in stats if s is not None]
    n_genes = int(np.logical_or.reduce(undefined).sum()) if undefined else 0
    if n_genes:
        where = ".raw.X" if values.source == ".raw" else values.source
        read_as = "linear values" if kind == "linear" else "sc.pp.log1p values"
        logger.warning(
            "%s: %s holds values below 0 (min %.4g), read as %s: a log2 ratio of means is "
            "undefined where a mean is below 0, so the log2 fold change of %d gene%s is NaN; "
            "for a fold change of every gene, rank log2 expression (layer=; pp.log2 floors "
            "values below 0)", caller, where, float(np.min(values.X)), read_as, n_genes,
            "" if n_genes == 1 else "s")


def _symbols(var: pd.DataFrame, column: str | None) -> np.ndarray:
    """The first symbol of each gene, '' for none, as ``pl`` labels it (no '---', '7157.0')."""
    if column is None or column not in var:
        return np.full(len(var), "", dtype=object)
    from .._labels import gene_texts

    return np.array([text.split(" /// ")[0].strip() for text in gene_texts(var[column])],
                    dtype=object)
