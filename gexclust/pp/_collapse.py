"""Collapsing probes to genes."""

from __future__ import annotations

from copy import deepcopy
from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from .._api import named
from .._checks import check_choice
from .._labels import gene_texts, is_no_gene
from .._logging import logger
from .._utils import (
    column_mean_sd,
    column_var,
    columns_have_unit_sd,
    float_matrix,
    get_matrix,
    layer_names,
    matrix_name,
    undo_of,
)

HOWS = ("max_mean", "max_var", "mean", "median")
MULTI = ("first", "drop", "expand")
SEPARATOR = " /// "


@named("pp.collapse_probes")
def collapse_probes(
    adata: AnnData,
    *,
    by: str = "gene_symbol",
    how: Literal["max_mean", "max_var", "mean", "median"] = "max_mean",
    multi: Literal["first", "drop", "expand"] = "first",
    drop_controls: bool = True,
    layer: str | None = None,
) -> AnnData:
    """Collapse probes to one column per gene.

    Parameters
    ----------
    adata
        Samples x probes with the gene of each probe in ``.var[by]``.
    by
        ``.var`` column naming the gene of each probe (e.g. ``'gene_symbol'``).
    how
        ``'max_mean'``: keep the probe with the highest mean expression (the usual choice for
        arrays, as WGCNA's ``collapseRows``); ``'max_var'``: the most variable probe;
        ``'mean'``/``'median'``: average the probes of a gene sample by sample. Missing
        values (NaN) are left out of a probe's mean and variance (WGCNA's ``na.rm=TRUE``)
        and of a sample's average: a gene's value in a sample is the mean (median) of those
        of its probes that have a value there, NaN only when none has (as limma's
        ``avereps``); the values kept stay missing where they were. Probes are averaged (and
        ranked) on the scale they are given: collapse log values, after
        :func:`~gexclust.pp.log2`, as the tutorials do. The log of a mean of linear values
        (MAS 5.0 signals) is not the mean of their logs (on GSE781 up to 5.8 log2 units apart),
        so averaging values that look linear is warned about in the log.
    multi
        Probes annotated with several genes (``'A /// B'``): ``'first'`` assigns them to the
        first gene listed (default), ``'drop'`` removes them, ``'expand'`` lets them count for
        every gene listed.
    drop_controls
        Remove Affymetrix control probes (ids starting with ``AFFX``). Probes without a gene
        are always removed: an empty or missing symbol, a missing-value text (``'nan'``,
        ``'NA'``) or Affymetrix's ``'---'``. Symbols are compared as written, after
        stripping blanks (``'a'`` and ``'A'`` are two genes).
    layer
        Collapse this layer instead of ``.X``. A ``.X`` centred or scaled by
        :func:`~gexclust.pp.center`/:func:`~gexclust.pp.scale` is refused (every probe mean
        is 0 there, so ``'max_mean'`` would pick probes at random): collapse first. So are
        values scaled elsewhere (every probe with standard deviation 1, e.g. by
        ``sc.pp.scale``) for ``'max_mean'`` and ``'max_var'``.

    Returns
    -------
    A new AnnData, samples x genes, with ``.obs``, ``.obsm``, ``.obsp``, ``.uns`` and ``.raw``
    copied (what describes the samples, as ``adata[:, genes]`` keeps it: an embedding such as
    ``X_umap`` and the neighbour graph stay), every layer collapsed as the values were (the
    probes kept, or their mean or median), ``.var_names`` the genes, ``.var['n_probes']``
    and ``.var['probes']`` (kept probe, or all averaged probes joined by ``;``), and
    ``.uns['collapse_probes']`` with the parameters (``by``, ``how``, ``multi``,
    ``drop_controls``) and counts (``n_probes_in``, ``n_probes_used``, ``n_genes``). With
    ``layer``, ``.X`` is that layer collapsed, and the records of transforms of the input's
    ``.X`` (``.uns`` ``'center'``, ``'scale'``, ``'log1p'``, and ``'log2'`` of ``.X``) are left
    out: they do not describe it.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> genes = gx.pp.collapse_probes(adata)
    >>> genes.var_names.is_unique
    True
    """
    check_choice("how", how, HOWS)
    check_choice("multi", multi, MULTI)
    if by not in adata.var:
        msg = f"pp.collapse_probes: no column {by!r} in .var; available: {list(adata.var.columns)}"
        raise KeyError(msg)
    if undo_of(adata, layer) is not None:  # a layer's records as .X's (pp.center(layer=))
        where = matrix_name(layer)
        msg = (f"pp.collapse_probes: {where} was centred or scaled (pp.center/pp.scale), so probe "
               "means and variances no longer tell the probes of a gene apart; collapse "
               "before centring or scaling, or pass layer= with the expression values")
        raise ValueError(msg)
    X = float_matrix(get_matrix(adata, layer=layer, caller="pp.collapse_probes"))
    if how in ("max_mean", "max_var") and columns_have_unit_sd(X):
        where = matrix_name(layer)
        msg = (f"pp.collapse_probes: every probe of {where} has standard deviation 1 (z-scores, "
               f"e.g. of sc.pp.scale), so how={how!r} would pick probes by rounding noise; "
               "collapse before scaling, or pass layer= with the expression values")
        raise ValueError(msg)
    probe_idx, genes = _probe_gene_pairs(adata, by=by, multi=multi, drop_controls=drop_controls)
    if how in ("mean", "median"):
        _say_linear_average(X, how=how, where=matrix_name(layer))
    codes, names = pd.factorize(pd.Series(genes), sort=False)
    if how in ("max_mean", "max_var"):
        values, chosen, n_probes = _pick(X, probe_idx, codes, len(names), how)
        probes = np.asarray(adata.var_names)[chosen]
        layers = {name: adata.layers[name][:, chosen] for name in layer_names(adata)}
    else:
        values, probes, n_probes = _average(X, adata.var_names, probe_idx, codes, how)
        layers = {name: _average(float_matrix(get_matrix(adata, layer=name,
                                                         caller="pp.collapse_probes")),
                                 adata.var_names, probe_idx, codes, how)[0]
                  for name in layer_names(adata)}
    var = pd.DataFrame({"n_probes": n_probes, "probes": probes},
                       index=pd.Index(names.astype(str), dtype=str))
    out = AnnData(X=values, obs=adata.obs.copy(), var=var, uns=deepcopy(dict(adata.uns)),
                  obsm={k: v.copy() for k, v in adata.obsm.items()},
                  obsp={k: v.copy() for k, v in adata.obsp.items()}, layers=layers)
    if adata.raw is not None:
        out.raw = adata.raw.to_adata()
    if layer is not None:
        _drop_records_of_x(out.uns)
    out.uns["collapse_probes"] = {
        "by": by, "how": how, "multi": multi, "drop_controls": drop_controls,
        "n_probes_in": int(adata.n_vars), "n_probes_used": len(set(probe_idx)),
        "n_genes": len(names),
    }
    logger.info("pp.collapse_probes: %d probes -> %d genes (%s)", adata.n_vars, len(names), how)
    return out


def _say_linear_average(X: np.ndarray, *, how: str, where: str) -> None:
    """Warn (in the log) when the values averaged look linear, not logged (GEO2R's rule)."""
    from ._log2 import looks_linear

    scale = looks_linear(X)
    if scale.linear:
        logger.warning("pp.collapse_probes: %s looks linear, not logged (q99=%.4g), so how=%r "
                       "averages linear values, whose log is not the %s of the probes' logs; "
                       "for log values (as limma's avereps), run pp.log2 first",
                       where, scale.quantiles["q99"], how, how)


def _drop_records_of_x(uns: dict) -> None:
    """Leave out the records of transforms of the input's ``.X``: the new ``.X`` is a layer.

    After ``pp.scale(max_value=...)`` of ``.X``, ``collapse_probes(layer='expression')`` (the
    way its refusal gives) kept ``.uns['scale']``, so on the collapsed expression
    ``select_variable`` refused "z-scores" and ``tl.markers`` gave NaN fold changes.
    """
    log2 = uns.get("log2")
    of_x = [name for name in ("center", "scale", "log1p") if name in uns]
    if hasattr(log2, "get") and log2.get("layer", "X") == "X":
        of_x.append("log2")
    for name in of_x:
        del uns[name]
    if of_x:
        logger.info("pp.collapse_probes: .X is the collapsed layer, so .uns %s (transforms of the "
                    "input's .X) are left out", of_x)


def _probe_gene_pairs(adata, *, by, multi, drop_controls):
    # as texts, '' where missing: a categorical column (read_h5ad's strings) refused a
    # fillna(''), Entrez ids in a float column read '7157.0', and Affymetrix's '---' or the
    # 'nan' of astype(str) made one gene of all the probes without a symbol
    symbols = gene_texts(adata.var[by])
    keep = symbols != ""
    if drop_controls:
        keep &= ~adata.var_names.str.startswith("AFFX")
    probe_idx, genes = [], []
    for j in np.flatnonzero(keep):
        # each gene once: GPL96 lists 'PI4KAP2' twice for 213408_s_at, which counted twice
        parts = _genes_of(symbols[j])
        if len(parts) > 1 and multi == "drop":
            continue
        for gene in parts if multi == "expand" else parts[:1]:
            probe_idx.append(j)
            genes.append(gene)
    if not probe_idx:
        msg = f"pp.collapse_probes: no probe has a gene in .var[{by!r}]"
        raise ValueError(msg)
    return np.asarray(probe_idx), genes


def _genes_of(symbol: str) -> list[str]:
    """The genes of a probe's symbol text (``'A /// B'``), each once, no-gene texts left out."""
    parts = (part.strip() for part in symbol.split(SEPARATOR))
    return list(dict.fromkeys(part for part in parts if not is_no_gene(part)))


def _pick(X, probe_idx, codes, n_genes, how):
    stat = _probe_statistic(X, how)
    frame = pd.DataFrame({"gene": codes, "probe": probe_idx, "stat": stat[probe_idx]})
    # stable: among equal scores the first probe in platform order wins
    best = frame.sort_values(["gene", "stat", "probe"], ascending=[True, False, True],
                             kind="stable").drop_duplicates("gene")
    chosen = best.sort_values("gene")["probe"].to_numpy()
    n_probes = np.bincount(codes, minlength=n_genes)
    return X[:, chosen], chosen, n_probes


def _probe_statistic(X: np.ndarray, how: str) -> np.ndarray:
    """Mean or variance (ddof=1) of each probe over its values present, in float64.

    Summed in float64: numpy sums float32 down the rows in float32, which over 200,000
    samples near 5,000 gave means 5.9 low and variances of 35 for 1, ranking probes wrongly.
    Missing values are left out, as WGCNA's collapseRows does (``na.rm=TRUE``): one empty
    cell made a probe's mean NaN, ranked below every number, so a gene silently kept a probe
    of mean 3.0 over one of 11.8. A probe without two values has no variance (NaN: last).
    """
    # a block of rows at a time: no float64 copy (nor boolean mask) of the whole matrix
    step = max(1, 2**18 // max(X.shape[1], 1))
    blocks = [X[start:start + step] for start in range(0, X.shape[0], step)]
    if not any(np.isnan(block).any() for block in blocks):
        return column_mean_sd(X)[0] if how == "max_mean" else column_var(X, ddof=1)
    present, total = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for block in blocks:
        values = block.astype(np.float64)
        missing = np.isnan(values)
        present += (~missing).sum(axis=0)
        values[missing] = 0.0
        total += values.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / present  # NaN for a probe without any value
    if how == "max_mean":
        return mean
    squares = np.zeros(X.shape[1])
    for block in blocks:
        deviations = block.astype(np.float64) - mean
        deviations[np.isnan(deviations)] = 0.0
        squares += np.einsum("ij,ij->j", deviations, deviations)
    return np.where(present > 1, squares / np.maximum(present - 1, 1), np.nan)


def _average(X, var_names, probe_idx, codes, how):
    frame = pd.DataFrame(X[:, probe_idx].T)
    grouped = frame.groupby(codes, sort=True)
    values = (grouped.mean() if how == "mean" else grouped.median()).to_numpy().T
    names = np.asarray(var_names)[probe_idx]
    probes = pd.Series(names).groupby(codes, sort=True).agg(";".join).to_numpy()
    return values, probes, np.bincount(codes)
